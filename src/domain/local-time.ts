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
// and the same few strings: no key is built per call). Bounded: cleared when large.
const memo = new Map<string, Map<string, Map<number, number>>>();
let memoSize = 0;

/** The instant of a local day and "HH:MM" in a zone. */
export function localAt(day: LocalDay, time: string, zone: string): Date {
  let byTime = memo.get(zone);
  if (!byTime) memo.set(zone, (byTime = new Map()));
  let byDay = byTime.get(time);
  if (!byDay) byTime.set(time, (byDay = new Map()));
  // Month and day may overflow (the 31st of a 30-day month, day 0): the number keeps them apart.
  const dayKey = day.year * 40_000 + (day.month + 50) * 200 + (day.day + 100);
  let ms = byDay.get(dayKey);
  if (ms === undefined) {
    // Normalise overflowing days (the 31st of a 30-day month, day 0) before asking luxon.
    const base = DateTime.fromObject({ year: day.year, month: day.month, day: 1 }, { zone: 'UTC' }).plus({ days: day.day - 1 });
    ms = DateTime.fromObject({ year: base.year, month: base.month, day: base.day, ...hm(time) }, { zone }).toMillis();
    if (++memoSize > 50_000) {
      memo.clear();
      memoSize = 0;
      return new Date(ms);
    }
    byDay.set(dayKey, ms);
  }
  return new Date(ms);
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

/** The local day of an instant: the UTC calendar day of the instant shifted by the zone's offset (what luxon computes). */
export function localDayOf(instant: Date, zone: string): LocalDay {
  const ms = instant.getTime();
  const offset = offsetAt(zoneOffsetsOf(zone), ms);
  if (!Number.isNaN(offset)) {
    const d = new Date(ms + offset * 60_000);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  }
  const d = DateTime.fromJSDate(instant, { zone });
  return { year: d.year, month: d.month, day: d.day };
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
