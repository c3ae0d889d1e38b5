import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { auditLog } from '../../src/db/schema.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';

let dir: string;
let dbPath: string;

const run = (args: string[]): Promise<CliResult> => runCliOn(dbPath, dir, args, '2025-06-15T10:00:00Z');

const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);

const audit = () => withDb((db) => db.select().from(auditLog).all().filter((a) => a.action.startsWith('municipality.')));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-municipality-'));
  dbPath = join(dir, 'test.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('municipality list and show', () => {
  it('knows the built-in cities on a fresh database', async () => {
    const r = await run(['municipality', 'list']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^municipality\s+rule\s+published days$/m);
    expect(r.out).toMatch(/^amsterdam\s+cohorts\s+2021-03-04, .*, 2024-11-07$/m);
    expect(r.out).toMatch(/^den haag\s+fromAge3\s+-$/m);
    expect(r.out).toMatch(/^nijmegen\s+schoolYearRounds\s+2018-03-01, 2024-02-01$/m);
    expect(r.out).toMatch(/^rotterdam\s+fromAge3\s+-$/m);
    expect(r.out).toMatch(/^utrecht\s+quarterTurning3\s+-$/m);
    const asJson = JSON.parse((await run(['municipality', 'list', '--json'])).out) as { name: string; rule: { kind: string }; note: string | null }[];
    expect(asJson.map((m) => [m.name, m.rule.kind])).toEqual([
      ['amsterdam', 'cohorts'],
      ['den haag', 'fromAge3'],
      ['nijmegen', 'schoolYearRounds'],
      ['rotterdam', 'fromAge3'],
      ['utrecht', 'quarterTurning3'],
    ]);
    expect(asJson.find((m) => m.name === 'den haag')?.note).toMatch(/unverified/i);
  });

  it('notes initiatives whose municipality has no rule', async () => {
    await run(['initiative', 'create', '--name', 'N', '--school', 'S', '--municipality', 'Haarlem', '--postcodes', '2011', '--force']);
    const r = await run(['municipality', 'list']);
    expect(r.err).toContain('note: no rule for haarlem (used by initiatives): they get the default, fromAge3.');
  });

  it('shows the rule, the note, the published days and worked examples', async () => {
    const r = await run(['municipality', 'show', 'Amsterdam']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('municipality: amsterdam\n');
    expect(r.out).toContain('rule: cohorts — born January–April: deadline in June of the birth year + 3; born May–August: deadline in November of the birth year + 3;');
    expect(r.out).toMatch(/^note: .*published each year/m);
    expect(r.out).toContain('published days: 2021-03-04, 2021-06-03, 2021-11-04, 2022-03-03, 2022-06-02, 2022-11-03, 2023-11-02, 2024-03-07, 2024-06-06, 2024-11-07\n');
    expect(r.out).toContain('registration opens at: 3 years\n');
    expect(r.out).toMatch(/^page: https:/m);
    // Now is June 2025: examples for children born in 2023.
    expect(r.out).toContain('  born 2023-01: deadline in 2026-06; the date is not known yet (registration opens 2026-01)\n');
    expect(r.out).toContain('  born 2023-05: deadline in 2026-11; the date is not known yet (registration opens 2026-05)\n');
    expect(r.out).toContain('  born 2023-09: deadline in 2027-03; the date is not known yet (registration opens 2026-09)\n');

    const unknown = await run(['municipality', 'show', 'Haarlem']);
    expect(unknown.out).toContain('rule: fromAge3 (not configured: the default) — no central deadline');
    expect(unknown.out).toContain('  born 2023-05: no central deadline: register at the school from 2026-05\n');

    const nijmegen = await run(['municipality', 'show', 'nijmegen']);
    expect(nijmegen.out).toContain('registration opens at: 2 years 9 months\n');
    expect(nijmegen.out).toContain('rule: schoolYearRounds — main round in February (or up to March), day published per year');
    expect(nijmegen.out).toMatch(/^note: .*1 March/m);
    const hague = await run(['municipality', 'show', "'s-Gravenhage"]);
    expect(hague.out).toContain('municipality: den haag\n');
    expect(hague.out).toContain("also known as: 's-gravenhage, s-gravenhage, the hague, gravenhage\n");
  });
});

