/**
 * Two workers (issue 13): two delivery-worker processes on one machine add up in throughput, and
 * when one is killed mid-run nothing is lost and nothing is sent twice beyond the messages it had
 * in flight. Targets: speedup ≥ 1.8, 0 lost, 0 duplicates beyond the killed worker's in-flight.
 *
 * Each worker is test/support/delivery-worker.process.ts: the real createDeliveryWorker on the
 * same SQLite file and Redis, whose channel adapter POSTs every message to a loopback sink that
 * answers after SINK_LATENCY_MS. With RATE=100 a worker runs 50 jobs at once, so one worker
 * manages about 50 ÷ 2 s = 25 messages a second: the worker is the bottleneck, not the limiter
 * (100/s, shared by the queue's workers) nor the CPU. Three runs, each on a broadcast of its own
 * (fanOut: rows written, all due, in BullMQ): one worker; two workers; two workers of which the
 * first is SIGKILLed at 40 % of the messages. After a kill the rows the dead process had claimed
 * stay `sending` (BullMQ hands its jobs to the survivor, which finds them claimed and leaves
 * them); once the survivor is done they are recovered as a restart does (recoverStaleSending,
 * then the queue is rebuilt from the database) and sent again: those are the uncertain ones, the
 * only ones that may arrive twice. Throughput is counted at the sink: the messages over the time
 * from the first arrival to the last answer (a worker's jobs go in rounds of 50 every 2 s, so
 * first-to-last arrival alone would leave out one round's time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Logger } from '../src/core/ports.js';
import { createBroadcast, setVersion } from '../src/db/broadcasts.repo.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { queuedItems, recoverStaleSending } from '../src/db/deliveries.repo.js';
import { DEFAULT_POLICY } from '../src/domain/send-window.js';
import { fanOut } from '../src/jobs/broadcast.runner.js';
import { createDeliveryQueues, type DeliveryQueues } from '../src/jobs/delivery.queue.js';
import { seedInitiative, seedParents } from '../test/support/broadcast-seed.js';
import { fixedClock } from '../test/support/clock.js';
import { childExecArgv } from './lib/child.js';
import { trackChild } from './lib/cleanup.js';
import { num, sleep } from './lib/format.js';
import { REPO_ROOT } from './lib/machine.js';
import { startSink, type Sink } from './lib/sink.js';
import type { Benchmark, BenchOutput, Figure } from './lib/types.js';

const WORKER = fileURLToPath(new URL('../test/support/delivery-worker.process.ts', import.meta.url));
/** 11:00 in Amsterdam on a Tuesday: no quiet hours (the workers' fixed clock). */
const NOW = '2027-03-02T10:00:00Z';
const RATE = 100;
const SINK_LATENCY_MS = 2_000;
/** BullMQ hands a dead process's jobs on after 4 × this (the worker process's STALL_MS). */
const STALL_MS = 1_000;
const KILL_AT = 0.4;
const FINAL = "('sent', 'failed', 'unreachable', 'skipped', 'expired')";
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface RunFigures {
  rate: number;
  distinct: number;
  duplicates: number;
  notSent: number;
  uncertain: number;
  inFlightAtKill: number;
}

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = trackChild(spawn(process.execPath, [...childExecArgv(), WORKER], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`worker process exited (${signal ?? code}) before it was ready:\n${err}`)));
  });
  return child;
}

