/**
 * Where the incremental planner's work runs (ADR 0012): on the planner thread (a worker_thread
 * with its own SQLite connection, src/jobs/plan-thread.ts) when the database is a file, so the
 * tick and the full rebuild never block the thread that answers parents; inline (the same calls,
 * on this thread) for an in-memory database or when asked. The planner (src/jobs/planner.ts) sees
 * one interface either way.
 *
 * The thread is started on first use and again after it died (the pending requests fail, the next
 * tick starts a new one). It holds no state between requests: everything is in SQLite.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { guardTransactions, newWriteLock } from '../db/write-lock.js';
import type { Logger } from '../core/ports.js';
import type { ReminderRule } from '../domain/reminder-rules.js';
import type { SendPolicy } from '../domain/send-window.js';
import type { PlanPassDeps } from './plan-pass.js';
import { rebuildBatch, rebuildBegin, rebuildBounds, REBUILD_BATCH, type RebuildBatchReport, type TickPlanReport } from './plan-tick.js';
import { countQueuedByChannel, tickWork } from './tick-work.js';

export interface PlanRunner {
  readonly mode: 'thread' | 'inline';
  /** The tick's SQLite work (src/jobs/tick-work.ts): retention when asked, planning, missing dates, escalations. */
  tick(now: Date, opts?: { retention?: boolean }): Promise<TickPlanReport>;
  /** Rows in 'queued' per channel (src/jobs/tick-work.ts countQueuedByChannel). */
  countQueued(): Promise<Record<string, number>>;
  rebuildBegin(): Promise<{ dropped: number }>;
  /** Where the rebuild's batches start (src/jobs/plan-tick.ts rebuildBounds). */
  rebuildBounds(): Promise<number[]>;
  /** One batch: the parents from `fromId` on (below `toId` when given). */
  rebuildBatch(now: Date, fromId: number, toId?: number): Promise<RebuildBatchReport>;
  close(): Promise<void>;
}

/** What the thread is started with (structured-cloned: data only). */
export interface PlanThreadData {
  dbPath: string;
  rules: ReminderRule[];
  policy: SendPolicy;
  defaultTimeZone: string;
  horizonMs: number;
  outreachCooldownDays?: number;
  /** The process's write lock (src/db/write-lock.ts), shared by every planner thread and the main connection. */
  writeLock: SharedArrayBuffer;
}

export type PlanThreadRequest =
  | { id: number; op: 'tick'; now: number; retention: boolean; maxPeople?: number }
  | { id: number; op: 'rebuildBegin' }
  | { id: number; op: 'countQueued' }
  | { id: number; op: 'rebuildBounds' }
  | { id: number; op: 'rebuildBatch'; now: number; fromId: number; size?: number; toId?: number }
  | { id: number; op: 'close' };

export type PlanThreadReply =
  | { ready: true }
  | { log: { level: keyof Logger; obj: object; msg?: string } }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; stack: string } };

/** Starts of the planner thread that may fail in a row before planning moves to the main thread. */
const START_ATTEMPTS = 3;

/**
 * Inline, a rebuild batch blocks this thread for its whole length: smaller batches keep each
 * stall short (an in-memory database is a test's or a trial's, with few parents).
 */
const INLINE_REBUILD_BATCH = 500;

/** The file of a database a second connection can open; null for an in-memory one. */
export function databaseFile(deps: Pick<PlanPassDeps, 'db'>): string | null {
  const name = deps.db.$client.name;
  return !name || name === ':memory:' || deps.db.$client.memory ? null : name;
}

export function createPlanRunner(deps: PlanPassDeps, opts: { thread: boolean }): PlanRunner {
  const file = databaseFile(deps);
  if (opts.thread && file) return threadRunner(deps, file);
  return inlineRunner(deps);
}

