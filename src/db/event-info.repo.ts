/** An event as one parent sees it when answering (their own place not counted), for the flows' Directory. */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { EventInfo } from '../flows/flow.types.js';
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
