/**
 * Children are stored as a birth (or due) year and month only. This reads the common ways
 * parents type a month ("03-2024", "3/2024", "2024-03", "maart 2024", "March 2024", the genitive
 * "березня 2024" / "marca 2024", and Arabic-Indic digits "مارس ٢٠٢٤") and
 * checks the child fits Ouderbrug: born 0–4 years ago, or due within the next 10 months.
 */

export interface YearMonth {
  year: number;
  month: number;
}

export const MAX_AGE_MONTHS = 59; // up to the day before the 5th birthday month: "0–4 years"
export const MAX_DUE_AHEAD_MONTHS = 10;

export const monthIndex = (ym: YearMonth): number => ym.year * 12 + (ym.month - 1);
export const fromIndex = (index: number): YearMonth => ({ year: Math.floor(index / 12), month: (index % 12) + 1 });

export type ChildCheck = 'ok' | 'future' | 'too_old' | 'due_past' | 'due_too_far';

export function checkChild(child: YearMonth & { expected: boolean }, now: YearMonth): ChildCheck {
  const diff = monthIndex(now) - monthIndex(child);
  if (child.expected) {
    if (diff > 0) return 'due_past';
    return -diff > MAX_DUE_AHEAD_MONTHS ? 'due_too_far' : 'ok';
  }
  if (diff < 0) return 'future';
  return diff > MAX_AGE_MONTHS ? 'too_old' : 'ok';
}

export function ageInMonths(child: YearMonth, now: YearMonth): number {
  return monthIndex(now) - monthIndex(child);
}

const monthNameCache = new Map<string, Map<string, number>>();

/** Month names (long and short) for a language, from Intl, lower-case and without dots. */
function monthNames(lang: string): Map<string, number> {
  const cached = monthNameCache.get(lang);
  if (cached) return cached;
  const names = new Map<string, number>();
  for (const style of ['long', 'short'] as const) {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat(lang, { month: style, timeZone: 'UTC' });
    } catch {
      continue;
    }
    for (let m = 1; m <= 12; m++) {
      const name = format.format(new Date(Date.UTC(2024, m - 1, 15))).toLocaleLowerCase(lang).replace(/\./g, '');
      if (!/^\d+$/.test(name)) names.set(name, m);
    }
    // The form used with a day ("15 березня", "15 marca"): the genitive in Slavic languages, and
    // what parents often type with a year too ("березня 2024").
    try {
      const withDay = new Intl.DateTimeFormat(lang, { day: 'numeric', month: style, timeZone: 'UTC' });
      for (let m = 1; m <= 12; m++) {
        const part = withDay.formatToParts(new Date(Date.UTC(2024, m - 1, 15))).find((p) => p.type === 'month')?.value;
        const name = part?.toLocaleLowerCase(lang).replace(/\./g, '');
        if (name && !/^\d+$/.test(name) && !names.has(name)) names.set(name, m);
      }
    } catch {
      // a language Intl cannot format with a day: the stand-alone names above suffice
    }
  }
  monthNameCache.set(lang, names);
  return names;
}

function monthFromWord(word: string, langs: string[]): number | null {
  const w = word.toLocaleLowerCase().replace(/\./g, '');
  for (const lang of langs) {
    const m = monthNames(lang).get(w);
    if (m) return m;
  }
  // Dutch and English three-letter prefixes ("sept", "okt", "mrt" are covered by Intl).
  for (const lang of langs) {
    for (const [name, m] of monthNames(lang)) if (w.length >= 3 && name.startsWith(w)) return m;
  }
  return null;
}

const valid = (year: number, month: number): YearMonth | null =>
  month >= 1 && month <= 12 && year >= 1900 && year <= 2200 ? { year, month } : null;

/** Reads a month and year from free text in the parent's language (Dutch and English always work). */
/** Arabic-Indic (٠–٩) and Eastern Arabic-Indic (۰–۹) digits as ASCII digits. */
const westernDigits = (s: string): string => s.replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (d) => String((d.codePointAt(0) ?? 0) & 0xf));

export function parseYearMonth(input: string, lang: string): YearMonth | null {
  const text = westernDigits(input.normalize('NFC'))
    .replace(/[\u200E\u200F\u2066-\u2069]/g, '') // direction marks a keyboard may add
    .trim()
    .toLocaleLowerCase()
    .replace(/\s*(?:р|г|r)\.?$/u, '') // "березня 2024 р.", "2024 г.", "marca 2024 r."
    .replace(/،/g, ',');
  if (text.length > 40) return null;
  let m = /^(\d{1,2})\s*[-/.\s]\s*(\d{4})$/.exec(text);
  if (m) return valid(Number(m[2]), Number(m[1]));
  m = /^(\d{4})\s*[-/.\s]\s*(\d{1,2})$/.exec(text);
  if (m) return valid(Number(m[1]), Number(m[2]));
  const langs = [...new Set([lang, 'nl', 'en'])];
  m = /^(\p{L}[\p{L}\p{M}.]*)\s*[-/,\s]\s*(\d{4})$/u.exec(text);
  if (m?.[1]) {
    const month = monthFromWord(m[1], langs);
    return month ? valid(Number(m[2]), month) : null;
  }
  m = /^(\d{4})\s*[-/,\s]\s*(\p{L}[\p{L}\p{M}.]*)$/u.exec(text);
  if (m?.[2]) {
    const month = monthFromWord(m[2], langs);
    return month ? valid(Number(m[1]), month) : null;
  }
  return null;
}
