/** Plain-text output for humans: aligned tables and compact postcode lists. */

export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** ["1091","1092","1093","1097"] → "1091-1093,1097": a whole area stays readable in one column. */
export function compactPostcodes(codes: string[]): string {
  const sorted = [...new Set(codes)].map(Number).sort((a, b) => a - b);
  const parts: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  for (const pc of [...sorted, Number.NaN]) {
    if (prev !== undefined && pc === prev + 1) {
      prev = pc;
      continue;
    }
    if (start !== undefined && prev !== undefined) parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = pc;
    prev = pc;
  }
  return parts.join(',');
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** YYYY-MM-DD of an instant in a time zone (en-CA formats dates that way). */
export function dateIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}
