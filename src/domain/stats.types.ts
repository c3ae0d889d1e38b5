/**
 * Coordinators' figures (issue 12, items 3–5): the shapes shared by the figures (src/domain/stats*.ts,
 * src/db/stats.reads.ts), the chat and CLI that show them, and the charts (src/core/charts).
 * Counts only: no names, no ids of parents, never a list of people.
 */

/** Groups smaller than this are shown as "fewer than 10" (a breakdown by language, postcode, source …). */
export const SMALL_GROUP_MIN = 10;

/** A count as it may be shown: the number, or 'fewer' for a group of 1–9 (0 is shown as 0: it names nobody). */
export type ShownCount = number | 'fewer';

export const shown = (n: number): ShownCount => (n > 0 && n < SMALL_GROUP_MIN ? 'fewer' : n);

/** Chart inputs: labels already in the reader's language; the chart only draws. */
export interface ChartLabels {
  /** The reader's language (BCP 47 code of locales/), for number formatting and the font. */
  lang: string;
  /** Right-to-left (Arabic): the chart is mirrored and text runs right to left. */
  rtl: boolean;
  /** How a suppressed count reads ("minder dan 10"). */
  fewer: string;
  /** A line under the chart (the initiative and the date, "Bron: Ouderbrug"). */
  footnote?: string;
}

/** The funnel: joined → consented → looked at schools → registered → placed. */
export interface FunnelChart {
  kind: 'funnel';
  title: string;
  steps: { label: string; count: ShownCount }[];
}

/** Parents per participation level, month by month (the last 12 months). */
export interface ParticipationChart {
  kind: 'participation';
  title: string;
  /** The levels' names, in order active, fading, silent. */
  levels: [string, string, string];
  months: { label: string; counts: [ShownCount, ShownCount, ShownCount] }[];
}

/** Reach of the recent broadcasts per language: delivered, read (where known) and answered. */
export interface ReachChart {
  kind: 'reach';
  title: string;
  /** The series' names, in order delivered, read, answered. */
  series: [string, string, string];
  /** One group per language (a group under 10 parents shows 'fewer'); read is null where the channel does not report it. */
  groups: { label: string; counts: [ShownCount, ShownCount | null, ShownCount] }[];
}

export type ChartInput = FunnelChart | ParticipationChart | ReachChart;
