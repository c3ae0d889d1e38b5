/**
 * `npm run bench` (part) / `npm run bench:broadcast`: a broadcast to 100,000 parents (issue 11).
 * From the author's confirmation (the `submit` transaction) until every delivery row is written and
 * handed to BullMQ on a real Redis (target < 10 s), and the process's peak RSS meanwhile (target
 * < 400 MB). The path is production's: runBroadcastCommand('submit') → fanOut (one transaction:
 * flip to sending, the audience, send times, 100,000 inserts) → queues.add + one UPDATE. Two modes,
 * each in a fresh process on a fresh database (seeded by another child process):
 *   all    every row due at once and all 100,000 jobs in Redis (the issue's literal measure);
 *   paced  as the bot runs it: rows paced at the channels' rates (Telegram 28/s, WhatsApp Cloud
 *          80/s), the first 2 minutes in Redis now, the planner's minutely tick hands over the rest.
 * No worker runs: sending is measured by the nurture and crowd benches (the channel's limit bounds it).
 * The database: 100,000 parents of the initiative in 8 languages (80 % Telegram, 20 % WhatsApp), a
 * child each, 20,000 parents of 4 other initiatives, one sent reminder per parent this week (the cap
 * history the fan-out reads); the broadcast has versions in 6 of the 8 languages.
 * Env: BENCH_PARENTS (100000), REDIS_URL (else a private redis-server from test/support).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Logger } from '../src/core/ports.js';
import { openDatabase } from '../src/db/client.js';
import { runBroadcastCommand } from '../src/db/broadcast.effects.js';
import { DEFAULT_POLICY } from '../src/domain/send-window.js';
import { fanOut, type FanOutReport } from '../src/jobs/broadcast.runner.js';
import { createDeliveryQueues } from '../src/jobs/delivery.queue.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../src/jobs/nurture.config.js';
import { createPlanner } from '../src/jobs/planner.js';
import { fixedClock } from '../test/support/clock.js';
import { seedInitiative, seedParents, type SeedParent } from '../test/support/broadcast-seed.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { cleanupOnInterrupt } from './bench-cleanup.js';

const PARENTS = Number(process.env.BENCH_PARENTS ?? 100_000);
const NOW = new Date('2026-12-07T10:00:00Z'); // 11:00 in Amsterdam
const LANGS = ['nl', 'tr', 'ar', 'pl', 'en', 'uk', 'so', 'bg'] as const;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const cleanup = cleanupOnInterrupt();

const fmt = (n: number): string => n.toLocaleString('en-US');
const s2 = (ms: number): string => (ms / 1000).toFixed(2);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

function codeState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', 'src', 'scripts'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    return dirty ? `${head} + ${dirty} uncommitted files in src/scripts` : head;
  } catch {
    return 'unknown (no git)';
  }
}


/** `--seed <db>`: the world, written by a child process. */
function seed(dbPath: string): void {
  const db = openDatabase(dbPath);
  const t = performance.now();
  const random = seededRandom(11);
  const ini = seedInitiative(db, 'regenboog', 'Samen naar De Regenboog');
  const [coordinator] = seedParents(db, ini, [{ language: 'nl', role: 'coordinator' }], NOW);
  const parents: SeedParent[] = Array.from({ length: PARENTS }, (_, i) => ({
    language: LANGS[i % LANGS.length]!,
    channel: random() < 0.8 ? 'telegram' : 'whatsapp',
    children: [{ year: 2023 + Math.floor(random() * 3), month: 1 + Math.floor(random() * 12) }],
  }));
  const ids = seedParents(db, ini, parents, NOW);
  for (let k = 0; k < 4; k++) seedParents(db, seedInitiative(db, `other${k}`), Array.from({ length: 5_000 }, () => ({ language: 'nl' })), NOW);
  const ins = db.$client.prepare(
    "insert into deliveries (key, person_id, rule_id, channel, kind, priority, due_at, send_at, payload, status, sent_at, created_at) values (?, ?, 'look-at-schools', 'telegram', 'reminder', 5, ?, ?, '{}', 'sent', ?, ?)",
  );
  const sentAt = NOW.getTime() - 2 * 86_400_000;
  db.$client.transaction(() => {
    for (const id of ids) ins.run(`look-at-schools|p${id}|c-|x`, id, sentAt, sentAt, sentAt, sentAt);
  })();
  const created = db.transaction((tx) => runBroadcastCommand(tx, { personId: coordinator! }, { op: 'create', initiativeId: ini, draftKey: 'bench' }, NOW));
  if (!created.ok) throw new Error('create refused');
  db.transaction((tx) => {
    for (const lang of ['nl', 'tr', 'ar', 'pl', 'en', 'uk']) runBroadcastCommand(tx, { personId: coordinator! }, { op: 'version', broadcastId: created.broadcastId, lang, text: `Zaterdag speelochtend (${lang}).` }, NOW);
  });
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  console.log(`seeded ${fmt(PARENTS + 20_001)} people (${fmt(PARENTS)} parents in the audience, 6 of 8 languages with a version) and ${fmt(PARENTS)} sent reminders in ${s2(performance.now() - t)} s`);
}

interface Measured {
  mode: Mode;
  submitMs: number;
  writeMs: number;
  enqueueMs: number;
  totalMs: number;
  recipients: number;
  queued: number;
  planned: number;
  jobs: number;
  lastSendAt: string;
  rssBefore: number;
  rssPeak: number;
  heapPeak: number;
}

/**
 * `all`: every row due at once, all 100,000 handed to BullMQ (the issue's literal measure).
 * `paced`: as the bot runs it, rows paced at the channels' rates (Telegram 28/s, WhatsApp Cloud 80/s
 * by default): the first 2 minutes go to BullMQ now, the planner's minutely tick takes the rest.
 */
