/**
 * `npm run bench` (part) or `npm run bench:broadcast-delivery`: a broadcast is delivered at the
 * channel's limit while parents chat (issue 11, "Measured"). The real app — createApp with the
 * real Telegram adapter, the outbound scheduler, BullMQ on a real Redis, SQLite on disk — talks
 * HTTP to the fake Bot API with Telegram's flood limits on (30 message calls in any sliding
 * second, 1/s per chat with a burst of 3; a call over a limit is answered 429 and not delivered).
 *
 * One broadcast to BENCH_BC_RECIPIENTS parents (default 4,000: more than two minutes of sending
 * at 28/s) while BENCH_BC_CHATTERS parents of another initiative (default 100) chat: each sends
 * /menu, waits for the answer, thinks BENCH_BC_THINK_MS (default 10 s), and again. Reported:
 *   - the delivery rate of the whole bot (broadcast + replies) over the sending time, as a share
 *     of the configured TELEGRAM_RATE_PER_SECOND (target ≥ 95 %);
 *   - 429s caused (target 0), recipients never reached (lost, target 0), recipients reached twice
 *     (duplicated, target 0);
 *   - the chatting parents' reply latency p50/p95/p99/max (target p99 < 200 ms), from the update
 *     being queued at the fake to the first bot message to that chat after it.
 * The domain clock is a weekday 10:00 in Amsterdam moving at real speed, so quiet hours never
 * hold the broadcast back whatever the hour of the run.
 *
 * Env: BENCH_BC_RECIPIENTS, BENCH_BC_CHATTERS, BENCH_BC_TIMEOUT_S (default 600), REDIS_URL
 * (else a private redis-server from test/support).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Clock } from '../src/core/clock.js';
import { createBroadcast, setVersion } from '../src/db/broadcasts.repo.js';
import { createInitiative } from '../src/db/initiatives.repo.js';
import { createLogger } from '../src/logger.js';
import { p50, p95, p99 } from '../test/support/crowd.js';
import { startFakeBotApi, type FakeBotApi } from '../test/support/fake-bot-api.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { cleanupOnInterrupt } from './bench-cleanup.js';

const RECIPIENTS = Number(process.env.BENCH_BC_RECIPIENTS ?? 4000);
const CHATTERS = Number(process.env.BENCH_BC_CHATTERS ?? 100);
const TIMEOUT_MS = Number(process.env.BENCH_BC_TIMEOUT_S ?? 600) * 1000;
/**
 * A chatting parent's pause between the answer and their next message. 100 parents at 1 s would
 * ask ~100 answers/s of a bot Telegram lets send 30/s: no sender can serve that, and replies
 * (which go first) would leave nothing for the broadcast. 10 s (reading the answer, tapping the
 * next button) asks ~10/s, a third of the budget.
 */
const THINK_MS = Number(process.env.BENCH_BC_THINK_MS ?? 10_000);
const RATE = 28;
const BROADCAST_TEXT = 'Bench: de open ochtend is verplaatst naar dinsdag.';
const RECIPIENT_BASE = 50_000_000;
const CHATTER_BASE = 60_000_000;

const cleanup = cleanupOnInterrupt();

/** 10:00 in Amsterdam on a Tuesday, moving at real speed. */
function daytimeClock(): Clock {
  const base = Date.parse('2026-12-08T09:00:00Z');
  const started = Date.now();
  return { now: () => new Date(base + (Date.now() - started)), sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)) };
}

/** Parents without children: no reminder of their own falls due during the run, so what is measured is the broadcast. */
function seedParents(app: App, initiativeId: number, from: number, count: number, lang: (i: number) => string): void {
  const sqlite = app.db.$client;
  const at = Date.parse('2026-11-01T10:00:00Z');
  const person = sqlite.prepare('insert into people (language, proactive, reminders, newsletter, heard_from, created_at) values (?, 1, 1, 0, ?, ?)');
  const identity = sqlite.prepare("insert into identities (person_id, channel, chat_id, last_inbound_at, created_at) values (?, 'telegram', ?, ?, ?)");
  const membership = sqlite.prepare("insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, 'parent', ?)");
  const consent = sqlite.prepare("insert into consent_log (person_id, kind, given, version, at) values (?, 'data', 1, '2026-12', ?)");
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = Number(person.run(lang(i), 'flyer', at).lastInsertRowid);
      identity.run(id, String(from + i), at, at);
      membership.run(id, initiativeId, at);
      consent.run(id, at);
    }
  })();
}

