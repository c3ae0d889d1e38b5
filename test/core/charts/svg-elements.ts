/**
 * What a chart's SVG draws, read back as data (for the golden test; no pixels): the titles, each axis's
 * labels, the bars with their row, colour and length relative to the longest, the texts drawn as marks
 * and the legend's entries. A small walk over Vega's SVG output (nested <g> with translate transforms,
 * bars as <path d="Mx,yhWvHh-WZ">, texts as <text transform="translate(x,y)">); no XML library needed.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface DrawnBar extends Box {
  fill: string;
}
export interface DrawnText {
  /** The text without bidi isolates (see `raw`). */
  text: string;
  raw: string;
  /** Where the text is anchored: start, middle or end (x is that point). */
  anchor: string;
  x: number;
  y: number;
  /** The Vega role of the group the text is in: axis-label, title-text, legend-label or mark. */
  role: string;
  /** For axis labels: 'X' or 'Y'. */
  axis?: string;
}
export interface DrawnLegendSymbol {
  fill: string;
  x: number;
  y: number;
}
export interface DrawnChart {
  width: number;
  height: number;
  bars: DrawnBar[];
  texts: DrawnText[];
  legendSymbols: DrawnLegendSymbol[];
}

const ISOLATES = /[\u2066-\u2069]/g;

const attr = (attrs: string, name: string): string | undefined => new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attrs)?.[1];

function translate(attrs: string): [number, number] {
  const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(attr(attrs, 'transform') ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

const unescapeXml = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Vega draws a rect as a closed path "Mx,yhWvHh-WZ" (W may be negative). */
function rectOf(d: string): Box | undefined {
  const m = /^M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)h([-\d.e]+)Z$/.exec(d);
  if (!m) return undefined;
  const [x, y, w, h] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return { x: Math.min(x, x + w), y: Math.min(y, y + h), width: Math.abs(w), height: Math.abs(h) };
}

interface Frame {
  tag: string;
  dx: number;
  dy: number;
  role?: string;
  mark?: string;
  axis?: string;
}

export function readSvg(svg: string): DrawnChart {
  const root = /<svg\b([^>]*)>/.exec(svg);
  if (!root) throw new Error('not an SVG');
  const chart: DrawnChart = { width: Number(attr(root[1] ?? '', 'width')), height: Number(attr(root[1] ?? '', 'height')), bars: [], texts: [], legendSymbols: [] };
  const stack: Frame[] = [{ tag: 'svg', dx: 0, dy: 0 }];
  const tokens = /<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let openText: DrawnText | undefined;
  for (let m = tokens.exec(svg); m; m = tokens.exec(svg)) {
    const [, closing, tag, attrs = '', selfClosing, content] = m;
    const top = stack[stack.length - 1] as Frame;
    if (content !== undefined) {
      if (openText) openText.raw += unescapeXml(content);
      continue;
    }
    if (closing) {
      if (tag === 'text' && openText) {
        openText.text = openText.raw.replace(ISOLATES, '');
        chart.texts.push(openText);
        openText = undefined;
      }
      stack.pop();
      continue;
    }
    const [tx, ty] = translate(attrs);
    const cls = attr(attrs, 'class') ?? '';
    const frame: Frame = {
      tag: tag ?? '',
      dx: top.dx + tx,
      dy: top.dy + ty,
      role: /role-([\w-]+)/.exec(cls)?.[1] ?? top.role,
      mark: /mark-(\w+)/.exec(cls)?.[1] ?? top.mark,
      axis: /^([XY])-axis/.exec(attr(attrs, 'aria-label') ?? '')?.[1] ?? top.axis,
    };
    if (tag === 'path' && frame.role === 'mark' && frame.mark === 'rect') {
      const box = rectOf(attr(attrs, 'd') ?? '');
      if (box) chart.bars.push({ ...box, x: box.x + frame.dx, y: box.y + frame.dy, fill: attr(attrs, 'fill') ?? '' });
    }
    if (tag === 'path' && frame.role === 'legend-symbol') {
      chart.legendSymbols.push({ fill: attr(attrs, 'fill') ?? '', x: frame.dx, y: frame.dy });
    }
    if (tag === 'text') {
      openText = { text: '', raw: '', anchor: attr(attrs, 'text-anchor') ?? 'start', x: frame.dx, y: frame.dy, role: frame.role ?? '', ...(frame.role === 'axis-label' && frame.axis ? { axis: frame.axis } : {}) };
    }
    if (!selfClosing) stack.push(frame);
  }
  return chart;
}

const round = (n: number, places = 3): number => Math.round(n * 10 ** places) / 10 ** places;

/**
 * The golden summary of a drawn chart: what a reader sees, independent of pixel positions.
 * Bars and mark texts are named by their row (the category label at the same height) and in reading order.
 */
export function summarize(chart: DrawnChart) {
  const categoryLabels = chart.texts.filter((t) => t.role === 'axis-label' && t.axis === 'Y');
  const rowOf = (y: number): string =>
    categoryLabels.reduce<{ label: string; d: number }>((best, l) => (Math.abs(l.y - y) < best.d ? { label: l.text, d: Math.abs(l.y - y) } : best), { label: '?', d: Infinity }).label;
  const longest = Math.max(...chart.bars.map((b) => b.width), 1);
  const byPosition = <T extends { x: number; y: number }>(items: T[], rtl: boolean) => [...items].sort((a, b) => a.y - b.y || (rtl ? b.x - a.x : a.x - b.x));
  const rtl = chart.texts.some((t) => t.raw.startsWith('\u2067'));
  const titles = chart.texts.filter((t) => t.role === 'title-text');
  return {
    title: titles[0]?.text,
    footnote: titles[1]?.text,
    categories: categoryLabels.map((l) => l.text),
    valueAxis: chart.texts.filter((t) => t.role === 'axis-label' && t.axis === 'X').map((t) => t.text),
    /** "row | colour | length relative to the longest bar", in reading order. */
    bars: byPosition(chart.bars, rtl).map((b) => `${rowOf(b.y + b.height / 2)} | ${b.fill} | ${round(b.width / longest)}`),
    /** "row | text-anchor | text" of each text drawn as a mark (counts, "fewer than 10" notes). */
    texts: byPosition(
      chart.texts.filter((t) => t.role === 'mark'),
      rtl,
    ).map((t) => `${rowOf(t.y)} | ${t.anchor} | ${t.text}`),
    /** "label | colour" of each legend entry, in order. */
    legend: chart.texts.filter((t) => t.role === 'legend-label').map((t, i) => `${t.text} | ${chart.legendSymbols[i]?.fill ?? '?'}`),
  };
}
