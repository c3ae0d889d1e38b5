/**
 * Coordinators' charts as Vega-Lite specs (issue 12, item 4): pure functions from the figures (already
 * counted, suppressed and translated; src/domain/stats.types.ts) to a spec. render.ts draws it.
 *
 * All three charts are horizontal bars: translated labels (step names, months, languages) are long and read
 * best on their own line, and a suppressed count's text ("minder dan 10") fits where its bar would be.
 * A suppressed count ('fewer') never draws a bar or segment: its text stands in its place. A count of 0
 * draws no (zero-width) bar either; where the chart labels its bars, the 0 is written.
 *
 * Right to left (Arabic): the x scale is reversed (bars grow leftwards from an axis on the right), labels
 * at bar ends are anchored on their right, titles and footnote on the right, the legend on the left with
 * its symbols right of their labels, and every text is isolated as right-to-left (chart-style.ts, `bidi`).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ChartInput, ChartLabels, FunnelChart, ParticipationChart, ReachChart, ShownCount } from '../../domain/stats.types.js';
import { bidi, chartConfig, COLOURS, numberFormatter, SIZE } from './chart-style.js';

export function chartSpec(input: ChartInput, labels: ChartLabels): TopLevelSpec {
  switch (input.kind) {
    case 'funnel':
      return framed(input.title, labels, funnelView(input, labels));
    case 'participation':
      return framed(input.title, labels, participationView(input, labels));
    case 'reach':
      return framed(input.title, labels, reachView(input, labels));
  }
}

/** A chart's body: one layered view (its own title is added by `framed`), typed as Vega-Lite's views are. */
type VConcatSpec = Extract<TopLevelSpec, { vconcat: unknown }>;
type View = VConcatSpec['vconcat'][number];

/**
 * The title above the chart, the footnote under it. Vega-Lite has one title per view, so the chart is the
 * only view of a vertical concatenation: its title is the chart's title, the outer title (at the bottom)
 * the footnote.
 */
function framed(title: string, labels: ChartLabels, view: View): TopLevelSpec {
  const anchor = labels.rtl ? 'end' : 'start';
  return {
    description: title,
    config: chartConfig(labels.lang, labels.rtl),
    vconcat: [{ ...view, title: { text: bidi(title, labels.rtl), anchor } }],
    ...(labels.footnote
      ? {
          title: {
            text: bidi(labels.footnote, labels.rtl),
            orient: 'bottom',
            anchor,
            fontSize: SIZE.footnoteFontSize,
            fontWeight: 'normal',
            color: COLOURS.muted,
            offset: 14,
          },
        }
      : {}),
  };
}

const isCount = (c: ShownCount | null): c is number => typeof c === 'number';

/** One text per count: the number in the reader's format, or the "fewer than 10" text. */
function countText(count: ShownCount, labels: ChartLabels, format: (n: number) => string): string {
  return count === 'fewer' ? bidi(labels.fewer, labels.rtl) : format(count);
}

/** The x scale every chart shares: from 0, mirrored right to left, never an empty domain. */
function xScale(max: number, rtl: boolean, nice: boolean) {
  return { domain: [0, Math.max(1, max)], reverse: rtl, nice, zero: true };
}

/** The category axis (steps, months, languages): beside the bars' base, on the right in RTL. */
function categoryAxis(rtl: boolean) {
  return { orient: rtl ? 'right' : 'left', ticks: false, domain: true, labelPadding: 8 } as const;
}

/** A text mark at the end of a bar, on the side the bar grows to. */
function endLabelMark(rtl: boolean, extra: { color?: string; fontSize?: number } = {}) {
  return { type: 'text', align: rtl ? 'right' : 'left', baseline: 'middle', dx: rtl ? -SIZE.labelGap : SIZE.labelGap, ...extra } as const;
}

/**
 * Vega lays out a legend's entries left to right (symbol, then label). In RTL the label goes left of its
 * symbol, right-aligned against it: the symbol moves right by the widest label (Vega's own width estimate
 * without a canvas: 0.8 em a character, so real text always fits) and the label moves back past the symbol.
 */
function legendLayout(names: string[], rtl: boolean) {
  if (!rtl) return {};
  const widest = Math.max(...names.map((n) => Math.ceil(0.8 * n.length * SIZE.fontSize)));
  const symbolWidth = Math.sqrt(SIZE.legendSymbolSize);
  return { labelAlign: 'right' as const, symbolOffset: widest + SIZE.labelGap, labelOffset: -(symbolWidth + 2 * SIZE.labelGap) };
}

const unique = (values: string[]): string[] => [...new Set(values)];

