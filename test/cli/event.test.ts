import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { applyRsvp, attendanceFor, getEvent, rsvpOf } from '../../src/db/events.repo.js';
import { auditLog, people } from '../../src/db/schema.js';
import type { RsvpAnswer } from '../../src/domain/rsvp.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';

let dir: string;
let dbPath: string;

const BEFORE = '2027-02-15T10:00:00Z';
const AFTER = '2027-03-02T10:00:00Z';

const run = (args: string[], now = BEFORE): Promise<CliResult> => runCliOn(dbPath, dir, args, now);

const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);

async function initiative(): Promise<number> {
  const r = await run(['initiative', 'create', '--name', 'Samen naar De Linde', '--school', 'De Linde', '--municipality', 'Amsterdam', '--postcodes', '1091']);
  expect(r.code, r.err).toBe(0);
  return Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
}

const createArgs = (initiativeId: number, extra: string[] = []): string[] => [
  'event', 'create', '--initiative', String(initiativeId), '--kind', 'tour', '--at', '2027-03-01T09:00', '--minutes', '90',
  '--title', 'nl=Rondleiding', '--title', 'ar=جولة في المدرسة، مع القهوة', '--place', 'nl=De Linde, Hoofdweg 1', ...extra,
];

async function createEvent(initiativeId: number, extra: string[] = []): Promise<number> {
  const r = await run(createArgs(initiativeId, extra));
  expect(r.code, r.err).toBe(0);
  return Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
}

function answer(eventId: number, answers: RsvpAnswer[]): number[] {
  return withDb((db) =>
    answers.map((a, i) => {
      const personId = db.insert(people).values({ language: 'nl', displayName: 'Fatima El Amrani' }).returning().get().id;
      db.transaction((tx) => applyRsvp(tx, { eventId, personId, answer: a, now: new Date(Date.parse(BEFORE) + i * 60_000) }));
      return personId;
    }),
  );
}

