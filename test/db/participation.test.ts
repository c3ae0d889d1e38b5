import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, pick, plain, type Harness } from '../support/engine-harness.js';
import { activityDays, deliveries, people } from '../../src/db/schema.js';
import { activityDaysOf } from '../../src/db/participation.repo.js';
import { dayNumber } from '../../src/domain/participation.js';
import { createEvent, recordAttendance } from '../../src/db/events.repo.js';
import { recordChannelStatus } from '../../src/db/deliveries.repo.js';
import { retentionPass } from '../../src/jobs/retention.js';
import { exportPerson } from '../../src/db/export.repo.js';
import { participationLevel } from '../../src/domain/participation.js';
import { silentLogger } from '../support/engine-harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness('2027-01-10T10:00:00Z');
});
afterEach(() => h.close());

async function onboard(chatId: string): Promise<number> {
  await h.say(chatId, '/start regenboog');
  await h.say(chatId, pick('lang:nl'));
  await h.say(chatId, pick('consent:yes'));
  await h.say(chatId, 'Sanne');
  await h.say(chatId, '03-2025');
  await h.say(chatId, pick('more:no'));
  await h.say(chatId, '1094');
  await h.say(chatId, pick('h:playground'));
  return h.db.select({ id: people.id }).from(people).all().at(-1)!.id;
}

const personRow = (id: number) => h.db.select().from(people).where(eq(people.id, id)).get()!;

describe('participation signals are recorded where they happen', () => {
  it('every turn of a consented parent marks the day and moves the last action forward; nothing before consent', async () => {
    h.initiative({ code: 'regenboog' });
    await h.say('x', '/start regenboog');
    expect(h.db.select().from(activityDays).all()).toEqual([]); // nothing stored before consent
    const id = await onboard('a');
    expect(personRow(id).lastActionAt?.toISOString()).toBe('2027-01-10T10:00:00.000Z');
    h.clock.set('2027-02-03T08:30:00Z');
    await h.say('a', '/menu');
    expect(personRow(id).lastActionAt?.toISOString()).toBe('2027-02-03T08:30:00.000Z');
    expect(activityDaysOf(h.db, id)).toEqual([dayNumber(new Date('2027-01-10T10:00:00Z')), dayNumber(new Date('2027-02-03T08:30:00Z'))]);
  });

  it('attendance counts at the event start, a read receipt moves last read, and neither goes backwards', async () => {
    const ini = h.initiative({ code: 'regenboog' });
    const id = await onboard('a');
    const ev = createEvent(h.db, { initiativeId: ini.id, kind: 'tour', startsAt: new Date('2027-03-01T08:00:00Z'), endsAt: new Date('2027-03-01T09:00:00Z'), capacity: null, minAgeMonths: 0, maxAgeMonths: 60, titles: { nl: 'Rondleiding' }, places: { nl: 'School' } });
    recordAttendance(h.db, ev, [id], true);
    expect(personRow(id).lastActionAt?.toISOString()).toBe('2027-03-01T08:00:00.000Z');
    const old = createEvent(h.db, { initiativeId: ini.id, kind: 'tour', startsAt: new Date('2027-01-01T08:00:00Z'), endsAt: new Date('2027-01-01T09:00:00Z'), capacity: null, minAgeMonths: 0, maxAgeMonths: 60, titles: { nl: 'Oud' }, places: { nl: 'School' } });
    recordAttendance(h.db, old, [id], true);
    expect(personRow(id).lastActionAt?.toISOString()).toBe('2027-03-01T08:00:00.000Z');

    const now = new Date('2027-03-02T10:00:00Z');
    h.db.insert(deliveries).values({ key: 'k1', personId: id, ruleId: 'r', channel: 'whatsapp', kind: 'reminder', dueAt: now, sendAt: now, payload: { key: 'x', params: {}, buttons: null }, status: 'sent', sentAt: now, externalId: 'wamid.1', createdAt: now }).run();
    recordChannelStatus(h.db, 'wamid.1', 'delivered', new Date('2027-03-02T10:01:00Z'));
    expect(personRow(id).lastReadAt).toBeNull();
    recordChannelStatus(h.db, 'wamid.1', 'read', new Date('2027-03-02T12:00:00Z'));
    expect(personRow(id).lastReadAt?.toISOString()).toBe('2027-03-02T12:00:00.000Z');
    // 96 days after the last action and 95 after the last read: silent (ADR 0010).
    const row = personRow(id);
    expect(participationLevel({ joinedAt: row.createdAt, lastActionAt: row.lastActionAt, lastReadAt: row.lastReadAt }, new Date('2027-06-05T10:00:00Z'))).toBe('silent');
    // Read within six weeks of the moment, without an own action for three months: fading, never active.
    expect(participationLevel({ joinedAt: row.createdAt, lastActionAt: row.lastActionAt, lastReadAt: new Date('2027-06-01T10:00:00Z') }, new Date('2027-06-05T10:00:00Z'))).toBe('fading');
  });

  it('/mydata shows the days and the JSON holds them; erasure removes them; old days are purged', async () => {
    h.initiative({ code: 'regenboog' });
    const id = await onboard('a');
    const out = await h.say('a', '/mydata');
    expect(plain(out)).toContain('Dagen waarop je iets in de chat deed (laatste 13 maanden): 1.');
    expect(exportPerson(h.db, id, h.clock.now())?.participation).toEqual({ lastActionAt: '2027-01-10T10:00:00.000Z', lastReadAt: null, activeDays: ['2027-01-10'] });

    h.db.insert(activityDays).values({ personId: id, day: dayNumber(new Date('2025-11-01T00:00:00Z')) }).run();
    retentionPass({ db: h.db, logger: silentLogger, defaultTimeZone: 'Europe/Amsterdam' }, new Date('2027-01-11T10:00:00Z'));
    expect(activityDaysOf(h.db, id)).toEqual([dayNumber(new Date('2027-01-10T10:00:00Z'))]);

    await h.say('a', '/delete');
    await h.say('a', pick('del:yes'));
    expect(h.db.select().from(activityDays).all()).toEqual([]);
  });
});
