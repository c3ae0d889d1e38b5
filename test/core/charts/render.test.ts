/**
 * The chart renderer: PNG output, right-to-left mirroring, suppressed counts, edge cases and speed.
 * What each chart draws in detail is the golden test's job (golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { compileChart, PNG_SCALE, renderChart, renderChartPng, renderChartSvg } from '../../../src/core/charts/render.js';
import type { FunnelChart, ParticipationChart, ReachChart } from '../../../src/domain/stats.types.js';
import { CASES, FUNNEL, LABELS, PARTICIPATION, REACH } from './fixtures.js';
import { readSvg, type DrawnBar, type DrawnChart, type DrawnText } from './svg-elements.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the PNG's IHDR chunk (the first chunk, right after the signature). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const drawn = async (...args: Parameters<typeof renderChartSvg>): Promise<DrawnChart> => readSvg(await renderChartSvg(...args));
const marksTexts = (chart: DrawnChart): DrawnText[] => chart.texts.filter((t) => t.role === 'mark');
const categoryLabels = (chart: DrawnChart): DrawnText[] => chart.texts.filter((t) => t.role === 'axis-label' && t.axis === 'Y');
const left = (bars: DrawnBar[]) => Math.min(...bars.map((b) => b.x));
const right = (bars: DrawnBar[]) => Math.max(...bars.map((b) => b.x + b.width));
const title = (chart: DrawnChart): DrawnText => chart.texts.find((t) => t.role === 'title-text') as DrawnText;

describe('PNG', () => {
  it('is a PNG at twice the SVG size, with a chart drawn in it', async () => {
    for (const c of [CASES[0], CASES[5], CASES[7]]) {
      if (!c) throw new Error('fixture missing');
      const svg = readSvg(await renderChartSvg(c.input, c.labels));
      const png = await renderChartPng(c.input, c.labels);
      const size = pngSize(png);
      expect(size).toEqual({ width: Math.round(svg.width * PNG_SCALE), height: Math.round(svg.height * PNG_SCALE) });
      // A chat photo: wide enough to read on a phone, far inside Telegram's 10,000 px limit.
      expect(size.width).toBeGreaterThan(1000);
      expect(size.width + size.height).toBeLessThan(10_000);
      // A white page with nothing on it compresses to a few hundred bytes; bars and text do not.
      expect(png.length).toBeGreaterThan(15_000);
      expect(png.subarray(png.length - 8, png.length - 4).toString('latin1')).toBe('IEND');
    }
  });

  it('renderChart picks the format', async () => {
    const svg = await renderChart(FUNNEL.nl, LABELS.nl, 'svg');
    const png = await renderChart(FUNNEL.nl, LABELS.nl, 'png');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });
});

describe('right to left (Arabic)', () => {
  it('mirrors the funnel: bars grow leftwards from an axis on the right, labels and title anchored right', async () => {
    const ltr = await drawn(FUNNEL.nl, LABELS.nl);
    const rtl = await drawn(FUNNEL.ar, LABELS.ar);

    // Left to right: every bar starts at the same x; right to left: every bar ends at the same x.
    expect(new Set(ltr.bars.map((b) => b.x)).size).toBe(1);
    expect(new Set(rtl.bars.map((b) => Math.round(b.x + b.width))).size).toBe(1);
    expect(new Set(rtl.bars.map((b) => b.x)).size).toBeGreaterThan(1);

    // The step names sit on the bars' base side: left of them in Dutch, right of them in Arabic.
    for (const label of categoryLabels(ltr)) expect(label.x).toBeLessThan(left(ltr.bars));
    for (const label of categoryLabels(rtl)) expect(label.x).toBeGreaterThan(right(rtl.bars));
    expect(categoryLabels(rtl).map((l) => l.anchor)).toEqual(categoryLabels(rtl).map(() => 'start'));

    // Counts are written past each bar's end: right of it (anchored at their start) or left of it (anchored at their end).
    const ltrCounts = marksTexts(ltr).filter((t) => /^\d/.test(t.text));
    const rtlCounts = marksTexts(rtl).filter((t) => /^\d/.test(t.text));
    expect(ltrCounts.every((t) => t.anchor === 'start')).toBe(true);
    expect(rtlCounts.every((t) => t.anchor === 'end')).toBe(true);
    const firstBar = (c: DrawnChart) => c.bars.reduce((a, b) => (b.y < a.y ? b : a));
    expect(ltrCounts[0]?.x).toBeGreaterThan(firstBar(ltr).x + firstBar(ltr).width);
    expect(rtlCounts[0]?.x).toBeLessThan(firstBar(rtl).x);

    // The title starts at the left edge in Dutch and ends at the right edge in Arabic.
    expect(title(ltr).anchor).toBe('start');
    expect(title(rtl).anchor).toBe('end');
    expect(title(ltr).x).toBeLessThan(ltr.width / 4);
    expect(title(rtl).x).toBeGreaterThan((rtl.width * 3) / 4);
  });

  it('isolates every Arabic text as right-to-left, and no Dutch text', async () => {
    const rtl = await drawn(FUNNEL.ar, LABELS.ar);
    const words = rtl.texts.filter((t) => /\p{L}/u.test(t.text));
    // Title, footnote, five steps and "fewer than 10".
    expect(words).toHaveLength(8);
    for (const t of words) expect(t.raw).toBe(`\u2067${t.text}\u2069`);
    const ltr = await drawn(FUNNEL.nl, LABELS.nl);
    expect(ltr.texts.some((t) => /[\u2066-\u2069]/.test(t.raw))).toBe(false);
  });

  it('puts the legend on the left, each label left of its colour', async () => {
    const rtl = await drawn(PARTICIPATION.ar, LABELS.ar);
    const legendLabels = rtl.texts.filter((t) => t.role === 'legend-label');
    expect(legendLabels).toHaveLength(3);
    expect(rtl.legendSymbols).toHaveLength(3);
    for (const [i, label] of legendLabels.entries()) {
      const symbol = rtl.legendSymbols[i];
      if (!symbol) throw new Error('symbol missing');
      expect(symbol.x).toBeLessThan(left(rtl.bars));
      expect(label.anchor).toBe('end');
      expect(label.x).toBeLessThan(symbol.x);
    }
    const ltr = await drawn(PARTICIPATION.nl, LABELS.nl);
    for (const symbol of ltr.legendSymbols) expect(symbol.x).toBeGreaterThan(right(ltr.bars));
  });
});

describe('suppressed counts (1–9 parents)', () => {
  it('funnel: no bar in the step, "fewer than 10" where the count would be', async () => {
    for (const lang of ['nl', 'ar', 'uk', 'ti'] as const) {
      const chart = await drawn(FUNNEL[lang], LABELS[lang]);
      const step = FUNNEL[lang].steps[2];
      const label = categoryLabels(chart).find((l) => l.text === step?.label);
      if (!label) throw new Error(`no label for the suppressed step (${lang})`);
      expect(step?.count).toBe('fewer');
      // Bars are 22.5 px high in rows of 30: none is centred on the suppressed step's row.
      expect(chart.bars.filter((b) => Math.abs(b.y + b.height / 2 - label.y) < 10)).toEqual([]);
      const fewer = marksTexts(chart).filter((t) => t.text === LABELS[lang].fewer);
      expect(fewer).toHaveLength(1);
      expect(Math.abs((fewer[0]?.y ?? 0) - label.y)).toBeLessThan(10);
      // Three visible bars: 1234, 1180, 412 (and 0 draws none); five texts: four counts and "fewer".
      expect(chart.bars).toHaveLength(3);
      expect(marksTexts(chart)).toHaveLength(5);
    }
  });

  it('participation: no segment for the level, a note naming it after the month', async () => {
    const chart = await drawn(PARTICIPATION.nl, LABELS.nl);
    const jan = categoryLabels(chart).find((l) => l.text === 'jan 2026');
    if (!jan) throw new Error('no January');
    const janBars = chart.bars.filter((b) => Math.abs(b.y + b.height / 2 - jan.y) < 10);
    expect(janBars.map((b) => b.fill)).toEqual(['#E69F00', '#999999']);
    const note = marksTexts(chart).find((t) => Math.abs(t.y - jan.y) < 10);
    expect(note?.text).toBe('Actief: minder dan 10');
    expect(note?.x).toBeGreaterThan(right(janBars));
    // 12 months × 3 levels, less three suppressed ones.
    expect(chart.bars).toHaveLength(33);
  });

  it('reach: a whole small group draws no bar, three "fewer" texts; an unreported read count draws nothing', async () => {
    const chart = await drawn(REACH.nl, LABELS.nl);
    const rowOf = (label: string) => categoryLabels(chart).find((l) => l.text === label) as DrawnText;
    const near = (y: number, label: string) => Math.abs(y - rowOf(label).y) < 30;
    expect(chart.bars.filter((b) => near(b.y + b.height / 2, 'Soomaali'))).toEqual([]);
    expect(marksTexts(chart).filter((t) => near(t.y, 'Soomaali')).map((t) => t.text)).toEqual(['minder dan 10', 'minder dan 10', 'minder dan 10']);
    // Türkçe: delivered and answered, no read bar or text (WhatsApp Web does not report reads).
    expect(chart.bars.filter((b) => near(b.y + b.height / 2, 'Türkçe')).map((b) => b.fill)).toEqual(['#56B4E9', '#D55E00']);
    expect(marksTexts(chart).filter((t) => near(t.y, 'Türkçe')).map((t) => t.text)).toEqual(['64', '12']);
  });

  it('reach: the legend leaves "read" out only when no group reports it', async () => {
    const legend = async (input: ReachChart) => (await drawn(input, LABELS.uk)).texts.filter((t) => t.role === 'legend-label').map((t) => t.text);
    expect(await legend(REACH.uk)).toEqual(['Доставлено', 'Відповіли']);
    const oneReports: ReachChart = { ...REACH.uk, groups: [...REACH.uk.groups, { label: 'Polski', counts: [20, 15, 'fewer'] }] };
    expect(await legend(oneReports)).toEqual(['Доставлено', 'Прочитано', 'Відповіли']);
  });
});

describe('edge cases', () => {
  it('draws nothing but texts when everything is 0 or suppressed, without NaN or warnings', async () => {
    const funnel: FunnelChart = { kind: 'funnel', title: 'Leeg', steps: [{ label: 'Aangemeld', count: 0 }, { label: 'Toestemming', count: 'fewer' }] };
    const participation: ParticipationChart = {
      kind: 'participation',
      title: 'Leeg',
      levels: ['Actief', 'Minder actief', 'Stil'],
      months: [{ label: 'jan', counts: [0, 0, 0] }, { label: 'feb', counts: ['fewer', 0, 'fewer'] }],
    };
    const reach: ReachChart = { kind: 'reach', title: 'Leeg', series: ['Afgeleverd', 'Gelezen', 'Beantwoord'], groups: [] };
    for (const input of [funnel, participation, reach]) {
      const svg = await renderChartSvg(input, LABELS.nl);
      expect(svg).not.toMatch(/NaN|Infinity|undefined/);
      expect(readSvg(svg).bars).toEqual([]);
      expect(compileChart(input, LABELS.nl).warnings).toEqual([]);
    }
    const chart = await drawn(participation, LABELS.nl);
    expect(marksTexts(chart).map((t) => t.text)).toEqual(['Actief: minder dan 10 · Stil: minder dan 10']);
  });

  it('writes a title with markup characters as text', async () => {
    const input: FunnelChart = { ...FUNNEL.nl, title: 'School <De Regenboog> & "Zon"' };
    const svg = await renderChartSvg(input, { ...LABELS.nl, footnote: undefined });
    expect(svg).not.toContain('<De Regenboog>');
    const chart = readSvg(svg);
    expect(chart.texts.filter((t) => t.role === 'title-text').map((t) => t.text)).toEqual(['School <De Regenboog> & "Zon"']);
  });

  it('Vega-Lite compiles every chart without a warning', () => {
    for (const c of CASES) expect(compileChart(c.input, c.labels).warnings, c.name).toEqual([]);
  });

  it('formats counts the reader\'s way: 1.234 in Dutch, 1 234 in Ukrainian, 1,234 in Arabic (Western digits)', async () => {
    const counts = async (lang: 'nl' | 'uk' | 'ar') => marksTexts(await drawn(FUNNEL[lang], LABELS[lang]))[0]?.text;
    expect(await counts('nl')).toBe('1.234');
    expect((await counts('uk'))?.replace(/\s/g, ' ')).toBe('1 234');
    expect(await counts('ar')).toBe('1,234');
  });
});

describe('speed', () => {
  it('draws each chart as SVG and as PNG well within a second', async () => {
    await renderChartPng(FUNNEL.nl, LABELS.nl); // the first call loads Vega's modules
    for (const c of CASES) {
      const start = performance.now();
      await renderChartSvg(c.input, c.labels);
      const svgMs = performance.now() - start;
      await renderChartPng(c.input, c.labels);
      const bothMs = performance.now() - start;
      expect(svgMs, c.name).toBeLessThan(500);
      expect(bothMs, c.name).toBeLessThan(1000);
    }
  });
});
