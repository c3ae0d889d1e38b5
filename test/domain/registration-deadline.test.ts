/**
 * Registration deadlines per city, from the cities' own sources. Every case is written from
 * the source's wording (the helpers below restate it), not from the code under test.
 *
 * Sources:
 * - Amsterdam (central registration with a lottery; DOMAIN.md "Registration", amsterdam.nl):
 *   born Sep–Dec of Y → deadline in March of Y+4; born Jan–Apr of Y → June of Y+3; born
 *   May–Aug of Y → November of Y+3. The day is published each year: 4 Mar, 3 Jun, 4 Nov 2021;
 *   3 Mar, 2 Jun, 3 Nov 2022; 2 Nov 2023; 7 Mar, 6 Jun, 7 Nov 2024. No weekday rule (1 Nov
 *   2019 was a Friday), so an unpublished year gives the month only. Register from age 3.
 * - Utrecht (central since 1 October 2021): register in the calendar quarter in which the
 *   child turns 3; the deadline is the last day of that quarter.
 * - Nijmegen (Schoolwijzer Nijmegen, central and binding):
 *   - schoolwijzernijmegen.nl/hoe: "vanaf dat het 2 jaar en 9 maanden is aanmelden" → from 2y9m;
 *   - schoolwijzernijmegen.nl (2023/24): the February 2023 matching placed "leerlingen geboren
 *     tussen 1 juni 2019 en 31 mei 2020. Zij gaan in het schooljaar 2023/2024 voor het eerst naar
 *     de basisschool"; "Aanmelden schooljaar 2024-2025 … vóór 1 februari 2024";
 *   - schoolwijzernijmegen.nl (2017/18): "Alle aanmeldingen die voor 1 maart 2018 binnen zijn,
 *     gaan in de eerste plaatsingsronde mee" → in some years the main round is 1 March;
 *   - montessorinijmegen.nl/nieuwe-leerlingen/aanmelden: "kan steeds tot 1 februari … Daarna
 *     volgen nog een aantal matchingsrondes (1 april, 1 juni, 1 september en 1 november)".
 *   So the cohort of one school year is born 1 June Y … 31 May Y+1; they turn 4 from 1 June
 *   Y+4 to 31 May Y+5 and start in the school year from August Y+4 (children turning 4 in
 *   June or July start after the summer). Its main round is February of Y+4. In birth terms:
 *   born Jun–Dec of Y → main round in February Y+4; born Jan–May of Y → February Y+3.
 *   Issue 10's checks: born 2024-05 → 1 Feb 2027 (the old code said 2027-06-01, "the first round
 *   after turning 3"), born 2024-06 → 1 Feb 2028 (the old code said 2027-09-01).
 *   The youngest of a cohort (born Mar–May) reach 2y9m only in or after the month before
 *   the main round, so for them registration opens in January. A family that joins after the
 *   main round gets the next later round (1 Apr, 1 Jun, 1 Sep, 1 Nov, then next February)
 *   while the child is not yet 4.
 *   Unsure: whether "vóór 1 februari" means the last day is 31 January; the rule keeps the
 *   published round day (1 February) as the deadline, as the sources name it.
 * - Den Haag (details unverified) and Rotterdam: register at each school from age 3.
 */
import { describe, expect, it } from 'vitest';
import file from '../../config/municipalities.json' with { type: 'json' };
import {
  firstRegistrationAge,
  registrationDeadline,
  unpublishedDeadlineMonths,
  type RegistrationDeadline,
  type RegistrationRule,
  type SchoolYearRoundsRule,
} from '../../src/domain/registration-deadline.js';

const shipped = file.municipalities as unknown as Record<string, RegistrationRule>;
const rule = (name: string): RegistrationRule => shipped[name] ?? { kind: 'fromAge3' };
const nijmegen = rule('nijmegen') as SchoolYearRoundsRule;
/** Nijmegen with main-round days published for the test years (as a coordinator would add them). */
const nijmegenPublished: SchoolYearRoundsRule = { ...nijmegen, dates: { ...nijmegen.dates, '2026-02': '2026-02-01', '2027-02': '2027-02-01', '2028-02': '2028-02-01', '2029-03': '2029-03-01' } };

