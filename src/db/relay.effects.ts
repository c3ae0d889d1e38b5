/**
 * Applies a flow's relay command inside the turn's transaction (and the escalation job's and the
 * CLI's writes). Every staff command is checked again here against the person's roles on the
 * thread's initiative (src/domain/authorization.ts); a command that is not allowed, or no longer
 * fits the thread, changes nothing. Notices to staff and parents are deliveries of kind
 * 'notice' (not capped; quiet hours apply) that carry ids only. Logs and audit rows: ids only.
 */
import { and, eq, isNull, ne } from 'drizzle-orm';
import { may } from '../domain/authorization.js';
import { cleanMessage } from '../domain/relay-parse.js';
import { CALLBACK_PHONE_TTL_MS, NOBODY_TIER, nextLadderOffer, noSpeaker, tierMembers, type LadderGroup } from '../domain/relay-routing.js';
import type { CallbackOutcome, RelayCloser, RelayCommand } from '../domain/relay.types.js';
import { writeAudit } from './audit.repo.js';
import type { OperatorLog, Tx } from './effects.apply.js';
import { insertNotice } from './deliveries.repo.js';
import { membershipsOf } from './invites.repo.js';
import { recordAction } from './participation.repo.js';
import { areasOf, insertRelayNotice, openThreadOf, staffOf, threadRow } from './relay.repo.js';
import { memberships, people, relayMessages, relayOffers, relayThreads } from './schema.js';

type ThreadRow = typeof relayThreads.$inferSelect;

const quiet: OperatorLog = { warn() {} };

export function applyRelayCommand(tx: Tx, personId: number, command: RelayCommand, now: Date, log: OperatorLog = quiet): void {
  switch (command.op) {
    case 'ask':
      ask(tx, personId, command, now, log);
      return;
    case 'parentMessage':
      parentMessage(tx, personId, command.threadId, command.text, now);
      return;
    case 'claim':
      claim(tx, personId, command.threadId, now);
      return;
    case 'answer':
      answer(tx, personId, command.threadId, command.text, now);
      return;
    case 'close': {
      const t = threadRow(tx, command.threadId);
      if (!t || t.status === 'closed') return;
      if (t.personId === personId) closeThread(tx, t, 'parent', `person:${personId}`, now);
      else if (t.claimedBy === personId || isCoordinatorOf(tx, personId, t.initiativeId)) closeThread(tx, t, 'staff', `person:${personId}`, now);
      return;
    }
    case 'outcome': {
      const t = threadRow(tx, command.threadId);
      if (t && (t.claimedBy === personId || isCoordinatorOf(tx, personId, t.initiativeId))) recordOutcome(tx, t, command.outcome, `person:${personId}`, now);
      return;
    }
  }
}

const mayAnswer = (tx: Tx, personId: number, initiativeId: number): boolean => may(membershipsOf(tx, personId), 'relay.answer', initiativeId);
const isCoordinatorOf = (tx: Tx, personId: number, initiativeId: number): boolean =>
  membershipsOf(tx, personId).some((m) => m.initiativeId === initiativeId && m.role === 'coordinator');

function ask(tx: Tx, personId: number, c: Extract<RelayCommand, { op: 'ask' }>, now: Date, log: OperatorLog): void {
  const member = tx
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.personId, personId), eq(memberships.initiativeId, c.initiativeId), eq(memberships.role, 'parent')))
    .get();
  if (!member) {
    log.warn({ personId, initiativeId: c.initiativeId }, 'relay question from someone who is not a parent of the initiative: ignored');
    return;
  }
  const text = c.text ? cleanMessage(c.text) : '';
  const phone = c.kind === 'callback' && c.phone ? { callbackPhone: c.phone, callbackPhoneUntil: new Date(now.getTime() + CALLBACK_PHONE_TTL_MS) } : {};
  const open = c.kind === 'callback' || c.source === 'menu' || c.source === 'text' ? openThreadOf(tx, personId, c.kind, c.initiativeId) : openThreadAbout(tx, personId, c);
  if (open) {
    // A typed question joins the parent's open question, a call-back request their open call-back
    // (a new number replaces the old one); a button (help me, I want to help) its own open thread.
    if (Object.keys(phone).length) tx.update(relayThreads).set(phone).where(eq(relayThreads.id, open.id)).run();
    if (text) parentMessage(tx, personId, open.id, text, now);
    return;
  }
  const language = tx.select({ language: people.language }).from(people).where(eq(people.id, personId)).get()?.language ?? 'nl';
  const row = tx
    .insert(relayThreads)
    .values({ personId, initiativeId: c.initiativeId, kind: c.kind, source: c.source, sourceRef: c.sourceRef ?? null, language, status: 'open', tier: 0, tierAt: now, createdAt: now, ...phone })
    .returning()
    .get();
  if (text) tx.insert(relayMessages).values({ threadId: row.id, fromParent: true, authorId: personId, text, at: now }).run();
  offerFrom(tx, row, 0, now, log, false);
}