describe('municipality deadline and published days', () => {
  it('honours MUNICIPALITIES_PATH', async () => {
    const path = join(dir, 'm.json');
    writeFileSync(path, JSON.stringify({ version: 1, municipalities: { zwolle: { kind: 'quarterTurning3' } } }));
    const r = await runCliOn(dbPath, dir, ['municipality', 'list'], '2025-06-15T10:00:00Z', { MUNICIPALITIES_PATH: path });
    expect(r.out).toMatch(/^zwolle\s+quarterTurning3/m);
    expect(r.out).not.toMatch(/^amsterdam/m);
  });

  it('says the date is not known yet until a coordinator adds it, then prints it', async () => {
    const before = await run(['municipality', 'deadline', 'amsterdam', '--born', '2024-09']);
    expect(before.out).toBe('amsterdam, born 2024-09: deadline in 2028-03; the date is not known yet (registration opens 2027-09)\n');

    const add = await run(['municipality', 'add-date', 'amsterdam', '--date', '2028-03-02']);
    expect(add).toMatchObject({ code: 0, out: 'amsterdam: the deadline in 2028-03 is 2028-03-02\n' });
    expect((await run(['municipality', 'add-date', 'amsterdam', '--date', '2028-03-02'])).out).toContain('nothing changed');
    expect((await run(['municipality', 'add-date', 'amsterdam', '--date', '2028-03-09'])).out).toBe('amsterdam: the deadline in 2028-03 is 2028-03-09 (was 2028-03-02)\n');

    const after = await run(['municipality', 'deadline', 'Amsterdam', '--born', '2024-09']);
    expect(after.out).toBe('amsterdam, born 2024-09: deadline 2028-03-09 (registration opens 2027-09)\n');
    expect((await run(['municipality', 'show', 'amsterdam'])).out).toContain(', 2024-11-07, 2028-03-09\n');
    expect(audit().map((a) => [a.actor, a.action, a.subjectType])).toEqual([
      ['cli', 'municipality.date.add', 'municipality'],
      ['cli', 'municipality.date.add', 'municipality'],
    ]);
  });

  it('refuses a day outside the deadline months, for a computed rule, or for an unknown city', async () => {
    const april = await run(['municipality', 'add-date', 'amsterdam', '--date', '2028-04-02']);
    expect(april).toMatchObject({ code: 1, out: '' });
    expect(april.err).toBe("error: 2028-04-02 is in April, but amsterdam's deadlines are in March, June, November; the published day must be in a deadline month.\n");
    expect((await run(['municipality', 'add-date', 'utrecht', '--date', '2028-03-31'])).err).toMatch(/^error: utrecht uses the quarterTurning3 rule/);
    expect((await run(['municipality', 'add-date', 'zwolle', '--date', '2028-03-31'])).err).toMatch(/^error: no rule is configured for "zwolle"/);
    expect((await run(['municipality', 'add-date', 'amsterdam', '--date', '2028-02-30'])).err).toMatch(/argument '2028-02-30' is invalid\. expected a real date/);
    expect(audit()).toEqual([]);
  });

  it('removes a published day, and says when there was none', async () => {
    await run(['municipality', 'add-date', 'amsterdam', '--date', '2027-11-04']);
    expect((await run(['municipality', 'remove-date', 'amsterdam', '--date', '2027-11-04'])).out).toBe('amsterdam: removed 2027-11-04\n');
    const shipped = await run(['municipality', 'remove-date', 'amsterdam', '--date', '2024-11-07']);
    expect(shipped.err).toMatch(/2024-11-07 is also in .*municipalities\.json/);
    expect((await run(['municipality', 'remove-date', 'amsterdam', '--date', '2027-11-04'])).out).toContain('nothing changed');
    expect(audit().map((a) => a.action)).toEqual(['municipality.date.add', 'municipality.date.remove', 'municipality.date.remove']);
  });

  it('computes deadlines for the other kinds of rules', async () => {
    expect((await run(['municipality', 'deadline', 'utrecht', '--born', '2024-02'])).out).toBe('utrecht, born 2024-02: deadline 2027-03-31 (registration opens 2027-01)\n');
    // Schoolwijzer Nijmegen: born Jun–Dec 2023 → the main round of February 2027; its day is not published yet.
    expect((await run(['municipality', 'deadline', 'nijmegen', '--born', '2023-12'])).out).toBe('nijmegen, born 2023-12: deadline in 2027-02; the date is not known yet (registration opens 2026-09)\n');
    expect((await run(['municipality', 'add-date', 'nijmegen', '--date', '2027-02-01'])).code).toBe(0);
    expect((await run(['municipality', 'deadline', 'Nijmegen', '--born', '2024-05'])).out).toBe('nijmegen, born 2024-05: deadline 2027-02-01 (registration opens 2027-01)\n');
    expect((await run(['municipality', 'deadline', 'nijmegen', '--born', '2024-05', '--joined', '2027-03-10'])).out).toBe('nijmegen, born 2024-05, joined 2027-03-10: deadline 2027-04-01 (registration opens 2027-01)\n');
    expect((await run(['municipality', 'deadline', 'Rotterdam', '--born', '2024-3'])).out).toBe('rotterdam, born 2024-03: no central deadline: register at the school from 2027-03\n');
    expect((await run(['municipality', 'deadline', 'den-haag', '--born', '2024-3'])).out).toBe('den haag, born 2024-03: no central deadline: register at the school from 2027-03\n');
    expect((await run(['municipality', 'deadline', 'rotterdam', '--born', '2024-13'])).err).toMatch(/expected a birth year and month YYYY-MM/);
  });
});

