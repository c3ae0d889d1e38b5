/**
 * Every target of `npm run bench`, in one place (issue 13), by benchmark and metric. A figure
 * with a target passes when its value is ≤ `max` and/or ≥ `min` (in the figure's own unit); a
 * target applies to every scope (size, mode) of its metric; a figure that could not be measured
 * fails. `quick` replaces the bounds in a `--quick` run. Figures without a target are reported
 * only. docs/benchmarks.md explains each figure and why its target is what it is.
 */
export interface Bounds {
  max?: number;
  min?: number;
}

export interface Target extends Bounds {
  quick?: Bounds;
  /** One line: why this number. */
  why: string;
}

export const TARGETS: Record<string, Record<string, Target>> = {
  suite: {
    duration: { max: 30, quick: { max: 5 }, why: 'the whole suite runs within 30 minutes on the 2-core machine, --quick within 5 (for CI)' },
  },
  'replies-under-load': {
    lost: { max: 0, why: 'a throughput figure means nothing if a parent got stuck' },
    outOfOrder: { max: 0, why: "a parent's own turn is never reordered" },
  },
  'replies-while-planning': {
    replyP99: { max: 50, why: 'planning must not be felt: a reply stays instant (p99 < 50 ms) whatever the number of parents' },
    loopStall: { max: 50, why: 'the largest event-loop stall of the app process bounds the worst extra wait of any parent' },
    unanswered: { max: 0, why: 'a message without an answer within 10 s is a parent left waiting' },
  },
  'planner-growth': {
    tickGrowth: { max: 2, quick: { max: 1.5 }, why: 'a tick costs what is due, not who exists: 100× the parents may at most double it (--quick: 5× the parents, at most 1.5×)' },
    rebuildPerParentGrowth: { max: 1.5, why: 'a rebuild may grow with the parents, but linearly (the same cost per parent, give or take)' },
    rebuildAtTarget: { max: 60, why: 'a rebuild of a million parents (start, rule change) finishes within a minute' },
  },
  'broadcast-fanout': {
    total: { max: 10, why: "100,000 recipients written and queued within 10 s of the author's confirmation" },
    peakRss: { max: 400, why: 'a national broadcast fits in the memory of a small server' },
    complete: { min: 1, why: 'every recipient has a row, and every row due now a job' },
  },
  'pipeline-cost': {
    ratio: { min: 0.5, why: 'the whole delivery path costs at most as much as the HTTP call itself' },
    lost: { max: 0, why: 'every row sent' },
  },
  'channel-limit': {
    share: { min: 95, why: "the bot uses ≥ 95 % of the channel's configured rate while it has work" },
    caused429: { max: 0, why: 'the bot never makes the messenger say 429' },
    lost: { max: 0, why: 'every recipient is reached' },
    duplicated: { max: 0, why: 'no recipient is reached twice' },
  },
  'two-workers': {
    speedup: { min: 1.8, why: 'two worker processes add up (≥ 90 % of twice one worker)' },
    lost: { max: 0, why: 'killing a worker loses nothing' },
    beyondInFlight: { max: 0, why: "duplicates after a kill are at most the killed worker's in-flight messages" },
  },
  memory: {
    retainedPerOnboarding: { max: 1024, why: 'nothing is held per parent between turns unless bounded: 1 KB per onboarding is a bound filling up or noise, not a leak' },
    stuck: { max: 0, why: 'a heap figure means nothing if parents did not get through' },
    dayGrowth: { max: 5, why: "a day of the planner's ticks leaves nothing behind: a running bot's heap must not grow with the days" },
  },
};

export function targetOf(bench: string, metric: string, quick: boolean): (Bounds & { why: string }) | undefined {
  const t = TARGETS[bench]?.[metric];
  if (!t) return undefined;
  return { ...(quick && t.quick ? t.quick : { max: t.max, min: t.min }), why: t.why };
}