interface Result {
  recipients: number;
  reached: number;
  duplicated: number;
  lost: number;
  broadcastMessages: number;
  replies: number;
  sendingMs: number;
  ratePerSecond: number;
  tooMany: number;
  maxInAnyWindow: number;
  latencies: number[];
  fanOutSeenMs: number;
}

async function measure(redisUrl: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bc-'));
  cleanup.tempDirs.add(dir);
  const api: FakeBotApi = await startFakeBotApi({ limits: true });
  let app: App | undefined;
  let chatting = true;
  try {
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      DATABASE_PATH: join(dir, 'bot.db'),
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `bcbench${Math.random().toString(36).slice(2, 8)}`,
      TELEGRAM_RATE_PER_SECOND: String(RATE),
    });
    app = createApp({ config, logger: createLogger('warn'), clock: daytimeClock() });
    const ini = (code: string, name: string) =>
      createInitiative(app!.db, { name, school: name, neighbourhood: 'Oost', contact: 'x@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code }, 'bench');
    const audienceIni = ini('bench-a', 'Samen naar De Regenboog').id;
    const chatIni = ini('bench-b', 'Samen naar De Linde').id;
    const langs = ['nl', 'tr', 'ar', 'pl', 'en', 'uk', 'so', 'ti'];
    seedParents(app, audienceIni, RECIPIENT_BASE, RECIPIENTS, (i) => langs[i % langs.length]!);
    seedParents(app, chatIni, CHATTER_BASE, CHATTERS, () => 'nl');
    for (let i = 0; i < RECIPIENTS; i++) api.meet(RECIPIENT_BASE + i);
    for (let i = 0; i < CHATTERS; i++) api.meet(CHATTER_BASE + i);
    await app.start();
    // Warm up: the planner's first tick and the start-up calls are not the broadcast's.
    await app.nurture?.planner?.tick();
    api.resetStats();

    const perChat = new Map<number, number>();
    let firstAt = Infinity;
    let lastAt = 0;
    let broadcastMessages = 0;
    let replies = 0;
    /** When every bot message was recorded (any chat: replies, the broadcast, reminders that fell due). */
    const allAt: number[] = [];
    const latencies: number[] = [];
    const waiting = new Map<number, { since: number; done: () => void }>();
    const stopListening = api.onSent((chatId, message, at) => {
      allAt.push(at);
      if (chatId >= RECIPIENT_BASE && chatId < RECIPIENT_BASE + RECIPIENTS) {
        if (!message.plain?.includes('open ochtend') && !message.text?.includes('open ochtend')) return;
        broadcastMessages++;
        perChat.set(chatId, (perChat.get(chatId) ?? 0) + 1);
        firstAt = Math.min(firstAt, at);
        lastAt = Math.max(lastAt, at);
        return;
      }
      const w = waiting.get(chatId);
      if (w) {
        replies++;
        if (measuring) latencies.push(at - w.since);
        waiting.delete(chatId);
        w.done();
      }
    });

    let measuring = false;
    const chatter = async (chatId: number): Promise<void> => {
      // Parents do not all press at the same moment: each starts somewhere in one think time.
      await new Promise((r) => setTimeout(r, THINK_MS * Math.random()));
      while (chatting) {
        await new Promise<void>((resolve) => {
          const since = performance.now();
          waiting.set(chatId, { since, done: resolve });
          api.sendCommand(chatId, 'menu');
          setTimeout(() => {
            // An answer that never came is counted as a 10 s latency, never silently dropped.
            if (waiting.get(chatId)?.since === since) {
              waiting.delete(chatId);
              if (measuring) latencies.push(10_000);
              resolve();
            }
          }, 10_000).unref();
        });
        await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + Math.random())));
      }
    };
    const chatters = Array.from({ length: CHATTERS }, (_, i) => chatter(CHATTER_BASE + i));
    // Let the chat reach its steady state before the broadcast starts.
    await new Promise((r) => setTimeout(r, THINK_MS + 2_000));

    const clock = daytimeClock();
    const id = createBroadcast(app.db, { initiativeId: audienceIni, authorId: null, audience: {}, sendAt: clock.now(), status: 'scheduled' });
    for (const l of langs.slice(0, 6)) setVersion(app.db, id, l, { text: `${BROADCAST_TEXT} (${l})` });
    const confirmed = performance.now();
    // Latencies count from here: while the broadcast is delivered.
    measuring = true;
    let fanOutSeenMs = NaN;
    const deadline = confirmed + TIMEOUT_MS;
    while (performance.now() < deadline) {
      const counts = app.db.$client.prepare("select count(*) as n, sum(status in ('sent','failed','unreachable','skipped','expired')) as done from deliveries where rule_id = ?").get(`b${id}`) as { n: number; done: number | null };
      if (Number.isNaN(fanOutSeenMs) && counts.n > 0) fanOutSeenMs = performance.now() - confirmed;
      if (counts.n > 0 && (counts.done ?? 0) >= counts.n) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    chatting = false;
    await Promise.all(chatters);
    stopListening();
    const stats = api.stats();
    const sendingMs = lastAt - firstAt;
    const reached = perChat.size;
    const totalInWindow = allAt.filter((t) => t >= firstAt && t <= lastAt).length;
    return {
      recipients: RECIPIENTS,
      reached,
      duplicated: [...perChat.values()].filter((n) => n > 1).length,
      lost: RECIPIENTS - reached,
      broadcastMessages,
      replies,
      sendingMs,
      ratePerSecond: sendingMs > 0 ? (totalInWindow / sendingMs) * 1000 : 0,
      tooMany: stats.tooMany,
      maxInAnyWindow: stats.maxInAnyWindow,
      latencies,
      fanOutSeenMs,
    };
  } finally {
    chatting = false;
    if (app) await app.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
    cleanup.tempDirs.delete(dir);
  }
}