const pad = (n: number) => String(n).padStart(2, '0');
const addMonths = (y: number, m: number, n: number) => ({ year: y + Math.floor((m - 1 + n) / 12), month: ((m - 1 + n) % 12) + 1 });
const before = (a: { year: number; month: number }, b: { year: number; month: number }) => a.year * 12 + a.month <= b.year * 12 + b.month;

/** 36 birth months: January 2023 … December 2025. */
const BIRTHS = Array.from({ length: 36 }, (_, i) => addMonths(2023, 1, i));

const AMSTERDAM_DAYS: Record<string, string> = {
  '2021-03': '2021-03-04', '2021-06': '2021-06-03', '2021-11': '2021-11-04',
  '2022-03': '2022-03-03', '2022-06': '2022-06-02', '2022-11': '2022-11-03',
  '2023-11': '2023-11-02',
  '2024-03': '2024-03-07', '2024-06': '2024-06-06', '2024-11': '2024-11-07',
};

function amsterdamSays(y: number, m: number): RegistrationDeadline {
  const deadline = m >= 9 ? { year: y + 4, month: 3 } : m <= 4 ? { year: y + 3, month: 6 } : { year: y + 3, month: 11 };
  const turns3 = { year: y + 3, month: m };
  const opens = before(turns3, deadline) ? turns3 : deadline;
  const day = AMSTERDAM_DAYS[`${deadline.year}-${pad(deadline.month)}`];
  return day ? { kind: 'date', date: day, opens } : { kind: 'monthOnly', deadline, opens };
}

function utrechtSays(y: number, m: number): RegistrationDeadline {
  const q = Math.ceil(m / 3);
  const last = new Date(Date.UTC(y + 3, q * 3, 0)).getUTCDate();
  return { kind: 'date', date: `${y + 3}-${pad(q * 3)}-${last}`, opens: { year: y + 3, month: q * 3 - 2 } };
}

function nijmegenSays(y: number, m: number, published: boolean): RegistrationDeadline {
  const mainYear = m >= 6 ? y + 4 : y + 3;
  const at2y9m = addMonths(y, m, 33);
  const january = { year: mainYear, month: 1 };
  const opens = before(at2y9m, january) ? at2y9m : january;
  if (!published) return { kind: 'monthOnly', deadline: { year: mainYear, month: 2 }, opens };
  return { kind: 'date', date: mainYear === 2029 ? '2029-03-01' : `${mainYear}-02-01`, opens };
}

describe('registration deadlines, 36 birth months per city', () => {
  it.each(BIRTHS)('Amsterdam, born $year-$month', ({ year, month }) => {
    expect(registrationDeadline({ year, month }, rule('amsterdam'))).toEqual(amsterdamSays(year, month));
  });
  it.each(BIRTHS)('Utrecht, born $year-$month', ({ year, month }) => {
    expect(registrationDeadline({ year, month }, rule('utrecht'))).toEqual(utrechtSays(year, month));
  });
  it.each(BIRTHS)('Nijmegen, born $year-$month: the main round of the school year it starts', ({ year, month }) => {
    expect(registrationDeadline({ year, month }, rule('nijmegen'))).toEqual(nijmegenSays(year, month, false));
    expect(registrationDeadline({ year, month }, nijmegenPublished)).toEqual(nijmegenSays(year, month, true));
  });
  it.each(BIRTHS)('Den Haag and Rotterdam, born $year-$month: at each school from age 3', ({ year, month }) => {
    for (const city of ['den haag', 'rotterdam']) expect(registrationDeadline({ year, month }, rule(city))).toEqual({ kind: 'fromAge3', opens: { year: year + 3, month } });
  });
  it.each(Array.from({ length: 36 }, (_, i) => addMonths(2017, 9, i)))('Amsterdam with the published days of 2021–2024, born $year-$month', ({ year, month }) => {
    expect(registrationDeadline({ year, month }, rule('amsterdam'))).toEqual(amsterdamSays(year, month));
  });
});

