/**
 * The write lock between the planner threads and the thread that answers parents (ADR 0012).
 *
 * They write the same SQLite file through their own connections. A commit that finds SQLite's
 * write lock taken waits in the busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … ms between
 * tries: behind a planner writing group after group it kept missing the short gaps (up to 80 ms
 * measured). So the threads of one process take turns on a lock of their own first, in one
 * SharedArrayBuffer, and wake the moment the other is done (Atomics.wait / notify):
 *
 * - a planner thread takes it around each group's write (`plannerWrites`);
 * - the main thread takes it around each of its transactions (client.ts runs every transaction
 *   through `guarded`, once `guardTransactions` registered the lock for its connection), and
 *   says it is waiting first, so no planner thread starts another write meanwhile: it waits for one
 *   planner write at most, and only when it writes itself. Between its own writes it runs on.
 *
 * (Until 2026-12-07 the main thread paused for every planner write, granted between two of its
 * tasks; with a rebuild writing about half of the time, that paused it half of the time.)
 *
 * Cells: [0] the lock: 0 free, 1 a planner thread writes, 2 the main thread writes; [1] 1 while the
 * main thread waits; [2] 1 while a planner thread writes a batch in its turn (plannerTurns).
 * Every wait ends after a bound (a planner thread that died holding a cell): the write then simply
 * meets SQLite's own lock, as without this.
 */
import type Database from 'better-sqlite3';

const LOCK = 0;
const MAIN_WAITS = 1;
/** 1 while a planner thread writes a batch's groups (plannerTurns). */
const TURN = 2;
const FREE = 0;
const PLANNER = 1;
const MAIN = 2;

/** How long a planner thread waits for the lock before it writes anyway. */
export const PLANNER_WAIT_MS = 2_000;
/** How long the main thread waits for a planner's write at most (one write takes 1–10 ms). */
export const MAIN_WAIT_MS = 100;
/** How long a planner thread waits for another's turn before it writes anyway (a turn: a batch's 100 groups, 0.1–0.5 s). */
export const TURN_WAIT_MS = 20_000;

export function newWriteLock(): SharedArrayBuffer {
  return new SharedArrayBuffer(12);
}

/**
 * A planner thread's side: `write` runs holding the lock. Re-entrant: a write inside a write (a
 * transaction of the thread's connection inside a group's write) runs in the lock already held.
 */
export function plannerWrites(buffer: SharedArrayBuffer): <T>(write: () => T) => T {
  const cell = new Int32Array(buffer);
  let depth = 0;
  return <T>(write: () => T): T => {
    if (depth > 0) return write();
    const deadline = performance.now() + PLANNER_WAIT_MS;
    let held = false;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      // The main thread waits: let it go first.
      if (Atomics.load(cell, MAIN_WAITS) === 1) {
        Atomics.wait(cell, MAIN_WAITS, 1, left);
        continue;
      }
      const was = Atomics.compareExchange(cell, LOCK, FREE, PLANNER);
      if (was === FREE) {
        held = true;
        break;
      }
      Atomics.wait(cell, LOCK, was, left);
    }
    depth++;
    try {
      return write();
    } finally {
      depth--;
      if (held) release(cell);
    }
  };
}

/**
 * A planner thread's turn to write a batch's groups, one after the other: the other planner
 * threads wait (planning meanwhile is theirs to finish first), the main thread does not (each
 * group takes the lock, so a reply's commit still waits for one group's write at most). Why:
 * SQLite empties a connection's page cache whenever another connection wrote since its last
 * transaction; two planner threads writing group by group in turn re-read the indexes' pages for
 * nearly every group (five times the reads, two-fifths more CPU for the same rebuild, measured
 * 2026-12-08). In turns, a thread re-reads them once per batch.
 */
export function plannerTurns(buffer: SharedArrayBuffer): <T>(writes: () => T) => T {
  const cell = new Int32Array(buffer);
  return <T>(writes: () => T): T => {
    const deadline = performance.now() + TURN_WAIT_MS;
    let held = false;
    for (;;) {
      if (Atomics.compareExchange(cell, TURN, 0, 1) === 0) {
        held = true;
        break;
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(cell, TURN, 1, left);
    }
    try {
      return writes();
    } finally {
      if (held) {
        Atomics.store(cell, TURN, 0);
        Atomics.notify(cell, TURN);
      }
    }
  };
}

/** The main thread's side: `fn` runs holding the lock (re-entrant: a nested transaction holds it already). */
function mainWrites(cell: Int32Array, fn: () => unknown): unknown {
  Atomics.store(cell, MAIN_WAITS, 1);
  const deadline = performance.now() + MAIN_WAIT_MS;
  let held = false;
  try {
    for (;;) {
      const was = Atomics.compareExchange(cell, LOCK, FREE, MAIN);
      if (was === FREE) {
        held = true;
        break;
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(cell, LOCK, was, left);
    }
  } finally {
    Atomics.store(cell, MAIN_WAITS, 0);
    Atomics.notify(cell, MAIN_WAITS);
  }
  try {
    return fn();
  } finally {
    if (held) release(cell);
  }
}

function release(cell: Int32Array): void {
  Atomics.store(cell, LOCK, FREE);
  Atomics.notify(cell, LOCK);
}

/** How each guarded connection takes the lock around its transactions, while planner threads live. */
const guards = new WeakMap<Database.Database, (run: () => unknown) => unknown>();

/** Registers (or with null, removes) the lock the main thread's connection takes around its transactions. */
export function guardTransactions(sqlite: Database.Database, buffer: SharedArrayBuffer | null): void {
  if (buffer) {
    const cell = new Int32Array(buffer);
    guards.set(sqlite, (run) => mainWrites(cell, run));
  } else guards.delete(sqlite);
}

/**
 * A planner thread's connection: each of its transactions holds the lock too (`gate`, the thread's
 * plannerWrites), not only the groups' writes. A write of its own outside the lock (a newsletter
 * issued, a notice, an escalation) held SQLite's lock unseen: a reply's commit then slept in the
 * busy handler, 57 ms once, while the planner thread, at a lower priority, waited for a core.
 */
export function guardPlannerTransactions(sqlite: Database.Database, gate: <T>(write: () => T) => T): void {
  guards.set(sqlite, gate);
}

/** Runs a transaction of `sqlite` holding its lock when one is registered (client.ts). */
export function guarded<T>(sqlite: Database.Database, run: () => T): T {
  const take = guards.get(sqlite);
  // Nested (a savepoint inside an open transaction): the outer one holds the lock.
  if (!take || sqlite.inTransaction) return run();
  return take(run) as T;
}
