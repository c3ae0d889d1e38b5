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
import { deliveries, identities, type DELIVERY_STATUSES } from './schema.js';

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
  const stmt = db.$client.prepare('select 1 from deliveries where key = ?').pluck();
  return (key) => stmt.get(key) !== undefined;
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

/**
 * The planner's bulk insert (100,000 rows in well under a second): one prepared statement in one
 * transaction. Returns, per row, the new id or null when the key already existed.
 */
export function insertPlannedRows(db: Db, rows: NewDelivery[], now: Date): (number | null)[] {
  const stmt = db.$client
    .prepare(
      `insert into deliveries (key, person_id, child_id, rule_id, channel, kind, priority, due_at, send_at, expires_at, urgent_from, payload, status, last_error, attempts, parts_sent, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?) on conflict(key) do nothing returning id`,
    )
    .pluck();
  const run = db.$client.transaction((list: NewDelivery[]) =>
    list.map((r) => {
      const id = stmt.get(r.key, r.personId, r.childId, r.ruleId, r.channel, r.kind, r.priority, r.dueAt.getTime(), r.sendAt.getTime(), r.expiresAt?.getTime() ?? null, r.urgentFrom?.getTime() ?? null, JSON.stringify(r.payload), r.status ?? 'planned', r.lastError ?? null, now.getTime()) as number | undefined;
      return id ?? null;
    }),
  );
  return run(rows);
}

export function getDelivery(db: Db, id: number): DeliveryRow | null {
  const row = db.select().from(deliveries).where(eq(deliveries.id, id)).get();
  return row ? { ...row, payload: row.payload as DeliveryPayload } : null;
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
export function claimDelivery(db: Db, id: number): boolean {
  const res = db.$client.prepare("update deliveries set status = 'sending', attempts = attempts + 1 where id = ? and status in ('planned', 'queued')").run(id);
  return res.changes === 1;
}

export function finishDelivery(db: Db, id: number, status: Exclude<DeliveryStatus, 'planned' | 'queued' | 'sending'>, now: Date, error?: string, externalId?: string): void {
  db.update(deliveries)
    .set({ status, sentAt: status === 'sent' ? now : null, lastError: error ? error.slice(0, 200) : null, ...(externalId ? { externalId } : {}) })
    .where(eq(deliveries.id, id))
    .run();
}

const STATUS_ORDER = { sent: 1, delivered: 2, read: 3, failed: 4 } as const;

/** A messenger's status webhook (sent → delivered → read, or failed) on the delivery it belongs to; never goes backwards. */
export function recordChannelStatus(db: Db, externalId: string, status: keyof typeof STATUS_ORDER, at: Date): boolean {
  const row = db.select({ id: deliveries.id, channelStatus: deliveries.channelStatus }).from(deliveries).where(eq(deliveries.externalId, externalId)).get();
  if (!row) return false;
  if (row.channelStatus && STATUS_ORDER[row.channelStatus] >= STATUS_ORDER[status]) return true;
  db.update(deliveries).set({ channelStatus: status, channelStatusAt: at }).where(eq(deliveries.id, row.id)).run();
  return true;
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
 * Rows a dead process left in `sending` (called at start, before any worker runs: one
 * process owns the database). Whether their message arrived is unknown (Telegram has no
 * idempotency key), so they are queued once more and marked "uncertain".
 */
export function recoverStaleSending(db: Db): number[] {
  const rows = db.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.status, 'sending')).all();
  for (const r of rows) {
    db.update(deliveries).set({ status: 'queued', lastError: 'uncertain: process stopped while sending' }).where(and(eq(deliveries.id, r.id), eq(deliveries.status, 'sending'))).run();
  }
  return rows.map((r) => r.id);
}

/** /stop: every message not yet sent is cancelled in the same transaction as the choice. */
export function cancelPendingFor(tx: Db | Tx, personId: number, reason: string): number[] {
  return tx
    .update(deliveries)
    .set({ status: 'skipped', lastError: reason })
    .where(and(eq(deliveries.personId, personId), inArray(deliveries.status, ['planned', 'queued'])))
    .returning({ id: deliveries.id })
    .all()
    .map((r) => r.id);
}

/** Send times of a person's capped messages (sent or still to send) after `since`. Raw SQL: the planner reads ~100,000 of these a minute. */
export function capHistory(db: Db, since: Date, personId?: number): Map<number, Date[]> {
  const sql = "select person_id, coalesce(sent_at, send_at) as t from deliveries where send_at > ? and status in ('planned', 'queued', 'sending', 'sent') and kind != 'notice'";
  const rows = (
    personId === undefined ? db.$client.prepare(sql).raw().all(since.getTime()) : db.$client.prepare(`${sql} and person_id = ?`).raw().all(since.getTime(), personId)
  ) as [number, number][];
  const out = new Map<number, Date[]>();
  for (const [personId, t] of rows) {
    const list = out.get(personId);
    if (list) list.push(new Date(t));
    else out.set(personId, [new Date(t)]);
  }
  return out;
}

/** The cap history of some people only (the planner's steady state has new messages for few). */
export function capHistoryOf(db: Db, since: Date, personIds: number[]): Map<number, Date[]> {
  const out = new Map<number, Date[]>();
  for (let i = 0; i < personIds.length; i += 500) {
    const ids = personIds.slice(i, i + 500);
    const rows = db.$client
      .prepare(
        `select person_id, coalesce(sent_at, send_at) from deliveries indexed by deliveries_person_send where send_at > ? and status in ('planned', 'queued', 'sending', 'sent') and kind != 'notice' and person_id in (${ids.map(() => '?').join(',')})`,
      )
      .raw()
      .all(since.getTime(), ...ids) as [number, number][];
    for (const [personId, t] of rows) {
      const list = out.get(personId);
      if (list) list.push(new Date(t));
      else out.set(personId, [new Date(t)]);
    }
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
    .where(and(eq(deliveries.personId, personId), eq(deliveries.kind, kind), inArray(deliveries.status, ['planned', 'queued'])))
    .run();
}
