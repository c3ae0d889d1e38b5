/**
 * The three charts of the figures (funnel, participation per month, reach per language) as chart
 * inputs (src/domain/stats.types.ts), built from a StatsReport with the reader's texts of the
 * `stats` namespace. Pure: the caller passes a translate function (i18next's fixed t) and the
 * language names; src/core/charts draws them. Counts stay as the report suppressed them.
 */
import type { StatsReport } from './stats-report.types.js';
import type { ChartInput, ChartLabels, FunnelChart, ParticipationChart, ReachChart } from './stats.types.js';

export const CHART_KINDS = ['funnel', 'participation', 'reach'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/** A text of the `stats` namespace in the reader's language (keys without the namespace). */
export type StatsText = (key: string, params?: Record<string, string | number>) => string;

/** Right-to-left languages among ours (the chart is mirrored for them). */
const RTL = new Set(['ar']);

/** "mrt 2026" in the reader's language (Intl; a language Intl lacks falls back to its default). */
export function monthLabel(month: string, lang: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  try {
    return new Intl.DateTimeFormat(lang, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 15)));
  } catch {
    return month;
  }
}

/** "7 december 2026" in the reader's language. */
function dayLabel(iso: string, zone: string, lang: string): string {
  try {
    return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric', timeZone: zone }).format(new Date(iso));
  } catch {
    return iso.slice(0, 10);
  }
}

export function chartLabels(report: StatsReport, lang: string, t: StatsText): ChartLabels {
  const name = report.scope.kind === 'initiative' ? report.scope.name : 'Ouderbrug';
  return { lang, rtl: RTL.has(lang), fewer: t('fewer'), footnote: t('chart.footnote', { name, date: dayLabel(report.generatedAt, report.timeZone, lang) }) };
}

export function chartInput(kind: ChartKind, report: StatsReport, lang: string, t: StatsText, languageName: (code: string) => string): ChartInput {
  switch (kind) {
    case 'funnel':
      return { kind, title: t('chart.funnel'), steps: report.funnel.map((f) => ({ label: t(`step.${f.step}`), count: f.parents })) } satisfies FunnelChart;
    case 'participation':
      return {
        kind,
        title: t('chart.participation'),
        levels: [t('level.active'), t('level.fading'), t('level.silent')],
        months: report.participation.months.map((m) => ({ label: monthLabel(m.month, lang), counts: [m.counts.active, m.counts.fading, m.counts.silent] })),
      } satisfies ParticipationChart;
    case 'reach':
      return {
        kind,
        title: t('chart.reach'),
        series: [t('series.delivered'), t('series.read'), t('series.answered')],
        groups: report.reachByLanguage.map((g) => ({ label: languageName(g.lang), counts: [g.delivered, g.read, g.answered] })),
      } satisfies ReachChart;
  }
}

/** All three, in the order they are sent. */
export const chartInputs = (report: StatsReport, lang: string, t: StatsText, languageName: (code: string) => string): ChartInput[] =>
  CHART_KINDS.map((kind) => chartInput(kind, report, lang, t, languageName));