function funnelView(input: FunnelChart, labels: ChartLabels): View {
  const { rtl } = labels;
  const format = numberFormatter(labels.lang);
  const rows = input.steps.map((s) => ({
    step: bidi(s.label, rtl),
    count: isCount(s.count) ? s.count : null,
    at: isCount(s.count) ? s.count : 0,
    text: countText(s.count, labels, format),
  }));
  const max = Math.max(0, ...rows.map((r) => r.at));
  const x = (field: string) => ({ field, type: 'quantitative', scale: xScale(max, rtl, false), axis: null }) as const;
  return {
    width: SIZE.plotWidth,
    height: { step: SIZE.rowStep },
    data: { values: rows },
    encoding: {
      y: { field: 'step', type: 'nominal', sort: null, scale: { domain: unique(rows.map((r) => r.step)), paddingInner: 0.25 }, axis: categoryAxis(rtl) },
    },
    layer: [
      { transform: [{ filter: 'datum.count > 0' }], mark: { type: 'bar', color: COLOURS.funnel }, encoding: { x: x('count') } },
      { mark: endLabelMark(rtl), encoding: { x: x('at'), text: { field: 'text' } } },
    ],
  };
}

function participationView(input: ParticipationChart, labels: ChartLabels): View {
  const { rtl } = labels;
  const levels = input.levels.map((l) => bidi(l, rtl));
  const months = input.months.map((m) => ({ ...m, label: bidi(m.label, rtl) }));
  const segments = months.flatMap((m) =>
    m.counts.flatMap((count, i) => (isCount(count) && count > 0 ? [{ month: m.label, level: levels[i], levelIndex: i, count }] : [])),
  );
  // A suppressed level has no segment: after the month's bar a note names it ("Actief: minder dan 10").
  const notes = months.flatMap((m) => {
    const hidden = input.levels.filter((_, i) => m.counts[i] === 'fewer');
    if (hidden.length === 0) return [];
    const total = m.counts.filter(isCount).reduce((a, b) => a + b, 0);
    return [{ month: m.label, at: total, note: bidi(hidden.map((l) => `${l}: ${labels.fewer}`).join(' · '), rtl) }];
  });
  const max = Math.max(0, ...months.map((m) => m.counts.filter(isCount).reduce((a, b) => a + b, 0)));
  const xAxis = { orient: 'bottom', grid: true, tickCount: 5, tickMinStep: 1, format: ',d', labelFlush: true } as const;
  return {
    width: SIZE.plotWidth,
    height: { step: SIZE.rowStep },
    encoding: {
      y: { field: 'month', type: 'nominal', sort: null, scale: { domain: unique(months.map((m) => m.label)), paddingInner: 0.25 }, axis: categoryAxis(rtl) },
    },
    layer: [
      {
        data: { values: segments },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'count', type: 'quantitative', stack: 'zero', scale: xScale(max, rtl, true), axis: xAxis },
          color: {
            field: 'level',
            type: 'nominal',
            scale: { domain: levels, range: [...COLOURS.levels] },
            legend: legendLayout(levels, rtl),
          },
          order: { field: 'levelIndex', type: 'quantitative' },
        },
      },
      {
        data: { values: notes },
        mark: endLabelMark(rtl, { color: COLOURS.muted }),
        encoding: { x: { field: 'at', type: 'quantitative' }, text: { field: 'note' } },
      },
    ],
  };
}

function reachView(input: ReachChart, labels: ChartLabels): View {
  const { rtl } = labels;
  const format = numberFormatter(labels.lang);
  // "Read" is drawn where a channel reports it; when none does, it is left out of the chart and its legend.
  const readKnown = input.groups.some((g) => g.counts[1] !== null);
  const seriesIndexes = readKnown ? [0, 1, 2] : [0, 2];
  const series = seriesIndexes.map((i) => bidi(input.series[i] ?? '', rtl));
  const rows = input.groups.flatMap((g) =>
    seriesIndexes.flatMap((i, k) => {
      const count = g.counts[i] ?? null;
      if (count === null) return [];
      return [{ group: bidi(g.label, rtl), series: series[k], count: isCount(count) ? count : null, at: isCount(count) ? count : 0, text: countText(count, labels, format) }];
    }),
  );
  const max = Math.max(0, ...rows.map((r) => r.at));
  const x = (field: string) => ({ field, type: 'quantitative', scale: xScale(max, rtl, false), axis: null }) as const;
  return {
    width: SIZE.plotWidth,
    height: { step: SIZE.seriesStep, for: 'offset' },
    data: { values: rows },
    encoding: {
      y: { field: 'group', type: 'nominal', sort: null, scale: { domain: unique(input.groups.map((g) => bidi(g.label, rtl))), paddingInner: 0.3 }, axis: categoryAxis(rtl) },
      yOffset: { field: 'series', type: 'nominal', sort: null, scale: { domain: series, paddingInner: 0.1 } },
    },
    layer: [
      {
        transform: [{ filter: 'datum.count > 0' }],
        mark: { type: 'bar' },
        encoding: {
          x: x('count'),
          color: {
            field: 'series',
            type: 'nominal',
            scale: { domain: series, range: seriesIndexes.map((i) => COLOURS.series[i] ?? COLOURS.text) },
            legend: legendLayout(series, rtl),
          },
        },
      },
      { mark: endLabelMark(rtl, { fontSize: SIZE.fontSize - 1 }), encoding: { x: x('at'), text: { field: 'text' } } },
    ],
  };
}
