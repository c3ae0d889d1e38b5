/**
 * Local calendar arithmetic in an IANA time zone (luxon), so "10:00 on the 1st" means 10:00
 * in Amsterdam on both sides of a daylight-saving change. A local time that does not exist
 * (02:30 on the spring-forward night) moves forward to the next valid time.
 */
import { DateTime } from 'luxon';

export interface LocalDay {
  year: number;
  month: number;
  day: number;
}

const hm = (time: string): { hour: number; minute: number } => {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return { hour, minute };
};

// The planner asks for the same few thousand (day, time, zone) triples for 100,000 parents;
// luxon takes microseconds per call, so remember the answers (bounded: cleared when large).
const memo = new Map<string, number>();

/** The instant of a local day and "HH:MM" in a zone. */
export function localAt(day: LocalDay, time: string, zone: string): Date {
  const key = `${day.year}-${day.month}-${day.day} ${time} ${zone}`;
  let ms = memo.get(key);
  if (ms === undefined) {
    // Normalise overflowing days (the 31st of a 30-day month, day 0) before asking luxon.
    const base = DateTime.fromObject({ year: day.year, month: day.month, day: 1 }, { zone: 'UTC' }).plus({ days: day.day - 1 });
    ms = DateTime.fromObject({ year: base.year, month: base.month, day: base.day, ...hm(time) }, { zone }).toMillis();
    if (memo.size > 50_000) memo.clear();
    memo.set(key, ms);
  }
  return new Date(ms);
}

/** Local midnight starting a day. */
export const localMidnight = (day: LocalDay, zone: string): Date => localAt(day, '00:00', zone);

const dayMemo = new Map<string, LocalDay>();

/** The local day of an instant (remembered: many parents share an event's start or "now"). */
export function localDayOf(instant: Date, zone: string): LocalDay {
  const key = `${instant.getTime()} ${zone}`;
  let day = dayMemo.get(key);
  if (!day) {
    const d = DateTime.fromJSDate(instant, { zone });
    day = { year: d.year, month: d.month, day: d.day };
    if (dayMemo.size > 50_000) dayMemo.clear();
    dayMemo.set(key, day);
  }
  return day;
}

/** Calendar days later (or earlier), month and year boundaries handled (plain UTC date arithmetic: no zone involved). */
export function addDays(day: LocalDay, days: number): LocalDay {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function parseDay(iso: string): LocalDay {
  const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

export const formatDay = (d: LocalDay): string => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/** Minutes after local midnight of an instant. */
export function localMinutes(instant: Date, zone: string): number {
  const d = DateTime.fromJSDate(instant, { zone });
  return d.hour * 60 + d.minute;
}

export const minutesOf = (time: string): number => {
  const { hour, minute } = hm(time);
  return hour * 60 + minute;
};
