/** Percentiles (nearest rank, as test/support/crowd.ts) and the latency figures every reply benchmark reports. */
import { percentile } from '../../test/support/crowd.js';
import type { Figure } from './types.js';

export { percentile };

export const maxOf = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => Math.max(a, b), -Infinity) : NaN);

export const median = (xs: readonly number[]): number => percentile(xs, 50);

/** reply p50/p95/p99/max as figures (metric replyP50 …), in ms. */
export function latencyFigures(latencies: readonly number[], scope: string | undefined, what = 'reply'): Figure[] {
  const v = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return [
    { metric: `${what}P50`, label: `${what} p50`, value: v(percentile(latencies, 50)), unit: 'ms', ...(scope ? { scope } : {}) },
    { metric: `${what}P95`, label: `${what} p95`, value: v(percentile(latencies, 95)), unit: 'ms', ...(scope ? { scope } : {}) },
    { metric: `${what}P99`, label: `${what} p99`, value: v(percentile(latencies, 99)), unit: 'ms', ...(scope ? { scope } : {}) },
    { metric: `${what}Max`, label: `${what} max`, value: v(maxOf(latencies)), unit: 'ms', ...(scope ? { scope } : {}) },
  ];
}
