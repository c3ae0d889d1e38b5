/**
 * A year in the life of one family, through the real planner, BullMQ on a real Redis, the
 * worker and the engine (for the parent's button presses), with a hand-moved clock:
 * a Turkish-speaking parent in Utrecht who joins late, with a toddler (born May 2024) and a
 * baby due in February 2027. Every message, its local time and its language is checked,
 * across both daylight-saving changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { createEvent } from '../../src/db/events.repo.js';
import { addNewsletter, setNewsletterSchedule } from '../../src/db/newsletters.repo.js';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { pick } from '../support/engine-harness.js';
import { createNurtureHarness, localTime, sentLog, type NurtureHarness } from '../support/nurture-harness.js';
import { saveOutreachSettings } from '../../src/db/outreach.repo.js';

const LANG = process.env.FAMILY_LANG ?? 'tr';
const at = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Amsterdam' }).toJSDate();

describe('a year of one family', () => {
  let n: NurtureHarness;
  let childA = 0;
  let childB = 0;
  let eventId = 0;
  let personId = 0;

  beforeAll(async () => {
    n = await createNurtureHarness({ now: '2026-12-01T07:00:00Z' });
    const ini = n.h.initiative({ municipality: 'Utrecht', name: 'Samen naar De Regenboog', school: 'De Regenboog' });
    // A year of reminders; the outreach ladder for a parent who stays silent has its own tests (test/jobs/outreach-ladder.test.ts).
    saveOutreachSettings(n.h.db, ini.id, { enabled: false }, 120, n.h.clock.now());
    setNewsletterSchedule(n.h.db, ini.id, { everyWeeks: 4, firstDate: '2027-01-11', time: '10:00', active: true }, 'test');
    addNewsletter(n.h.db, ini.id, { nl: 'Eerste nieuwsbrief.', tr: 'İlk bülten.', en: 'First newsletter.' }, 'test');
    addNewsletter(n.h.db, ini.id, { nl: 'Tweede nieuwsbrief.' }, 'test');
    eventId = createEvent(n.h.db, {
      initiativeId: ini.id,
      kind: 'tour',
      startsAt: at('2027-03-10T09:00'),
      endsAt: at('2027-03-10T10:30'),
      capacity: 10,
      minAgeMonths: 24,
      maxAgeMonths: 42,
      titles: { nl: 'Rondleiding De Regenboog', tr: 'De Regenboog okul turu' },
      places: { nl: 'Hoofdweg 1' },
    });
    const p = n.parent({ chatId: 'fam', language: LANG, initiativeId: ini.id, children: [{ year: 2024, month: 5 }, { year: 2027, month: 2, expected: true }] });
    personId = p.personId;
    [childA, childB] = p.childIds as [number, number];
  });
  afterAll(async () => n?.close());

  // Delivery rows are purged 90 days after their window (ADR 0006): the year is collected as it goes.
  const { sent, run } = sentLog(() => n, () => personId);
  const lastRule = () => sent().at(-1)?.ruleId;

  it('catches up a late joiner with what is still relevant, in the quiet-hours-free morning', async () => {
    await run('2026-12-03T00:00:00Z');
    expect(sent().map((r) => [r.ruleId, localTime(r.sentAt!)])).toEqual([
      ['look-at-schools', '2026-12-01 08:30'],
      ['newsletter-offer', '2026-12-02 10:00'],
    ]);
    // toddler-groups (20–30 months) has expired for a 31-month-old: never a pile of old messages.
    expect(n.rows(personId).some((r) => r.ruleId === 'toddler-groups')).toBe(false);
    await n.h.say('fam', pick('nlc:yes'));
  });

  it('sends the newsletter on its schedule, once per written newsletter, in the parent\'s language or Dutch', async () => {
    await run('2027-03-01T08:00:00Z');
    const letters = sent().filter((r) => r.ruleId === 'newsletter');
    expect(letters.map((r) => localTime(r.sentAt!))).toEqual(['2027-01-11 10:00', '2027-02-08 10:00']);
    const texts = n.channel.log.filter((d) => d.message.text.includes('İlk bülten') || d.message.text.includes('Tweede nieuwsbrief'));
    expect(texts).toHaveLength(2);
  });

  it('asks whether the baby is born after the due month, and congratulates after the answer', async () => {
    await run('2027-03-01T09:30:00Z');
    expect(lastRule()).toBe('birth-check');
    expect(localTime(sent().at(-1)!.sentAt!)).toBe('2027-03-01 10:00');
    await n.h.say('fam', pick(`born:${childB}:yes`));
    await n.tick();
    expect(lastRule()).toBe('birth-congrats');
    expect(sent().at(-1)!.childId).toBe(childB);
  });

  it('invites to the tour 7 days before, takes the RSVP with a calendar file, and reminds on the day', async () => {
    await run('2027-03-03T10:00:00Z');
    expect(lastRule()).toBe('event-invite-7');
    expect(localTime(sent().at(-1)!.sentAt!)).toBe('2027-03-03 10:00');
    const replies = await n.h.say('fam', pick(`ev:${eventId}:yes`));
    expect(replies.some((m) => m.attachment?.mimeType === 'text/calendar')).toBe(true);
    await run('2027-03-11T00:00:00Z');
    const around = sent().filter((r) => r.ruleId.startsWith('event-'));
    expect(around.map((r) => [r.ruleId, localTime(r.sentAt!)])).toEqual([
      ['event-invite-7', '2027-03-03 10:00'],
      ['event-today', '2027-03-10 08:30'],
    ]);
  });

  it('walks through registration in summer time until the parent answers "registered"', async () => {
    await run('2027-06-16T12:00:00Z');
    await n.h.say('fam', pick(`reg:${childA}:done`));
    await run('2027-07-20T00:00:00Z');
    const reg = sent().filter((r) => r.childId === childA && r.ruleId !== 'look-at-schools');
    expect(reg.map((r) => [r.ruleId, localTime(r.sentAt!)])).toEqual([
      ['registration-opens', '2027-04-01 10:00'],
      ['group-registration', '2027-05-19 10:00'],
      ['deadline-14', '2027-06-16 10:00'],
      // deadline-2 is not sent: the parent answered "registered".
      ['placement-check', '2027-07-14 10:00'],
    ]);
    // 10:00 local is 08:00 UTC in summer, 09:00 UTC in winter.
    expect(reg[0]!.sentAt!.toISOString()).toBe('2027-04-01T08:00:00.000Z');
    await n.h.say('fam', pick(`pl:${childA}:yes`));
  });

  it('keeps the family warm every 6–8 weeks after the placement, across the autumn DST change', async () => {
    await run('2027-12-01T00:00:00Z');
    const warm = sent().filter((r) => r.ruleId === 'keep-warm');
    expect(warm.length).toBeGreaterThanOrEqual(2);
    expect(localTime(warm[0]!.sentAt!)).toBe('2027-08-11 10:00');
    for (let i = 1; i < warm.length; i++) {
      const days = (warm[i]!.sentAt!.getTime() - warm[i - 1]!.sentAt!.getTime()) / 86_400_000;
      expect(days).toBeGreaterThanOrEqual(41.9);
      expect(days).toBeLessThanOrEqual(56.1);
      expect(localTime(warm[i]!.sentAt!).endsWith('10:00')).toBe(true);
    }
  });

  it('sent everything in Turkish, once, and never more than 3 in 7 days (a deadline may break that)', () => {
    const all = sent();
    expect(new Set(all.map((r) => r.key)).size).toBe(all.length);
    expect(n.channel.log).toHaveLength(all.length);
    for (const d of n.channel.log) {
      expect(d.message.lang).toBe(LANG);
      expect(miniHtmlToPlain(d.message.text)).not.toMatch(/nurture:|\{\{/);
    }
    for (const r of all) {
      const inWeek = all.filter((o) => o.sentAt! <= r.sentAt! && o.sentAt!.getTime() > r.sentAt!.getTime() - 7 * 86_400_000);
      if (!r.urgentFrom) expect(inWeek.length).toBeLessThanOrEqual(3);
    }
    const quiet = all.filter((r) => {
      const hm = localTime(r.sentAt!).slice(11);
      return hm >= '20:00' || hm < '08:30';
    });
    expect(quiet).toEqual([]);
  });
});
