/**
 * The `deliveries` table: every proactive message as a row with a unique key, planned →
 * queued → sending → sent (or skipped, expired, failed, unreachable). The status changes
 * are single UPDATEs guarded by the expected old status, so two workers, a duplicate
 * planner run or a restart can never move one row twice.
 */
import { and, asc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { CHANNEL_INFO, type ChannelName } from '../core/messages.js';
import type { DeliveryPayload, MessageKind } from '../domain/nurture.types.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { newProcessOwner, ownerIsLocal, ownerMayBeAlive } from './process-owner.js';
import { deliveries, identities, type DELIVERY_STATUSES } from './schema.js';
import { recordRead } from './participation.repo.js';
import { cached } from './statements.js';

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface NewDelivery {
  key: string;
  personId: number;
  childId: number | null;
  ruleId: string;
  channel: ChannelName;
  kind: MessageKind;
  priority: number;
  dueAt: Date;
  sendAt: Date;
  expiresAt: Date | null;
  urgentFrom: Date | null;
  payload: DeliveryPayload;
  /** A companion row of a sibling's merged message is written as `skipped` (never sent on its own). */
  status?: 'planned' | 'skipped';
  lastError?: string | null;
}

export interface DeliveryRow extends Omit<NewDelivery, 'status'> {
  id: number;
  status: DeliveryStatus;
  attempts: number;
  partsSent: number;
  lastError: string | null;
  sentAt: Date | null;
  externalId: string | null;
  channelStatus: 'sent' | 'delivered' | 'read' | 'failed' | null;
  createdAt: Date;
}

export interface QueueItem {
  id: number;
  channel: ChannelName;
  sendAt: Date;
}

/** A fast "does this key exist?" for the planner's hot loop. */
export function keyExists(db: Db): (key: string) => boolean {
  const stmt = cached(db, 'select 1 from deliveries where key = ?').pluck();
  return (key) => stmt.get(key) !== undefined;
}

/** Keys per statement of keysPresent (one JSON array each). */
const KEYS_PER_LOOKUP = 500;

/**
 * Which of these keys have a row: one statement per 500 keys instead of one per key. The planner
 * asks for every candidate of a group of parents at once; a lookup of its own cost about 9.5 µs a
 * key (most of it the call into SQLite), this about 1.1 µs (measured on the 1M world).
 */
export function keysPresent(db: Db): (keys: readonly string[]) => Set<string> {
  const stmt = cached(db, 'select key from deliveries where key in (select value from json_each(?))').pluck();
  return (keys) => {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += KEYS_PER_LOOKUP) for (const k of stmt.all(JSON.stringify(keys.slice(i, i + KEYS_PER_LOOKUP))) as string[]) found.add(k);
    return found;
  };
}

/** Inserts rows, ignoring keys that exist; returns the ids of the rows really inserted. */
export function insertDeliveries(db: Db | Tx, rows: NewDelivery[], now: Date): number[] {
  const ids: number[] = [];
  for (const r of rows) {
    const got = db
      .insert(deliveries)
      .values({ ...r, status: 'planned', createdAt: now })
      .onConflictDoNothing({ target: deliveries.key })
      .returning({ id: deliveries.id })
      .all();
    if (got[0]) ids.push(got[0].id);
  }
  return ids;
}

export function getDelivery(db: Db, id: number): DeliveryRow | null {
  // Once per message the worker sends: a statement kept per connection (src/db/statements.ts).
  const r = cached(db, 'select * from deliveries where id = ?').get(id) as RawDelivery | undefined;
  return r ? deliveryRowOf(r) : null;
}

