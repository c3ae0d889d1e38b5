/**
 * When an initiative's newsletter goes out: every N weeks from a first local date, at a
 * local wall-clock time in the initiative's IANA zone. All arithmetic is on calendar dates
 * and wall times through luxon, so "10:00" stays 10:00 local on both sides of a DST change
 * (the UTC hour moves instead). A time that does not exist that day (the spring gap) moves
 * forward to the first minute that does; an ambiguous autumn time is luxon's choice (the
 * later of the two).
 */
import { DateTime } from 'luxon';

export interface NewsletterSchedule {
  everyWeeks: number;
  /** Local date of the first newsletter, "YYYY-MM-DD". */
  firstDate: string;
  /** Local time, "HH:MM". */
  time: string;
  active: boolean;
}

export interface NewsletterSlot {
  /**
   * The scheduled local moment, "YYYY-MM-DDTHH:MM" as written in the schedule: the stable
   * identity of this issue (also when a DST gap moves `at`).
   */
  slot: string;
  /** The instant it goes out. */
  at: Date;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isLocalDate(value: string): boolean {
  return DATE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

export function isLocalTime(value: string): boolean {
  return TIME.test(value);
}

/** Scheduled slots with `from <= at < to`; none for a paused schedule. */
export function newsletterSlots(schedule: NewsletterSchedule, timeZone: string, from: Date, to: Date): NewsletterSlot[] {
  const { everyWeeks, firstDate, time } = schedule;
  if (!Number.isInteger(everyWeeks) || everyWeeks < 1) throw new RangeError(`everyWeeks must be a whole number of at least 1 (got ${everyWeeks}).`);
  if (!isLocalDate(firstDate)) throw new RangeError(`firstDate must be a date YYYY-MM-DD (got "${firstDate}").`);
  const clock = TIME.exec(time);
  if (!clock) throw new RangeError(`time must be HH:MM (got "${time}").`);
  if (!DateTime.fromJSDate(from, { zone: timeZone }).isValid) throw new RangeError(`unknown time zone "${timeZone}".`);
  if (!schedule.active || to <= from) return [];

  const first = DateTime.fromISO(firstDate, { zone: 'UTC' });
  const wall = { hour: Number(clock[1]), minute: Number(clock[2]) };
  const periodDays = 7 * everyWeeks;
  // Start one period before `from`'s local date, so no slot near the boundary is skipped.
  const fromDay = DateTime.fromJSDate(from, { zone: timeZone }).setZone('UTC', { keepLocalTime: true }).startOf('day');
  let k = Math.max(0, Math.floor(fromDay.diff(first, 'days').days / periodDays) - 1);
  const slots: NewsletterSlot[] = [];
  for (;; k++) {
    const day = first.plus({ days: k * periodDays });
    const at = localInstant(day, wall, timeZone);
    if (at >= to) return slots;
    if (at >= from) slots.push({ slot: `${day.toISODate()}T${time}`, at });
  }
}

/** The instant of a wall time on a calendar day (given as a UTC date) in a zone; gaps move forward. */
function localInstant(day: DateTime, wall: { hour: number; minute: number }, timeZone: string): Date {
  const wanted = day.set(wall);
  // At most a few hours of wall time can be missing (a DST gap); walk forward minute by minute.
  for (let minutes = 0; minutes <= 24 * 60; minutes++) {
    const w = wanted.plus({ minutes });
    const local = DateTime.fromObject({ year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute }, { zone: timeZone });
    if (local.hour === w.hour && local.minute === w.minute && local.day === w.day) return local.toJSDate();
  }
  throw new RangeError(`no valid local time near ${wanted.toISO()} in ${timeZone}.`);
}