describe('municipality set-rule', () => {
  it('changes a rule, which the seeding of the next command keeps', async () => {
    const r = await run(['municipality', 'set-rule', 'Den Haag', '--kind', 'quarterTurning3']);
    expect(r.out).toBe('den haag now uses quarterTurning3 (was fromAge3): deadline on the last day of the quarter in which the child turns 3\n');
    expect((await run(['municipality', 'deadline', 'den haag', '--born', '2024-05'])).out).toBe('den haag, born 2024-05: deadline 2027-06-30 (registration opens 2027-04)\n');
    expect((await run(['municipality', 'set-rule', 'den haag', '--kind', 'quarterTurning3'])).out).toContain('nothing changed');
    expect(audit()).toMatchObject([{ actor: 'cli', action: 'municipality.rule', detail: { municipality: 'den haag', kind: 'quarterTurning3', previousKind: 'fromAge3' } }]);
  });

  it('creates a new municipality with school-year rounds or cohorts', async () => {
    const rounds = await run(['municipality', 'set-rule', 'Zwolle', '--kind', 'schoolYearRounds', '--main-round', '2', '--cohort-start', '8', '--rounds', '04-01,09-15', '--first-age', '33']);
    expect(rounds.out).toBe(
      'zwolle now uses schoolYearRounds (new): main round in February, day published per year, before the school year of children turning 4 from 1 August; later rounds 1 April, 15 September for late registrations\n',
    );
    expect((await run(['municipality', 'add-date', 'zwolle', '--date', '2027-02-05'])).code).toBe(0);
    expect((await run(['municipality', 'deadline', 'zwolle', '--born', '2023-09'])).out).toBe('zwolle, born 2023-09: deadline 2027-02-05 (registration opens 2026-06)\n');

    const cohorts = await run(['municipality', 'set-rule', 'zwolle', '--kind', 'cohorts', '--windows', '1-6:+3:6,7-12:+4:1']);
    expect(cohorts.out).toMatch(/^zwolle now uses cohorts \(was schoolYearRounds\): born January–June: deadline in June of the birth year \+ 3/);
    expect((await run(['municipality', 'add-date', 'zwolle', '--date', '2028-01-10'])).code).toBe(0);
    expect((await run(['municipality', 'deadline', 'zwolle', '--born', '2024-08'])).out).toBe('zwolle, born 2024-08: deadline 2028-01-10 (registration opens 2027-08)\n');
  });

  it.each([
    [['--kind', 'cohorts'], /--kind cohorts needs --windows/],
    [['--kind', 'schoolYearRounds'], /--kind schoolYearRounds needs --main-round, --cohort-start and --rounds/],
    [['--kind', 'fromAge3', '--rounds', '02-01'], /only for --kind schoolYearRounds/],
    [['--kind', 'weekly'], /Allowed choices are cohorts, quarterTurning3, schoolYearRounds, fromAge3/],
    [['--kind', 'cohorts', '--windows', '1-6:+3:6,5-12:+4:3'], /windows must not overlap/],
    [['--kind', 'cohorts', '--windows', '1-6'], /"1-6" is not a window/],
    [['--kind', 'schoolYearRounds', '--main-round', '2', '--cohort-start', '8', '--rounds', '02-30'], /a round must be a day that exists every year/],
    [[], /required option '--kind <kind>' not specified/],
  ])('refuses %j', async (options, message) => {
    const r = await run(['municipality', 'set-rule', 'zwolle', ...options]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(audit()).toEqual([]);
  });

  it('shows help without touching the database', async () => {
    expect((await run(['municipality', 'set-rule', '--help'])).out).toContain('--windows <list>');
    expect(existsSync(dbPath)).toBe(false);
  });
});