/** A deliveries row as SQLite returns it (snake case; times in epoch ms; payload as JSON text). */
interface RawDelivery {
  id: number;
  key: string;
  person_id: number;
  child_id: number | null;
  rule_id: string;
  channel: ChannelName;
  kind: MessageKind;
  priority: number;
  due_at: number;
  send_at: number;
  expires_at: number | null;
  urgent_from: number | null;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  parts_sent: number;
  last_error: string | null;
  sent_at: number | null;
  external_id: string | null;
  channel_status: DeliveryRow['channelStatus'];
  created_at: number;
}

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function deliveryRowOf(r: RawDelivery): DeliveryRow {
  return {
    id: r.id,
    key: r.key,
    personId: r.person_id,
    childId: r.child_id,
    ruleId: r.rule_id,
    channel: r.channel,
    kind: r.kind,
    priority: r.priority,
    dueAt: new Date(r.due_at),
    sendAt: new Date(r.send_at),
    expiresAt: dateOrNull(r.expires_at),
    urgentFrom: dateOrNull(r.urgent_from),
    payload: JSON.parse(r.payload) as DeliveryPayload,
    status: r.status,
    attempts: r.attempts,
    partsSent: r.parts_sent,
    lastError: r.last_error,
    sentAt: dateOrNull(r.sent_at),
    externalId: r.external_id,
    channelStatus: r.channel_status,
    createdAt: new Date(r.created_at),
  };
}

/** Planned rows due before `until`, oldest first: the planner enqueues these. */
export function plannedDue(db: Db, until: Date, limit = 200_000): QueueItem[] {
  return db
    .select({ id: deliveries.id, channel: deliveries.channel, sendAt: deliveries.sendAt })
    .from(deliveries)
    .where(and(eq(deliveries.status, 'planned'), lt(deliveries.sendAt, until)))
    .orderBy(asc(deliveries.sendAt), asc(deliveries.id))
    .limit(limit)
    .all();
}

export function markQueued(db: Db, ids: number[]): void {
  const stmt = db.$client.prepare("update deliveries set status = 'queued' where id = ? and status = 'planned'");
  db.$client.transaction((list: number[]) => {
    for (const id of list) stmt.run(id);
  })(ids);
}

export function queuedItems(db: Db): QueueItem[] {
  return db.select({ id: deliveries.id, channel: deliveries.channel, sendAt: deliveries.sendAt }).from(deliveries).where(eq(deliveries.status, 'queued')).all();
}

export function countQueued(db: Db, channel: ChannelName): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(deliveries)
    .where(and(eq(deliveries.status, 'queued'), eq(deliveries.channel, channel)))
    .get()!.n;
}

/** queued/planned → sending. False when another worker (or an earlier run) has it. */
/** This process, as named on the rows it claims (see recoverStaleSending). */
export const DELIVERY_CLAIMER = newProcessOwner();

/** queued → sending, by this process; false when another run (or process) got there first, or the row moved on. */
export function claimDelivery(db: Db, id: number): boolean {
  const res = cached(db, "update deliveries set status = 'sending', attempts = attempts + 1, claimed_by = ?, claimed_at = ? where id = ? and status in ('planned', 'queued')").run(
    DELIVERY_CLAIMER,
    Date.now(),
    id,
  );
  return res.changes === 1;
}

export function finishDelivery(db: Db, id: number, status: Exclude<DeliveryStatus, 'planned' | 'queued' | 'sending'>, now: Date, error?: string, externalId?: string): void {
  const lastError = error ? error.slice(0, 200) : null;
  const sentAt = status === 'sent' ? now.getTime() : null;
  if (externalId) {
    // A new message id starts its own status history (a resend after 131047 is a new message).
    cached(db, 'update deliveries set status = ?, sent_at = ?, last_error = ?, external_id = ?, channel_status = null, channel_status_at = null where id = ?').run(status, sentAt, lastError, externalId, id);
  } else cached(db, 'update deliveries set status = ?, sent_at = ?, last_error = ? where id = ?').run(status, sentAt, lastError, id);
}

const STATUS_ORDER = { sent: 1, delivered: 2, read: 3, failed: 4 } as const;

/**
 * A messenger's status webhook (sent → delivered → read, or failed) on the delivery it belongs to;
 * never goes backwards. A failure after sending (`reason`: the messenger's code and words) turns a
 * sent row into failed with that reason: it did not arrive.
 */
