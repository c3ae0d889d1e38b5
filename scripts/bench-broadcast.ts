/**
 * `npm run bench` (part) / `tsx scripts/bench-broadcast.ts`: a broadcast to 100,000 parents
 * (issue 11). From the author's confirmation (the `submit` transaction) until every delivery row
 * is written and queued in BullMQ (target < 10 s), and the process's peak RSS meanwhile
 * (target < 400 MB). The path is production's: runBroadcastCommand('submit') → fanOut (one
 * transaction: flip to sending, select the audience, send times, 100,000 inserts) → the planner's
 * kick (plannedDue → queues.add → markQueued) on a real Redis. No worker runs: sending is
 * measured by the nurture and crowd benches (the channel's limit, not this path, bounds it).
 * The database holds the parents of 8 languages with a child each, 4 other initiatives, and one
 * sent reminder per parent this week (the cap history the fan-out reads).
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

async function main(): Promise<void> {
  console.log(`broadcast bench: ${fmt(PARENTS)} parents in ${LANGS.length} languages, now = ${NOW.toISOString()}, ${cpus().length} cores, load ${load()}`);
  console.log(`code: ${codeState()}`);
  const redis: RedisServer | null = process.env.REDIS_URL ? null : await startRedisServer();
  cleanup.stopRedis = redis ? () => redis.stop() : null;
  const redisUrl = process.env.REDIS_URL || (redis?.url ?? '');
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bench-bc-'));
  cleanup.tempDirs.add(dir);
  const dbPath = join(dir, 'bench.db');
  let dbRef: ReturnType<typeof openDatabase> | null = null;
  const clock = fixedClock(NOW);
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `benchbc${Date.now().toString(36)}`;
  const queues = createDeliveryQueues(producer, prefix, ['telegram', 'whatsapp']);
  let ok = false;
  try {
    // Seeding runs in a child process, so this process's memory is the broadcast's alone.
    let t = performance.now();
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--seed', dbPath], { stdio: 'inherit' });
    const db = openDatabase(dbPath);
    dbRef = db;
    const coordinator = db.$client.prepare("select person_id from memberships where role = 'coordinator' order by id limit 1").pluck().get() as number;
    const bid = db.$client.prepare('select max(id) from broadcasts').pluck().get() as number;
    console.log(`seeded in a child process in ${s2(performance.now() - t)} s`);

    const rules = loadReminderRules();
    const planDeps = { db, rules, clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS };
    const planner = createPlanner({ ...planDeps, queues, channels: ['telegram', 'whatsapp'] });
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = rssBefore;
    let heapPeak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 20);

    // Confirmation → every delivery written and queued.
    t = performance.now();
    const submitted = db.transaction((tx) => runBroadcastCommand(tx, { personId: coordinator! }, { op: 'submit', broadcastId: bid }, NOW));
    if (!submitted.ok || submitted.status !== 'scheduled') throw new Error(`submit: ${JSON.stringify(submitted)}`);
    const submitMs = performance.now() - t;
    const report = (await fanOut({ ...planDeps, queues, kick: () => planner.kick() }, bid, NOW)) as FanOutReport;
    const totalMs = performance.now() - t;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    const rows = db.$client.prepare("select status, count(*) as n from deliveries where rule_id = ? group by status").all(`b${bid}`) as { status: string; n: number }[];
    const queued = rows.find((r) => r.status === 'queued')?.n ?? 0;
    const jobs = (await queues.pending('telegram')) + (await queues.pending('whatsapp'));
    console.log(
      `submit ${s2(submitMs)} s; fan-out transaction (audience, send times, ${fmt(report.recipients)} rows) ${s2(report.writeMs)} s; enqueue (queues.add + one UPDATE) ${s2(report.totalMs - report.writeMs)} s`,
    );
    console.log(`rows: ${rows.map((r) => `${r.status} ${fmt(r.n)}`).join(', ')}; jobs in Redis: ${fmt(jobs)}; skipped at start: ${JSON.stringify(report.skipped)}`);
    console.log(`RSS before ${mb(rssBefore)} MB, peak ${mb(peak)} MB; JS heap ${mb(heapBefore)} MB before, peak ${mb(heapPeak)} MB (load ${load()})`);
    const fast = totalMs < 10_000;
    const small = peak < 400 * 1024 * 1024;
    const complete = report.recipients === PARENTS && queued === PARENTS && jobs === PARENTS;
    console.log('');
    console.log(`| measure | target | result |`);
    console.log(`| confirmation → ${fmt(PARENTS)} rows written and queued | < 10 s | ${s2(totalMs)} s ${fast ? 'pass' : 'FAIL'} |`);
    console.log(`| peak RSS | < 400 MB | ${mb(peak)} MB ${small ? 'pass' : 'FAIL'} |`);
    console.log(`| every parent one row, every row one job | ${fmt(PARENTS)} | ${fmt(report.recipients)} rows, ${fmt(queued)} queued, ${fmt(jobs)} jobs ${complete ? 'pass' : 'FAIL'} |`);
    ok = fast && small && complete;
  } finally {
    for (const c of ['telegram', 'whatsapp'] as const) await queues.queue(c).obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    producer.disconnect();
    dbRef?.$client.close();
    rmSync(dir, { recursive: true, force: true });
    cleanup.tempDirs.delete(dir);
    await redis?.stop();
  }
  process.exitCode = ok ? 0 : 1;
}

const seedAt = process.argv.indexOf('--seed');
if (seedAt >= 0) seed(process.argv[seedAt + 1]!);
else void main();