const redis: RedisServer | null = process.env.REDIS_URL ? null : await startRedisServer();
cleanup.stopRedis = redis ? () => redis.stop() : null;
let r: Result;
try {
  r = await measure(process.env.REDIS_URL ?? redis?.url ?? '');
} finally {
  await cleanup.stopRedis?.();
}
const ms0 = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(0) : '–');
const pct = (100 * r.ratePerSecond) / RATE;
console.log(`\n## A broadcast at the channel's limit while parents chat (issue 11)\n`);
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; TELEGRAM_RATE_PER_SECOND=${RATE}; fake Bot API with Telegram's limits.\n`);
console.log('| recipients | reached | lost | duplicated | sending time (s) | bot messages/s (all: broadcast, replies, reminders) | share of the limit | 429s | most in one second | replies to chatters | reply p50 / p95 / p99 / max (ms) |');
console.log(`|${'---|'.repeat(11)}`);
console.log(
  `| ${r.recipients} | ${r.reached} | ${r.lost} | ${r.duplicated} | ${(r.sendingMs / 1000).toFixed(1)} | ${r.ratePerSecond.toFixed(1)} | ${pct.toFixed(1)} % | ${r.tooMany} | ${r.maxInAnyWindow} | ${r.replies} | ${ms0(p50(r.latencies))} / ${ms0(p95(r.latencies))} / ${ms0(p99(r.latencies))} / ${ms0(Math.max(...r.latencies))} |`,
);
console.log(`\nFirst delivery rows seen ${ms0(r.fanOutSeenMs)} ms after the broadcast was scheduled (the runner's loop).`);
const pass = pct >= 95 && r.tooMany === 0 && r.lost === 0 && r.duplicated === 0 && p99(r.latencies) < 200;
console.log(pass ? 'Targets met.' : 'TARGETS MISSED (rate ≥ 95 %, 0 × 429, 0 lost, 0 duplicated, reply p99 < 200 ms).');
process.exitCode = pass ? 0 : 1;
