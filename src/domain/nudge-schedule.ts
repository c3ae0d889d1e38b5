/**
 * When a once or recurring nudge runs (pure). Every occurrence is a local date and wall-clock time
 * in the initiative's IANA zone (luxon through src/domain/local-time.ts), so "every Monday 10:00"
 * stays 10:00 on both sides of a DST change. An occurrence is named by its local moment
 * ("2027-03-15T10:00"): the run key that makes it fire once, also across restarts.
 */
import { addDays, localAt, localDayOf, type LocalDay } from './local-time.js';
import type { NudgeMoment } from './nudge.types.js';

export interface Occurrence {
  /** The local moment, "YYYY-MM-DDTHH:MM" (the run key). */
  key: string;
  at: Date;
}

/** An occurrence later than this is not sent any more: the bot was down, the moment has passed. */
export const LATE_GRACE_MS = 24 * 3600_000;

const pad = (n: number): string => String(n).padStart(2, '0');
export const dayString = (d: LocalDay): string => `${d.year}-${pad(d.month)}-${pad(d.day)}`;

export function parseDayString(s: string): LocalDay | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const back = addDays(d, 0);
  return back.year === d.year && back.month === d.month && back.day === d.day ? d : null;
}

const occurrence = (day: LocalDay, at: string, zone: string): Occurrence => ({ key: `${dayString(day)}T${at}`, at: localAt(day, at, zone) });

/** ISO weekday (1 = Monday … 7 = Sunday) of a calendar day. */
const weekdayOf = (d: LocalDay): number => ((new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7) + 1;

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The first occurrence strictly after `after` (null: none, e.g. a once nudge whose moment passed,
 * or a relative nudge, which the planner runs per parent).
 */
export function nextOccurrence(moment: NudgeMoment, after: Date, zone: string): Occurrence | null {
  if (moment.type === 'once') {
    const day = parseDayString(moment.date);
    if (!day) return null;
    const o = occurrence(day, moment.at, zone);
    return o.at > after ? o : null;
  }
  if (moment.type !== 'weekly' && moment.type !== 'monthly') return null;
  const today = localDayOf(after, zone);
  // The candidate today, then the following ones: at most 8 days or 3 months ahead.
  if (moment.type === 'weekly') {
    for (let i = 0; i <= 7; i++) {
      const day = addDays(today, i);
      if (weekdayOf(day) !== moment.weekday) continue;
      const o = occurrence(day, moment.at, zone);
      if (o.at > after) return o;
    }
    return null;
  }
  for (let i = 0; i <= 2; i++) {
    const ym = { year: today.year + Math.floor((today.month - 1 + i) / 12), month: ((today.month - 1 + i) % 12) + 1 };
    const day = { ...ym, day: Math.min(moment.day, daysInMonth(ym.year, ym.month)) };
    const o = occurrence(day, moment.at, zone);
    if (o.at > after) return o;
  }
  return null;
}

/** The occurrences due at `now`: those after `from` up to now (a recurring nudge catching up after a pause of the bot). */
export function dueOccurrences(moment: NudgeMoment, from: Date, now: Date, zone: string, max = 50): Occurrence[] {
  const out: Occurrence[] = [];
  let cursor = new Date(from.getTime() - 1);
  for (let o = nextOccurrence(moment, cursor, zone); o && o.at <= now && out.length < max; o = nextOccurrence(moment, cursor, zone)) {
    out.push(o);
    cursor = o.at;
  }
  return out;
}

/** Whether an occurrence is too late to send (it is recorded as missed instead). */
export const isMissed = (o: Occurrence, now: Date): boolean => now.getTime() - o.at.getTime() > LATE_GRACE_MS;
