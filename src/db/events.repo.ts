/**
 * Events (tours, open mornings, …) and their RSVPs: the only SQL about them. The rules for
 * places and the waiting list live in src/domain/rsvp.ts; this file applies them to rows.
 * Functions take a `Conn` (the database or a transaction), so a caller can put a change and
 * its audit row in one transaction; `applyRsvp` reads then writes, so it requires one.
 */
import { and, asc, eq, gte, inArray, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { eventRsvps, events, initiatives, type EVENT_KINDS } from './schema.js';
import { recordAction } from './participation.repo.js';
import { AppError } from '../core/errors.js';
import { decideRsvp, promotions, type RsvpAnswer, type RsvpStatus } from '../domain/rsvp.js';

export type Conn = Pick<Db, 'select' | 'insert' | 'update' | 'delete'>;
export type EventKind = (typeof EVENT_KINDS)[number];
/** Text per language code; Dutch (`nl`) is always there. */
export type LocalizedText = { nl: string } & Record<string, string>;

export interface NewEvent {
  initiativeId: number;
  kind: EventKind;
  startsAt: Date;
  endsAt: Date;
  capacity: number | null;
  minAgeMonths: number;
  maxAgeMonths: number;
  titles: LocalizedText;
  places: LocalizedText;
}

export interface RsvpCounts {
  going: number;
  waiting: number;
  maybe: number;
  no: number;
}

export interface EventView extends NewEvent, RsvpCounts {
  id: number;
  cancelledAt: Date | null;
}

export interface RsvpState {
  answer: RsvpAnswer;
  status: RsvpStatus;
}

export interface RsvpRow extends RsvpState {
  answeredAt: Date;
  attended: boolean | null;
}

export interface RsvpResult {
  status: RsvpStatus;
  previous: RsvpState | null;
  /** People moved from the waiting list into a place by this answer (not the answerer). */
  promoted: number[];
}

export interface AttendanceResult {
  /** RSVP rows that now say attended / not attended. */
  updated: number[];
  /** Present without an RSVP (walk-ins): a "yes, going" row was added for them. */
  added: number[];
  /** Absent without an RSVP: nothing to record. */
  skipped: number[];
}

const localizedText = z
  .record(z.string(), z.string())
  .refine((t): t is LocalizedText => typeof t.nl === 'string', { message: 'the Dutch (nl) text is missing' });

type EventRow = typeof events.$inferSelect;
const NO_RSVPS: RsvpCounts = { going: 0, waiting: 0, maybe: 0, no: 0 };

const toView = (row: EventRow, counts: RsvpCounts = NO_RSVPS): EventView => ({
  id: row.id,
  initiativeId: row.initiativeId,
  kind: row.kind,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  capacity: row.capacity,
  minAgeMonths: row.minAgeMonths,
  maxAgeMonths: row.maxAgeMonths,
  titles: localizedText.parse(row.titles) as LocalizedText,
  places: localizedText.parse(row.places) as LocalizedText,
  cancelledAt: row.cancelledAt,
  ...counts,
});

export function createEvent(db: Conn, input: NewEvent): number {
  const { initiativeId, kind, startsAt, endsAt, capacity, minAgeMonths, maxAgeMonths, titles, places } = input;
  return db
    .insert(events)
    .values({ initiativeId, kind, startsAt, endsAt, capacity, minAgeMonths, maxAgeMonths, titles, places })
    .returning({ id: events.id })
    .get().id;
}

/** The time zone an initiative's local times are in (null: no such initiative). */
export function initiativeTimeZone(db: Conn, initiativeId: number): string | null {
  return db.select({ zone: initiatives.timeZone }).from(initiatives).where(eq(initiatives.id, initiativeId)).get()?.zone ?? null;
}

const countWhere = (cond: SQL) => sql<number>`coalesce(sum(case when ${cond} then 1 else 0 end), 0)`.mapWith(Number);

function countsFor(db: Conn, eventIds: number[]): Map<number, RsvpCounts> {
  if (eventIds.length === 0) return new Map();
  const rows = db
    .select({
      eventId: eventRsvps.eventId,
      going: countWhere(eq(eventRsvps.status, 'going')),
      waiting: countWhere(eq(eventRsvps.status, 'waiting')),
      maybe: countWhere(eq(eventRsvps.answer, 'maybe')),
      no: countWhere(eq(eventRsvps.answer, 'no')),
    })
    .from(eventRsvps)
    .where(inArray(eventRsvps.eventId, eventIds))
    .groupBy(eventRsvps.eventId)
    .all();
  return new Map(rows.map(({ eventId, ...counts }) => [eventId, counts]));
}

export function getEvent(db: Conn, id: number): EventView | null {
  const row = db.select().from(events).where(eq(events.id, id)).get();
  return row ? toView(row, countsFor(db, [id]).get(id)) : null;
}

/** Events by start time; `from`: only those that have not ended before it. Cancelled ones included. */
export function listEvents(db: Conn, filter: { initiativeId?: number; from?: Date } = {}): EventView[] {
  const conds: SQL[] = [];
  if (filter.initiativeId !== undefined) conds.push(eq(events.initiativeId, filter.initiativeId));
  if (filter.from !== undefined) conds.push(gte(events.endsAt, filter.from));
  const rows = db
    .select()
    .from(events)
    .where(and(...conds))
    .orderBy(asc(events.startsAt), asc(events.id))
    .all();
  const counts = countsFor(db, rows.map((r) => r.id));
  return rows.map((r) => toView(r, counts.get(r.id)));
}

export function rsvpOf(db: Conn, eventId: number, personId: number): RsvpRow | null {
  const row = db
    .select({ answer: eventRsvps.answer, status: eventRsvps.status, answeredAt: eventRsvps.answeredAt, attended: eventRsvps.attended })
    .from(eventRsvps)
    .where(and(eq(eventRsvps.eventId, eventId), eq(eventRsvps.personId, personId)))
    .get();
  return row ?? null;
}

/** Person ids on the waiting list, oldest answer first. */
export function waitingList(db: Conn, eventId: number): number[] {
  return db
    .select({ personId: eventRsvps.personId })
    .from(eventRsvps)
    .where(and(eq(eventRsvps.eventId, eventId), eq(eventRsvps.status, 'waiting')))
    .orderBy(asc(eventRsvps.answeredAt), asc(eventRsvps.personId))
    .all()
    .map((r) => r.personId);
}

function goingCount(db: Conn, eventId: number): number {
  return countsFor(db, [eventId]).get(eventId)?.going ?? 0;
}

/** Moves the oldest waiting people into free places (after a leave, an erasure, …). */
function fillFreePlaces(db: Conn, eventId: number, capacity: number | null): number[] {
  const moved = promotions(capacity, goingCount(db, eventId), waitingList(db, eventId));
  if (moved.length > 0) {
    db.update(eventRsvps)
      .set({ status: 'going' })
      .where(and(eq(eventRsvps.eventId, eventId), inArray(eventRsvps.personId, moved)))
      .run();
  }
  return moved;
}

/**
 * Records one person's answer inside the caller's transaction. A repeated answer changes
 * nothing (so a waiting place is kept); a changed answer starts a new place in the queue.
 * Free places always go to the people waiting longest, before a new "yes" is placed.
 * Throws AppError for an unknown or cancelled event: callers check the event first.
 */
export function applyRsvp(tx: Tx, input: { eventId: number; personId: number; answer: RsvpAnswer; now: Date }): RsvpResult {
  const { eventId, personId, answer, now } = input;
  const event = tx.select({ capacity: events.capacity, cancelledAt: events.cancelledAt }).from(events).where(eq(events.id, eventId)).get();
  if (!event) throw new AppError('event_not_found', `no event with id ${eventId}`);
  if (event.cancelledAt) throw new AppError('event_cancelled', `event ${eventId} is cancelled`);
  const before = rsvpOf(tx, eventId, personId);
  const previous = before ? { answer: before.answer, status: before.status } : null;
  const own = and(eq(eventRsvps.eventId, eventId), eq(eventRsvps.personId, personId));

  if (previous?.answer !== answer) {
    // Out of any place first, so the place it held (if any) can go to the waiting list.
    tx.insert(eventRsvps)
      .values({ eventId, personId, answer, status: 'none', answeredAt: now })
      .onConflictDoUpdate({ target: [eventRsvps.eventId, eventRsvps.personId], set: { answer, status: 'none', answeredAt: now } })
      .run();
  }
  const promoted = fillFreePlaces(tx, eventId, event.capacity).filter((id) => id !== personId);
  let status = tx.select({ status: eventRsvps.status }).from(eventRsvps).where(own).get()?.status ?? 'none';
  if (previous?.answer !== answer && answer === 'yes') {
    status = decideRsvp({ capacity: event.capacity, goingOthers: goingCount(tx, eventId) }, answer);
    tx.update(eventRsvps).set({ status }).where(own).run();
  }
  return { status, previous, promoted };
}

/** Marks an event cancelled; false when it does not exist or was already cancelled. */
export function cancelEvent(db: Conn, id: number, now: Date): boolean {
  const rows = db
    .update(events)
    .set({ cancelledAt: now })
    .where(and(eq(events.id, id), sql`${events.cancelledAt} is null`))
    .returning({ id: events.id })
    .all();
  return rows.length > 0;
}

/**
 * Who came (or did not). Present people without an RSVP (walk-ins) get a "yes, going" row
 * dated at the event's start; absent people without one are skipped. Unknown event: throws.
 */
export function recordAttendance(db: Conn, eventId: number, personIds: readonly number[], attended: boolean): AttendanceResult {
  const ids = [...new Set(personIds)];
  const result: AttendanceResult = { updated: [], added: [], skipped: [] };
  if (ids.length === 0) return result;
  const event = db.select({ startsAt: events.startsAt }).from(events).where(eq(events.id, eventId)).get();
  if (!event) throw new AppError('event_not_found', `no event with id ${eventId}`);
  result.updated = db
    .update(eventRsvps)
    .set({ attended })
    .where(and(eq(eventRsvps.eventId, eventId), inArray(eventRsvps.personId, ids)))
    .returning({ personId: eventRsvps.personId })
    .all()
    .map((r) => r.personId)
    .sort((a, b) => a - b);
  const missing = ids.filter((id) => !result.updated.includes(id)).sort((a, b) => a - b);
  if (!attended) return { ...result, skipped: missing };
  // Coming to an event is taking part (participation): at the event's start.
  for (const personId of ids) recordAction(db, personId, event.startsAt);
  for (const personId of missing) {
    db.insert(eventRsvps).values({ eventId, personId, answer: 'yes', status: 'going', answeredAt: event.startsAt, attended: true }).run();
  }
  return { ...result, added: missing };
}

/** How many events a person attended (participation). */
export function attendanceFor(db: Conn, personId: number): number {
  const row = db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(eventRsvps)
    .where(and(eq(eventRsvps.personId, personId), eq(eventRsvps.attended, true)))
    .get();
  return row?.n ?? 0;
}

/** Every RSVP of the given events in one query: event id → person id → answer and status. */
export function eventRsvpsForPlanning(db: Conn, eventIds: readonly number[]): Map<number, Map<number, RsvpState>> {
  const out = new Map<number, Map<number, RsvpState>>(eventIds.map((id) => [id, new Map()]));
  if (eventIds.length === 0) return out;
  const rows = db
    .select({ eventId: eventRsvps.eventId, personId: eventRsvps.personId, answer: eventRsvps.answer, status: eventRsvps.status })
    .from(eventRsvps)
    .where(inArray(eventRsvps.eventId, [...new Set(eventIds)]))
    .all();
  for (const r of rows) out.get(r.eventId)?.set(r.personId, { answer: r.answer, status: r.status });
  return out;
}
