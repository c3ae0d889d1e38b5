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
