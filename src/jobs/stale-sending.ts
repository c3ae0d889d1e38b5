/**
 * Deliveries a killed worker left in `sending` (ADR 0004, "Exactly once, and its one honest
 * limit"). The planner role looks every few seconds: a row whose claiming process is gone is queued
 * again as "uncertain" and gets a fresh BullMQ job at once. The old job stays active under the dead
 * worker's lock until BullMQ's stalled check hands it back (30–60 s); of the two jobs, the one that
 * runs first claims the row and the other finds it claimed and does nothing. Rows a live worker
 * holds are never touched, so this is safe with any number of workers, and at any time.
 *
 * The choice for the message that was in flight is at-least-once: the dead worker may have handed
 * it to the messenger in the moment it died, and nobody can know (no idempotency key), so it is
 * sent again rather than lost. The window is the HTTP requests in flight at the kill.
 */
import type { Logger } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import type { Db } from '../db/client.js';
import { queueItemsOf, recoverStaleSending } from '../db/deliveries.repo.js';
import { jobIdOf, type DeliveryQueues } from './delivery.queue.js';

/** How often the planner role looks for rows of dead workers. */
export const STALE_SENDING_EVERY_MS = 10_000;

export interface StaleSendingDeps {
  db: Db;
  queues: DeliveryQueues;
  logger: Logger;
}

/** One look: returns the rows queued again (their jobs are added; with Redis away the planner's rebuild adds them later). */
export async function sweepStaleSending(deps: StaleSendingDeps, now: Date): Promise<number[]> {
  const ids = recoverStaleSending(deps.db);
  if (!ids.length) return ids;
  deps.logger.warn({ count: ids.length, deliveryIds: ids }, 'deliveries left in "sending" by a stopped process: queued again (uncertain)');
  const items = queueItemsOf(deps.db, ids);
  try {
    // A job id of its own per claim: the old `d<id>` may still be active under the dead worker's lock.
    const attempts = new Map(items.map((it) => [it.id, it.attempts]));
    await deps.queues.add(items, now, (it) => `${jobIdOf(it.id)}-u${attempts.get(it.id) ?? 0}`);
  } catch (err) {
    deps.logger.warn({ err: describeError(err) }, 'deliveries queued again but not handed to Redis yet; the planner rebuilds them');
  }
  return ids;
}

/** The loop: at once, then every STALE_SENDING_EVERY_MS until stopped. */
export function startStaleSendingSweep(deps: StaleSendingDeps & { now: () => Date; everyMs?: number }): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const look = (): void => {
    if (stopped || running) return;
    running = sweepStaleSending(deps, deps.now())
      .catch((err: unknown) => deps.logger.error({ err: describeError(err) }, 'looking for deliveries left in "sending" failed'))
      .finally(() => {
        running = null;
      });
  };
  look();
  timer = setInterval(look, deps.everyMs ?? STALE_SENDING_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (running) await running;
    },
  };
}