const audits = (action: string) => withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, action)).all());

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-event-cli-'));
  dbPath = join(dir, 'test.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('event create', () => {
  it('stores local time in UTC with titles in two languages and writes an audit row', async () => {
    const initiativeId = await initiative();
    const r = await run(createArgs(initiativeId, ['--capacity', '20', '--min-age', '30', '--max-age', '40']));
    expect(r.code, r.err).toBe(0);
    const id = Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
    // 09:00 in Amsterdam in March is CET, UTC+1.
    expect(r.out).toContain('starts: 2027-03-01 09:00 Europe/Amsterdam (2027-03-01T08:00:00.000Z)');
    expect(r.out).toContain('ends: 2027-03-01 10:30 Europe/Amsterdam (2027-03-01T09:30:00.000Z)');
    expect(withDb((db) => getEvent(db, id))).toMatchObject({
      initiativeId,
      kind: 'tour',
      startsAt: new Date('2027-03-01T08:00:00Z'),
      endsAt: new Date('2027-03-01T09:30:00Z'),
      capacity: 20,
      minAgeMonths: 30,
      maxAgeMonths: 40,
      titles: { nl: 'Rondleiding', ar: 'جولة في المدرسة، مع القهوة' },
      places: { nl: 'De Linde, Hoofdweg 1' },
    });
    expect(audits('event.create')).toMatchObject([{ actor: 'cli', subjectType: 'initiative', subjectId: initiativeId, detail: { eventId: id, kind: 'tour' } }]);
  });

  it('uses summer time after the DST change and defaults to no limit and ages 24-42', async () => {
    const initiativeId = await initiative();
    const r = await run(createArgs(initiativeId).map((a) => (a === '2027-03-01T09:00' ? '2027-04-01T09:00' : a)));
    expect(r.out).toContain('(2027-04-01T07:00:00.000Z)');
    const id = Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
    expect(withDb((db) => getEvent(db, id))).toMatchObject({ capacity: null, minAgeMonths: 24, maxAgeMonths: 42 });
  });

  it.each([
    [['--kind', 'party'], /argument 'party' is invalid\. Allowed choices are tour, open_morning, carrousel, kickoff, play_morning/],
    [['--title', 'xx=Tour'], /^error: --title: unknown language "xx" \(shipped: ar, bg, en, nl/m],
    [['--place', 'de=Ort'], /^error: --place: unknown language "de"/m],
    [['--title', 'Rondleiding'], /expected lang=text/],
    [['--title', 'nl=Nog een'], /--title nl= is given twice/],
    [['--at', '2027-03-28T02:30'], /^error: 2027-03-28 02:30 does not exist in Europe\/Amsterdam: the clocks go forward that night/m],
    [['--at', '2027-10-31T02:30'], /^error: 2027-10-31 02:30 happens twice in Europe\/Amsterdam: the clocks go back that night/m],
    [['--at', '2027-02-30T09:00'], /'--at <local>' argument '2027-02-30T09:00' is invalid/],
    [['--at', '2027-01-01T09:00'], /^error: 2027-01-01 09:00 in Europe\/Amsterdam is in the past\./m],
    [['--minutes', '0'], /--minutes must be a whole number from 1 to 1440/],
    [['--capacity', '-3'], /--capacity must be a whole number/],
    [['--min-age', '50'], /^error: --min-age \(50\) is above --max-age \(42\)/m],
  ] as [string[], RegExp][])('refuses %j with a clear message and writes nothing', async (extra, message) => {
    const initiativeId = await initiative();
    // Options given twice (kind, at, …) take the last value, so appending overrides.
    const r = await run([...createArgs(initiativeId), ...extra]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
    expect(audits('event.create')).toHaveLength(0);
  });

  it('refuses a title or place without Dutch', async () => {
    const initiativeId = await initiative();
    const base = ['event', 'create', '--initiative', String(initiativeId), '--kind', 'open_morning', '--at', '2027-03-01T09:00', '--minutes', '60'];
    const noDutchTitle = await run([...base, '--title', 'en=School tour', '--title', 'tr=Okul turu', '--place', 'nl=De Linde']);
    expect(noDutchTitle).toMatchObject({ code: 1, out: '', err: 'error: --title nl=… is required (Dutch is the source language).\n' });
    const noDutchPlace = await run([...base, '--title', 'nl=Inloopochtend', '--place', 'en=De Linde']);
    expect(noDutchPlace).toMatchObject({ code: 1, err: 'error: --place nl=… is required (Dutch is the source language).\n' });
    expect((await run([...base, '--place', 'nl=De Linde'])).err).toContain("required option '--title <lang=text>' not specified");
    expect(audits('event.create')).toHaveLength(0);
  });

  it('refuses an unknown initiative', async () => {
    expect(await run(createArgs(7))).toMatchObject({ code: 1, err: 'error: no initiative with id 7.\n' });
  });
});

describe('event list and show', () => {
  it('lists events with counts, as a table and as JSON', async () => {
    const initiativeId = await initiative();
    const id = await createEvent(initiativeId, ['--capacity', '1']);
    answer(id, ['yes', 'yes', 'maybe', 'no', 'no']);
    const r = await run(['event', 'list']);
    expect(r.code, r.err).toBe(0);
    const [header, , row] = r.out.split('\n');
    expect(header).toMatch(/^id\s+initiative\s+kind\s+starts \(local\)\s+capacity\s+going\s+waiting\s+maybe\s+no\s+status\s+title \(nl\)$/);
    expect(row).toMatch(new RegExp(`^${id}\\s+${initiativeId}\\s+tour\\s+2027-03-01 09:00\\s+1\\s+1\\s+1\\s+1\\s+2\\s+planned\\s+Rondleiding$`));
    const asJson = await run(['event', 'list', '--initiative', String(initiativeId), '--json']);
    expect(JSON.parse(asJson.out)).toMatchObject([{ id, startsAt: '2027-03-01T08:00:00.000Z', going: 1, waiting: 1, maybe: 1, no: 2, cancelledAt: null }]);
    expect(await run(['event', 'list', '--initiative', '9'])).toMatchObject({ code: 1, err: 'error: no initiative with id 9.\n' });
  });

  it('says so when there are no events', async () => {
    expect((await run(['event', 'list'])).out).toContain('No events yet');
  });

  it('shows one event with its waiting list as person ids only', async () => {
    const initiativeId = await initiative();
    const id = await createEvent(initiativeId, ['--capacity', '1']);
    const [, second, third] = answer(id, ['yes', 'yes', 'yes', 'maybe']);
    const r = await run(['event', 'show', String(id)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('starts: 2027-03-01 09:00 Europe/Amsterdam (2027-03-01T08:00:00.000Z)');
    expect(r.out).toContain('title ar: جولة في المدرسة، مع القهوة');
    expect(r.out).toContain('place nl: De Linde, Hoofdweg 1');
    expect(r.out).toContain('going: 1  waiting: 2  maybe: 1  no: 0');
    expect(r.out).toContain(`waiting list (oldest first): ${second}, ${third}`);
    expect(r.out).not.toContain('Fatima');
    const asJson = JSON.parse((await run(['event', 'show', String(id), '--json'])).out) as { waitingList: number[] };
    expect(asJson.waitingList).toEqual([second, third]);
    expect(await run(['event', 'show', '99'])).toMatchObject({ code: 1, err: 'error: no event with id 99.\n' });
  });
});

describe('event cancel', () => {
  it('cancels once, audits it, and says when nothing changed', async () => {
    const initiativeId = await initiative();
    const id = await createEvent(initiativeId);
    answer(id, ['yes']);
    const r = await run(['event', 'cancel', String(id)]);
    expect(r).toMatchObject({ code: 0, out: `event ${id} cancelled (had 1 going, 0 waiting, 0 maybe)\n` });
    expect(withDb((db) => getEvent(db, id))?.cancelledAt).toEqual(new Date(BEFORE));
    expect((await run(['event', 'list'])).out).toMatch(/\scancelled\s+Rondleiding$/m);
    expect((await run(['event', 'cancel', String(id)])).out).toContain('already cancelled; nothing changed');
    expect(audits('event.cancel')).toMatchObject([{ actor: 'cli', subjectId: initiativeId, detail: { eventId: id } }]);
    expect(await run(['event', 'cancel', '42'])).toMatchObject({ code: 1, err: 'error: no event with id 42.\n' });
  });
});

describe('event attendance', () => {
  it('records present and absent people, adds walk-ins, and audits it', async () => {
    const initiativeId = await initiative();
    const id = await createEvent(initiativeId);
    const [a, b, c] = answer(id, ['yes', 'yes', 'maybe']) as [number, number, number];
    const walkIn = answer(await createEvent(initiativeId), ['no'])[0] ?? 0;
    const r = await run(['event', 'attendance', String(id), '--present', `${a},${c},${walkIn}`, '--absent', String(b)], AFTER);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`event ${id}: 3 present, 1 absent recorded\nwalk-ins (no RSVP, added as going): ${walkIn}\n`);
    withDb((db) => {
      expect([a, b, c, walkIn].map((p) => rsvpOf(db, id, p)?.attended)).toEqual([true, false, true, true]);
      expect(attendanceFor(db, walkIn)).toBe(1);
    });
    expect(audits('event.attendance')).toMatchObject([{ actor: 'cli', subjectId: initiativeId, detail: { eventId: id, present: 3, absent: 1, walkIns: 1 } }]);
  });

  it('refuses bad input before writing anything', async () => {
    const initiativeId = await initiative();
    const id = await createEvent(initiativeId);
    const [a] = answer(id, ['yes']) as [number];
    const cases: [string[], string, string][] = [
      [[], 'error: give --present and/or --absent person ids.\n', AFTER],
      [['--present', String(a), '--absent', String(a)], `error: person ${a} is both present and absent.\n`, AFTER],
      [['--present', '77'], 'error: no person with id 77.\n', AFTER],
      [['--present', String(a)], `error: event ${id} has not started yet; record attendance afterwards.\n`, BEFORE],
    ];
    for (const [extra, err, now] of cases) expect(await run(['event', 'attendance', String(id), ...extra], now)).toMatchObject({ code: 1, err });
    expect((await run(['event', 'attendance', String(id), '--present', 'x'], AFTER)).err).toMatch(/expected a positive whole number/);
    await run(['event', 'cancel', String(id)]);
    expect(await run(['event', 'attendance', String(id), '--present', String(a)], AFTER)).toMatchObject({ code: 1, err: `error: event ${id} is cancelled; there is no attendance to record.\n` });
    expect(audits('event.attendance')).toHaveLength(0);
    expect(withDb((db) => rsvpOf(db, id, a)?.attended)).toBeNull();
  });
});
