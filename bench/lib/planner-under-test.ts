/**
 * The planner as the benchmarks drive it: `rebuild` (plan everyone from scratch: at start, after
 * a rule change) and `tick` (the minutely pass). Both names exist in both worlds:
 *
 *   The incremental planner (issue 13, item 1; ADR 0012): `rebuild` runs every parent in batches,
 *   each with its next moment stored, as the app runs it: on the planner thread (and its helpers
 *   where the machine has the cores: src/jobs/rebuild-pool.ts), this thread only waiting for
 *   them. `tick` is `planTick` (only the parents marked or whose next moment has come), on the
 *   calling thread; the app runs it on the planner thread, which "replies while planning" measures.
 */
import type { Logger } from '../../src/core/ports.js';
import { checkpoint, openDatabase, type Db } from '../../src/db/client.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import type { PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { storePlanFingerprint } from '../../src/db/plan-marks.repo.js';
import { createPlanRunner } from '../../src/jobs/plan-runner.js';
import { planFingerprint, planTick } from '../../src/jobs/plan-tick.js';
import { rebuildWithHelpers, REBUILD_THREADS } from '../../src/jobs/rebuild-pool.js';
import { fixedClock } from '../../test/support/clock.js';
import { PLANNING_NOW, PLANNING_ZONE } from './planning-world.js';

export interface PlannerUnderTest {
  /** Starts the planner thread, as the app has done before its rebuild (its first tick): not part of the rebuild's time. */
  start(): Promise<void>;
  rebuild(now: Date): Promise<PassSummary>;
  tick(now: Date): Promise<PassSummary>;
}

/** What a pass reports, where the implementation says it (the figures need only the time). */
export interface PassSummary {
  people?: number;
  planned?: number;
  /** Planner threads the rebuild ran on. */
  threads?: number;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Planner threads for the rebuild: as the app chooses (REBUILD_THREADS), or BENCH_REBUILD_THREADS to compare. */
export function rebuildThreads(): number {
  return Number(process.env.BENCH_REBUILD_THREADS) || REBUILD_THREADS;
}

/** `threads`: planner threads for the rebuild (default: as the app chooses, rebuildThreads()). */
export function plannerUnderTest(db: Db, start: Date, threads = rebuildThreads()): PlannerUnderTest {
  const clock = fixedClock(start);
  // No `knownKeys`: the app's planner keeps none (a set of every key written grew with the parents: ~2 million strings at 1M).
  const deps: PlanPassDeps = { db, rules: loadReminderRules(), clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: PLANNING_ZONE, horizonMs: PLAN_HORIZON_MS };
  const primary = createPlanRunner(deps, { thread: true });
  return {
    async start() {
      await primary.countQueued();
    },
    async rebuild(now) {
      clock.set(now);
      // As the app runs it: the planner thread and its helpers (src/jobs/rebuild-pool.ts); this thread only waits.
      try {
        const r = await rebuildWithHelpers(deps, primary, threads, { now: () => clock.now(), stopping: () => false });
        if (!r) throw new Error('the rebuild stopped');
        storePlanFingerprint(db, planFingerprint(deps));
        return { people: r.people, planned: r.planned, threads: r.threads };
      } finally {
        await primary.close();
      }
    },
    async tick(now) {
      clock.set(now);
      const r = planTick(deps, now);
      return { people: r.people, planned: r.planned.length };
    },
  };
}

/** Plans a seeded world once at PLANNING_NOW and leaves the file checkpointed (run in a child by WorldCache). */
export async function planOnce({ path }: { path: string }): Promise<{ ms: number }> {
  const db = openDatabase(path);
  const planner = plannerUnderTest(db, PLANNING_NOW);
  await planner.start();
  const started = performance.now();
  await planner.rebuild(PLANNING_NOW);
  const ms = performance.now() - started;
  checkpoint(db);
  db.$client.close();
  return { ms };
}
