/**
 * The planner thread (ADR 0012): a worker_thread with its own SQLite connection that runs the
 * tick's SQLite work (src/jobs/tick-work.ts: retention, the incremental planning pass, missing
 * dates, escalations) and the full rebuild's batches (src/jobs/plan-tick.ts), so none of it runs
 * on the thread that answers parents. It only reads and writes SQLite; Redis stays with the
 * caller (src/jobs/planner.ts enqueues what is due). Started by src/jobs/plan-runner.ts.
 *
 * Requests carry their own `now` (the caller's clock, which tests move by hand); answers carry
 * counts and row ids only, so little crosses between the threads. Log lines go to the caller's
 * logger.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../core/ports.js';
import { openDatabase } from '../db/client.js';
import type { PlanPassDeps } from './plan-pass.js';
import { rebuildBatch, rebuildBegin, rebuildBounds } from './plan-tick.js';
import { countQueuedByChannel, tickWork } from './tick-work.js';
import { guardPlannerTransactions, plannerTurns, plannerWrites } from '../db/write-lock.js';
import type { PlanThreadData, PlanThreadReply, PlanThreadRequest } from './plan-runner.js';

const port = parentPort;
if (!port) throw new Error('plan-thread.ts runs as a worker_thread (src/jobs/plan-runner.ts starts it)');
const data = workerData as PlanThreadData;
/** The planner thread's nice value (0 normal, 19 lowest). */
const PLANNER_NICE = 10;
// Below the thread that answers parents when the cores are busy: on Linux the nice value is per
// thread, so this lowers the planner thread only (elsewhere it would lower the whole process).
if (process.platform === 'linux') {
  try {
    setPriority(0, PLANNER_NICE);
  } catch {
    // Not allowed here (a container's policy): the thread runs at the process's priority.
  }
}
const db = openDatabase(data.dbPath);
// The planner thread is this process's checkpointer (ADR 0012): its own commits never checkpoint
// (a write holding the write lock would keep a reply's commit waiting for the whole checkpoint), the other thread's
// connection neither while this thread lives (src/jobs/plan-runner.ts turns it off there), and a
// passive checkpoint here, after its writes and every second, keeps the WAL short without making
// any writer wait.
db.$client.pragma('wal_autocheckpoint = 0');
/**
 * The WAL may grow to this many pages (4 KiB each) between two locked writes before a checkpoint:
 * during a rebuild a checkpoint every few writes (it was every 8: ~400 parents) copied and synced
 * the same index pages again and again; the timer below still checkpoints at most every second.
 */
const WRITE_CHECKPOINT_PAGES = 4096;
/** The WAL may grow to this many pages before the timer checkpoints it. */
const CHECKPOINT_PAGES = 256;
const checkpoint = (): void => void db.$client.pragma('wal_checkpoint(PASSIVE)');
const walPages = (): number => {
  const [wal] = db.$client.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
  return wal ? wal.log - wal.checkpointed : 0;
};
function checkpointSoon(): void {
  if (walPages() > WRITE_CHECKPOINT_PAGES) checkpoint();
}
setInterval(() => {
  if (walPages() > CHECKPOINT_PAGES) checkpoint();
}, 1000);

const post = (reply: PlanThreadReply): void => port.postMessage(reply);
const log =
  (level: keyof Logger) =>
  (obj: object, msg?: string): void =>
    post({ log: { level, obj, ...(msg !== undefined ? { msg } : {}) } });
const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

// Every transaction of this thread holds the lock as well (a notice, a newsletter issued, an escalation).
const gate = plannerWrites(data.writeLock);
guardPlannerTransactions(db.$client, gate);

let current = new Date(0);
const deps: PlanPassDeps = {
  db,
  rules: data.rules,
  clock: { now: () => current, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  logger,
  policy: data.policy,
  defaultTimeZone: data.defaultTimeZone,
  horizonMs: data.horizonMs,
  ...(data.outreachCooldownDays !== undefined ? { outreachCooldownDays: data.outreachCooldownDays } : {}),
  // Each group's write holds the process's write lock (the thread that answers parents takes it for its transactions).
  writeGate: checkpointed(gate),
  writeTurn: plannerTurns(data.writeLock),
};

function checkpointed(gate: <T>(write: () => T) => T): <T>(write: () => T) => T {
  return <T>(write: () => T): T => {
    const out = gate(write);
    checkpointSoon();
    return out;
  };
}

function handle(req: PlanThreadRequest): unknown {
  if (req.op === 'close') {
    db.$client.close();
    return null;
  }
  if (req.op === 'rebuildBegin') return rebuildBegin(deps);
  if (req.op === 'countQueued') return countQueuedByChannel(deps);
  if (req.op === 'rebuildBounds') return rebuildBounds(db);
  current = new Date(req.now);
  if (req.op === 'tick') return tickWork(deps, current, { retention: req.retention, ...(req.maxPeople !== undefined ? { maxPeople: req.maxPeople } : {}) });
  return rebuildBatch(deps, current, req.fromId, req.size, req.toId);
}

port.on('message', (req: PlanThreadRequest) => {
  try {
    post({ id: req.id, ok: true, result: handle(req) });
  } catch (err) {
    post({ id: req.id, ok: false, error: err instanceof Error ? { message: err.message, stack: err.stack ?? '' } : { message: String(err), stack: '' } });
  }
});
post({ ready: true });