export function recordChannelStatus(db: Db, externalId: string, status: keyof typeof STATUS_ORDER, at: Date, reason?: string): boolean {
  const row = db
    .select({ id: deliveries.id, personId: deliveries.personId, status: deliveries.status, channelStatus: deliveries.channelStatus })
    .from(deliveries)
    .where(eq(deliveries.externalId, externalId))
    .get();
  if (!row) return false;
  if (row.channelStatus && STATUS_ORDER[row.channelStatus] >= STATUS_ORDER[status]) return true;
  // Reading is a participation signal (ADR 0010), where the channel reports it.
  if (status === 'read') recordRead(db, row.personId, at);
  const failedAfterSending = status === 'failed' && row.status === 'sent' && reason !== undefined;
  db.update(deliveries)
    .set({ channelStatus: status, channelStatusAt: at, ...(failedAfterSending ? { status: 'failed' as const, lastError: `failed after sending: ${reason}`.slice(0, 200) } : {}) })
    .where(eq(deliveries.id, row.id))
    .run();
  return true;
}

// ── held: outside WhatsApp's 24-hour window a stand-in went out, the message waits for a reply ──

/** What a released row says (the worker's quiet-hours check lets it through: the parent just wrote). */
export const RELEASED_NOTE = 'released: the parent wrote, the message follows';
/**
 * A held message waits for the parent's reply until its own expiry, and at most this long after
 * the stand-in went out (its "reply to read it" is stale by then; the parent who writes later
 * gets the bot's menu). It is then 'expired', counted like any other expiry.
 */
export const HELD_MAX_MS = 14 * 24 * 3600_000;
const HELD_EXPIRED = 'expired: held behind a stand-in, the parent did not reply';

/** The stand-in went out (its message id, for its status webhooks): the row waits as 'held' since `now`. */
export function holdDelivery(db: Db, id: number, now: Date, externalId: string | undefined, reason: string): void {
  db.update(deliveries)
    .set({ status: 'held', sentAt: now, lastError: `held: ${reason}`.slice(0, 200), ...(externalId ? { externalId, channelStatus: null, channelStatusAt: null } : {}) })
    .where(and(eq(deliveries.id, id), eq(deliveries.status, 'sending')))
    .run();
}

const HELD_OVER = `status = 'held' and ((expires_at is not null and expires_at <= @now) or sent_at <= @now - ${HELD_MAX_MS})`;

/** Held rows past their expiry (or HELD_MAX_MS after the stand-in) become 'expired'; returns how many. */
export function expireHeld(db: Db, now: Date): number {
  return db.$client.prepare(`update deliveries set status = 'expired', last_error = @note where ${HELD_OVER}`).run({ now: now.getTime(), note: HELD_EXPIRED }).changes;
}

/**
 * The parent wrote on this chat: their held rows on this channel go back to 'planned', due now,
 * allowed past the cap (they asked for it), from the first part. Returns the ids released; the
 * caller hands them to the queue at once. Rows past their time expire instead.
 */
export function releaseHeld(db: Db, address: { channel: ChannelName; chatId: string }, now: Date): number[] {
  const identity = db
    .select({ personId: identities.personId })
    .from(identities)
    .where(and(eq(identities.channel, address.channel), eq(identities.chatId, address.chatId)))
    .get();
  if (!identity) return [];
  const args = { now: now.getTime(), person: identity.personId, channel: address.channel, note: HELD_EXPIRED, released: RELEASED_NOTE };
  return db.$client.transaction(() => {
    db.$client.prepare(`update deliveries set status = 'expired', last_error = @note where person_id = @person and channel = @channel and ${HELD_OVER}`).run(args);
    return db.$client
      .prepare("update deliveries set status = 'planned', send_at = @now, urgent_from = @now, parts_sent = 0, last_error = @released where person_id = @person and channel = @channel and status = 'held' returning id")
      .pluck()
      .all(args) as number[];
  })();
}

/** Whether a stand-in already waits for this chat's reply (then a second one is not sent: the message just joins it). */
export function hasHeld(db: Db, address: { channel: ChannelName; chatId: string }, now: Date): boolean {
  const found = db.$client
    .prepare(
      `select 1 from deliveries d join identities i on i.person_id = d.person_id and i.channel = d.channel
       where i.channel = @channel and i.chat_id = @chat and d.status = 'held'
         and (d.expires_at is null or d.expires_at > @now) and d.sent_at > @now - ${HELD_MAX_MS} limit 1`,
    )
    .get({ channel: address.channel, chat: address.chatId, now: now.getTime() });
  return found !== undefined;
}