function inlineRunner(deps: PlanPassDeps): PlanRunner {
  // After a turn of the event loop: a rebuild's batches must let replies through between them.
  const run = <T>(fn: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) =>
      setImmediate(() => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
  return {
    mode: 'inline',
    tick: (now, o) => run(() => tickWork(deps, now, { retention: o?.retention ?? false })),
    rebuildBegin: () => run(() => rebuildBegin(deps)),
    countQueued: () => run(() => countQueuedByChannel(deps)),
    rebuildBounds: () => run(() => rebuildBounds(deps.db, INLINE_REBUILD_BATCH)),
    rebuildBatch: (now, fromId, toId) => run(() => rebuildBatch(deps, now, fromId, INLINE_REBUILD_BATCH, toId)),
    close: async () => undefined,
  };
}

function threadRunner(deps: PlanPassDeps, dbPath: string): PlanRunner {
  const data: PlanThreadData = {
    dbPath,
    rules: deps.rules,
    policy: deps.policy,
    defaultTimeZone: deps.defaultTimeZone,
    horizonMs: deps.horizonMs,
    ...(deps.outreachCooldownDays !== undefined ? { outreachCooldownDays: deps.outreachCooldownDays } : {}),
    writeLock: threadsOn(deps.db.$client).lock,
  };
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Threads that died before they were ready, in a row: after START_ATTEMPTS, plan on this thread. */
  let failedStarts = 0;
  let inline: PlanRunner | null = null;

  const failAll = (err: Error): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  // While the thread lives it checkpoints the WAL; this thread's commits then never do (a commit
  // that runs into the 1,000-page checkpoint took 20–40 ms here), and they take the write lock.
  // Both end with the last thread.
  const checkpointHere = (on: boolean): void => void (on ? threadEnded(deps.db.$client) : threadStarted(deps.db.$client));

  function start(): Worker {
    const w = spawnPlanThread(data);
    let ready = false;
    let ended = false;
    checkpointHere(false);
    w.on('message', (reply: PlanThreadReply) => {
      if ('log' in reply) return deps.logger[reply.log.level](reply.log.obj, reply.log.msg);
      if ('ready' in reply) {
        ready = true;
        failedStarts = 0;
        return;
      }
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (!pending.size) w.unref();
      if (reply.ok) p.resolve(reply.result);
      else p.reject(Object.assign(new Error(reply.error.message), { stack: reply.error.stack }));
    });
    w.on('error', (err) => {
      if (!ready && ++failedStarts >= START_ATTEMPTS) {
        deps.logger.error({ err: { message: err.message } }, 'the planner thread cannot start: planning on the main thread from now on (replies wait while it plans)');
      } else deps.logger.error({ err: { message: err.message } }, 'planner thread failed; the next tick starts a new one');
      if (worker === w) worker = null;
      failAll(err);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      if (!ended) checkpointHere(true);
      ended = true;
      if (pending.size) failAll(new Error(`the planner thread stopped (exit code ${code})`));
    });
    w.unref();
    return w;
  }

  type Request = PlanThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
  function call<T>(req: Request): Promise<T> {
    if (failedStarts >= START_ATTEMPTS) return viaInline<T>(req);
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.ref();
      w.postMessage({ ...req, id });
    });
  }

  /** The same requests on this thread (the thread could not start). */
  function viaInline<T>(req: Request): Promise<T> {
    inline ??= inlineRunner(deps);
    if (req.op === 'tick') return inline.tick(new Date(req.now), { retention: req.retention }) as Promise<T>;
    if (req.op === 'rebuildBegin') return inline.rebuildBegin() as Promise<T>;
    if (req.op === 'countQueued') return inline.countQueued() as Promise<T>;
    if (req.op === 'rebuildBounds') return inline.rebuildBounds() as Promise<T>;
    if (req.op === 'rebuildBatch') return inline.rebuildBatch(new Date(req.now), req.fromId, req.toId) as Promise<T>;
    return Promise.resolve(null as T);
  }

  return {
    mode: 'thread',
    tick: (now, o) => call<TickPlanReport>({ op: 'tick', now: now.getTime(), retention: o?.retention ?? false }),
    rebuildBegin: () => call<{ dropped: number }>({ op: 'rebuildBegin' }),
    countQueued: () => call<Record<string, number>>({ op: 'countQueued' }),
    rebuildBounds: () => call<number[]>({ op: 'rebuildBounds' }),
    rebuildBatch: (now, fromId, toId) => call<RebuildBatchReport>({ op: 'rebuildBatch', now: now.getTime(), fromId, size: REBUILD_BATCH, ...(toId !== undefined ? { toId } : {}) }),
    async close() {
      const w = worker;
      worker = null;
      if (!w) return;
      // Let the thread close its connection after what it is doing, then end it.
      await new Promise<void>((resolve) => {
        const id = nextId++;
        pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
        w.ref();
        w.postMessage({ op: 'close', id } satisfies PlanThreadRequest);
      });
      await w.terminate();
    },
  };
}

/**
 * Per connection of this thread: its write lock (one for every planner thread it starts, so their
 * writes and its transactions take turns: src/db/write-lock.ts), the planner threads alive, and the
 * autocheckpoint to restore when the last one ends.
 */
const threadsOf = new WeakMap<Database.Database, { count: number; autocheckpoint: number; lock: SharedArrayBuffer }>();

/** The connection's entry (made on first use: its write lock, no thread yet). */
function threadsOn(sqlite: Database.Database): { count: number; autocheckpoint: number; lock: SharedArrayBuffer } {
  let t = threadsOf.get(sqlite);
  if (!t) threadsOf.set(sqlite, (t = { count: 0, autocheckpoint: sqlite.pragma('wal_autocheckpoint', { simple: true }) as number, lock: newWriteLock() }));
  return t;
}

/** A planner thread starts: with the first, this connection stops checkpointing and takes the lock around its transactions. */
function threadStarted(sqlite: Database.Database): void {
  const t = threadsOn(sqlite);
  if (t.count++ > 0) return;
  sqlite.pragma('wal_autocheckpoint = 0');
  guardTransactions(sqlite, t.lock);
}

function threadEnded(sqlite: Database.Database): void {
  const t = threadsOf.get(sqlite);
  if (!t || --t.count > 0) return;
  guardTransactions(sqlite, null);
  if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${t.autocheckpoint}`);
}

/**
 * Starts src/jobs/plan-thread: the compiled .js directly; from TypeScript sources (tsx in
 * production and tests alike) through tsx's loader, which a new thread does not inherit.
 */
function spawnPlanThread(data: PlanThreadData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./plan-thread.js', here), { workerData: data });
  const entry = new URL('./plan-thread.ts', here).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}))`;
  return new Worker(boot, { eval: true, workerData: data });
}
