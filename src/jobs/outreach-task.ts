/**
 * The outreach ladder's third step (src/domain/outreach-ladder.ts) as the delivery worker carries
 * it out: its row (kind 'notice', `payload.task = 'outreachCallback'`) is planned like any step,
 * with its own expiry, and re-checked like one (src/jobs/delivery.check.ts: the parent who came
 * back drops it). Instead of sending anything to the parent, ONE transaction claims the row, makes
 * the relay's call-back task (src/db/relay.effects.ts#createLadderTask: offers and notices to
 * staff, which are rows of their own) and finishes the row 'sent'. A second run finds the row
 * finished and does nothing; the task is never made twice.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Logger } from '../core/ports.js';
import type { Db } from '../db/client.js';
import type { DeliveryRow } from '../db/deliveries.repo.js';
import { createLadderTask } from '../db/relay.effects.js';
import { deliveries, identities } from '../db/schema.js';

export type TaskResult = 'sent' | 'skipped' | 'noop';

export function runOutreachTask(db: Db, row: DeliveryRow, now: Date, logger: Pick<Logger, 'warn' | 'info'>): TaskResult {
  const initiativeId = row.payload.initiativeId;
  const occurrence = row.key.split('|')[3] ?? '';
  return db.transaction((tx): TaskResult => {
    const claimed = tx
      .update(deliveries)
      .set({ status: 'sending', attempts: row.attempts + 1 })
      .where(and(eq(deliveries.id, row.id), inArray(deliveries.status, ['queued', 'planned'])))
      .run().changes;
    if (claimed !== 1) return 'noop';
    // Staff reach the parent only through the bot: a parent no chat reaches gets no task.
    const reachable = tx.select({ id: identities.id }).from(identities).where(and(eq(identities.personId, row.personId), isNull(identities.unreachableAt))).get();
    const made = initiativeId === undefined || !reachable ? null : createLadderTask(tx, { personId: row.personId, initiativeId, occurrence, now }, logger);
    // Nothing made (unreachable, no parent of the initiative any more, or a task of the ladder still open).
    const status = made ? 'sent' : 'skipped';
    tx.update(deliveries)
      .set({ status, sentAt: made ? now : null, lastError: made ? null : 'no task made: unreachable, not a parent of the initiative, or a task still open' })
      .where(eq(deliveries.id, row.id))
      .run();
    if (made) logger.info({ deliveryId: row.id, threadId: made.threadId, group: made.group }, 'outreach call-back task made');
    return status;
  });
}
