/**
 * When a child must be registered at a primary school, computed from the birth year and
 * month (every known municipal rule works on month boundaries). The rules themselves are
 * data passed in: cities differ and several facts are unverified, so they belong in
 * configuration (config/municipalities.json), not here. The sources of each city's rule are
 * in the comments of test/domain/registration-deadline.test.ts.
 */
import { fromIndex, monthIndex, type YearMonth } from './birth-month.js';

interface RuleBase {
  /** From this age in months parents can register (Nijmegen 33 = 2 years 9 months); default 36. */
  firstRegistrationAgeMonths?: number;
}

/** Amsterdam style: birth windows map to a deadline month; the exact days are published per year. */
export interface CohortRule extends RuleBase {
  kind: 'cohorts';
  windows: { fromMonth: number; toMonth: number; deadlineYearOffset: number; deadlineMonth: number }[];
  /** Known deadline days by deadline month ("2027-03" → "2027-03-04"). */
  dates: Record<string, string>;
}
/** Utrecht style: register in the calendar quarter in which the child turns 3. */
export interface QuarterRule extends RuleBase {
  kind: 'quarterTurning3';
}
/**
 * Nijmegen style (Schoolwijzer): one main round per school year for the cohort of children
 * who turn 4 from the 1st of `cohortStartMonth` for a year; its day is published each year
 * and falls in `mainRound.month` … `mainRound.latestMonth` (1 February, in some years
 * 1 March). Later rounds place late registrations: a family that joins after the main round
 * gets the next later round before the child turns 4.
 */
export interface SchoolYearRoundsRule extends RuleBase {
  kind: 'schoolYearRounds';
  cohortStartMonth: number;
  mainRound: { month: number; latestMonth: number };
  lateRounds: { month: number; day: number }[];
  /** Published days by month ("2024-02" → "2024-02-01"): the main round's, or a later round's other day. */
  dates: Record<string, string>;
}
/** Everywhere else: register at each school from age 3, no central deadline. */
export interface FromAge3Rule extends RuleBase {
  kind: 'fromAge3';
}
export type RegistrationRule = CohortRule | QuarterRule | SchoolYearRoundsRule | FromAge3Rule;

export type RegistrationDeadline =
  /** A known last day, and the month from which registering is possible. */
  | { kind: 'date'; date: string; opens: YearMonth }
  /** The month is known but its day is not published yet: say so, never guess. */
  | { kind: 'monthOnly'; deadline: YearMonth; opens: YearMonth }
  /** No central deadline: register at the school from this month. */
  | { kind: 'fromAge3'; opens: YearMonth };

export interface DeadlineOptions {
  /**
   * The local day ("YYYY-MM-DD") the family is counted from, usually the day the parent
   * joined. Only a rule with later rounds uses it: when the main round closed before this
   * day, the next later round applies. Absent: the main round.
   */
  from?: string | null;
}

const pad = (n: number) => String(n).padStart(2, '0');
export const ymKey = (ym: YearMonth): string => `${ym.year}-${pad(ym.month)}`;
const lastDay = (ym: YearMonth) => new Date(Date.UTC(ym.year, ym.month, 0)).getUTCDate();

/** The age from which parents can register, in whole months (default 3 years). */
export function firstRegistrationAgeMonths(rule: RegistrationRule): number {
  return rule.firstRegistrationAgeMonths ?? 36;
}

/** The same, as years and months (2 years 9 months). */
export function firstRegistrationAge(rule: RegistrationRule): { years: number; months: number } {
  const m = firstRegistrationAgeMonths(rule);
  return { years: Math.floor(m / 12), months: m % 12 };
}

export function registrationDeadline(birth: YearMonth, rule: RegistrationRule, opts: DeadlineOptions = {}): RegistrationDeadline {
  const ageOpens = fromIndex(monthIndex(birth) + firstRegistrationAgeMonths(rule));
  switch (rule.kind) {
    case 'fromAge3':
      return { kind: 'fromAge3', opens: ageOpens };
    case 'quarterTurning3': {
      const turns3 = { year: birth.year + 3, month: birth.month };
      const quarterEnd = { year: turns3.year, month: Math.ceil(turns3.month / 3) * 3 };
      const opens = { year: turns3.year, month: quarterEnd.month - 2 };
      return { kind: 'date', date: `${ymKey(quarterEnd)}-${pad(lastDay(quarterEnd))}`, opens };
    }
    case 'schoolYearRounds':
      return schoolYearDeadline(birth, ageOpens, rule, opts.from ?? null);
    case 'cohorts':
      return cohortDeadline(birth, ageOpens, rule);
  }
}

function cohortDeadline(birth: YearMonth, ageOpens: YearMonth, rule: CohortRule): RegistrationDeadline {
  const window = rule.windows.find((w) => birth.month >= w.fromMonth && birth.month <= w.toMonth);
  if (!window) return { kind: 'fromAge3', opens: ageOpens };
  const deadline = { year: birth.year + window.deadlineYearOffset, month: window.deadlineMonth };
  // Registration opens at the first registration age; a deadline month before that still opens then.
  const opens = monthIndex(ageOpens) <= monthIndex(deadline) ? ageOpens : deadline;
  const date = rule.dates[ymKey(deadline)];
  return date ? { kind: 'date', date, opens } : { kind: 'monthOnly', deadline, opens };
}

