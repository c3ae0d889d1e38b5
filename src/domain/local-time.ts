/**
 * Local calendar arithmetic in an IANA time zone (luxon), so "10:00 on the 1st" means 10:00
 * in Amsterdam on both sides of a daylight-saving change. A local time that does not exist
 * (02:30 on the spring-forward night) moves forward to the next valid time.
 */
import { DateTime, Info, type Zone } from 'luxon';

export interface LocalDay {
  year: number;
  month: number;
  day: number;
}

const hm = (time: string): { hour: number; minute: number } => {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return { hour, minute };
};

// The planner asks for the same few thousand (day, time, zone) triples for every parent; luxon
// takes microseconds per call, so the answers are remembered by zone, time and day number (numbers
// and the same few strings: no key is built per call). Bounded: cleared when large. The same Date
// object is handed out for the same moment (nothing in this code base mutates a Date: no setters).
const memo = new Map<string, Map<string, Map<number, Date>>>();
let memoSize = 0;

/** The instant of a local day and "HH:MM" in a zone. */
export function localAt(day: LocalDay, time: string, zone: string): Date {
  let byTime = memo.get(zone);
  if (!byTime) memo.set(zone, (byTime = new Map()));
  let byDay = byTime.get(time);
  if (!byDay) byTime.set(time, (byDay = new Map()));
  // Month and day may overflow (the 31st of a 30-day month, day 0): the number keeps them apart.
  const dayKey = day.year * 40_000 + (day.month + 50) * 200 + (day.day + 100);
  let at = byDay.get(dayKey);
  if (at === undefined) {
    // Normalise overflowing days (the 31st of a 30-day month, day 0) before asking luxon.
    const base = DateTime.fromObject({ year: day.year, month: day.month, day: 1 }, { zone: 'UTC' }).plus({ days: day.day - 1 });
    at = new Date(DateTime.fromObject({ year: base.year, month: base.month, day: base.day, ...hm(time) }, { zone }).toMillis());
    if (++memoSize > 50_000) {
      memo.clear();
      memoSize = 0;
      return at;
    }
    byDay.set(dayKey, at);
  }
  return at;
}

/** Local midnight starting a day. */
export const localMidnight = (day: LocalDay, zone: string): Date => localAt(day, '00:00', zone);

/**
 * A zone's UTC offset (minutes, as luxon gives it) per UTC day where it is the same at both ends of
 * the day, else per UTC hour where it is the same at both ends of the hour (NaN where it changes
 * within the hour). An offset changes at most once a day (DST; tzdb has no zone with two changes in
 * one day since long before any date here), so an offset equal at both ends holds in between. Per
 * zone; bounded. Parents' own moments (joined, last seen) fall on thousands of different hours.
 */
const zoneOffsets = new Map<string, { zone: Zone | null; days: Map<number, number>; hours: Map<number, number> }>();
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function zoneOffsetsOf(zone: string): { zone: Zone | null; days: Map<number, number>; hours: Map<number, number> } {
  let entry = zoneOffsets.get(zone);
  if (!entry) {
    const z = Info.normalizeZone(zone);
    // Only zones whose rules cannot change while the process runs (not the system zone).
    entry = { zone: z.isValid && (z.type === 'iana' || z.type === 'fixed') ? z : null, days: new Map(), hours: new Map() };
    zoneOffsets.set(zone, entry);
  }
  return entry;
}

/** The offset in force over a whole span [start, start + length), or NaN when it changes within it. */
function steadyOffset(zone: Zone, start: number, length: number): number {
  const first = zone.offset(start);
  return first === zone.offset(start + length - 1) ? first : NaN;
}

/** The zone's offset at an instant without luxon for most instants; NaN: ask luxon. */
function offsetAt(entry: { zone: Zone | null; days: Map<number, number>; hours: Map<number, number> }, ms: number): number {
  const zone = entry.zone;
  if (!zone || !Number.isFinite(ms)) return NaN;
  const day = Math.floor(ms / DAY_MS);
  let offset = entry.days.get(day);
  if (offset === undefined) {
    offset = steadyOffset(zone, day * DAY_MS, DAY_MS);
    if (entry.days.size > 100_000) entry.days.clear();
    entry.days.set(day, offset);
  }
  if (!Number.isNaN(offset)) return offset;
  const hour = Math.floor(ms / HOUR_MS);
  offset = entry.hours.get(hour);
  if (offset === undefined) {
    offset = steadyOffset(zone, hour * HOUR_MS, HOUR_MS);
    if (entry.hours.size > 100_000) entry.hours.clear();
    entry.hours.set(hour, offset);
  }
  return offset;
}

/** A zone's UTC offset in minutes at an instant: remembered (see zoneOffsets), luxon where it changes within the hour. */
export function offsetMinutesAt(ms: number, zone: string): number {
  const offset = offsetAt(zoneOffsetsOf(zone), ms);
  return Number.isNaN(offset) ? DateTime.fromMillis(ms, { zone }).offset : offset;
}

/** The local day of an instant: the UTC calendar day of the instant shifted by the zone's offset (what luxon computes). */
export function localDayOf(instant: Date, zone: string): LocalDay {
  const ms = instant.getTime();
  const d = new Date(ms + offsetMinutesAt(ms, zone) * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Calendar days later (or earlier), month and year boundaries handled (plain UTC date arithmetic: no zone involved). */
export function addDays(day: LocalDay, days: number): LocalDay {
  const { year, month } = day;
  const d = day.day + days;
  // Whole numbers in the usual range: calendar arithmetic on day numbers (no Date; the planner adds
  // days for every parent). Otherwise (years 0-99, which Date.UTC reads as 19xx; fractions) as before.
  if (Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(d) && year >= 100 && year < 200_000 && Math.abs(d) < 100_000_000) {
    const m0 = month - 1;
    return civilOfDays(daysOfCivil(year + Math.floor(m0 / 12), (((m0 % 12) + 12) % 12) + 1, 1) + d - 1);
  }
  const at = new Date(Date.UTC(year, month - 1, d));
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
}

/** Days since 1970-01-01 of a proleptic Gregorian date, month 1-12 (H. Hinnant's days_from_civil). */
function daysOfCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** The date of a day number (civil_from_days). */
function civilOfDays(days: number): LocalDay {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

export function parseDay(iso: string): LocalDay {
  const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

export const formatDay = (d: LocalDay): string => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/** Minutes after local midnight of an instant (the planner and the worker ask this for every message). */
export function localMinutes(instant: Date, zone: string): number {
  const ms = instant.getTime();
  const minutes = Math.floor(ms / 60_000) + offsetMinutesAt(ms, zone);
  return ((minutes % 1440) + 1440) % 1440;
}

const minutesMemo = new Map<string, number>();

/** Minutes after midnight of "HH:MM" (remembered: the same few times are asked for every message). */
export const minutesOf = (time: string): number => {
  let m = minutesMemo.get(time);
  if (m === undefined) {
    const { hour, minute } = hm(time);
    m = hour * 60 + minute;
    if (minutesMemo.size > 10_000) minutesMemo.clear();
    minutesMemo.set(time, m);
  }
  return m;
};