/**
 * WhatsApp accepted a message and reported later that the window was closed (131047 in a failed
 * status webhook): the row is queued again, due now, and goes out as a template (or a stand-in,
 * then held) exactly like a refusal on the send. Once only: a redelivered webhook finds the row no
 * longer 'sent' with that message id, or its channel status already failed. Returns the row id.
 */
export function reopenAfterWindowClosed(db: Db, externalId: string, now: Date, reason: string): number | null {
  const id = db.$client
    .prepare(
      `update deliveries set status = 'planned', send_at = @now, parts_sent = 0, channel_status = 'failed', channel_status_at = @now, last_error = @reason
       where external_id = @externalId and status = 'sent' and (channel_status is null or channel_status != 'failed') returning id`,
    )
    .pluck()
    .get({ now: now.getTime(), externalId, reason: reason.slice(0, 200) }) as number | undefined;
  return id ?? null;
}

/** Back to the queue after a failed try; parts already delivered are not sent again. */
export function requeueDelivery(db: Db, id: number, partsSent: number, error: string): void {
  db.update(deliveries)
    .set({ status: 'queued', partsSent: sql`${deliveries.partsSent} + ${partsSent}`, lastError: error.slice(0, 200) })
    .where(eq(deliveries.id, id))
    .run();
}

/** Not now (quiet hours, cap): back to planned with a new time; the planner enqueues it again. */
export function deferDelivery(db: Db, id: number, sendAt: Date, reason: string): void {
  db.update(deliveries)
    .set({ status: 'planned', sendAt, lastError: `deferred: ${reason}` })
    .where(and(eq(deliveries.id, id), inArray(deliveries.status, ['planned', 'queued'])))
    .run();
}

/**
 * A claim by a process on another machine (or in another container: its own hostname) cannot be
 * checked; after this long it is taken for dead. A send never takes minutes (the outbound
 * scheduler's waits are seconds); a live holder that still finishes records its outcome on top.
 */
export const FOREIGN_CLAIM_STALE_MS = 10 * 60_000;

/**
 * Rows left in `sending` by a process that is gone (killed, crashed; ADR 0004): queued once more
 * and marked "uncertain", because whether their message arrived is unknown (Telegram has no
 * idempotency key). Rows a live process holds are never touched, so any process may call this at
 * any time (the planner role does, every few seconds). Rows without a claimer (claimed before the
 * claimer was recorded) count as left behind. Returns the ids queued again.
 */
export function recoverStaleSending(db: Db, nowMs: number = Date.now()): number[] {
  const rows = db
    .select({ id: deliveries.id, claimedBy: deliveries.claimedBy, claimedAt: deliveries.claimedAt })
    .from(deliveries)
    .where(eq(deliveries.status, 'sending'))
    .all();
  const stale = rows.filter((r) => {
    if (r.claimedBy === null) return true;
    if (ownerIsLocal(r.claimedBy)) return !ownerMayBeAlive(r.claimedBy, DELIVERY_CLAIMER);
    return nowMs - (r.claimedAt?.getTime() ?? 0) > FOREIGN_CLAIM_STALE_MS;
  });
  const requeue = db.$client.prepare("update deliveries set status = 'queued', last_error = 'uncertain: process stopped while sending' where id = ? and status = 'sending' and claimed_by is ?");
  return stale.filter((r) => requeue.run(r.id, r.claimedBy).changes === 1).map((r) => r.id);
}

/** What a queue needs to hand these rows to a worker again (the ids recoverStaleSending returned). */
export function queueItemsOf(db: Db, ids: readonly number[]): (QueueItem & { attempts: number })[] {
  if (!ids.length) return [];
  return db
    .select({ id: deliveries.id, channel: deliveries.channel, sendAt: deliveries.sendAt, attempts: deliveries.attempts })
    .from(deliveries)
    .where(inArray(deliveries.id, [...ids]))
    .all();
}

/** /stop: every message not yet sent is cancelled in the same transaction as the choice. */
export function cancelPendingFor(tx: Db | Tx, personId: number, reason: string): number[] {
  return tx
    .update(deliveries)
    .set({ status: 'skipped', lastError: reason })
    .where(and(eq(deliveries.personId, personId), inArray(deliveries.status, ['planned', 'queued', 'held'])))
    .returning({ id: deliveries.id })
    .all()
    .map((r) => r.id);
}

