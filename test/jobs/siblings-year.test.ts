/**
 * Siblings share one message (issue 10, item 2): twins born in May 2024 and a baby due in
 * February 2027, in Utrecht, followed for a year through the real planner, BullMQ on a real
 * Redis and the worker, with a hand-moved clock. Every per-child message for the twins goes
 * out once, naming both; the cap counts messages, not children, so both tour invitations fit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { createEvent } from '../../src/db/events.repo.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import { createNurtureHarness, localTime, sentLog, type NurtureHarness } from '../support/nurture-harness.js';
import { saveOutreachSettings } from '../../src/db/outreach.repo.js';

const at = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Amsterdam' }).toJSDate();

describe('twins plus an expected baby: a year of messages', () => {
  let n: NurtureHarness;
  let personId = 0;
  let twins: number[] = [];
  let baby = 0;
  const tours: number[] = [];

  beforeAll(async () => {
    n = await createNurtureHarness({ now: '2026-12-01T07:00:00Z' });
    const ini = n.h.initiative({ municipality: 'Utrecht', name: 'Samen naar De Regenboog', school: 'De Regenboog' });
    // A year of reminders; the outreach ladder for a parent who stays silent has its own tests (test/jobs/outreach-ladder.test.ts).
    saveOutreachSettings(n.h.db, ini.id, { enabled: false }, 120, n.h.clock.now());
    for (const day of ['2027-03-10', '2027-10-06']) {
      tours.push(
        createEvent(n.h.db, {
          initiativeId: ini.id,
          kind: 'tour',
          startsAt: at(`${day}T09:00`),
          endsAt: at(`${day}T10:30`),
          capacity: 20,
          minAgeMonths: 24,
          maxAgeMonths: 42,
          titles: { nl: 'Rondleiding De Regenboog' },
          places: { nl: 'Hoofdweg 1' },
        }),
      );
    }
    const p = n.parent({ chatId: 'twins', language: 'nl', initiativeId: ini.id, children: [{ year: 2024, month: 5 }, { year: 2024, month: 5 }, { year: 2027, month: 2, expected: true }] });
    personId = p.personId;
    twins = p.childIds.slice(0, 2);
    baby = p.childIds[2]!;
    await run('2027-12-01T00:00:00Z');
  }, 120_000);
  afterAll(async () => n?.close());

  // Delivery rows are purged 90 days after their window (ADR 0006): the year is collected as it goes.
  const { all, sent, run } = sentLog(() => n, () => personId);

  it('sends no message twice: one per rule and moment, never one per twin', () => {
    const all = sent();
    expect(all.length).toBeGreaterThan(5);
    expect(new Set(all.map((r) => r.key)).size).toBe(all.length);
    const perMoment = new Map<string, number>();
    for (const r of all) perMoment.set(`${r.ruleId} ${localTime(r.sentAt!).slice(0, 10)}`, (perMoment.get(`${r.ruleId} ${localTime(r.sentAt!).slice(0, 10)}`) ?? 0) + 1);
    expect([...perMoment].filter(([, count]) => count > 1)).toEqual([]);
    expect(n.channel.log).toHaveLength(all.length);
    // Nothing is sent as a second copy for the other twin (a keep-warm may repeat its text weeks later).
    const sameDay = n.channel.log.map((d) => `${localTime(d.at).slice(0, 10)} ${d.message.text}`);
    expect(new Set(sameDay).size).toBe(sameDay.length);
  });

  it('every per-child message for the twins names both, in one message, with a button per child', () => {
    const forTwins = sent().filter((r) => r.childId !== null && twins.includes(r.childId));
    expect(forTwins.map((r) => r.ruleId)).toEqual(expect.arrayContaining(['look-at-schools', 'registration-opens', 'group-registration', 'deadline-14', 'deadline-2', 'placement-check']));
    for (const r of forTwins) expect((r.payload as DeliveryPayload).children?.map((c) => c.id).sort(), r.ruleId).toEqual([...twins].sort());
    // The other twin's key is kept, never sent on its own.
    const companions = all().filter((r) => r.status === 'skipped' && r.lastError?.startsWith('merged into'));
    expect(companions.length).toBe(forTwins.length);
    const reg = n.channel.log.find((d) => miniHtmlToPlain(d.message.text).includes('Aanmelden kan tot en met'))!;
    expect(miniHtmlToPlain(reg.message.text)).toContain('Over je kinderen (mei 2024):');
    const values = reg.message.choices!.flat().map((c) => c.value);
    expect(values).toEqual(expect.arrayContaining([`reg:${twins[0]}:done`, `reg:${twins[1]}:done`]));
    for (const v of values) expect(Buffer.byteLength(v)).toBeLessThanOrEqual(64);
    expect(reg.message.choices!.flat().map((c) => c.label)).toEqual(expect.arrayContaining(['Ik heb mijn kind aangemeld (mei 2024, kind 1)', 'Ik heb mijn kind aangemeld (mei 2024, kind 2)']));
  });

  it('invites to both tours', () => {
    const invites = sent().filter((r) => r.ruleId === 'event-invite-7');
    expect(invites.map((r) => (r.payload as DeliveryPayload).eventId).sort()).toEqual([...tours].sort());
  });

  it('asks about the expected baby once, on its own', () => {
    const check = sent().filter((r) => r.ruleId === 'birth-check');
    expect(check).toHaveLength(1);
    expect(check[0]!.childId).toBe(baby);
    expect((check[0]!.payload as DeliveryPayload).children?.map((c) => c.id)).toEqual([baby]);
  });

  it('never more than 3 in 7 days (the cap counts messages, not children), none in the quiet hours', () => {
    const all = sent();
    for (const r of all) {
      const inWeek = all.filter((o) => o.sentAt! <= r.sentAt! && o.sentAt!.getTime() > r.sentAt!.getTime() - 7 * 86_400_000);
      if (!r.urgentFrom) expect(inWeek.length, localTime(r.sentAt!)).toBeLessThanOrEqual(3);
    }
    expect(all.filter((r) => localTime(r.sentAt!).slice(11) >= '20:00' || localTime(r.sentAt!).slice(11) < '08:30')).toEqual([]);
  });
});
