import { describe, expect, it } from 'vitest';
import { registrationDeadline, type CohortRule, type RegistrationRule } from '../../src/domain/registration-deadline.js';

/** Amsterdam's three birth windows (DOMAIN.md); the days are example data, as configuration would hold them. */
const amsterdam: CohortRule = {
  kind: 'cohorts',
  windows: [
    { fromMonth: 1, toMonth: 4, deadlineYearOffset: 3, deadlineMonth: 6 },
    { fromMonth: 5, toMonth: 8, deadlineYearOffset: 3, deadlineMonth: 11 },
    { fromMonth: 9, toMonth: 12, deadlineYearOffset: 4, deadlineMonth: 3 },
  ],
  dates: { '2027-03': '2027-03-04', '2027-06': '2027-06-03', '2027-11': '2027-11-04', '2028-03': '2028-03-02' },
};
const utrecht: RegistrationRule = { kind: 'quarterTurning3' };
const nijmegen: RegistrationRule = { kind: 'rounds', rounds: [{ month: 2, day: 1 }, { month: 4, day: 1 }, { month: 6, day: 1 }, { month: 9, day: 1 }, { month: 11, day: 1 }] };

describe('registration deadlines', () => {
  it.each([
    // Amsterdam: cohort edges
    ['amsterdam', 2024, 4, { kind: 'date', date: '2027-06-03', opens: { year: 2027, month: 4 } }],
    ['amsterdam', 2024, 5, { kind: 'date', date: '2027-11-04', opens: { year: 2027, month: 5 } }],
    ['amsterdam', 2024, 8, { kind: 'date', date: '2027-11-04', opens: { year: 2027, month: 8 } }],
    ['amsterdam', 2023, 9, { kind: 'date', date: '2027-03-04', opens: { year: 2026, month: 9 } }],
    // 31 December / 1 January: one month apart, different cohorts
    ['amsterdam', 2023, 12, { kind: 'date', date: '2027-03-04', opens: { year: 2026, month: 12 } }],
    ['amsterdam', 2024, 1, { kind: 'date', date: '2027-06-03', opens: { year: 2027, month: 1 } }],
    // A year whose dates are not published yet: the month, never a guessed day
    ['amsterdam', 2025, 2, { kind: 'monthOnly', deadline: { year: 2028, month: 6 }, opens: { year: 2028, month: 2 } }],
    ['amsterdam', 2024, 9, { kind: 'date', date: '2028-03-02', opens: { year: 2027, month: 9 } }],
    // Utrecht: the quarter in which the child turns 3, leap years included
    ['utrecht', 2024, 2, { kind: 'date', date: '2027-03-31', opens: { year: 2027, month: 1 } }],
    ['utrecht', 2021, 2, { kind: 'date', date: '2024-03-31', opens: { year: 2024, month: 1 } }],
    ['utrecht', 2023, 12, { kind: 'date', date: '2026-12-31', opens: { year: 2026, month: 10 } }],
    ['utrecht', 2024, 1, { kind: 'date', date: '2027-03-31', opens: { year: 2027, month: 1 } }],
    ['utrecht', 2024, 6, { kind: 'date', date: '2027-06-30', opens: { year: 2027, month: 4 } }],
    // Nijmegen: the first round that closes after the child turns 3
    ['nijmegen', 2024, 1, { kind: 'date', date: '2027-02-01', opens: { year: 2027, month: 1 } }],
    ['nijmegen', 2024, 2, { kind: 'date', date: '2027-04-01', opens: { year: 2027, month: 2 } }],
    ['nijmegen', 2023, 12, { kind: 'date', date: '2027-02-01', opens: { year: 2026, month: 12 } }],
    ['nijmegen', 2024, 11, { kind: 'date', date: '2028-02-01', opens: { year: 2027, month: 11 } }],
    // Everywhere else
    ['rotterdam', 2024, 3, { kind: 'fromAge3', opens: { year: 2027, month: 3 } }],
  ] as const)('%s, born %i-%i', (city, year, month, expected) => {
    const rules: Record<string, RegistrationRule> = { amsterdam, utrecht, nijmegen, rotterdam: { kind: 'fromAge3' } };
    expect(registrationDeadline({ year, month }, rules[city] ?? { kind: 'fromAge3' })).toEqual(expected);
  });
});