/** Send times of a person's capped messages (sent or still to send) after `since`. Raw SQL: the planner reads ~100,000 of these a minute. */
export function capHistory(db: Db, since: Date, personId?: number): Map<number, Date[]> {
  const sql = `${CAP_HISTORY}${personId === undefined ? '' : ' and person_id = ?'}`;
  const args = personId === undefined ? [since.getTime()] : [since.getTime(), personId];
  return historyByPerson(cached(db, sql).raw().all(...args) as [number, number][]);
}

/**
 * The cap history of some people only (the planner asks per group of parents, for those with
 * something new): the ids bound as one JSON array, so one statement serves every group.
 */
export function capHistoryOf(db: Db, since: Date, personIds: readonly number[]): Map<number, Date[]> {
  if (!personIds.length) return new Map();
  const sql = `${CAP_HISTORY_BY_PERSON} and person_id in (select value from json_each(?))`;
  return historyByPerson(cached(db, sql).raw().all(since.getTime(), JSON.stringify(personIds)) as [number, number][]);
}

/** The send times (sent, else planned) of capped messages after a moment: what the frequency cap counts. */
const CAP_HISTORY = "select person_id, coalesce(sent_at, send_at) from deliveries where send_at > ? and status in ('planned', 'queued', 'sending', 'sent') and kind != 'notice'";
const CAP_HISTORY_BY_PERSON = CAP_HISTORY.replace('from deliveries', 'from deliveries indexed by deliveries_person_send');

function historyByPerson(rows: [number, number][]): Map<number, Date[]> {
  const out = new Map<number, Date[]>();
  for (const [personId, t] of rows) {
    const list = out.get(personId);
    if (list) list.push(new Date(t));
    else out.set(personId, [new Date(t)]);
  }
  return out;
}

export function deliveriesOf(db: Db, where: { personIds: number[]; from?: Date }): DeliveryRow[] {
  if (where.personIds.length === 0) return [];
  return db
    .select()
    .from(deliveries)
    .where(and(inArray(deliveries.personId, where.personIds), where.from ? gt(deliveries.sendAt, where.from) : undefined))
    .orderBy(asc(deliveries.sendAt), asc(deliveries.id))
    .all()
    .map((r) => ({ ...r, payload: r.payload as DeliveryPayload }));
}

const CHANNEL_RANK = (c: ChannelName): number => CHANNEL_INFO[c].rank;

/**
 * A notice is a one-off proactive message caused by someone else's action (a place freed on
 * the waiting list, a parent asking for help). It goes through the same queue and checks,
 * but not through the rules, the consent kinds or the cap. Returns false when the person has
 * no reachable chat.
 */
export function insertNotice(tx: Db | Tx, input: { personId: number; ruleId: string; occurrence: string; payload: DeliveryPayload; now: Date }): boolean {
  const chats = tx.select({ channel: identities.channel }).from(identities).where(and(eq(identities.personId, input.personId), isNull(identities.unreachableAt))).all();
  const channel = chats.map((c) => c.channel).sort((a, b) => CHANNEL_RANK(b) - CHANNEL_RANK(a))[0];
  if (!channel) return false;
  const key = `${input.ruleId}|p${input.personId}|c-|${input.occurrence}`;
  const row = { key, personId: input.personId, childId: null, ruleId: input.ruleId, channel, kind: 'notice' as const, priority: 9, dueAt: input.now, sendAt: input.now, expiresAt: null, urgentFrom: null, payload: input.payload };
  return insertDeliveries(tx, [row], input.now).length === 1;
}

/** Cancels what was planned of one kind (reminders or the newsletter) when its consent is withdrawn. */
export function cancelPendingOfKind(tx: Db | Tx, personId: number, kind: MessageKind, reason: string): void {
  tx.update(deliveries)
    .set({ status: 'skipped', lastError: reason })
    .where(and(eq(deliveries.personId, personId), eq(deliveries.kind, kind), inArray(deliveries.status, ['planned', 'queued', 'held'])))
    .run();
}
