/**
 * The full rebuild over several planner threads (ADR 0012). A rebuild at a million parents is
 * about three-fifths computing timelines and two-fifths writing rows; one thread does both in turn.
 * Here the batches (rebuildBounds: 5,000 parents each, fixed id ranges) are taken from one list by
 * the planner thread and by helper threads started for the rebuild (each a planner thread of its
 * own, with its own SQLite connection), so one thread computes while another writes.
 *
 * Writes stay one at a time: every group's write holds the process's write lock
 * (src/db/write-lock.ts), which the thread that answers parents takes for its own transactions,
 * so the planner threads never wait in SQLite's busy handler, and that thread waits for one write
 * at most. A batch's groups are written together, in a turn of its thread (plannerTurns), so the
 * threads do not empty each other's page cache group by group. The threads run at a lower
 * priority than the one that answers parents (plan-thread.ts).
 */
import { availableParallelism } from 'node:os';
import type { PlanPassDeps } from './plan-pass.js';
import { createPlanRunner, type PlanRunner } from './plan-runner.js';

/**
 * Planner threads a rebuild uses: one core stays for the thread that answers parents, and at most
 * two plan (the planner thread and one helper). So on this project's 2-core machine a rebuild runs
 * on the planner thread alone. Measured there (2026-12-08) at 1M: 81 s on one thread, 57 s on two
 * (since their writes go in turns: 88.6 s before), but with two the reply thread's commits waited
 * 15–55 ms for a planner's write now and then, and its longest stall at 100k rose from 30–38 ms
 * to 45–68 ms: the cores were all the planners'. A third thread was slower than two (2026-12-07).
 * PLANNER_REBUILD_THREADS overrides it.
 */
export const REBUILD_THREADS = Math.max(1, Math.min(2, availableParallelism() - 1));

export interface RebuildTotals {
  people: number;
  planned: number;
  batches: number;
}

export interface RebuildPoolOptions {
  /** The clock: each batch plans at the moment it starts. */
  now: () => Date;
  /** Checked before each batch: true stops the rebuild (the result is then null). */
  stopping: () => boolean;
}

/**
 * Runs every batch of the rebuild on `runners` (the first one also begins it and lists the
 * batches), each runner one batch at a time. Null when stopped before the end.
 */
export async function rebuildOn(runners: readonly PlanRunner[], opts: RebuildPoolOptions): Promise<RebuildTotals | null> {
  const [first] = runners;
  if (!first) throw new Error('rebuildOn needs a planner runner');
  await first.rebuildBegin();
  const bounds = await first.rebuildBounds();
  const totals: RebuildTotals = { people: 0, planned: 0, batches: 0 };
  let next = 0;
  let stopped = false;
  const work = async (runner: PlanRunner): Promise<void> => {
    while (next < bounds.length) {
      if (opts.stopping()) {
        stopped = true;
        return;
      }
      const i = next++;
      const batch = await runner.rebuildBatch(opts.now(), bounds[i]!, bounds[i + 1]);
      totals.batches++;
      totals.people += batch.people;
      totals.planned += batch.planned.length;
    }
  };
  await Promise.all(runners.map(work));
  return stopped ? null : totals;
}

/**
 * The rebuild on `primary` (the planner's runner) and `threads - 1` helper threads started for it
 * (only when `primary` runs on a thread: an in-memory database is planned inline). The helpers end
 * with the rebuild; `primary` stays.
 */
export async function rebuildWithHelpers(deps: PlanPassDeps, primary: PlanRunner, threads: number, opts: RebuildPoolOptions): Promise<(RebuildTotals & { threads: number }) | null> {
  const extra = primary.mode === 'thread' ? Math.max(0, threads - 1) : 0;
  const helpers = Array.from({ length: extra }, () => createPlanRunner(deps, { thread: true }));
  try {
    const totals = await rebuildOn([primary, ...helpers], opts);
    return totals && { ...totals, threads: 1 + extra };
  } finally {
    await Promise.all(helpers.map((h) => h.close()));
  }
}
