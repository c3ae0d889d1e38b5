/**
 * The relay's SQL (threads of parents' questions, src/db/schema.ts `relay_*`): reading a thread,
 * who may be asked, what a staff member sees of it, and the notices that carry it. Notices hold
 * the thread id (and a message id) only; their text is read from here when they are sent.
 */
import { and, asc, desc, eq, gte, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { yearMonthIn } from '../core/clock.js';
import type { PersonExport } from '../core/ports.js';
import { monthIndex } from '../domain/birth-month.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import type { RelayNoticeView } from '../domain/relay-notice.js';
import { ageBand, type StaffMember } from '../domain/relay-routing.js';
import type { AgeBand, RelayKind, StaffCard, ThreadLine, ThreadView } from '../domain/relay.types.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { insertNotice } from './deliveries.repo.js';
import { broadcastVersions, children, deliveries, identities, initiatives, memberships, people, relayMessages, relayThreads } from './schema.js';

type Reader = Db | Tx;

type ThreadRow = typeof relayThreads.$inferSelect;

export const toThreadView = (r: ThreadRow): ThreadView => ({
  id: r.id,
  initiativeId: r.initiativeId,
  personId: r.personId,
  kind: r.kind,
  source: r.source,
  sourceRef: r.sourceRef,
  language: r.language,
  status: r.status,
  tier: r.tier,
  claimedBy: r.claimedBy,
  createdAt: r.createdAt,
  outcome: r.outcome,
  hasPhone: r.callbackPhone !== null,
});

export function threadRow(db: Reader, id: number): ThreadRow | null {
  return db.select().from(relayThreads).where(eq(relayThreads.id, id)).get() ?? null;
}

export function threadById(db: Reader, id: number): ThreadView | null {
  const r = threadRow(db, id);
  return r ? toThreadView(r) : null;
}

/** The parent's newest thread of this kind that is not closed (on any initiative, or on one). */
export function openThreadOf(db: Reader, personId: number, kind: RelayKind, initiativeId?: number): ThreadView | null {
  const r = db
    .select()
    .from(relayThreads)
    .where(and(eq(relayThreads.personId, personId), eq(relayThreads.kind, kind), ne(relayThreads.status, 'closed'), initiativeId === undefined ? undefined : eq(relayThreads.initiativeId, initiativeId)))
    .orderBy(desc(relayThreads.id))
    .get();
  return r ? toThreadView(r) : null;
}

/**
 * The reachable staff of an initiative (a chat that still answers, messages not stopped with
 * /stop: an offer they would never see must not hold a question for 24 hours), with roles and languages.
 */
export function staffOf(db: Reader, initiativeId: number): StaffMember[] {
  return db
    .selectDistinct({ personId: memberships.personId, role: memberships.role, languages: memberships.languages })
    .from(memberships)
    .innerJoin(identities, and(eq(identities.personId, memberships.personId), isNull(identities.unreachableAt)))
    .innerJoin(people, and(eq(people.id, memberships.personId), eq(people.proactive, true)))
    .where(and(eq(memberships.initiativeId, initiativeId), inArray(memberships.role, ['ambassador', 'coordinator'])))
    .all()
    .map((r) => ({ personId: r.personId, role: r.role, languages: r.languages ?? null }));
}

/** The 4-digit postcode of each of these people (staff: the ladder's call-back task prefers the parent's own area). */
export function areasOf(db: Reader, personIds: readonly number[]): Map<number, string | null> {
  if (!personIds.length) return new Map();
  const rows = db.select({ id: people.id, pc4: people.pc4 }).from(people).where(inArray(people.id, [...personIds])).all();
  return new Map(rows.map((r) => [r.id, r.pc4]));
}

/** The first word of the name the parent gave (never more), or null. */
export const firstNameOf = (displayName: string | null): string | null => displayName?.trim().split(/\s+/)[0] || null;

/** The age bands of a person's children on the local month of `now`. */
export function ageBandsOf(db: Reader, personId: number, now: Date, zone: string): AgeBand[] {
  const today = monthIndex(yearMonthIn(now, zone));
  return db
    .select({ year: children.birthYear, month: children.birthMonth, expected: children.expected })
    .from(children)
    .where(eq(children.personId, personId))
    .orderBy(asc(children.birthYear), asc(children.birthMonth))
    .all()
    .map((c) => ageBand(c.expected ? null : Math.max(0, today - monthIndex({ year: c.year, month: c.month }))));
}

/** What a staff member sees of a thread; the call-back number only for the one who claimed it. */
export function staffCard(db: Reader, threadId: number, staffId: number, now: Date, zone = 'Europe/Amsterdam'): StaffCard | null {
  const row = threadRow(db, threadId);
  if (!row) return null;
  const parent = db.select({ name: people.displayName }).from(people).where(eq(people.id, row.personId)).get();
  if (!parent) return null;
  const timeZone = db.select({ tz: initiatives.timeZone }).from(initiatives).where(eq(initiatives.id, row.initiativeId)).get()?.tz ?? zone;
  const messages = db
    .select({ fromParent: relayMessages.fromParent, text: relayMessages.text, at: relayMessages.at })
    .from(relayMessages)
    .where(eq(relayMessages.threadId, threadId))
    .orderBy(asc(relayMessages.id))
    .all();
  return {
    thread: toThreadView(row),
    firstName: firstNameOf(parent.name),
    language: row.language,
    ageBands: ageBandsOf(db, row.personId, now, timeZone),
    messages,
    about: row.source === 'broadcast' && row.sourceRef ? broadcastExcerpt(db, Number(row.sourceRef)) : null,
    phone: row.claimedBy === staffId && row.kind === 'callback' && row.status !== 'closed' ? row.callbackPhone : null,
  };
}

/** The first 200 characters of a broadcast's Dutch text (what a "help" under it is about); null when there is none. */
function broadcastExcerpt(db: Reader, broadcastId: number): string | null {
  if (!Number.isSafeInteger(broadcastId)) return null;
  const row = db
    .select({ text: broadcastVersions.text })
    .from(broadcastVersions)
    .where(and(eq(broadcastVersions.broadcastId, broadcastId), eq(broadcastVersions.lang, 'nl')))
    .get();
  if (!row?.text) return null;
  const chars = [...row.text];
  return chars.length > 200 ? `${chars.slice(0, 200).join('')}…` : row.text;
}

/** Unclaimed threads of these initiatives and those `staffId` claimed, not closed, oldest first. */
export function staffLines(db: Reader, staffId: number, initiativeIds: readonly number[], kind: RelayKind): ThreadLine[] {
  if (!initiativeIds.length) return [];
  return db
    .select()
    .from(relayThreads)
    .where(
      and(
        inArray(relayThreads.initiativeId, [...initiativeIds]),
        eq(relayThreads.kind, kind),
        or(eq(relayThreads.status, 'open'), and(eq(relayThreads.status, 'claimed'), eq(relayThreads.claimedBy, staffId))),
      ),
    )
    .orderBy(asc(relayThreads.id))
    .all()
    .map((r) => ({ id: r.id, initiativeId: r.initiativeId, kind: r.kind, language: r.language, status: r.status, mine: r.claimedBy === staffId, createdAt: r.createdAt }));
}

/** The thread of one of our notices to this person, by the messenger's id of it (a Telegram reply). */
export function threadOfMessage(db: Reader, personId: number, externalId: string): number | null {
  const row = db
    .select({ payload: deliveries.payload })
    .from(deliveries)
    .where(and(eq(deliveries.personId, personId), eq(deliveries.externalId, externalId), sql`json_extract(${deliveries.payload}, '$.threadId') IS NOT NULL`))
    .orderBy(desc(deliveries.id))
    .get();
  const id = (row?.payload as DeliveryPayload | undefined)?.threadId;
  return typeof id === 'number' && threadRow(db, id) ? id : null;
}

/**
 * The broadcast a "help" typed now is about: the newest broadcast sent to the parent since
 * `since` that has no version in their language (they read the fallback and its note).
 */
export function fallbackBroadcast(db: Reader, personId: number, since: Date): number | null {
  const lang = db.select({ language: people.language }).from(people).where(eq(people.id, personId)).get()?.language;
  if (!lang) return null;
  const rows = db
    .select({ ruleId: deliveries.ruleId })
    .from(deliveries)
    .where(and(eq(deliveries.personId, personId), eq(deliveries.kind, 'broadcast'), eq(deliveries.status, 'sent'), gte(deliveries.sentAt, since)))
    .orderBy(desc(deliveries.sentAt))
    .limit(1)
    .all();
  const id = Number(/^b(\d+)$/.exec(rows[0]?.ruleId ?? '')?.[1]);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const own = db
    .select({ lang: broadcastVersions.lang })
    .from(broadcastVersions)
    .where(and(eq(broadcastVersions.broadcastId, id), eq(broadcastVersions.lang, lang)))
    .get();
  return own ? null : id;
}

/** A notice of a thread: ids only in the row (thread, message, and the parent it is about for staff). */
export function insertRelayNotice(
  tx: Reader,
  input: { to: number; key: string; threadId: number; occurrence: string; aboutPersonId?: number; messageId?: number; now: Date },
): boolean {
  const payload: DeliveryPayload = { key: input.key, params: {}, buttons: null, threadId: input.threadId };
  if (input.aboutPersonId !== undefined) payload.aboutPersonId = input.aboutPersonId;
  if (input.messageId !== undefined) payload.relayMessageId = input.messageId;
  return insertNotice(tx, { personId: input.to, ruleId: `relay-${input.key.split('.').pop() ?? 'notice'}`, occurrence: input.occurrence, payload, now: input.now });
}

/** Notice keys whose text is stale once the thread was claimed or closed: skipped at send time. */
const OFFER_KEYS = new Set(['relay:notice.offer', 'relay:notice.offerCall', 'outreach:notice.task']);

/**
 * What a notice of a thread needs at send time, for the recipient; null when it is no longer
 * true: the thread is gone (the parent was erased) or an offer was claimed or closed meanwhile.
 */
export function relayNoticeView(db: Db, payload: DeliveryPayload, recipientId: number, now: Date): RelayNoticeView | null {
  if (payload.threadId === undefined) return null;
  const card = staffCard(db, payload.threadId, recipientId, now);
  if (!card) return null;
  if (OFFER_KEYS.has(payload.key) && card.thread.status !== 'open') return null;
  let message: RelayNoticeView['message'] = null;
  if (payload.relayMessageId !== undefined) {
    const m = db
      .select({ text: relayMessages.text, authorName: people.displayName })
      .from(relayMessages)
      .leftJoin(people, eq(people.id, relayMessages.authorId))
      .where(and(eq(relayMessages.id, payload.relayMessageId), eq(relayMessages.threadId, payload.threadId)))
      .get();
    if (!m) return null;
    message = { text: m.text, authorName: firstNameOf(m.authorName ?? null) };
  }
  const ini = db.select({ name: initiatives.name, contact: initiatives.contact }).from(initiatives).where(eq(initiatives.id, card.thread.initiativeId)).get();
  return { card, message, initiative: ini ?? null };
}

/**
 * Threads to move on now: open ones asked of their tier before `before`, claimed questions with
 * no answer since before `before`, and claimed threads whose claimer was erased (at once).
 */
export function dueForEscalation(db: Db, before: Date): { open: ThreadRow[]; silent: ThreadRow[]; orphaned: ThreadRow[] } {
  const open = db
    .select()
    .from(relayThreads)
    .where(and(eq(relayThreads.status, 'open'), sql`${relayThreads.tier} < 3`, lte(relayThreads.tierAt, before)))
    .orderBy(asc(relayThreads.id))
    .all();
  const silent = db
    .select()
    .from(relayThreads)
    .where(
      and(
        eq(relayThreads.status, 'claimed'),
        eq(relayThreads.kind, 'question'),
        lte(relayThreads.claimedAt, before),
        sql`NOT EXISTS (SELECT 1 FROM relay_messages m WHERE m.thread_id = ${relayThreads.id} AND m.from_parent = 0)`,
      ),
    )
    .orderBy(asc(relayThreads.id))
    .all();
  const orphaned = db
    .select()
    .from(relayThreads)
    .where(and(eq(relayThreads.status, 'claimed'), isNull(relayThreads.claimedBy)))
    .orderBy(asc(relayThreads.id))
    .all();
  return { open, silent, orphaned };
}

/** Deletes call-back numbers kept past their 14 days; returns how many. */
export function forgetOldPhones(db: Db, now: Date): number {
  return db
    .update(relayThreads)
    .set({ callbackPhone: null, callbackPhoneUntil: null })
    .where(and(sql`${relayThreads.callbackPhone} IS NOT NULL`, lte(relayThreads.callbackPhoneUntil, now)))
    .run().changes;
}

/** The parent's threads for /mydata: what they asked and what they were told, oldest first (staff are not named). */
export function exportThreads(db: Reader, personId: number): NonNullable<PersonExport['questions']> {
  return db
    .select()
    .from(relayThreads)
    .where(eq(relayThreads.personId, personId))
    .orderBy(asc(relayThreads.id))
    .all()
    .map((t) => ({
      id: t.id,
      kind: t.kind,
      status: t.status,
      createdAt: t.createdAt.toISOString(),
      closedAt: t.closedAt?.toISOString() ?? null,
      outcome: t.outcome,
      callbackPhone: t.callbackPhone,
      messages: db
        .select()
        .from(relayMessages)
        .where(eq(relayMessages.threadId, t.id))
        .orderBy(asc(relayMessages.id))
        .all()
        .map((m) => ({ from: m.fromParent ? ('you' as const) : ('staff' as const), text: m.text, at: m.at.toISOString() })),
    }));
}
