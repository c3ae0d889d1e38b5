/** Everything stored about one person (AVG/GDPR right of access), as plain data. */
import { and, asc, count, eq } from 'drizzle-orm';
import type { PersonExport } from '../core/ports.js';
import type { Db } from './client.js';
import { mediaOfPerson } from './media.repo.js';
import { exportThreads } from './relay.repo.js';
import { broadcastsOfPerson } from './broadcasts.repo.js';
import { activityDaysOf } from './participation.repo.js';
import { dayOfNumber } from '../domain/participation.js';
import { children, consentLog, deliveries, eventRsvps, identities, initiatives, interests, memberships, outbox, people } from './schema.js';

export function exportPerson(db: Db, personId: number, now: Date): PersonExport | null {
  const p = db.select().from(people).where(eq(people.id, personId)).get();
  if (!p) return null;
  return {
    exportedAt: now.toISOString(),
    person: {
      id: p.id,
      language: p.language,
      displayName: p.displayName,
      postcode: p.pc4,
      heardFrom: p.heardFrom,
      proactiveMessages: p.proactive,
      reminders: p.reminders,
      newsletter: p.newsletter,
      quietHours: p.quietStart && p.quietEnd ? { start: p.quietStart, end: p.quietEnd } : null,
      fallbackLanguage: p.fallbackLanguage ?? null,
      createdAt: p.createdAt.toISOString(),
    },
    channels: db
      .select()
      .from(identities)
      .where(eq(identities.personId, personId))
      .all()
      .map((i) => ({ channel: i.channel, createdAt: i.createdAt.toISOString(), unreachable: i.unreachableAt !== null })),
    children: db
      .select()
      .from(children)
      .where(eq(children.personId, personId))
      .orderBy(asc(children.birthYear), asc(children.birthMonth))
      .all()
      .map((c) => ({ id: c.id, year: c.birthYear, month: c.birthMonth, expected: c.expected, registered: c.registeredAt?.toISOString() ?? null, placement: c.placement })),
    events: db
      .select()
      .from(eventRsvps)
      .where(eq(eventRsvps.personId, personId))
      .all()
      .map((e) => ({ event: e.eventId, answer: e.answer, status: e.status, attended: e.attended, answeredAt: e.answeredAt.toISOString() })),
    deliveries: db
      .select()
      .from(deliveries)
      .where(eq(deliveries.personId, personId))
      .orderBy(asc(deliveries.sendAt))
      .all()
      .map((d) => ({ rule: d.ruleId, status: d.status, sendAt: d.sendAt.toISOString(), sentAt: d.sentAt?.toISOString() ?? null })),
    memberships: db
      .select({ name: initiatives.name, school: initiatives.school, role: memberships.role, since: memberships.createdAt })
      .from(memberships)
      .innerJoin(initiatives, eq(initiatives.id, memberships.initiativeId))
      .where(eq(memberships.personId, personId))
      .all()
      .map((m) => ({ initiative: m.name, school: m.school, role: m.role, since: m.since.toISOString() })),
    interests: db
      .select({ name: initiatives.name, action: interests.actionKey, at: interests.at })
      .from(interests)
      .innerJoin(initiatives, eq(initiatives.id, interests.initiativeId))
      .where(eq(interests.personId, personId))
      .all()
      .map((i) => ({ initiative: i.name, action: i.action, at: i.at.toISOString() })),
    consents: db
      .select()
      .from(consentLog)
      .where(eq(consentLog.personId, personId))
      .orderBy(asc(consentLog.id))
      .all()
      .map((c) => ({ kind: c.kind, given: c.given, version: c.version, at: c.at.toISOString() })),
    messagesStored: db.select({ n: count() }).from(outbox).where(and(eq(outbox.personId, personId))).get()?.n ?? 0,
    questions: exportThreads(db, personId),
    contactDeclinedAt: p.contactDeclinedAt?.toISOString() ?? null,
    participation: {
      lastActionAt: p.lastActionAt?.toISOString() ?? null,
      lastReadAt: p.lastReadAt?.toISOString() ?? null,
      activeDays: activityDaysOf(db, personId).map(dayOfNumber),
    },
    files: mediaOfPerson(db, personId).map((m) => ({ type: m.type, status: m.status, at: m.at.toISOString() })),
    broadcasts: broadcastsOfPerson(db, personId),
  };
}
