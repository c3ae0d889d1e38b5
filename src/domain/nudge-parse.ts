/**
 * What a coordinator types while making a nudge (pure): a time ("10:00", "10.00", "10 uur", "9"),
 * a date with a time ("15-03-2027 10:00", "2027-03-15 10:00", "15/3/2027 10.30"), a month
 * ("2024-01", "01-2024", "1/2024") and a whole number in a range. Null: not understood.
 */
import { dayString, parseDayString } from './nudge-schedule.js';

const pad = (n: number): string => String(n).padStart(2, '0');

export function parseTime(input: string): string | null {
  const m = /^(\d{1,2})(?:[:.](\d{2}))?(?:\s*(?:uur|u|h))?$/i.exec(input.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  return hour <= 23 && minute <= 59 ? `${pad(hour)}:${pad(minute)}` : null;
}

/** A calendar day: "2027-03-15", "15-03-2027", "15-3-2027", "15/3/2027", "15.3.2027". */
export function parseDay(input: string): string | null {
  const s = input.trim();
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(s);
  const dmy = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(s);
  const [y, mo, d] = iso ? [iso[1], iso[2], iso[3]] : dmy ? [dmy[3], dmy[2], dmy[1]] : [];
  if (!y || !mo || !d) return null;
  const day = parseDayString(`${y}-${pad(Number(mo))}-${pad(Number(d))}`);
  return day ? dayString(day) : null;
}

/** A day and a time in one line ("15-03-2027 10:00"); without a time: null. */
export function parseDayTime(input: string): { date: string; at: string } | null {
  const parts = input.trim().split(/\s+(?:om\s+)?/i);
  if (parts.length < 2) return null;
  const date = parseDay(parts[0] ?? '');
  const at = parseTime(parts.slice(1).join(' '));
  return date && at ? { date, at } : null;
}

/** A month: "2024-01", "01-2024", "1/2024" → "2024-01". */
export function parseMonth(input: string): string | null {
  const s = input.trim();
  const ym = /^(\d{4})[-/.](\d{1,2})$/.exec(s);
  const my = /^(\d{1,2})[-/.](\d{4})$/.exec(s);
  const [y, m] = ym ? [Number(ym[1]), Number(ym[2])] : my ? [Number(my[2]), Number(my[1])] : [NaN, NaN];
  return Number.isInteger(y) && m >= 1 && m <= 12 ? `${y}-${pad(m)}` : null;
}

/** Two months, oldest first: "2024-01 2024-12", "01-2024 tot 12-2024". */
export function parseMonthRange(input: string): { from: string; to: string } | null {
  const parts = input
    .trim()
    .split(/\s*(?:\s|–|—|\btot\b|\bto\b|\bt\/m\b)\s*/i)
    .filter(Boolean);
  if (parts.length !== 2) return null;
  const a = parseMonth(parts[0] ?? '');
  const b = parseMonth(parts[1] ?? '');
  if (!a || !b) return null;
  return a <= b ? { from: a, to: b } : { from: b, to: a };
}

export function parseWhole(input: string, min: number, max: number): number | null {
  const s = input.trim();
  if (!/^\d{1,3}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}
