/**
 * Retention as promised (issue 10, item 5; ADR 0006), with an injected clock through the real
 * planner, queue and worker: a parent whose youngest child has started school gets one notice
 * 30 days ahead with a "keep in touch" button; pressing it keeps the data a year; without an
 * answer everything is erased exactly as /delete does, audited with ids only, and the bytes of
 * the database and its WAL hold no trace. An expected child that was never confirmed is erased
 * the same way. Old delivery rows are purged after 90 days.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { auditLog, children, people } from '../../src/db/schema.js';
import { retentionDue } from '../../src/domain/retention.js';
import { pick } from '../support/engine-harness.js';
import { createNurtureHarness, localTime, type NurtureHarness } from '../support/nurture-harness.js';

const NAME = 'Quirijntje';
const AMS = 'Europe/Amsterdam';

describe('retention', () => {
  let n: NurtureHarness;
  let school = 0;
  let unconfirmed = 0;

  beforeAll(async () => {
    n = await createNurtureHarness({ now: '2027-01-25T07:00:00Z' });
    const ini = n.h.initiative({ municipality: 'Utrecht' });
    // Born January 2023: 4 years and 2 months of settling in on 1 March 2027.
    school = n.parent({ chatId: 'school', language: 'nl', initiativeId: ini.id, children: [{ year: 2023, month: 1 }] }).personId;
    // Expected in October 2026 and never confirmed: kept until 1 April 2027.
    unconfirmed = n.parent({ chatId: 'expected', language: 'en', initiativeId: ini.id, children: [{ year: 2026, month: 10, expected: true }] }).personId;
    n.h.db.update(people).set({ displayName: NAME }).where(eq(people.id, school)).run();
    n.h.db.update(people).set({ displayName: 'Zebedeus' }).where(eq(people.id, unconfirmed)).run();
  }, 60_000);
  afterAll(async () => n?.close());

  const noticesOf = (chatId: string) => n.channel.log.filter((d) => d.chatId === chatId && d.message.choices?.flat().some((c) => c.value === 'ret:keep'));

  it('knows when: 4 years plus the settling-in period, or 6 months after an unconfirmed due month', () => {
    expect(localTime(retentionDue([{ year: 2023, month: 1, expected: false }], null, AMS)!.at)).toBe('2027-03-01 10:00');
    expect(localTime(retentionDue([{ year: 2023, month: 1, expected: false }, { year: 2025, month: 6, expected: false }], null, AMS)!.at)).toBe('2029-08-01 10:00');
    expect(retentionDue([{ year: 2026, month: 10, expected: true }], null, AMS)).toMatchObject({ reason: 'unconfirmed' });
    expect(retentionDue([], null, AMS)).toBeNull();
  });

  it('sends one notice 30 days ahead: what is deleted and when, with a button to keep in touch', async () => {
    await n.runUntil('2027-02-05T00:00:00Z');
    const notices = noticesOf('school');
    expect(notices).toHaveLength(1);
    // 30 days ahead, on the first planner tick of that day outside the quiet hours.
    expect(localTime(notices[0]!.at).slice(0, 10)).toBe('2027-01-30');
    expect(localTime(notices[0]!.at).slice(11) >= '08:30' && localTime(notices[0]!.at).slice(11) < '20:00').toBe(true);
    const text = miniHtmlToPlain(notices[0]!.message.text);
    expect(text).toContain('Daarom verwijderen we op maandag 1 maart 2027 alles over jou: je naam, je kinderen en je berichten.');
    expect(n.rows(school).filter((r) => r.ruleId === 'retention')).toHaveLength(1);
  }, 60_000);

  it('"keep in touch" resets the clock: nothing is deleted on the day, a new notice comes a year later', async () => {
    const replies = await n.h.say('school', pick('ret:keep'));
    expect(miniHtmlToPlain(replies.map((m) => m.text).join('\n'))).toContain('We bewaren je gegevens nog minstens een jaar.');
    await n.runUntil('2027-03-10T00:00:00Z');
    expect(n.h.db.select().from(people).where(eq(people.id, school)).get()).toBeDefined();
    await n.runUntil('2028-01-20T00:00:00Z');
    expect(noticesOf('school')).toHaveLength(2);
  }, 120_000);

  it('the unconfirmed expected child: notice, then erasure', () => {
    const notices = noticesOf('expected');
    expect(notices).toHaveLength(1);
    expect(miniHtmlToPlain(notices[0]!.message.text)).toContain('A baby was expected in October 2026.');
    expect(n.h.db.select().from(people).where(eq(people.id, unconfirmed)).get()).toBeUndefined();
  });

  it('without an answer everything is erased as /delete does, audited without personal data, and no byte of it remains', async () => {
    await n.runUntil('2028-03-15T00:00:00Z');
    expect(n.h.db.select().from(people).all()).toEqual([]);
    expect(n.h.db.select().from(children).all()).toEqual([]);
    expect(n.rows()).toEqual([]);
    const audit = n.h.db.select().from(auditLog).where(eq(auditLog.action, 'person.erase')).all();
    expect(audit.map((a) => [a.actor, a.subjectId]).sort()).toEqual([['retention', school], ['retention', unconfirmed]].sort());
    expect(JSON.stringify(audit)).not.toMatch(/Quirijntje|Zebedeus|school|expected/);
    n.h.db.$client.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of [n.h.dbPath, `${n.h.dbPath}-wal`]) {
      let bytes: Buffer | null = null;
      try {
        bytes = readFileSync(file);
      } catch {
        bytes = null;
      }
      if (bytes) {
        expect(bytes.includes(Buffer.from(NAME)), file).toBe(false);
        expect(bytes.includes(Buffer.from('Zebedeus')), file).toBe(false);
      }
    }
  }, 120_000);
});
