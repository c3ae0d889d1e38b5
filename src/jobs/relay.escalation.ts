/**
 * Moves parents' questions on (run by the planner's tick, with its injected clock): a question
 * nobody claimed for 24 hours is offered to the next tier with people (the ambassadors who speak
 * the parent's language → the other ambassadors → the coordinators); a claimed question with no
 * answer for 24 hours is released (its claimer hears so) and offered to the next tier too, as is
 * one whose claimer erased themself (at once). When
 * nobody is left the parent is told, with the initiative's contact, and the operator log and the
 * audit get a line (ids only); the thread stays open in every staff list. The outreach ladder's
 * call-back tasks move through their own groups (the parent's area, their language, their second
 * language, every ambassador, the coordinators: src/domain/relay-routing.ts#nextLadderOffer) and
 * never tell the parent. Also deletes call-back numbers kept past their 14 days.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Logger } from '../core/ports.js';
import type { Db } from '../db/client.js';
import { writeAudit } from '../db/audit.repo.js';
import { isLadderTask, offerFrom, offerLadder } from '../db/relay.effects.js';
import { dueForEscalation, forgetOldPhones, insertRelayNotice, threadRow } from '../db/relay.repo.js';
import { relayThreads } from '../db/schema.js';
import { ESCALATE_AFTER_MS } from '../domain/relay-routing.js';

export interface EscalationReport {
  escalated: number;
  released: number;
  phonesForgotten: number;
}

export function relayEscalationPass(db: Db, now: Date, logger: Pick<Logger, 'warn' | 'info'>): EscalationReport {
  const before = new Date(now.getTime() - ESCALATE_AFTER_MS);
  const due = dueForEscalation(db, before);
  let escalated = 0;
  let released = 0;
  for (const row of due.open) {
    db.transaction((tx) => {
      const t = threadRow(tx, row.id);
      // Claimed or answered since the query: nothing to do.
      if (!t || t.status !== 'open' || t.tierAt.getTime() > before.getTime()) return;
      if (isLadderTask(t)) offerLadder(tx, t, now, logger);
      else offerFrom(tx, t, t.tier + 1, now, logger, true);
      escalated++;
    });
  }
  for (const row of due.silent) {
    db.transaction((tx) => {
      const t = threadRow(tx, row.id);
      if (!t || t.status !== 'claimed' || t.claimedBy === null) return;
      const freed = tx
        .update(relayThreads)
        .set({ status: 'open', claimedBy: null, claimedAt: null })
        .where(and(eq(relayThreads.id, t.id), eq(relayThreads.claimedBy, t.claimedBy), isNull(relayThreads.closedAt)))
        .run().changes;
      if (!freed) return;
      insertRelayNotice(tx, { to: t.claimedBy, key: 'relay:notice.released', threadId: t.id, occurrence: `t${t.id}-${now.getTime()}`, aboutPersonId: t.personId, now });
      writeAudit(tx, { actor: 'system', action: 'relay.release', subjectType: 'thread', subjectId: t.id, detail: { initiativeId: t.initiativeId } }, now);
      offerFrom(tx, { ...t, status: 'open', claimedBy: null }, t.tier + 1, now, logger, true);
      released++;
    });
  }
  for (const row of due.orphaned) {
    // The claimer erased themself: the thread is open again, for the next tier at once.
    db.transaction((tx) => {
      const t = threadRow(tx, row.id);
      if (!t || t.status !== 'claimed' || t.claimedBy !== null) return;
      tx.update(relayThreads).set({ status: 'open', claimedAt: null }).where(eq(relayThreads.id, t.id)).run();
      if (isLadderTask(t)) offerLadder(tx, { ...t, status: 'open' }, now, logger);
      else offerFrom(tx, { ...t, status: 'open' }, t.tier + 1, now, logger, true);
      released++;
    });
  }
  // In a transaction: on the planner thread that takes the process's write lock (an UPDATE takes SQLite's, even when nothing matches).
  const phonesForgotten = db.$client.transaction(() => forgetOldPhones(db, now))();
  if (escalated || released || phonesForgotten) logger.info({ escalated, released, phonesForgotten }, 'relay escalation pass');
  return { escalated, released, phonesForgotten };
}
