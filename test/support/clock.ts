import type { Clock } from '../../src/core/clock.js';

/** A clock the test moves by hand; sleeping advances it instantly (no real waiting). */
export function fixedClock(start: string | Date): Clock & { set(d: string | Date): void; advance(ms: number): void; slept: number[] } {
  let now = new Date(start).getTime();
  const slept: number[] = [];
  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    set: (d) => {
      now = new Date(d).getTime();
    },
    advance: (ms) => {
      now += ms;
    },
    slept,
  };
}

/**
 * A virtual clock for code that waits: `sleep(ms)` resolves when virtual time reaches it, and
 * `run(untilMs)` moves time from one timer to the next (letting promises settle in between),
 * so minutes of backoff take milliseconds and concurrent sleepers see one shared time.
 */
export function virtualClock(start: string | Date): Clock & { run(maxMs: number, done?: () => boolean): Promise<void>; advance(ms: number): void } {
  let now = new Date(start).getTime();
  const timers: { at: number; resolve: () => void }[] = [];
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => new Date(now),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + Math.max(0, ms), resolve });
      }),
    advance(ms) {
      now += ms;
    },
    async run(maxMs, done) {
      const end = now + maxMs;
      for (let i = 0; i < 1_000_000; i++) {
        for (let k = 0; k < 5; k++) await settle();
        if (done?.()) return;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (!next || next.at > end) {
          if (next) timers.unshift(next);
          now = Math.max(now, end);
          return;
        }
        now = Math.max(now, next.at);
        next.resolve();
      }
    },
  };
}
