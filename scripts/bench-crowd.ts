/**
 * `npm run bench` (last) or `npm run bench:crowd`: a flyer brings hundreds of parents at once
 * (issue 9). For each crowd size, N new parents send `/start <code>` at the same moment and go
 * through the whole onboarding (test/support/crowd.ts) against the real app — createApp with
 * the real Telegram adapter, SQLite on disk and a real Redis — talking HTTP to the fake Bot API
 * with Telegram's flood limits on (30 message calls in any sliding second, 1/s per chat with a
 * burst of 3; a call over a limit gets a 429 and is not delivered).
 *
 * Reported per size: when the last parent reached the main menu; the floor, i.e. the bot
 * messages delivered ÷ 30/s (no sender can beat it) and the ratio to it (target ≤ 1.15); the
 * p50/p95/p99 reply latency (a parent's message → the first bot message after it); 429s; parents
 * lost (no question within BENCH_CROWD_TIMEOUT_S after their last message); turns out of order.
 *
 * Env: BENCH_CROWD (sizes, default "100,300,1000"), BENCH_CROWD_TIMEOUT_S (default 120),
 * BENCH_CROWD_ENV (extra app configuration, "KEY=value,KEY=value"), REDIS_URL (else a private
 * redis-server from test/support). Results and their history: docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createInitiative } from '../src/db/initiatives.repo.js';
import { createLogger } from '../src/logger.js';
import { p50, p95, p99, runCrowd, type CrowdResult } from '../test/support/crowd.js';
import { startFakeBotApi, TELEGRAM_LIMITS, type FakeBotApi } from '../test/support/fake-bot-api.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { cleanupOnInterrupt } from './bench-cleanup.js';

const SIZES = (process.env.BENCH_CROWD ?? '100,300,1000').split(',').map(Number).filter((n) => n > 0);
const TIMEOUT_MS = Number(process.env.BENCH_CROWD_TIMEOUT_S ?? 120) * 1000;
const EXTRA_ENV = Object.fromEntries(
  (process.env.BENCH_CROWD_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const cleanup = cleanupOnInterrupt();
const tempDirs = cleanup.tempDirs;

interface Row {
  size: number;
  result: CrowdResult;
  /** Warnings and errors the app logged, by message. */
  logs: Map<string, number>;
}

/** Counts pino lines at warn (40) and above by their msg; the rest is dropped. */
function countingSink(counts: Map<string, number>): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string };
          if ((entry.level ?? 0) >= 40) counts.set(entry.msg ?? '?', (counts.get(entry.msg ?? '?') ?? 0) + 1);
        } catch {
          counts.set('(unparsed log line)', (counts.get('(unparsed log line)') ?? 0) + 1);
        }
      }
      done();
    },
  });
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T | undefined> =>
  Promise.race([
    p,
    new Promise<undefined>((resolve) =>
      setTimeout(() => {
        console.error(`(${what} took over ${ms} ms; going on)`);
        resolve(undefined);
      }, ms).unref(),
    ),
  ]);

async function measure(size: number, redisUrl: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-crowd-'));
  tempDirs.add(dir);
  const api: FakeBotApi = await startFakeBotApi({ limits: true });
  const logs = new Map<string, number>();
  let app: App | undefined;
  try {
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      DATABASE_PATH: join(dir, 'bot.db'),
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `crowd${size}x${Math.random().toString(36).slice(2, 8)}`,
      ...EXTRA_ENV,
    });
    app = createApp({ config, logger: createLogger('warn', countingSink(logs)) });
    await app.start();
    createInitiative(
      app.db,
      { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'flyer' },
      'bench',
    );
    // Start-up calls (getMe, setMyCommands…) are not the crowd's.
    api.resetStats();
    let done = 0;
    const result = await runCrowd({
      api,
      parents: size,
      code: 'flyer',
      replyTimeoutMs: TIMEOUT_MS,
      onParentDone: () => {
        done++;
        if (done % Math.max(1, Math.round(size / 10)) === 0) process.stderr.write(`  ${size}: ${done} done\n`);
      },
    });
    return { size, result, logs };
  } finally {
    if (app) await withTimeout(app.stop(), 30_000, 'app.stop()');
    await api.close();
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

const s1 = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '–');
const ms0 = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(0) : '–');
const fmt = (n: number): string => n.toLocaleString('en-US');

