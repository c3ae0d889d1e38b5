import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import {
  addRegistrationDate,
  allRegistrationRules,
  DEFAULT_MUNICIPALITIES_PATH,
  readMunicipalitiesFile,
  municipalityInfo,
  registrationRuleFor,
  removeRegistrationDate,
  resolveMunicipality,
  suggestMunicipalities,
  seedMunicipalities,
  setRule,
} from '../../src/db/municipalities.repo.js';
import { auditLog, municipalities, registrationDates } from '../../src/db/schema.js';
import { registrationDeadline } from '../../src/domain/registration-deadline.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const AMSTERDAM_WINDOWS = [
  { fromMonth: 1, toMonth: 4, deadlineYearOffset: 3, deadlineMonth: 6 },
  { fromMonth: 5, toMonth: 8, deadlineYearOffset: 3, deadlineMonth: 11 },
  { fromMonth: 9, toMonth: 12, deadlineYearOffset: 4, deadlineMonth: 3 },
];

let db: Db;
let dir: string;

beforeEach(() => {
  db = openDatabase(':memory:');
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-municipalities-'));
});

afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(municipalitiesJson: Record<string, unknown>): string {
  const path = join(dir, 'municipalities.json');
  writeFileSync(path, JSON.stringify({ version: 1, municipalities: municipalitiesJson }));
  return path;
}

describe('config/municipalities.json', () => {
  it('is valid and holds the five known cities, with only published days', () => {
    const file = readMunicipalitiesFile(DEFAULT_MUNICIPALITIES_PATH);
    expect(Object.keys(file.municipalities).sort()).toEqual(['amsterdam', 'den haag', 'nijmegen', 'rotterdam', 'utrecht']);
    // Amsterdam's published days of 2021–2024 (issue 10, DOMAIN.md); none invented for later years.
    expect(file.municipalities.amsterdam).toMatchObject({ kind: 'cohorts', windows: AMSTERDAM_WINDOWS, url: expect.stringMatching(/^https:/) });
    expect(Object.values(file.municipalities.amsterdam?.dates ?? {})).toEqual([
      '2021-03-04', '2021-06-03', '2021-11-04', '2022-03-03', '2022-06-02', '2022-11-03', '2023-11-02', '2024-03-07', '2024-06-06', '2024-11-07',
    ]);
    expect(file.municipalities.utrecht?.kind).toBe('quarterTurning3');
    // Schoolwijzer Nijmegen: from 2y9m, main round in February (1 March in 2018), later rounds for late registrations.
    expect(file.municipalities.nijmegen).toMatchObject({
      kind: 'schoolYearRounds',
      firstRegistrationAgeMonths: 33,
      cohortStartMonth: 6,
      mainRound: { month: 2, latestMonth: 3 },
      lateRounds: [{ month: 4, day: 1 }, { month: 6, day: 1 }, { month: 9, day: 1 }, { month: 11, day: 1 }],
      url: 'https://www.schoolwijzernijmegen.nl/',
      dates: { '2018-03': '2018-03-01', '2024-02': '2024-02-01' },
    });
    expect(file.municipalities['den haag']).toMatchObject({ kind: 'fromAge3', note: expect.stringMatching(/unverified/i) });
    expect(file.municipalities.rotterdam?.kind).toBe('fromAge3');
  });

  it.each([
    [{ Amsterdam: { kind: 'fromAge3' } }, /lower-case/],
    [{ x: { kind: 'cohorts', windows: [{ fromMonth: 1, toMonth: 6, deadlineYearOffset: 3, deadlineMonth: 6 }, { fromMonth: 5, toMonth: 12, deadlineYearOffset: 4, deadlineMonth: 3 }] } }, /overlap/],
    [{ x: { kind: 'cohorts', windows: AMSTERDAM_WINDOWS, dates: { '2028-03': '2028-04-02' } } }, /key "2028-03" must be the date's month/],
    [{ x: { kind: 'cohorts', windows: AMSTERDAM_WINDOWS, dates: { '2028-04': '2028-04-02' } } }, /April.*deadline month/],
    [{ x: { kind: 'quarterTurning3', dates: { '2028-03': '2028-03-31' } } }, /only a cohorts or schoolYearRounds rule/],
    [{ x: { kind: 'schoolYearRounds', cohortStartMonth: 6, mainRound: { month: 2, latestMonth: 3 }, lateRounds: [{ month: 2, day: 29 }] } }, /exists every year/],
    [{ x: { kind: 'schoolYearRounds', cohortStartMonth: 6, mainRound: { month: 2, latestMonth: 3 }, lateRounds: [{ month: 4, day: 1 }], dates: { '2028-05': '2028-05-01' } } }, /May.*deadline month/],
    [{ x: { kind: 'rounds', rounds: [{ month: 2, day: 1 }] } }, /kind/],
    [{ x: { kind: 'fromAge3', url: 'ftp://x' } }, /url/],
    [{ x: { kind: 'weekly' } }, /kind/],
  ])('refuses an invalid file (%j)', (content, message) => {
    expect(() => readMunicipalitiesFile(writeConfig(content))).toThrow(message);
  });
});

describe('seedMunicipalities', () => {
  it('is idempotent and never overwrites a rule changed with the CLI', () => {
    expect(seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW)).toEqual({ municipalities: 5, dates: 12 });
    const first = db.select().from(municipalities).all();
    expect(seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW)).toEqual({ municipalities: 0, dates: 0 });
    expect(db.select().from(municipalities).all()).toEqual(first);

    expect(setRule(db, 'Den Haag', { kind: 'quarterTurning3' }, NOW, 'cli')).toEqual({ changed: true, previous: { kind: 'fromAge3' } });
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, new Date('2027-01-01T00:00:00Z'));
    expect(registrationRuleFor(db, 'den haag')).toEqual({ kind: 'quarterTurning3' });
    expect(db.select().from(auditLog).all()).toMatchObject([{ actor: 'cli', action: 'municipality.rule', subjectType: 'municipality', detail: { municipality: 'den haag', kind: 'quarterTurning3', previousKind: 'fromAge3' } }]);
  });

  it("merges the file's dates with the CLI's: new months are added, a CLI day is kept", () => {
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW);
    addRegistrationDate(db, 'amsterdam', '2028-03-09', 'cli');
    const path = writeConfig({ amsterdam: { kind: 'cohorts', windows: AMSTERDAM_WINDOWS, dates: { '2028-03': '2028-03-02', '2027-11': '2027-11-04' } } });
    expect(seedMunicipalities(db, path, NOW)).toEqual({ municipalities: 0, dates: 1 });
    expect(seedMunicipalities(db, path, NOW)).toEqual({ municipalities: 0, dates: 0 });
    expect(registrationRuleFor(db, 'amsterdam')).toMatchObject({ kind: 'cohorts', windows: AMSTERDAM_WINDOWS, dates: { '2027-11': '2027-11-04', '2028-03': '2028-03-09' } });
  });

  it('replaces the old Nijmegen reading ("the first round after age 3") once, audited, and keeps the dates', () => {
    const old = { kind: 'rounds', rounds: [{ month: 2, day: 1 }, { month: 4, day: 1 }, { month: 6, day: 1 }, { month: 9, day: 1 }, { month: 11, day: 1 }] };
    db.insert(municipalities).values({ name: 'nijmegen', rule: old, updatedAt: NOW }).run();
    // Read before the upgrade: the old rounds already count as a main round in February.
    expect(registrationRuleFor(db, 'nijmegen')).toMatchObject({ kind: 'schoolYearRounds', mainRound: { month: 2 } });
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW);
    expect(registrationRuleFor(db, 'nijmegen')).toMatchObject({ kind: 'schoolYearRounds', firstRegistrationAgeMonths: 33, mainRound: { month: 2, latestMonth: 3 }, dates: { '2024-02': '2024-02-01' } });
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW);
    expect(db.select().from(auditLog).all()).toMatchObject([{ actor: 'seed', action: 'municipality.rule', detail: { municipality: 'nijmegen', kind: 'schoolYearRounds', previousKind: 'rounds' } }]);
  });
});

