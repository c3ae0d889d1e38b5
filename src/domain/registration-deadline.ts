/**
 * When a child must be registered at a primary school, computed from the birth year and
 * month (every known municipal rule works on month boundaries). The rules themselves are
 * data passed in: cities differ and several facts are unverified, so they belong in
 * configuration, not here (DOMAIN.md, "Registration: from birth month to deadline").
 */
import { fromIndex, monthIndex, type YearMonth } from './birth-month.js';

/** Amsterdam style: birth windows map to a deadline month; the exact days are published per year. */
export interface CohortRule {
  kind: 'cohorts';
  windows: { fromMonth: number; toMonth: number; deadlineYearOffset: number; deadlineMonth: number }[];
  /** Known deadline days by deadline month ("2027-03" → "2027-03-04"). */
  dates: Record<string, string>;
}
/** Utrecht style: register in the calendar quarter in which the child turns 3. */
export interface QuarterRule {
  kind: 'quarterTurning3';
}
/** Nijmegen style: fixed yearly rounds; the first round closing after the child turns 3 applies. */
export interface RoundsRule {
  kind: 'rounds';
  rounds: { month: number; day: number }[];
}
/** Everywhere else: register at each school from age 3, no central deadline. */
export interface FromAge3Rule {
  kind: 'fromAge3';
}
export type RegistrationRule = CohortRule | QuarterRule | RoundsRule | FromAge3Rule;

export type RegistrationDeadline =
  /** A known last day, and the month from which registering is possible. */
  | { kind: 'date'; date: string; opens: YearMonth }
  /** The month is known but its day is not published yet: say so, never guess. */
  | { kind: 'monthOnly'; deadline: YearMonth; opens: YearMonth }
  /** No central deadline: register at the school from this month. */
  | { kind: 'fromAge3'; opens: YearMonth };

const pad = (n: number) => String(n).padStart(2, '0');
const ymKey = (ym: YearMonth) => `${ym.year}-${pad(ym.month)}`;
const lastDay = (ym: YearMonth) => new Date(Date.UTC(ym.year, ym.month, 0)).getUTCDate();

export function registrationDeadline(birth: YearMonth, rule: RegistrationRule): RegistrationDeadline {
  const turns3 = { year: birth.year + 3, month: birth.month };
  switch (rule.kind) {
    case 'fromAge3':
      return { kind: 'fromAge3', opens: turns3 };
    case 'quarterTurning3': {
      const quarterEnd = { year: turns3.year, month: Math.ceil(turns3.month / 3) * 3 };
      const opens = { year: turns3.year, month: quarterEnd.month - 2 };
      return { kind: 'date', date: `${ymKey(quarterEnd)}-${pad(lastDay(quarterEnd))}`, opens };
    }
    case 'rounds':
      return roundAfter(turns3, rule);
    case 'cohorts':
      return cohortDeadline(birth, turns3, rule);
  }
}

function cohortDeadline(birth: YearMonth, turns3: YearMonth, rule: CohortRule): RegistrationDeadline {
  const window = rule.windows.find((w) => birth.month >= w.fromMonth && birth.month <= w.toMonth);
  if (!window) return { kind: 'fromAge3', opens: turns3 };
  const deadline = { year: birth.year + window.deadlineYearOffset, month: window.deadlineMonth };
  // Registration opens at 3; a deadline month before that still opens when the child turns 3.
  const opens = monthIndex(turns3) <= monthIndex(deadline) ? turns3 : deadline;
  const date = rule.dates[ymKey(deadline)];
  return date ? { kind: 'date', date, opens } : { kind: 'monthOnly', deadline, opens };
}

function roundAfter(turns3: YearMonth, rule: RoundsRule): RegistrationDeadline {
  const sorted = [...rule.rounds].sort((a, b) => a.month - b.month || a.day - b.day);
  // A round closing on day 1 of a month counts only if the child is 3 before that month.
  for (let i = monthIndex(turns3); i < monthIndex(turns3) + 24; i++) {
    const ym = fromIndex(i);
    const round = sorted.find((r) => r.month === ym.month && (r.day > 1 || i > monthIndex(turns3)));
    if (round) return { kind: 'date', date: `${ymKey(ym)}-${pad(round.day)}`, opens: turns3 };
  }
  return { kind: 'fromAge3', opens: turns3 };
}