function table(rows: Row[]): string {
  const head = '| parents | finished | bot messages | last finished (s) | floor: messages ÷ 30/s (s) | ratio to floor | reply p50 / p95 / p99 (ms) | 429s / message calls | lost | turns out of order |';
  const lines = rows.map(({ size, result: r }) => {
    const floorMs = (r.totalMessages / TELEGRAM_LIMITS.perSecond) * 1000;
    const last = r.finished ? r.lastFinishedMs : NaN;
    const lost = r.parents - r.finished;
    const ratio = Number.isFinite(last) && floorMs > 0 ? `${(last / floorMs).toFixed(2)}${lost ? ` (${fmt(lost)} lost)` : ''}` : '–';
    const pct = r.messageRequests ? ((100 * r.tooMany) / r.messageRequests).toFixed(1) : '0';
    return `| ${fmt(size)} | ${fmt(r.finished)} | ${fmt(r.totalMessages)} | ${s1(last)} | ${s1(floorMs)} | ${ratio} | ${ms0(p50(r.latencies))} / ${ms0(p95(r.latencies))} / ${ms0(p99(r.latencies))} | ${fmt(r.tooMany)} / ${fmt(r.messageRequests)} (${pct} %) | ${fmt(r.stuck.length)} | ${fmt(r.orderViolations.length)} |`;
  });
  return [head, `|${'---|'.repeat(10)}`, ...lines].join('\n');
}

const redis: RedisServer | null = process.env.REDIS_URL ? null : await startRedisServer();
cleanup.stopRedis = redis ? () => redis.stop() : null;
const redisUrl = process.env.REDIS_URL ?? redis?.url ?? '';
const rows: Row[] = [];
try {
  for (const size of SIZES) {
    process.stderr.write(`crowd of ${size}…\n`);
    rows.push(await measure(size, redisUrl));
  }
} finally {
  await cleanup.stopRedis?.();
}

console.log(`\n## A flyer brings a crowd (issue 9): onboarding at once, fake Bot API with Telegram's limits\n`);
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; a question not answered within ${TIMEOUT_MS / 1000} s = lost.${Object.keys(EXTRA_ENV).length ? ` App env: ${JSON.stringify(EXTRA_ENV)}.` : ''}\n`);
console.log(table(rows));
for (const { size, result: r, logs } of rows) {
  const top = [...logs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  const turns = `turn (to the question) p50/p95/p99 ${ms0(p50(r.turnLatencies))}/${ms0(p95(r.turnLatencies))}/${ms0(p99(r.turnLatencies))} ms`;
  console.log(`\n${fmt(size)} parents: ${turns}; max message calls admitted in one second ${r.maxInAnyWindow}; API requests ${fmt(r.requests)}; unexpected messages ${r.unexpected}.`);
  if (top.length) console.log(`  app warnings/errors: ${top.map(([msg, n]) => `"${msg}" × ${fmt(n)}`).join(', ')}`);
  const stuckAt = new Map<string, number>();
  for (const s of r.stuck) stuckAt.set(s.at, (stuckAt.get(s.at) ?? 0) + 1);
  if (stuckAt.size) console.log(`  lost after: ${[...stuckAt.entries()].map(([at, n]) => `${at} × ${n}`).join(', ')}`);
  if (r.orderViolations.length) console.log(`  out of order, e.g.: ${r.orderViolations.slice(0, 3).join('; ')}`);
  if (r.unexpectedSamples.length) console.log(`  unexpected, e.g.: ${r.unexpectedSamples.slice(0, 4).join('; ')}`);
  if (r.stuck.length) console.log(`  run ended after ${s1(r.durationMs)} s (the last lost parent's ${TIMEOUT_MS / 1000} s wait included).`);
}