function openThreadAbout(tx: Tx, personId: number, c: Extract<RelayCommand, { op: 'ask' }>): { id: number } | null {
  return (
    tx
      .select({ id: relayThreads.id })
      .from(relayThreads)
      .where(
        and(
          eq(relayThreads.personId, personId),
          eq(relayThreads.initiativeId, c.initiativeId),
          eq(relayThreads.source, c.source),
          c.sourceRef == null ? isNull(relayThreads.sourceRef) : eq(relayThreads.sourceRef, c.sourceRef),
          ne(relayThreads.status, 'closed'),
        ),
      )
      .get() ?? null
  );
}

/** The staff a thread was offered to already (escalation and the ladder ask new people only). */
function offeredTo(tx: Tx, threadId: number): Set<number> {
  return new Set(
    tx
      .select({ id: relayOffers.staffId })
      .from(relayOffers)
      .where(eq(relayOffers.threadId, threadId))
      .all()
      .map((r) => r.id),
  );
}

/**
 * Offers a thread to the first tier from `fromTier` on with someone not asked before; with
 * nobody left it is marked NOBODY_TIER (the operator log and the audit get a line; the parent
 * hears it when `tellParent`: at creation the chat already said so).
 */
export function offerFrom(tx: Tx, t: ThreadRow, fromTier: number, now: Date, log: OperatorLog, tellParent: boolean): number {
  const staff = staffOf(tx, t.initiativeId);
  const asked = offeredTo(tx, t.id);
  for (let tier = Math.max(0, fromTier); tier < NOBODY_TIER; tier++) {
    const ids = tierMembers(staff, tier, t.language, t.personId).filter((id) => !asked.has(id));
    if (!ids.length) continue;
    tx.update(relayThreads).set({ tier, tierAt: now }).where(eq(relayThreads.id, t.id)).run();
    for (const staffId of ids) {
      tx.insert(relayOffers).values({ threadId: t.id, staffId, tier, at: now }).onConflictDoNothing().run();
      insertRelayNotice(tx, { to: staffId, key: t.kind === 'callback' ? 'relay:notice.offerCall' : 'relay:notice.offer', threadId: t.id, occurrence: `t${t.id}`, aboutPersonId: t.personId, now });
    }
    return tier;
  }
  tx.update(relayThreads).set({ tier: NOBODY_TIER, tierAt: now }).where(eq(relayThreads.id, t.id)).run();
  log.warn({ threadId: t.id, initiativeId: t.initiativeId }, 'relay thread reaches nobody: no reachable ambassador or coordinator left (see: relay list)');
  writeAudit(tx, { actor: 'system', action: 'relay.unrouted', subjectType: 'thread', subjectId: t.id, detail: { initiativeId: t.initiativeId } }, now);
  if (tellParent) insertRelayNotice(tx, { to: t.personId, key: 'relay:notice.nobody', threadId: t.id, occurrence: `t${t.id}`, now });
  return NOBODY_TIER;
}

function parentMessage(tx: Tx, personId: number, threadId: number, typed: string, now: Date): void {
  const t = threadRow(tx, threadId);
  const text = cleanMessage(typed);
  if (!t || t.personId !== personId || t.status === 'closed' || !text) return;
  const msg = tx.insert(relayMessages).values({ threadId, fromParent: true, authorId: personId, text, at: now }).returning({ id: relayMessages.id }).get();
  // Unclaimed: the offers read every message when they are sent, and the staff list shows them.
  if (t.claimedBy !== null) insertRelayNotice(tx, { to: t.claimedBy, key: 'relay:notice.reply', threadId, occurrence: `m${msg.id}`, aboutPersonId: t.personId, messageId: msg.id, now });
}

