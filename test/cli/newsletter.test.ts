import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { listNewsletters } from '../../src/db/newsletters.repo.js';
import { auditLog, memberships, people } from '../../src/db/schema.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';

let dir: string;
let dbPath: string;
let initiative: number;

const run = (args: string[], now = '2027-01-01T12:00:00Z'): Promise<CliResult> => runCliOn(dbPath, dir, args, now);

const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);

function person(role: 'parent' | 'ambassador' | 'coordinator'): number {
  return withDb((db) => {
    const id = db.insert(people).values({ language: 'nl' }).returning().get().id;
    db.insert(memberships).values({ personId: id, initiativeId: initiative, role }).run();
    return id;
  });
}

const newsletterAudit = () => withDb((db) => db.select().from(auditLog).all().filter((a) => a.action.startsWith('newsletter.')));
const id = ['--initiative', '1'];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-newsletter-'));
  dbPath = join(dir, 'test.db');
  const r = await run(['initiative', 'create', '--name', 'Samen naar De Linde', '--school', 'De Linde', '--municipality', 'Amsterdam', '--postcodes', '1091']);
  initiative = Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
  expect(initiative).toBe(1);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('newsletter schedule and next', () => {
  it('sets a schedule and shows the next 5 moments in local time, across the DST change', async () => {
    expect((await run(['newsletter', 'next', ...id])).out).toContain('has no newsletter schedule');
    const set = await run(['newsletter', 'schedule', ...id, '--every-weeks', '6', '--first', '2027-01-11', '--time', '10:00']);
    expect(set).toMatchObject({ code: 0, out: 'initiative 1: a newsletter every 6 week(s) from 2027-01-11 at 10:00 (Europe/Amsterdam)\n' });
    const next = await run(['newsletter', 'next', ...id]);
    expect(next.out.split('\n').filter((l) => l.startsWith('  '))).toEqual([
      '  Mon 2027-01-11 10:00  (09:00 UTC)',
      '  Mon 2027-02-22 10:00  (09:00 UTC)',
      '  Mon 2027-04-05 10:00  (08:00 UTC)',
      '  Mon 2027-05-17 10:00  (08:00 UTC)',
      '  Mon 2027-06-28 10:00  (08:00 UTC)',
    ]);
    expect(next.out).toContain('waiting: none');
    // Later on, the list starts at the next moment after now.
    const later = await run(['newsletter', 'next', ...id], '2027-04-05T08:00:01Z');
    expect(later.out).toContain('  Mon 2027-05-17 10:00  (08:00 UTC)\n');
    expect(later.out).not.toContain('2027-04-05');
    expect(newsletterAudit()).toMatchObject([{ actor: 'cli', action: 'newsletter.schedule', subjectId: 1, detail: { everyWeeks: 6, firstDate: '2027-01-11', time: '10:00', active: true } }]);
  });

  it('pauses a schedule', async () => {
    await run(['newsletter', 'schedule', ...id, '--every-weeks', '2', '--first', '2027-01-11', '--time', '10:00', '--paused']);
    expect((await run(['newsletter', 'next', ...id])).out).toContain('the schedule is paused');
  });

  it.each([
    [['--every-weeks', '0', '--first', '2027-01-11', '--time', '10:00'], /expected a whole number of weeks from 1 to 52/],
    [['--every-weeks', '6', '--first', '2027-02-29', '--time', '10:00'], /expected a real date YYYY-MM-DD/],
    [['--every-weeks', '6', '--first', '2027-01-11', '--time', '25:00'], /expected a time HH:MM/],
  ])('refuses %j', async (options, message) => {
    const r = await run(['newsletter', 'schedule', ...id, ...options]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});

describe('newsletter write and list', () => {
  it('stores texts from options and files, and lists the shipped languages that are missing', async () => {
    writeFileSync(join(dir, 'nl.txt'), 'Hallo allemaal,\r\nDe speelochtend is op 12 maart.\r\n');
    const r = await run(['newsletter', 'write', ...id, '--file', 'nl=nl.txt', '--text', 'en=Hello all', '--text', 'tr=Merhaba']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^newsletter 1 for initiative 1: en, nl, tr$/m);
    const shipped = readdirSync('locales').filter((l) => !['nl', 'en', 'tr'].includes(l)).sort();
    expect(r.out).toContain(`missing: ${shipped.join(', ')} (those parents get the Dutch text)\n`);
    expect(withDb((db) => listNewsletters(db, 1))[0]?.texts).toEqual({ nl: 'Hallo allemaal,\nDe speelochtend is op 12 maart.', en: 'Hello all', tr: 'Merhaba' });

    await run(['newsletter', 'write', ...id, '--text', 'nl=Tweede']);
    const list = await run(['newsletter', 'list', ...id]);
    expect(list.out).toMatch(/^id\s+languages\s+issued for$/m);
    expect(list.out).toMatch(/^1\s+en,nl,tr\s+waiting$/m);
    expect(list.out).toMatch(/^2\s+nl\s+waiting$/m);
    expect(JSON.parse((await run(['newsletter', 'list', ...id, '--json'])).out)).toEqual([
      { id: 1, languages: ['en', 'nl', 'tr'], issuedFor: null },
      { id: 2, languages: ['nl'], issuedFor: null },
    ]);
    await run(['newsletter', 'schedule', ...id, '--every-weeks', '6', '--first', '2027-01-11', '--time', '10:00']);
    expect((await run(['newsletter', 'next', ...id])).out).toContain('waiting: 2 newsletter(s); the oldest goes out first');
    expect(newsletterAudit().map((a) => [a.actor, a.action, a.detail])).toEqual([
      ['cli', 'newsletter.write', { newsletterId: 1, languages: 'en,nl,tr' }],
      ['cli', 'newsletter.write', { newsletterId: 2, languages: 'nl' }],
      ['cli', 'newsletter.schedule', { everyWeeks: 6, firstDate: '2027-01-11', time: '10:00', active: true }],
    ]);
  });

  it.each([
    [['--text', 'en=Hello'], /the Dutch text is required/],
    [['--text', 'nl=Hallo', '--text', 'xx=Hi'], /--text xx: "xx" is not a language folder in locales\//],
    [['--text', 'nl=Hallo', '--text', 'nl=Nog eens'], /nl is given twice/],
    [['--text', `nl=${'a'.repeat(3001)}`], /--text nl: at most 3000 characters \(got 3001\)/],
    [['--text', 'nl=   '], /--text nl: the text is empty/],
    [['--text', 'Hallo'], /expected LANG=/],
    [['--file', 'nl=missing.txt'], /--file nl: cannot read missing\.txt/],
  ])('refuses %j', async (options, message) => {
    const r = await run(['newsletter', 'write', ...id, ...options]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(withDb((db) => listNewsletters(db, 1))).toEqual([]);
  });

  it('errors for an unknown initiative', async () => {
    expect(await run(['newsletter', 'write', '--initiative', '9', '--text', 'nl=Hallo'])).toMatchObject({ code: 1, err: 'error: no initiative with id 9.\n' });
    expect(await run(['newsletter', 'list', '--initiative', '9'])).toMatchObject({ code: 1, err: 'error: no initiative with id 9.\n' });
  });
});

describe('newsletter --by', () => {
  it('records an ambassador or coordinator of the initiative as the actor', async () => {
    const ambassador = person('ambassador');
    const coordinator = person('coordinator');
    expect((await run(['newsletter', 'write', ...id, '--text', 'nl=Hallo', '--by', String(ambassador)])).code).toBe(0);
    expect((await run(['newsletter', 'schedule', ...id, '--every-weeks', '4', '--first', '2027-01-11', '--time', '19:30', '--by', String(coordinator)])).code).toBe(0);
    expect(newsletterAudit().map((a) => [a.actor, a.action])).toEqual([
      [`person:${ambassador}`, 'newsletter.write'],
      [`person:${coordinator}`, 'newsletter.schedule'],
    ]);
  });

  it('refuses a parent, a person of another initiative and an unknown person', async () => {
    const parent = person('parent');
    const r = await run(['newsletter', 'write', ...id, '--text', 'nl=Hallo', '--by', String(parent)]);
    expect(r).toMatchObject({ code: 1, err: `error: person ${parent} is not an ambassador or coordinator of initiative 1.\n` });
    await run(['initiative', 'create', '--name', 'Ander', '--school', 'X', '--municipality', 'Utrecht', '--postcodes', '3551']);
    const other = withDb((db) => {
      const pid = db.insert(people).values({ language: 'nl' }).returning().get().id;
      db.insert(memberships).values({ personId: pid, initiativeId: 2, role: 'coordinator' }).run();
      return pid;
    });
    expect((await run(['newsletter', 'schedule', ...id, '--every-weeks', '4', '--first', '2027-01-11', '--time', '10:00', '--by', String(other)])).code).toBe(1);
    expect(await run(['newsletter', 'write', ...id, '--text', 'nl=Hallo', '--by', '77'])).toMatchObject({ code: 1, err: 'error: no person with id 77.\n' });
    expect(newsletterAudit()).toEqual([]);
  });
});
