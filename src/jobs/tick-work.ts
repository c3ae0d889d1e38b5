/**
 * Everything the minutely tick does in SQLite (no Redis): the retention job once an hour, the
 * incremental planning pass, the notices about missing registration dates and the escalation of
 * unanswered questions. It runs where the planner's work runs (the planner thread, or inline:
 * src/jobs/plan-runner.ts); the planner enqueues what is due afterwards, where Redis is.
 */
import { describeError } from '../core/dispatcher.js';
import { missingDatesPass } from './missing-dates.pass.js';
import type { PlanPassDeps } from './plan-pass.js';
import { planTick, type TickPlanReport } from './plan-tick.js';
import { relayEscalationPass } from './relay.escalation.js';
import { retentionPass } from './retention.js';

export function tickWork(deps: PlanPassDeps, now: Date, opts: { retention: boolean; maxPeople?: number }): TickPlanReport {
  if (opts.retention) {
    try {
      retentionPass(deps, now);
    } catch (err) {
      deps.logger.error({ err: describeError(err) }, 'retention pass failed');
    }
  }
  const plan = planTick(deps, now, opts.maxPeople !== undefined ? { maxPeople: opts.maxPeople } : {});
  try {
    missingDatesPass(deps.db, now, deps.defaultTimeZone);
  } catch (err) {
    // The notices are asked again next tick (their unique key keeps them one per coordinator and month).
    deps.logger.error({ err: describeError(err) }, 'missing-dates pass failed');
  }
  try {
    // Parents' questions unanswered for 24 h move to the next tier (the planner enqueues the notices).
    relayEscalationPass(deps.db, now, deps.logger);
  } catch (err) {
    deps.logger.error({ err: describeError(err) }, 'relay escalation pass failed');
  }
  return plan;
}

/**
 * Rows in 'queued' per channel, for the planner's check that Redis still holds their jobs. Counted
 * where the planner's work runs: with a long queue (a broadcast, a rebuild) it reads many rows.
 */
export function countQueuedByChannel(deps: Pick<PlanPassDeps, 'db'>): Record<string, number> {
  const rows = deps.db.$client.prepare("select channel, count(*) as n from deliveries where status = 'queued' group by channel").all() as { channel: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.channel, r.n]));
}
