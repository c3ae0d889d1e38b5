/** Events as the flows' Directory shows them: one as a parent answering sees it, and an initiative's coming ones. */
import { and, asc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { EventInfo, UpcomingEvent } from '../flows/flow.types.js';
import type { Db } from './client.js';
import { eventRsvps, events, initiatives } from './schema.js';

export function eventFor(db: Db, eventId: number, personId: number): EventInfo | null {
  const row = db
    .select({ ev: events, timeZone: initiatives.timeZone })
    .from(events)
    .innerJoin(initiatives, eq(initiatives.id, events.initiativeId))
    .where(eq(events.id, eventId))
    .get();
  if (!row) return null;
  const going = db
    .select({ n: sql<number>`count(*)` })
    .from(eventRsvps)
    .where(and(eq(eventRsvps.eventId, eventId), eq(eventRsvps.status, 'going'), ne(eventRsvps.personId, personId)))
    .get();
  const ev = row.ev;
  return {
    id: ev.id,
    initiativeId: ev.initiativeId,
    startsAt: ev.startsAt,
    endsAt: ev.endsAt,
    cancelled: ev.cancelledAt !== null,
    capacity: ev.capacity,
    goingOthers: going?.n ?? 0,
    titles: ev.titles as Record<string, string>,
    places: ev.places as Record<string, string>,
    timeZone: row.timeZone,
  };
}

/** An initiative's events that start after `from` and are not cancelled, soonest first (at most `limit`). */
export function upcomingEvents(db: Db, initiativeId: number, from: Date, limit = 50): UpcomingEvent[] {
  return db
    .select({ ev: events, timeZone: initiatives.timeZone })
    .from(events)
    .innerJoin(initiatives, eq(initiatives.id, events.initiativeId))
    .where(and(eq(events.initiativeId, initiativeId), gt(events.startsAt, from), isNull(events.cancelledAt)))
    .orderBy(asc(events.startsAt), asc(events.id))
    .limit(limit)
    .all()
    .map(({ ev, timeZone }) => ({
      id: ev.id,
      startsAt: ev.startsAt,
      endsAt: ev.endsAt,
      minAgeMonths: ev.minAgeMonths,
      maxAgeMonths: ev.maxAgeMonths,
      titles: ev.titles as Record<string, string>,
      places: ev.places as Record<string, string>,
      timeZone,
    }));
}