const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** One run: a broadcast of its own to `messages` parents, `workers` processes, maybe a kill. */
async function run(db: Db, redisUrl: string, dbPath: string, label: string, messages: number, workers: number, kill: boolean): Promise<RunFigures> {
  const clock = fixedClock(NOW);
  const initiative = seedInitiative(db, label);
  seedParents(db, initiative, Array.from({ length: messages }, (_, i) => ({ language: 'nl', channel: 'local' as const, chatId: `${label}-${i}` })), clock.now());
  const broadcast = createBroadcast(db, { initiativeId: initiative, authorId: null, audience: {}, sendAt: clock.now(), status: 'scheduled' });
  setVersion(db, broadcast, 'nl', { text: 'Zaterdag speelochtend in de Regenboog.' });
  const prefix = `two${label}${Math.random().toString(36).slice(2, 8)}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queues: DeliveryQueues = createDeliveryQueues(producer, prefix, ['local']);
  const sink: Sink = await startSink(SINK_LATENCY_MS);
  const children: ChildProcess[] = [];
  try {
    // Every worker is up before the first job: none gets a head start.
    const env = { DB_PATH: dbPath, REDIS_URL: redisUrl, PREFIX: prefix, SINK_PORT: String(sink.port), NOW, RATE: String(RATE), STALL_MS: String(STALL_MS) };
    children.push(...(await Promise.all(Array.from({ length: workers }, () => startWorker(env)))));
    const report = await fanOut({ db, clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', queues }, broadcast, clock.now());
    if (report?.recipients !== messages) throw new Error(`fan-out: ${JSON.stringify(report)}`);
    let inFlightAtKill = 0;
    if (kill) {
      const victim = children[0]!;
      sink.onHit((count) => {
        if (count === Math.round(messages * KILL_AT)) {
          victim.kill('SIGKILL');
          inFlightAtKill = sink.open();
        }
      });
    }
    const unfinished = db.$client.prepare(`select count(*) from deliveries where rule_id = ? and status not in ${FINAL}`).pluck();
    const waiting = db.$client.prepare(`select count(*) from deliveries where rule_id = ? and status in ('planned', 'queued')`).pluck();
    const key = `b${broadcast}`;
    const timeout = messages * 1000;
    let uncertain = 0;
    if (kill) {
      // The survivor takes over the dead process's jobs (after its lock lapses) and everything not claimed.
      await waitFor(async () => (waiting.get(key) as number) === 0 && (await queues.pending('local')) === 0, timeout, 'the survivor to drain the queue');
      // What a restart does: rows left `sending` go back to the queue (uncertain: they may have gone out).
      const recovered = recoverStaleSending(db);
      uncertain = recovered.length;
      await queues.ensure(queuedItems(db), clock.now());
    }
    await waitFor(() => (unfinished.get(key) as number) === 0, timeout, 'every row to be final');
    const first = sink.hits[0]?.at ?? 0;
    const last = sink.hits.at(-1)?.at ?? 0;
    const distinct = new Set(sink.hits.map((h) => h.chatId)).size;
    const sent = db.$client.prepare("select count(*) from deliveries where rule_id = ? and status = 'sent'").pluck().get(key) as number;
    // From the first message's start to the last one's answer: the sink answers each after SINK_LATENCY_MS.
    return { rate: sink.hits.length / ((last + SINK_LATENCY_MS - first) / 1000), distinct, duplicates: sink.hits.length - distinct, notSent: messages - sent, uncertain, inFlightAtKill };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => Promise.race([exited(c), sleep(5_000).then(() => c.kill('SIGKILL'))])));
    await queues.queue('local').obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    producer.disconnect();
    await sink.close();
  }
}

export const twoWorkers: Benchmark = {
  name: 'two-workers',
  title: 'Two workers: throughput adds up; a killed worker loses nothing and repeats at most its in-flight messages',
  async run(ctx): Promise<BenchOutput> {
    const messages = ctx.quick ? 400 : 1_200;
    const path = join(ctx.tempDir, 'two-workers.db');
    const db = openDatabase(path);
    try {
      ctx.log(`two workers: one worker, ${num(messages)} messages at ${SINK_LATENCY_MS} ms each…`);
      const one = await run(db, ctx.redisUrl, path, 'one', messages, 1, false);
      ctx.log('two workers: two workers…');
      const two = await run(db, ctx.redisUrl, path, 'two', messages, 2, false);
      ctx.log(`two workers: two workers, the first killed at ${KILL_AT * 100} %…`);
      const killed = await run(db, ctx.redisUrl, path, 'kill', messages, 2, true);
      const figures: Figure[] = [
        { metric: 'oneRate', label: 'one worker', value: one.rate, unit: '/s' },
        { metric: 'twoRate', label: 'two workers', value: two.rate, unit: '/s' },
        { metric: 'speedup', label: 'two ÷ one', value: two.rate / one.rate, unit: '×' },
        { metric: 'lost', label: 'lost (all three runs; a chat never reached or a row not sent)', value: [one, two, killed].reduce((a, r) => a + Math.max(messages - r.distinct, r.notSent), 0), unit: '' },
        { metric: 'duplicates', label: 'duplicates after the kill', value: killed.duplicates, unit: '' },
        { metric: 'uncertain', label: "the killed worker's in-flight (rows left sending)", value: killed.uncertain, unit: '' },
        { metric: 'beyondInFlight', label: 'duplicates beyond those in-flight', value: Math.max(0, killed.duplicates - killed.uncertain), unit: '' },
      ];
      return {
        figures,
        notes: [
          `${num(messages)} messages per run, sink latency ${SINK_LATENCY_MS} ms, RATE ${RATE} (50 jobs at once per worker); duplicates without a kill: ${one.duplicates + two.duplicates}; ` +
            `messages in flight at the sink when the worker was killed (both workers): ${killed.inFlightAtKill}; the kill run went at ${killed.rate.toFixed(1)}/s`,
        ],
      };
    } finally {
      db.$client.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
  },
};