type Mode = 'all' | 'paced';
const RATES = { telegram: 28, whatsapp: 80 };

/** `--measure <db> <mode> <redis>`: one confirmation in a fresh process (its memory is the broadcast's alone); prints one JSON line. */
async function measure(dbPath: string, mode: Mode, redisUrl: string): Promise<void> {
  const db = openDatabase(dbPath);
  const clock = fixedClock(NOW);
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queues = createDeliveryQueues(producer, `benchbc${mode}${Date.now().toString(36)}`, ['telegram', 'whatsapp']);
  try {
    const coordinator = db.$client.prepare("select person_id from memberships where role = 'coordinator' order by id limit 1").pluck().get() as number;
    const bid = db.$client.prepare('select max(id) from broadcasts').pluck().get() as number;
    const planDeps = { db, rules: loadReminderRules(), clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS };
    const planner = createPlanner({ ...planDeps, queues, channels: ['telegram', 'whatsapp'] });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 20);
    const t = performance.now();
    const submitted = db.transaction((tx) => runBroadcastCommand(tx, { personId: coordinator }, { op: 'submit', broadcastId: bid }, NOW));
    if (!submitted.ok || submitted.status !== 'scheduled') throw new Error(`submit: ${JSON.stringify(submitted)}`);
    const submitMs = performance.now() - t;
    const report = (await fanOut({ ...planDeps, queues, kick: () => planner.kick(), ...(mode === 'paced' ? { ratePerSecond: RATES } : {}) }, bid, NOW)) as FanOutReport;
    const totalMs = performance.now() - t;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const rows = db.$client.prepare('select status, count(*) as n, max(send_at) as last from deliveries where rule_id = ? group by status').all(`b${bid}`) as { status: string; n: number; last: number }[];
    const out: Measured = {
      mode,
      submitMs,
      writeMs: report.writeMs,
      enqueueMs: report.totalMs - report.writeMs,
      totalMs,
      recipients: report.recipients,
      queued: rows.find((r) => r.status === 'queued')?.n ?? 0,
      planned: rows.find((r) => r.status === 'planned')?.n ?? 0,
      jobs: (await queues.pending('telegram')) + (await queues.pending('whatsapp')),
      lastSendAt: new Date(Math.max(...rows.map((r) => r.last))).toISOString(),
      rssBefore,
      rssPeak,
      heapPeak,
    };
    console.log(`RESULT ${JSON.stringify(out)}`);
  } finally {
    for (const c of ['telegram', 'whatsapp'] as const) await queues.queue(c).obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    producer.disconnect();
    db.$client.close();
  }
}

async function main(): Promise<void> {
  console.log(`broadcast bench: ${fmt(PARENTS)} parents in ${LANGS.length} languages, now = ${NOW.toISOString()}, ${cpus().length} cores, load ${load()}`);
  console.log(`code: ${codeState()}`);
  const redis: RedisServer | null = process.env.REDIS_URL ? null : await startRedisServer();
  cleanup.stopRedis = redis ? () => redis.stop() : null;
  const redisUrl = process.env.REDIS_URL || (redis?.url ?? '');
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bench-bc-'));
  cleanup.tempDirs.add(dir);
  const self = fileURLToPath(import.meta.url);
  const child = (args: string[]): string => execFileSync(process.execPath, [...process.execArgv, self, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  let ok = true;
  try {
    console.log('| mode | confirmation → written (fan-out transaction) | → handed to BullMQ | total | rows queued now / planned | jobs in Redis | last send time | peak RSS (JS heap) |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const mode of ['all', 'paced'] as const) {
      // A fresh database and a fresh process per mode: seeding in one child, the measure in another.
      const dbPath = join(dir, `${mode}.db`);
      process.stderr.write(child(['--seed', dbPath]));
      const line = child(['--measure', dbPath, mode, redisUrl]).split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no result from the ${mode} run`);
      const m = JSON.parse(line.slice(7)) as Measured;
      console.log(
        `| ${mode} | ${s2(m.submitMs + m.writeMs)} s (${s2(m.writeMs)} s) | ${s2(m.enqueueMs)} s | ${s2(m.totalMs)} s | ${fmt(m.queued)} / ${fmt(m.planned)} | ${fmt(m.jobs)} | ${m.lastSendAt.slice(11, 19)} | ${mb(m.rssPeak)} MB (${mb(m.heapPeak)} MB; ${mb(m.rssBefore)} MB before) |`,
      );
      const complete = m.recipients === PARENTS && m.queued + m.planned === PARENTS && m.jobs === m.queued && (mode === 'paced' || m.queued === PARENTS);
      const verdict = `${m.totalMs < 10_000 ? 'time pass' : 'time FAIL'}, ${m.rssPeak < 400 * 1024 * 1024 ? 'memory pass' : 'memory FAIL'}, ${complete ? 'rows pass' : 'rows FAIL'}`;
      process.stderr.write(`${mode}: ${verdict} (load ${load()})\n`);
      ok &&= m.totalMs < 10_000 && m.rssPeak < 400 * 1024 * 1024 && complete;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    cleanup.tempDirs.delete(dir);
    await redis?.stop();
  }
  process.exitCode = ok ? 0 : 1;
}

const flag = (name: string): number => process.argv.indexOf(name);
if (flag('--seed') >= 0) seed(process.argv[flag('--seed') + 1]!);
else if (flag('--measure') >= 0) void measure(process.argv[flag('--measure') + 1]!, process.argv[flag('--measure') + 2] as Mode, process.argv[flag('--measure') + 3]!);
else void main();
