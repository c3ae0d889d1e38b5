/**
 * The write gate between the planner thread and the thread that answers parents (ADR 0012).
 *
 * Both threads write the same SQLite file through their own connections. When the planner thread
 * writes group after group (a rebuild: rows and next moments of 100 parents at a time), a reply's
 * commit on the other thread that finds the write lock taken waits in SQLite's busy handler, which
 * sleeps 1, 2, 5, 10, 15, 20, 25 … ms between tries: it keeps missing the short gaps between the
 * planner's transactions and measured up to 80 ms. So the planner thread asks first: it posts a
 * request and waits; the main thread, between two of its own tasks (so with no transaction of its
 * own open), grants it and pauses until the planner's write is done (a millisecond or two, at most
 * GRANT_MAX_MS). Its own commits never meet a taken lock, and its longest pause is one short write.
 *
 * State in one Int32 of a SharedArrayBuffer: 0 idle; 4n+1 the planner waits for grant n; 4n+2
 * granted (the main thread pauses). Either side gives up after a bound (a busy main thread, a
 * planner thread that died): the write then simply competes for the lock as before.
 */
/** How long the planner thread waits for a grant before it writes anyway. */
export const GRANT_WAIT_MS = 2_000;
/** How long the main thread pauses for one write at most. */
export const GRANT_MAX_MS = 20;

const IDLE = 0;
const waiting = (n: number): number => (n % 0x1fffffff) * 4 + 1;
const granted = (n: number): number => (n % 0x1fffffff) * 4 + 2;

export function newGateBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

/** The planner thread's side: `gate(write)` runs `write` while the main thread pauses. */
export function plannerGate(buffer: SharedArrayBuffer, ask: (n: number) => void): <T>(write: () => T) => T {
  const cell = new Int32Array(buffer);
  let n = 0;
  return <T>(write: () => T): T => {
    n++;
    Atomics.store(cell, 0, waiting(n));
    ask(n);
    Atomics.wait(cell, 0, waiting(n), GRANT_WAIT_MS);
    // Not granted in time: take back the request (unless the grant came just now) and write anyway.
    const gotIt = Atomics.compareExchange(cell, 0, waiting(n), IDLE) !== waiting(n);
    try {
      return write();
    } finally {
      if (gotIt) {
        Atomics.store(cell, 0, IDLE);
        Atomics.notify(cell, 0);
      }
    }
  };
}

/** The main thread's side, on the planner's request `n`: grant it and pause until its write is done. */
export function grant(buffer: SharedArrayBuffer, n: number): void {
  const cell = new Int32Array(buffer);
  if (Atomics.compareExchange(cell, 0, waiting(n), granted(n)) !== waiting(n)) return; // it gave up, or an old request
  Atomics.notify(cell, 0);
  Atomics.wait(cell, 0, granted(n), GRANT_MAX_MS);
  // Past the bound: stop pausing; the planner's write finishes on its own.
  Atomics.compareExchange(cell, 0, granted(n), IDLE);
}
