/**
 * The buttons under reminders and the "My messages" settings, through the real engine and
 * store on SQLite: RSVP with capacity and a waiting list that moves up, "registered",
 * "born", placement, consent per kind, quiet hours, and /stop cancelling planned messages.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createEvent, getEvent, rsvpOf } from '../../src/db/events.repo.js';
import { insertDeliveries } from '../../src/db/deliveries.repo.js';
import { children, consentLog, deliveries, identities, memberships, people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
let iniId: number;
let eventId: number;

function parent(chatId: string, kids: { year: number; month: number; expected?: boolean }[] = [{ year: 2024, month: 3 }]) {
  const p = h.db.insert(people).values({ language: 'nl', displayName: `Ouder ${chatId}` }).returning({ id: people.id }).get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  h.db.insert(memberships).values({ personId: p.id, initiativeId: iniId, role: 'parent' }).run();
  const childIds = kids.map((k) => h.db.insert(children).values({ personId: p.id, birthYear: k.year, birthMonth: k.month, expected: k.expected ?? false }).returning({ id: children.id }).get().id);
  return { personId: p.id, childIds };
}

beforeEach(() => {
  h = createHarness('2027-03-01T09:00:00Z');
  iniId = h.initiative().id;
  eventId = createEvent(h.db, {
    initiativeId: iniId,
    kind: 'open_morning',
    startsAt: new Date('2027-03-10T08:00:00Z'),
    endsAt: new Date('2027-03-10T09:30:00Z'),
    capacity: 2,
    minAgeMonths: 24,
    maxAgeMonths: 42,
    titles: { nl: 'Inloopochtend', en: 'Open morning' },
    places: { nl: 'De Regenboog, Hoofdweg 1' },
  });
});
afterEach(() => h.close());

describe('RSVP', () => {
  it('gives places up to the capacity, puts the rest on a waiting list, and moves it up with a notice', async () => {
    const a = parent('a');
    parent('b');
    const c = parent('c');
    const yesA = await h.say('a', pick(`ev:${eventId}:yes`));
    expect(plain(yesA)).toContain('Fijn dat je komt');
    const ics = yesA.find((m) => m.attachment)?.attachment;
    expect(ics?.mimeType).toBe('text/calendar');
    expect(ics?.content).toContain('DTSTART:20270310T080000Z');
    await h.say('b', pick(`ev:${eventId}:yes`));
    const yesC = await h.say('c', pick(`ev:${eventId}:yes`));
    expect(plain(yesC)).toContain('wachtlijst');
    expect(yesC.some((m) => m.attachment)).toBe(false);
    expect(getEvent(h.db, eventId)).toMatchObject({ going: 2, waiting: 1 });

    const noA = await h.say('a', pick(`ev:${eventId}:no`));
    expect(plain(noA)).toContain('Jammer');
    expect(rsvpOf(h.db, eventId, c.personId)?.status).toBe('going');
    expect(rsvpOf(h.db, eventId, a.personId)?.status).toBe('none');
    const notice = h.db.select().from(deliveries).where(eq(deliveries.personId, c.personId)).all();
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatchObject({ ruleId: 'notice-place-free', kind: 'notice', status: 'planned' });
  });

  it('lets a parent change the answer, and a second "yes" keeps the place', async () => {
    const a = parent('a');
    await h.say('a', pick(`ev:${eventId}:maybe`));
    expect(rsvpOf(h.db, eventId, a.personId)).toMatchObject({ answer: 'maybe', status: 'none' });
    await h.say('a', pick(`ev:${eventId}:yes`));
    await h.say('a', pick(`ev:${eventId}:yes`));
    expect(getEvent(h.db, eventId)).toMatchObject({ going: 1 });
  });

  it('answers kindly for a cancelled, past or unknown event and stores nothing', async () => {
    const a = parent('a');
    expect(plain(await h.say('a', pick('ev:999:yes')))).toContain('gaat niet door');
    h.clock.set('2027-03-10T08:30:00Z');
    expect(plain(await h.say('a', pick(`ev:${eventId}:yes`)))).toContain('al begonnen');
    expect(rsvpOf(h.db, eventId, a.personId)).toBeNull();
  });
});

describe('answers to reminders', () => {
  it('"registered" stops the deadline reminders for that child only; a foreign child id is a stale button', async () => {
    const a = parent('a', [{ year: 2024, month: 3 }, { year: 2025, month: 1 }]);
    parent('b');
    const reply = await h.say('a', pick(`reg:${a.childIds[0]}:done`));
    expect(plain(reply)).toContain('Goed gedaan');
    const kids = h.db.select().from(children).where(eq(children.personId, a.personId)).all();
    expect(kids.find((k) => k.id === a.childIds[0])?.registeredAt).not.toBeNull();
    expect(kids.find((k) => k.id === a.childIds[1])?.registeredAt).toBeNull();
    expect(plain(await h.say('b', pick(`reg:${a.childIds[1]}:done`)))).toContain('oud bericht');
  });

  it('"help me" records the wish and sends each ambassador a notice about the parent', async () => {
    const a = parent('a');
    const amb = parent('amb');
    h.db.insert(memberships).values({ personId: amb.personId, initiativeId: iniId, role: 'ambassador' }).run();
    expect(plain(await h.say('a', pick(`reg:${a.childIds[0]}:help`)))).toContain('ouderambassadeur');
    const rows = h.db.select().from(deliveries).where(eq(deliveries.personId, amb.personId)).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ruleId: 'relay-offer', kind: 'notice', payload: { key: 'relay:notice.offer' } });
    expect(JSON.stringify(rows[0]!.payload)).not.toContain('Ouder a');
  });

  it('"born" turns an expected child into a born one; placement answers are stored', async () => {
    const a = parent('a', [{ year: 2027, month: 2, expected: true }]);
    expect(plain(await h.say('a', pick(`born:${a.childIds[0]}:yes`)))).toContain('Wat fijn');
    expect(h.db.select().from(children).where(eq(children.id, a.childIds[0]!)).get()?.expected).toBe(false);
    expect(plain(await h.say('a', pick(`born:${a.childIds[0]}:yes`)))).toContain('wisten we al');
    await h.say('a', pick(`pl:${a.childIds[0]}:no`));
    expect(h.db.select().from(children).where(eq(children.id, a.childIds[0]!)).get()?.placement).toBe('no');
  });
});

describe('My messages', () => {
  const planned = (personId: number, kind: 'reminder' | 'newsletter', key: string) =>
    insertDeliveries(
      h.db,
      [{ key, personId, childId: null, ruleId: 'x', channel: 'local', kind, priority: 1, dueAt: h.clock.now(), sendAt: h.clock.now(), expiresAt: null, urgentFrom: null, payload: { key: 'nurture:keepWarm', params: {}, buttons: null } }],
      h.clock.now(),
    );

  it('shows the settings from the menu and switches reminders and the newsletter per kind, with a consent record', async () => {
    const a = parent('a');
    planned(a.personId, 'reminder', 'r1');
    planned(a.personId, 'newsletter', 'n1');
    const menu = await h.say('a', '/menu');
    expect(buttons(menu).map((b) => b.value)).toContain('menu:messages');
    const settings = await h.say('a', pick('menu:messages'));
    expect(plain(settings)).toContain('Herinneringen: aan');
    expect(plain(settings)).toContain('20:00 – 08:30');
    const off = await h.say('a', pick('msg:rem:off'));
    expect(plain(off)).toContain('Herinneringen: uit');
    const row = h.db.select().from(people).where(eq(people.id, a.personId)).get();
    expect(row).toMatchObject({ reminders: false, newsletter: false });
    const statuses = h.db.select({ key: deliveries.key, status: deliveries.status }).from(deliveries).all();
    expect(statuses).toEqual(expect.arrayContaining([{ key: 'r1', status: 'skipped' }, { key: 'n1', status: 'planned' }]));
    await h.say('a', pick('msg:news:on'));
    const consents = h.db.select().from(consentLog).where(and(eq(consentLog.personId, a.personId))).all();
    expect(consents.map((c) => [c.kind, c.given])).toEqual(expect.arrayContaining([['reminders', false], ['newsletter', true]]));
  });

  it('lets the parent choose other quiet hours', async () => {
    const a = parent('a');
    const ask = await h.say('a', pick('msg:quiet'));
    expect(buttons(ask).map((b) => b.value)).toContain('msg:q:2100-0800');
    expect(plain(await h.say('a', pick('msg:q:2100-0800')))).toContain('21:00');
    expect(h.db.select().from(people).where(eq(people.id, a.personId)).get()).toMatchObject({ quietStart: '21:00', quietEnd: '08:00' });
    await h.say('a', pick('msg:q:2000-0830'));
    expect(h.db.select().from(people).where(eq(people.id, a.personId)).get()).toMatchObject({ quietStart: null, quietEnd: null });
  });

  it('/stop cancels every planned message at once; /mydata shows them; /delete removes them', async () => {
    const a = parent('a');
    for (let i = 0; i < 5; i++) planned(a.personId, 'reminder', `s${i}`);
    await h.say('a', '/stop');
    const rows = h.db.select().from(deliveries).where(eq(deliveries.personId, a.personId)).all();
    expect(rows.every((r) => r.status === 'skipped')).toBe(true);
    const data = await h.say('a', '/mydata');
    const file = JSON.parse(data.find((m) => m.attachment)!.attachment!.content) as { deliveries: unknown[]; events: unknown[] };
    expect(file.deliveries).toHaveLength(5);
    await h.say('a', pick(`ev:${eventId}:yes`));
    await h.say('a', '/delete');
    await h.say('a', pick('del:yes'));
    expect(h.db.select().from(deliveries).all()).toHaveLength(0);
    expect(rsvpOf(h.db, eventId, a.personId)).toBeNull();
  });
});
