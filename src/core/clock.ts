import { dateFormat } from './intl-cache.js';

/** Time is injected so tests control it; production uses the system clock. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Year and month (1–12) of an instant in a time zone, e.g. "now in Amsterdam". */
export function yearMonthIn(date: Date, timeZone: string): { year: number; month: number } {
  const parts = dateFormat('en-US', { timeZone, year: 'numeric', month: 'numeric' }).formatToParts(date);
  const year = Number(parts.find((p) => p.type === 'year')?.value);
  const month = Number(parts.find((p) => p.type === 'month')?.value);
  return { year, month };
}
