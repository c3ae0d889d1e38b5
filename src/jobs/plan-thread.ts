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
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../core/ports.js';
import { openDatabase } from '../db/client.js';
import type { PlanPassDeps } from './plan-pass.js';
import { rebuildBatch, rebuildBegin } from './plan-tick.js';
import { tickWork } from './tick-work.js';
import type { PlanThreadData, PlanThreadReply, PlanThreadRequest } from './plan-runner.js';

const port = parentPort;
if (!port) throw new Error('plan-thread.ts runs as a worker_thread (src/jobs/plan-runner.ts starts it)');
const data = workerData as PlanThreadData;
const db = openDatabase(data.dbPath);

const post = (reply: PlanThreadReply): void => port.postMessage(reply);
const log =
  (level: keyof Logger) =>
  (obj: object, msg?: string): void =>
    post({ log: { level, obj, ...(msg !== undefined ? { msg } : {}) } });
const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

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
};

function handle(req: PlanThreadRequest): unknown {
  if (req.op === 'close') {
    db.$client.close();
    return null;
  }
  if (req.op === 'rebuildBegin') return rebuildBegin(db);
  current = new Date(req.now);
  if (req.op === 'tick') return tickWork(deps, current, { retention: req.retention, ...(req.maxPeople !== undefined ? { maxPeople: req.maxPeople } : {}) });
  return rebuildBatch(deps, current, req.fromId, req.size);
}

port.on('message', (req: PlanThreadRequest) => {
  try {
    post({ id: req.id, ok: true, result: handle(req) });
  } catch (err) {
    post({ id: req.id, ok: false, error: err instanceof Error ? { message: err.message, stack: err.stack ?? '' } : { message: String(err), stack: '' } });
  }
});
post({ ready: true });