/** "I'll answer": the first wins (one UPDATE … WHERE claimed_by IS NULL); a later one hears it was taken. True: the person holds it now. */
export function claim(tx: Tx, personId: number, threadId: number, now: Date): boolean {
  const t = threadRow(tx, threadId);
  if (!t || t.personId === personId || t.status === 'closed' || !mayAnswer(tx, personId, t.initiativeId)) return false;
  if (t.claimedBy === personId) return true;
  const won = tx
    .update(relayThreads)
    .set({ status: 'claimed', claimedBy: personId, claimedAt: now })
    .where(and(eq(relayThreads.id, threadId), eq(relayThreads.status, 'open'), isNull(relayThreads.claimedBy)))
    .run().changes;
  if (won === 1) {
    writeAudit(tx, { actor: `person:${personId}`, action: 'relay.claim', subjectType: 'thread', subjectId: threadId, detail: { initiativeId: t.initiativeId } }, now);
    return true;
  }
  insertRelayNotice(tx, { to: personId, key: 'relay:notice.taken', threadId, occurrence: `t${threadId}`, now });
  return false;
}

function answer(tx: Tx, personId: number, threadId: number, typed: string, now: Date): void {
  const text = cleanMessage(typed);
  if (!text || !claim(tx, personId, threadId, now)) return;
  const t = threadRow(tx, threadId);
  if (!t || t.status === 'closed') return;
  const msg = tx.insert(relayMessages).values({ threadId, fromParent: false, authorId: personId, text, at: now }).returning({ id: relayMessages.id }).get();
  // The ladder's task: the parent asked nothing, so it reads as a personal message, not as "the answer to your question".
  const key = isLadderTask(t) ? 'outreach:notice.message' : 'relay:notice.answer';
  insertRelayNotice(tx, { to: t.personId, key, threadId, occurrence: `m${msg.id}`, messageId: msg.id, now });
}

/** Closes a thread (the number of a call-back goes with it) and tells the other side. */
export function closeThread(tx: Tx, t: ThreadRow, by: RelayCloser, actor: string, now: Date): void {
  tx.update(relayThreads).set({ status: 'closed', closedAt: now, closedBy: by, callbackPhone: null, callbackPhoneUntil: null }).where(eq(relayThreads.id, t.id)).run();
  if (by === 'parent') {
    if (t.claimedBy !== null) insertRelayNotice(tx, { to: t.claimedBy, key: 'relay:notice.closedByParent', threadId: t.id, occurrence: `t${t.id}`, aboutPersonId: t.personId, now });
    return;
  }
  if (by !== 'outcome') insertRelayNotice(tx, { to: t.personId, key: 'relay:notice.closedByStaff', threadId: t.id, occurrence: `t${t.id}`, now });
  writeAudit(tx, { actor, action: 'relay.close', subjectType: 'thread', subjectId: t.id, detail: { initiativeId: t.initiativeId, by } }, now);
}

/** A call-back's outcome: the number is deleted at once; "does not want contact" is stored on the parent for good. */
export function recordOutcome(tx: Tx, t: ThreadRow, outcome: CallbackOutcome, actor: string, now: Date): boolean {
  if (t.kind !== 'callback' || t.status === 'closed') return false;
  tx.update(relayThreads)
    .set({ outcome, outcomeAt: now, status: 'closed', closedAt: now, closedBy: 'outcome', callbackPhone: null, callbackPhoneUntil: null })
    .where(eq(relayThreads.id, t.id))
    .run();
  if (outcome === 'declined') tx.update(people).set({ contactDeclinedAt: now }).where(eq(people.id, t.personId)).run();
  // Reached by a call (or the ladder's personal message) is contact: the parent takes part again (src/domain/participation.ts).
  if (outcome === 'reached') recordAction(tx, t.personId, now);
  writeAudit(tx, { actor, action: 'relay.outcome', subjectType: 'thread', subjectId: t.id, detail: { initiativeId: t.initiativeId, outcome } }, now);
  return true;
}

/* ── The outreach ladder's call-back task (src/domain/outreach-ladder.ts, step 3) ─────────────── */

/** A call-back task the ladder made (not a parent's own request). */
export const isLadderTask = (t: Pick<ThreadRow, 'source' | 'kind'>): boolean => t.source === 'ladder' && t.kind === 'callback';

