/**
 * Draws a chart (chart-spec.ts) on the server: Vega-Lite compiles the spec, Vega renders it to SVG
 * headless (`renderer: 'none'`: no canvas, no browser; text widths are Vega's estimates), and resvg
 * turns the SVG into a PNG with the fonts shipped in node_modules (fonts.ts). ADR 0011.
 */
import { renderAsync } from '@resvg/resvg-js';
import { parse, View, type Spec } from 'vega';
import { compile } from 'vega-lite';
import type { ChartInput, ChartLabels } from '../../domain/stats.types.js';
import { chartSpec } from './chart-spec.js';
import { chartFontFiles, DEFAULT_FONT_FAMILY } from './fonts.js';

export type ChartFormat = 'svg' | 'png';

/** PNG pixels per SVG unit: sharp on phone screens (a chart is about 700 units wide, so about 1,400 px). */
export const PNG_SCALE = 2;

/**
 * The Vega spec of a chart and what Vega-Lite warned about while compiling it (a warning means the spec
 * asks for something Vega-Lite changed or ignored: the tests require none).
 */
export function compileChart(input: ChartInput, labels: ChartLabels): { spec: Spec; warnings: string[] } {
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...args: readonly unknown[]) => {
      throw new Error(`vega-lite: ${args.map(String).join(' ')}`);
    },
    warn: (...args: readonly unknown[]) => {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  const { spec } = compile(chartSpec(input, labels), { logger: logger as never });
  return { spec, warnings };
}

export async function renderChartSvg(input: ChartInput, labels: ChartLabels): Promise<string> {
  const view = new View(parse(compileChart(input, labels).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The PNG, drawn on a worker thread (resvg's async render) so a chat turn is not held up meanwhile. */
export async function renderChartPng(input: ChartInput, labels: ChartLabels): Promise<Buffer> {
  const svg = await renderChartSvg(input, labels);
  const image = await renderAsync(svg, {
    font: { fontFiles: chartFontFiles(), loadSystemFonts: false, defaultFontFamily: DEFAULT_FONT_FAMILY },
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    background: 'white',
    logLevel: 'off',
  });
  return image.asPng();
}

export function renderChart(input: ChartInput, labels: ChartLabels, format: 'svg'): Promise<string>;
export function renderChart(input: ChartInput, labels: ChartLabels, format: 'png'): Promise<Buffer>;
export function renderChart(input: ChartInput, labels: ChartLabels, format: ChartFormat): Promise<string | Buffer>;
export function renderChart(input: ChartInput, labels: ChartLabels, format: ChartFormat): Promise<string | Buffer> {
  return format === 'svg' ? renderChartSvg(input, labels) : renderChartPng(input, labels);
}
