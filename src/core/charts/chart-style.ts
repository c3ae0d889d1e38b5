/**
 * How every chart looks: sizes, colours, the font family and the reader's number format.
 * One place, so the three charts (and the PNG renderer's fonts) agree.
 */
import type { Config } from 'vega-lite';

/**
 * Okabe–Ito colours: told apart with every common colour-vision deficiency (and in grey print).
 * The participation levels read from "doing" to "gone quiet"; silent is a neutral grey on purpose.
 */
export const COLOURS = {
  funnel: '#0072B2',
  levels: ['#0072B2', '#E69F00', '#999999'] as const,
  series: ['#56B4E9', '#009E73', '#D55E00'] as const,
  text: '#222222',
  muted: '#555555',
  grid: '#E5E5E5',
};

/** Languages written in Ethiopic script (Ge'ez). */
const ETHIOPIC = new Set(['ti', 'am']);

/**
 * The SVG's font family: DejaVu Sans (Latin, Cyrillic, Arabic) first, Noto Sans Ethiopic first for Tigrinya.
 * Why per language: for a character its family lacks, resvg takes the first loaded font that has it, in
 * regular weight; only a family named first gets its bold face for the title. Noto Sans Ethiopic has Latin
 * letters and digits too. The PNG renderer loads exactly these fonts (fonts.ts), so the names must match.
 */
export function fontFamily(lang: string): string {
  return ETHIOPIC.has(lang.split('-')[0] ?? '') ? 'Noto Sans Ethiopic, DejaVu Sans, sans-serif' : 'DejaVu Sans, Noto Sans Ethiopic, sans-serif';
}

export const SIZE = {
  /** The plot's width in px; labels, legend and titles come on top of it. */
  plotWidth: 460,
  /** The height of one bar's row (funnel, participation) or of one series' bar inside a group (reach). */
  rowStep: 30,
  seriesStep: 17,
  fontSize: 12,
  titleFontSize: 16,
  footnoteFontSize: 10,
  /** Room between a bar's end and its label. */
  labelGap: 5,
  /** Axis and legend labels may be long translated texts: never cut them short. */
  labelLimit: 0,
  legendSymbolSize: 120,
} as const;

/** Right-to-left isolate … pop directional isolate: a text in an RTL chart is laid out right to left as a whole. */
const RLI = '\u2067';
const PDI = '\u2069';

/**
 * A text as the chart draws it. In an RTL chart every text is isolated as right-to-left, so "Ouderbrug, 12
 * december" inside Arabic reads in the right order whatever letter the text starts with (resvg and browsers
 * follow the Unicode bidi algorithm; the SVG `direction` attribute is not honoured by resvg).
 */
export const bidi = (text: string, rtl: boolean): string => (rtl && text !== '' ? `${RLI}${text}${PDI}` : text);

/** Western digits in every language, so the counts on bars and the axis (Vega formats those) agree. */
export function numberFormatter(lang: string): (n: number) => string {
  const format = new Intl.NumberFormat(`${lang}-u-nu-latn`, { maximumFractionDigits: 0 });
  return (n) => format.format(n);
}

/** The reader's separators for Vega's own number formatting (the axis ticks): "1.000" in Dutch, "1 000" in Ukrainian. */
function vegaNumberLocale(lang: string) {
  const parts = new Intl.NumberFormat(`${lang}-u-nu-latn`).formatToParts(1234567.5);
  const thousands = parts.find((p) => p.type === 'group')?.value ?? ',';
  const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
  return { decimal, thousands, grouping: [3], currency: ['', ''] as [string, string] };
}

/** The Vega-Lite config shared by all charts; `rtl` anchors titles and text on the right. */
export function chartConfig(lang: string, rtl: boolean): Config {
  const anchor = rtl ? 'end' : 'start';
  return {
    font: fontFamily(lang),
    background: 'white',
    padding: 16,
    locale: { number: vegaNumberLocale(lang) },
    view: { stroke: null },
    title: { anchor, fontSize: SIZE.titleFontSize, color: COLOURS.text, offset: 12 },
    axis: {
      labelFontSize: SIZE.fontSize,
      labelColor: COLOURS.text,
      labelLimit: SIZE.labelLimit,
      labelPadding: 6,
      gridColor: COLOURS.grid,
      domainColor: '#888888',
      tickColor: '#888888',
      title: null,
    },
    legend: {
      labelFontSize: SIZE.fontSize,
      labelColor: COLOURS.text,
      labelLimit: SIZE.labelLimit,
      symbolType: 'square',
      symbolSize: SIZE.legendSymbolSize,
      title: null,
      orient: rtl ? 'left' : 'right',
      offset: 18,
    },
    text: { fontSize: SIZE.fontSize, color: COLOURS.text },
  };
}
