import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import {
  addNewsletter,
  allNewsletterSchedules,
  canEditNewsletters,
  getNewsletterSchedule,
  issueNextNewsletter,
  listNewsletters,
  setNewsletterSchedule,
} from '../../src/db/newsletters.repo.js';
import { auditLog, memberships, people } from '../../src/db/schema.js';

let db: Db;
let a: number;
let b: number;

beforeEach(() => {
  db = openDatabase(':memory:');
  const base = { school: 'De Linde', municipality: 'Amsterdam', phase: 2 as const, postcodes: ['1091'] };
  a = createInitiative(db, { ...base, name: 'A', code: 'aaa' }, 'cli').id;
  b = createInitiative(db, { ...base, name: 'B', code: 'bbb' }, 'cli').id;
});

afterEach(() => {
  db.$client.close();
});

describe('issueNextNewsletter', () => {
  it('is null while nothing is waiting', () => {
    expect(issueNextNewsletter(db, a, '2027-01-11T10:00')).toBeNull();
  });

  it('issues the oldest waiting newsletter once per slot, and the same one again for that slot', () => {
    const first = addNewsletter(db, a, { nl: 'Eerste', en: 'First' }, 'cli');
    const second = addNewsletter(db, a, { nl: 'Tweede' }, 'cli');
    addNewsletter(db, b, { nl: 'Van B' }, 'cli');

    expect(issueNextNewsletter(db, a, '2027-01-11T10:00')).toEqual({ id: first, texts: { nl: 'Eerste', en: 'First' } });
    expect(issueNextNewsletter(db, a, '2027-01-11T10:00')).toEqual({ id: first, texts: { nl: 'Eerste', en: 'First' } });
    expect(issueNextNewsletter(db, a, '2027-02-22T10:00')).toEqual({ id: second, texts: { nl: 'Tweede' } });
    expect(issueNextNewsletter(db, a, '2027-02-22T10:00')?.id).toBe(second);
    expect(issueNextNewsletter(db, a, '2027-04-05T10:00')).toBeNull();
    // An earlier slot asked again still answers with what it got; nothing moves.
    expect(issueNextNewsletter(db, a, '2027-01-11T10:00')?.id).toBe(first);
    expect(listNewsletters(db, a).map((n) => [n.id, n.issuedFor])).toEqual([
      [first, '2027-01-11T10:00'],
      [second, '2027-02-22T10:00'],
    ]);
    // Initiative B's newsletter waits for B's own slots.
    expect(listNewsletters(db, b).map((n) => n.issuedFor)).toEqual([null]);
    expect(issueNextNewsletter(db, b, '2027-01-11T10:00')?.texts).toEqual({ nl: 'Van B' });
  });

  it('refuses a malformed slot', () => {
    expect(() => issueNextNewsletter(db, a, '2027-01-11 10:00')).toThrow(/YYYY-MM-DDTHH:MM/);
  });
});

describe('newsletters', () => {
  it('requires Dutch, at most 3000 characters per language, and audits who wrote it', () => {
    expect(() => addNewsletter(db, a, { en: 'Hello' }, 'cli')).toThrow(/Dutch text \(nl\) is required/);
    expect(() => addNewsletter(db, a, { nl: 'x'.repeat(3001) }, 'cli')).toThrow(/3000/);
    expect(() => addNewsletter(db, a, { nl: '  ' }, 'cli')).toThrow(/empty/);
    expect(() => addNewsletter(db, 99, { nl: 'Hallo' }, 'cli')).toThrow(/no initiative with id 99/);
    const id = addNewsletter(db, a, { nl: 'x'.repeat(3000), tr: 'Merhaba' }, 'person:7');
    expect(listNewsletters(db, a)).toMatchObject([{ id, texts: { tr: 'Merhaba' }, issuedFor: null }]);
    expect(db.select().from(auditLog).all().filter((r) => r.action === 'newsletter.write')).toMatchObject([
      { actor: 'person:7', subjectType: 'initiative', subjectId: a, detail: { newsletterId: id, languages: 'nl,tr' } },
    ]);
  });
});

describe('schedules', () => {
  it('sets, replaces and reads schedules with the initiative time zone', () => {
    expect(getNewsletterSchedule(db, a)).toBeNull();
    setNewsletterSchedule(db, a, { everyWeeks: 6, firstDate: '2027-01-11', time: '10:00', active: true }, 'cli');
    const saved = setNewsletterSchedule(db, a, { everyWeeks: 4, firstDate: '2027-01-18', time: '09:30', active: false }, 'cli');
    expect(saved).toEqual({ initiativeId: a, everyWeeks: 4, firstDate: '2027-01-18', time: '09:30', active: false, timeZone: 'Europe/Amsterdam' });
    expect(getNewsletterSchedule(db, a)).toEqual(saved);
    setNewsletterSchedule(db, b, { everyWeeks: 1, firstDate: '2027-01-04', time: '19:00', active: true }, 'cli');
    expect(allNewsletterSchedules(db).map((s) => [s.initiativeId, s.everyWeeks, s.active])).toEqual([
      [a, 4, false],
      [b, 1, true],
    ]);
    expect(db.select().from(auditLog).all().filter((r) => r.action === 'newsletter.schedule')).toHaveLength(3);
  });

  it.each([
    [{ everyWeeks: 0 }, /everyWeeks/],
    [{ firstDate: '2027-13-01' }, /firstDate/],
    [{ time: '7:00' }, /time/],
  ])('refuses %j', (bad, message) => {
    expect(() => setNewsletterSchedule(db, a, { everyWeeks: 6, firstDate: '2027-01-11', time: '10:00', active: true, ...bad }, 'cli')).toThrow(message);
    expect(getNewsletterSchedule(db, a)).toBeNull();
  });

  it('lets ambassadors and coordinators of that initiative edit, nobody else', () => {
    const person = (role: 'parent' | 'ambassador' | 'coordinator', initiativeId: number) => {
      const id = db.insert(people).values({ language: 'nl' }).returning().get().id;
      db.insert(memberships).values({ personId: id, initiativeId, role }).run();
      return id;
    };
    expect(canEditNewsletters(db, person('ambassador', a), a)).toBe(true);
    expect(canEditNewsletters(db, person('coordinator', a), a)).toBe(true);
    expect(canEditNewsletters(db, person('parent', a), a)).toBe(false);
    expect(canEditNewsletters(db, person('coordinator', b), a)).toBe(false);
  });
});