/**
 * Makes the ladder's call-back task for a parent (run by the delivery worker for the ladder3 row,
 * in its transaction): a relay thread of kind 'callback', source 'ladder', without a number (the
 * ambassador writes through the bot), offered like src/domain/relay-routing.ts#nextLadderOffer
 * says. When no ambassador speaks the parent's language the initiative's coordinators get a
 * notice saying where it went. Null when the parent is no parent of the initiative any more, or
 * already has an open ladder task (nothing is made twice).
 */
export function createLadderTask(tx: Tx, input: { personId: number; initiativeId: number; occurrence: string; now: Date }, log: OperatorLog = quiet): { threadId: number; group: LadderGroup | 'nobody' } | null {
  const { personId, initiativeId, now } = input;
  const member = tx
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.personId, personId), eq(memberships.initiativeId, initiativeId), eq(memberships.role, 'parent')))
    .get();
  if (!member) return null;
  const open = tx
    .select({ id: relayThreads.id })
    .from(relayThreads)
    .where(and(eq(relayThreads.personId, personId), eq(relayThreads.initiativeId, initiativeId), eq(relayThreads.source, 'ladder'), eq(relayThreads.kind, 'callback'), ne(relayThreads.status, 'closed')))
    .get();
  if (open) return null;
  const language = tx.select({ language: people.language }).from(people).where(eq(people.id, personId)).get()?.language ?? 'nl';
  const row = tx
    .insert(relayThreads)
    .values({ personId, initiativeId, kind: 'callback', source: 'ladder', sourceRef: input.occurrence, language, status: 'open', tier: 0, tierAt: now, createdAt: now })
    .returning()
    .get();
  const group = offerLadder(tx, row, now, log);
  const staff = staffOf(tx, initiativeId);
  if (noSpeaker(staff, language, personId)) {
    // Languages by their own names, the task's number and where it went: nothing a staff card does not show.
    for (const s of staff) {
      if (s.role !== 'coordinator' || s.personId === personId) continue;
      insertNotice(tx, { personId: s.personId, ruleId: 'outreach-nospeaker', occurrence: `t${row.id}`, payload: { key: 'outreach:notice.noSpeaker', params: { to: { key: `outreach:route.${group}` } }, buttons: null, threadId: row.id }, now });
    }
  }
  writeAudit(tx, { actor: 'system', action: 'outreach.task', subjectType: 'thread', subjectId: row.id, detail: { initiativeId, group } }, now);
  return { threadId: row.id, group };
}

/**
 * Offers a ladder task to the next group with someone not asked before (the escalation job calls
 * it again after 24 hours unclaimed). With nobody left the operator log and the audit get a line;
 * the parent is never told (they asked nothing).
 */
export function offerLadder(tx: Tx, t: ThreadRow, now: Date, log: OperatorLog = quiet): LadderGroup | 'nobody' {
  const staff = staffOf(tx, t.initiativeId);
  const areas = areasOf(tx, staff.map((s) => s.personId));
  const parent = tx.select({ pc4: people.pc4, fallback: people.fallbackLanguage }).from(people).where(eq(people.id, t.personId)).get();
  const asked = offeredTo(tx, t.id);
  const next = nextLadderOffer(
    staff.map((s) => ({ ...s, pc4: areas.get(s.personId) ?? null })),
    { personId: t.personId, language: t.language, fallback: parent?.fallback ?? null, pc4: parent?.pc4 ?? null },
    asked,
  );
  tx.update(relayThreads).set({ tier: next.tier, tierAt: now }).where(eq(relayThreads.id, t.id)).run();
  if (next.group === 'nobody') {
    log.warn({ threadId: t.id, initiativeId: t.initiativeId }, 'outreach task reaches nobody: no reachable ambassador or coordinator left (see: relay tasks)');
    writeAudit(tx, { actor: 'system', action: 'relay.unrouted', subjectType: 'thread', subjectId: t.id, detail: { initiativeId: t.initiativeId } }, now);
    return 'nobody';
  }
  for (const staffId of next.personIds) {
    tx.insert(relayOffers).values({ threadId: t.id, staffId, tier: next.tier, at: now }).onConflictDoNothing().run();
    insertRelayNotice(tx, { to: staffId, key: 'outreach:notice.task', threadId: t.id, occurrence: `t${t.id}`, aboutPersonId: t.personId, now });
  }
  return next.group;
}
