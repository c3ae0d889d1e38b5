/**
 * A day of planning in fast-forward, for the memory benchmark (bench/memory.ts): on a planned
 * world, what the planner thread runs each minute (src/jobs/tick-work.ts: retention once an hour,
 * the incremental planning pass, missing dates, escalations), inline on this thread, with a
 * hand-moved clock: `ticks` ticks one minute apart from PLANNING_NOW. The planner would then
 * enqueue what is due and the workers would send it; here the due rows are marked sent in SQLite
 * directly, so the world moves on as if delivered (no Redis, no messenger: only the planning side's
 * memory is measured). Every `gcEvery` ticks: two full collections, then the heap. Runs in a child
 * started with --expose-gc (child.ts), so the heap is this work's alone.
 */
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { Logger } from '../../src/core/ports.js';
import { openDatabase } from '../../src/db/client.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import type { PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { tickWork } from '../../src/jobs/tick-work.js';
import { fixedClock } from '../../test/support/clock.js';
import { PLANNING_NOW, PLANNING_ZONE } from './planning-world.js';

const MINUTE = 60_000;
/** As src/jobs/planner.ts: the retention job at most once an hour. */
const RETENTION_EVERY_TICKS = 60;

export interface PlanningDayResult {
  /** Heap used after GC before the first tick, bytes. */
  startHeap: number;
  /** After GC every `gcEvery` ticks: the tick count and heapUsed / external / rss in bytes. */
  samples: { tick: number; heapUsed: number; external: number; rss: number }[];
  tickMs: number[];
  /** Rows marked sent (handed off as the planner and workers would). */
  handedOff: number;
  planned: number;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** `snapshotDir`: heap snapshots after the first and the last sample, to compare (diagnosis). */
export async function planningDay({ path, ticks, gcEvery, snapshotDir }: { path: string; ticks: number; gcEvery: number; snapshotDir?: string }): Promise<PlanningDayResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('planningDay needs --expose-gc (inChild … { exposeGc: true })');
  const collect = (): NodeJS.MemoryUsage => {
    gc();
    gc();
    return process.memoryUsage();
  };
  const db = openDatabase(path);
  const clock = fixedClock(PLANNING_NOW);
  const deps: PlanPassDeps = { db, rules: loadReminderRules(), clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: PLANNING_ZONE, horizonMs: PLAN_HORIZON_MS };
  const handOff = db.$client.prepare("update deliveries set status = 'sent', sent_at = ?, attempts = attempts + 1 where status = 'planned' and send_at <= ?");
  const out: PlanningDayResult = { startHeap: collect().heapUsed, samples: [], tickMs: [], handedOff: 0, planned: 0 };
  for (let i = 0; i < ticks; i++) {
    const now = new Date(PLANNING_NOW.getTime() + i * MINUTE);
    clock.set(now);
    const started = performance.now();
    const report = tickWork(deps, now, { retention: i % RETENTION_EVERY_TICKS === 0 });
    out.tickMs.push(performance.now() - started);
    out.handedOff += handOff.run(now.getTime(), now.getTime()).changes;
    out.planned += report.planned.length;
    if ((i + 1) % gcEvery === 0) {
      const m = collect();
      out.samples.push({ tick: i + 1, heapUsed: m.heapUsed, external: m.external, rss: m.rss });
      if (snapshotDir && (out.samples.length === 1 || i + 1 + gcEvery > ticks)) writeHeapSnapshot(join(snapshotDir, `memory-day-${i + 1}.heapsnapshot`));
    }
  }
  db.$client.close();
  return out;
}
