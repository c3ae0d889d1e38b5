/**
 * Participation signals (issue 12, ADR 0010): what a parent did, recorded where it happens, in
 * the caller's transaction. Dates and ids only: never what was said.
 *   - an own action (a turn: any message or button; an event attended; a call-back that reached
 *     them) moves `people.last_action_at` forward and marks the day in `activity_days`;
 *   - a read receipt (WhatsApp Cloud's status webhook) moves `people.last_read_at` forward.
 * Both only move forward, so a late or repeated signal changes nothing.
 */
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { dayNumber } from '../domain/participation.js';
import type { Db } from './client.js';
import { activityDays, people } from './schema.js';

type Conn = Pick<Db, 'insert' | 'update'>;


export function recordAction(db: Conn, personId: number, at: Date): void {
  db.insert(activityDays).values({ personId, day: dayNumber(at) }).onConflictDoNothing().run();
  db.update(people)
    .set({ lastActionAt: at })
    .where(and(eq(people.id, personId), or(isNull(people.lastActionAt), lt(people.lastActionAt, at))))
    .run();
}

export function recordRead(db: Conn, personId: number, at: Date): void {
  db.update(people)
    .set({ lastReadAt: at })
    .where(and(eq(people.id, personId), or(isNull(people.lastReadAt), lt(people.lastReadAt, at))))
    .run();
}

/** Activity days older than this are deleted by the retention job (participation over time looks back 12 months). */
export const ACTIVITY_KEEP_DAYS = 400;

/** For tests and the export: the days a person was active, oldest first. */
export function activityDaysOf(db: Pick<Db, 'select'>, personId: number, since = 0): number[] {
  return db
    .select({ day: activityDays.day })
    .from(activityDays)
    .where(and(eq(activityDays.personId, personId), gt(activityDays.day, since - 1)))
    .orderBy(activityDays.day)
    .all()
    .map((r) => r.day);
}