/** The main round of one year: its published day, or its usual month while the day is unknown. */
function mainRoundOf(year: number, rule: SchoolYearRoundsRule): { kind: 'date'; date: string } | { kind: 'monthOnly'; deadline: YearMonth } {
  for (let m = rule.mainRound.month; m <= rule.mainRound.latestMonth; m++) {
    const date = rule.dates[ymKey({ year, month: m })];
    if (date) return { kind: 'date', date };
  }
  return { kind: 'monthOnly', deadline: { year, month: rule.mainRound.month } };
}

/** The cohort turns 4 from the 1st of cohortStartMonth in this year: the school year the child starts. */
export function cohortYear(birth: YearMonth, rule: SchoolYearRoundsRule): number {
  return birth.month >= rule.cohortStartMonth ? birth.year + 4 : birth.year + 3;
}

function schoolYearDeadline(birth: YearMonth, ageOpens: YearMonth, rule: SchoolYearRoundsRule, from: string | null): RegistrationDeadline {
  const y = cohortYear(birth, rule);
  const mainYear = rule.mainRound.month < rule.cohortStartMonth ? y : y - 1;
  const main = mainRoundOf(mainYear, rule);
  // The youngest of a cohort reach the first registration age only after the main round: they may register earlier.
  const beforeMain = { year: mainYear, month: rule.mainRound.month - 1 || 12 };
  if (rule.mainRound.month === 1) beforeMain.year -= 1;
  const opens = monthIndex(ageOpens) <= monthIndex(beforeMain) ? ageOpens : beforeMain;
  if (!from || !closedBefore(main, from)) return { ...main, opens };
  // A late joiner: the next round (later round, or a later year's main round) before the child turns 4.
  const turns4 = monthIndex({ year: birth.year + 4, month: birth.month });
  const fromYear = Number(from.slice(0, 4));
  for (let year = fromYear; year <= birth.year + 4; year++) {
    const rounds = [mainRoundOf(year, rule), ...rule.lateRounds.map((r) => lateRoundOf(year, r, rule))].sort((a, b) => roundKey(a).localeCompare(roundKey(b)));
    for (const round of rounds) {
      const month = round.kind === 'date' ? Number(round.date.slice(5, 7)) : round.deadline.month;
      if (monthIndex({ year, month }) > turns4) break;
      if (!closedBefore(round, from)) return { ...round, opens };
    }
  }
  return { ...main, opens };
}

function lateRoundOf(year: number, r: { month: number; day: number }, rule: SchoolYearRoundsRule): { kind: 'date'; date: string } {
  const ym = { year, month: r.month };
  return { kind: 'date', date: rule.dates[ymKey(ym)] ?? `${ymKey(ym)}-${pad(r.day)}` };
}

const roundKey = (r: { kind: 'date'; date: string } | { kind: 'monthOnly'; deadline: YearMonth }): string => (r.kind === 'date' ? r.date : `${ymKey(r.deadline)}-01`);

/** A round closed before `day`: its published day is earlier, or (day unknown) its whole month is over. */
function closedBefore(r: { kind: 'date'; date: string } | { kind: 'monthOnly'; deadline: YearMonth }, day: string): boolean {
  return r.kind === 'date' ? r.date < day : ymKey(r.deadline) < day.slice(0, 7);
}

/** The months in which a rule's deadline day is published (and may be stored). */
export function publishedMonths(rule: RegistrationRule): number[] {
  switch (rule.kind) {
    case 'cohorts':
      return [...new Set(rule.windows.map((w) => w.deadlineMonth))].sort((a, b) => a - b);
    case 'schoolYearRounds': {
      const main = Array.from({ length: rule.mainRound.latestMonth - rule.mainRound.month + 1 }, (_, i) => rule.mainRound.month + i);
      return [...new Set([...main, ...rule.lateRounds.map((r) => r.month)])].sort((a, b) => a - b);
    }
    default:
      return [];
  }
}

/**
 * Deadline months from `from` to `until` (inclusive) whose day must be published but is not:
 * someone has to look it up and add it. Later rounds with a usual day are not asked for.
 */
export function unpublishedDeadlineMonths(rule: RegistrationRule, from: YearMonth, until: YearMonth): YearMonth[] {
  const out: YearMonth[] = [];
  for (let i = monthIndex(from); i <= monthIndex(until); i++) {
    const ym = fromIndex(i);
    if (rule.kind === 'cohorts') {
      if (rule.windows.some((w) => w.deadlineMonth === ym.month) && !rule.dates[ymKey(ym)]) out.push(ym);
    } else if (rule.kind === 'schoolYearRounds') {
      if (ym.month === rule.mainRound.month && mainRoundOf(ym.year, rule).kind === 'monthOnly') out.push(ym);
    }
  }
  return out;
}