describe('registration rules', () => {
  beforeEach(() => {
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW);
  });

  it('looks names up case-insensitively and trimmed; an unknown municipality registers from age 3', () => {
    addRegistrationDate(db, 'amsterdam', '2028-03-02', 'cli');
    const rule = registrationRuleFor(db, '  AMSTERDAM ');
    expect(rule).toMatchObject({ kind: 'cohorts', windows: AMSTERDAM_WINDOWS, dates: { '2028-03': '2028-03-02', '2024-11': '2024-11-07' } });
    expect(registrationDeadline({ year: 2024, month: 9 }, rule)).toEqual({ kind: 'date', date: '2028-03-02', opens: { year: 2027, month: 9 } });
    expect(registrationDeadline({ year: 2025, month: 2 }, rule)).toEqual({ kind: 'monthOnly', deadline: { year: 2028, month: 6 }, opens: { year: 2028, month: 2 } });
    expect(registrationRuleFor(db, 'Den  Haag')).toEqual({ kind: 'fromAge3' });
    expect(registrationRuleFor(db, 'Haarlem')).toEqual({ kind: 'fromAge3' });
    expect(registrationRuleFor(db, 'Utrecht')).toEqual({ kind: 'quarterTurning3' });
  });

  it('gives every rule in one map with two queries, equal to the one-by-one lookup', () => {
    addRegistrationDate(db, 'amsterdam', '2027-06-03', 'cli');
    setRule(db, 'Haarlem', { kind: 'schoolYearRounds', cohortStartMonth: 8, mainRound: { month: 3, latestMonth: 3 }, lateRounds: [{ month: 9, day: 15 }] }, NOW, 'cli');
    const prepare = vi.spyOn(db.$client, 'prepare');
    const rules = allRegistrationRules(db);
    expect(prepare).toHaveBeenCalledTimes(2);
    prepare.mockRestore();
    expect([...rules.keys()]).toEqual(expect.arrayContaining(['amsterdam', 'den haag', 'haarlem', 'nijmegen', 'rotterdam', 'utrecht', "'s-gravenhage", 's gravenhage', 'the hague']));
    for (const [name, rule] of rules) expect(rule).toEqual(registrationRuleFor(db, name));
    expect(rules.get('amsterdam')).toMatchObject({ dates: { '2027-06': '2027-06-03' } });
  });

  it('sets a rule once: the same rule again writes nothing', () => {
    const lateRounds = [{ month: 4, day: 1 }, { month: 6, day: 1 }, { month: 9, day: 1 }, { month: 11, day: 1 }];
    const nijmegen = { kind: 'schoolYearRounds', firstRegistrationAgeMonths: 33, cohortStartMonth: 6, mainRound: { month: 2, latestMonth: 3 }, lateRounds } as const;
    expect(setRule(db, 'nijmegen', { ...nijmegen, lateRounds: [...lateRounds] }, NOW, 'cli')).toMatchObject({ changed: false });
    expect(() => setRule(db, 'nijmegen', { ...nijmegen, lateRounds: [{ month: 2, day: 30 }] }, NOW, 'cli')).toThrow(/exists every year/);
    expect(() => setRule(db, '  ', { kind: 'fromAge3' }, NOW, 'cli')).toThrow(/name/);
    expect(db.select().from(auditLog).all()).toEqual([]);
  });

  it('adds, replaces and removes a published day, with audit rows', () => {
    expect(addRegistrationDate(db, 'Amsterdam', '2028-03-02', 'cli')).toEqual({ deadlineMonth: '2028-03', previous: null, changed: true });
    expect(addRegistrationDate(db, 'amsterdam', '2028-03-02', 'cli')).toEqual({ deadlineMonth: '2028-03', previous: '2028-03-02', changed: false });
    expect(addRegistrationDate(db, 'amsterdam', '2028-03-09', 'cli')).toEqual({ deadlineMonth: '2028-03', previous: '2028-03-02', changed: true });
    expect(removeRegistrationDate(db, 'amsterdam', '2028-03-02', 'cli')).toBe(false);
    expect(removeRegistrationDate(db, 'AMSTERDAM', '2028-03-09', 'cli')).toBe(true);
    expect(db.select().from(registrationDates).all().filter((d) => d.date >= '2025')).toEqual([]);
    expect(db.select().from(auditLog).all().map((a) => a.action)).toEqual(['municipality.date.add', 'municipality.date.add', 'municipality.date.remove']);
  });

  it.each([
    ['amsterdam', '2028-04-02', /2028-04-02 is in April, but amsterdam's deadlines are in March, June, November/],
    ['amsterdam', '2028-02-30', /not a date/],
    ['utrecht', '2028-03-31', /quarterTurning3 rule, which computes its deadlines/],
    ['nijmegen', '2028-05-01', /nijmegen's deadlines are in February, March, April, June, September, November/],
    ['haarlem', '2028-03-31', /no rule is configured for "haarlem"/],
  ])('refuses %s %s with a clear error', (name, date, message) => {
    expect(() => addRegistrationDate(db, name, date, 'cli')).toThrow(message);
    expect(db.select().from(registrationDates).all().filter((d) => d.date >= '2025')).toEqual([]);
    expect(db.select().from(auditLog).all()).toEqual([]);
  });
});

describe('names', () => {
  beforeEach(() => {
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW);
  });

  it.each([
    ["'s-Gravenhage", 'den haag'],
    ['Den Haag', 'den haag'],
    ['den-haag', 'den haag'],
    ['DEN_HAAG', 'den haag'],
    ['The Hague', 'den haag'],
    ['s-Gravenhage', 'den haag'],
    ['  Nijmegen ', 'nijmegen'],
    ['Amsterdm', null],
  ])('%s resolves to %s', (typed, name) => {
    expect(resolveMunicipality(db, typed)).toBe(name);
  });

  it("an alias gets the city's rule, page and published days", () => {
    expect(registrationRuleFor(db, "'s-Gravenhage")).toEqual({ kind: 'fromAge3' });
    expect(addRegistrationDate(db, 'Amsterdam', '2028-03-02', 'cli').changed).toBe(true);
    expect(municipalityInfo(db, 'NIJMEGEN')).toMatchObject({ name: 'nijmegen', url: 'https://www.schoolwijzernijmegen.nl/', aliases: [] });
    expect(municipalityInfo(db, 'den-haag')).toMatchObject({ name: 'den haag', aliases: ["'s-gravenhage", 's-gravenhage', 'the hague', 'gravenhage'] });
  });

  it.each([
    ['Amsterdm', ['amsterdam']],
    ['haarlemm', []],
    ['Nijmgen', ['nijmegen']],
    ['Utreht', ['utrecht']],
    ['den hag', ['den haag']],
    ['xyz', []],
  ])('did you mean, for %s: %j', (typed, names) => {
    expect(suggestMunicipalities(db, typed)).toEqual(names);
  });
});
