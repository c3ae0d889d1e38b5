/**
 * The planner as the benchmarks drive it: `rebuild` (plan everyone from scratch: at start, after
 * a rule change) and `tick` (the minutely pass). Both names exist in both worlds:
 *
 *   TODAY: the planner is one full pass over every parent every minute, so BOTH are `planPass`
 *   (src/jobs/plan-pass.ts) with the planner's known-keys set kept between passes, as
 *   src/jobs/planner.ts runs it. `rebuild` is the first pass on a world with nothing planned yet.
 *
 *   WHEN THE INCREMENTAL PLANNER LANDS (issue 13, item 1: a stored next moment per parent, marks,
 *   a rebuild off the reply thread): swap the two lines marked SWAP for its `rebuild()` and
 *   `tick()`. Nothing else in bench/ needs to change; both may return a promise.
 */
import type { Logger } from '../../src/core/ports.js';
import { checkpoint, openDatabase, type Db } from '../../src/db/client.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import { planPass, type PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { fixedClock } from '../../test/support/clock.js';
import { PLANNING_NOW, PLANNING_ZONE } from './planning-world.js';

export interface PlannerUnderTest {
  rebuild(now: Date): Promise<PassSummary>;
  tick(now: Date): Promise<PassSummary>;
}

/** What a pass reports, where the implementation says it (the figures need only the time). */
export interface PassSummary {
  people?: number;
  planned?: number;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function plannerUnderTest(db: Db, start: Date): PlannerUnderTest {
  const clock = fixedClock(start);
  const deps: PlanPassDeps = { db, rules: loadReminderRules(), clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: PLANNING_ZONE, horizonMs: PLAN_HORIZON_MS, knownKeys: new Set<string>() };
  const summary = (r: ReturnType<typeof planPass>): PassSummary => ({ people: r.people, planned: r.planned.length });
  return {
    async rebuild(now) {
      clock.set(now);
      return summary(planPass(deps, { now })); // SWAP: the incremental planner's rebuild()
    },
    async tick(now) {
      clock.set(now);
      return summary(planPass(deps, { now })); // SWAP: the incremental planner's tick()
    },
  };
}

/** Plans a seeded world once at PLANNING_NOW and leaves the file checkpointed (run in a child by WorldCache). */
export async function planOnce({ path }: { path: string }): Promise<{ ms: number }> {
  const db = openDatabase(path);
  const started = performance.now();
  await plannerUnderTest(db, PLANNING_NOW).rebuild(PLANNING_NOW);
  const ms = performance.now() - started;
  checkpoint(db);
  db.$client.close();
  return { ms };
}