describe('spot checks written out by hand', () => {
  it.each([
    // Issue 10: the old reading gave 2027-06-01 and 2027-09-01.
    ['nijmegen', 2024, 5, { kind: 'date', date: '2027-02-01', opens: { year: 2027, month: 1 } }],
    ['nijmegen', 2024, 6, { kind: 'date', date: '2028-02-01', opens: { year: 2027, month: 3 } }],
    // 31 May / 1 June: one month apart, one school year apart.
    ['nijmegen', 2023, 5, { kind: 'date', date: '2026-02-01', opens: { year: 2026, month: 1 } }],
    ['nijmegen', 2023, 6, { kind: 'date', date: '2027-02-01', opens: { year: 2026, month: 3 } }],
    ['nijmegen', 2024, 1, { kind: 'date', date: '2027-02-01', opens: { year: 2026, month: 10 } }],
    // A year with the main round on 1 March.
    ['nijmegen', 2025, 7, { kind: 'date', date: '2029-03-01', opens: { year: 2028, month: 4 } }],
    ['amsterdam', 2020, 9, { kind: 'date', date: '2024-03-07', opens: { year: 2023, month: 9 } }],
    ['amsterdam', 2020, 1, { kind: 'monthOnly', deadline: { year: 2023, month: 6 }, opens: { year: 2023, month: 1 } }],
    ['utrecht', 2021, 2, { kind: 'date', date: '2024-03-31', opens: { year: 2024, month: 1 } }],
  ] as const)('%s, born %i-%i', (city, year, month, expected) => {
    expect(registrationDeadline({ year, month }, city === 'nijmegen' ? nijmegenPublished : rule(city))).toEqual(expected);
  });
});

describe('Nijmegen: a family that joins after the main round gets the next later round', () => {
  it.each([
    // Born 2024-05, main round 1 Feb 2027; starts school around May 2028.
    ['2027-01-31', '2027-02-01'],
    ['2027-02-01', '2027-02-01'],
    ['2027-02-02', '2027-04-01'],
    ['2027-04-15', '2027-06-01'],
    ['2027-06-02', '2027-09-01'],
    ['2027-10-01', '2027-11-01'],
    ['2027-11-20', '2028-02-01'],
    ['2028-02-10', '2028-04-01'],
  ])('joined %s → %s', (from, date) => {
    expect(registrationDeadline({ year: 2024, month: 5 }, nijmegenPublished, { from })).toEqual({ kind: 'date', date, opens: { year: 2027, month: 1 } });
  });

  it('a next main round whose day is not published yet is given as its month', () => {
    expect(registrationDeadline({ year: 2024, month: 5 }, rule('nijmegen'), { from: '2027-11-20' })).toEqual({ kind: 'monthOnly', deadline: { year: 2028, month: 2 }, opens: { year: 2027, month: 1 } });
  });

  it('after the child turned 4 no later round applies: the (past) main round stays', () => {
    expect(registrationDeadline({ year: 2024, month: 5 }, nijmegenPublished, { from: '2028-05-02' })).toEqual({ kind: 'date', date: '2027-02-01', opens: { year: 2027, month: 1 } });
  });

  it('other cities ignore the day the family joined', () => {
    expect(registrationDeadline({ year: 2020, month: 9 }, rule('amsterdam'), { from: '2025-01-01' })).toEqual(amsterdamSays(2020, 9));
  });
});

describe('first registration age', () => {
  it.each([
    ['nijmegen', { years: 2, months: 9 }],
    ['amsterdam', { years: 3, months: 0 }],
    ['utrecht', { years: 3, months: 0 }],
    ['den haag', { years: 3, months: 0 }],
    ['rotterdam', { years: 3, months: 0 }],
  ])('%s: %o', (city, age) => {
    expect(firstRegistrationAge(rule(city))).toEqual(age);
  });
});

describe('days still to be published', () => {
  it('Amsterdam: every deadline month without a day; Nijmegen: the main round only', () => {
    expect(unpublishedDeadlineMonths(rule('amsterdam'), { year: 2024, month: 1 }, { year: 2025, month: 6 })).toEqual([
      { year: 2025, month: 3 },
      { year: 2025, month: 6 },
    ]);
    expect(unpublishedDeadlineMonths(rule('nijmegen'), { year: 2023, month: 12 }, { year: 2025, month: 2 })).toEqual([{ year: 2025, month: 2 }]);
    expect(unpublishedDeadlineMonths(rule('utrecht'), { year: 2024, month: 1 }, { year: 2030, month: 1 })).toEqual([]);
  });
});
