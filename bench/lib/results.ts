/**
 * The suite's results: judged against bench/targets.ts, written to bench/results.json, printed
 * as one table (run.ts) and rendered as markdown for docs/benchmarks.md (report.ts).
 */
import { targetOf, type Bounds } from '../targets.js';
import { num } from './format.js';
import type { CodeState, Machine } from './machine.js';
import type { Figure } from './types.js';

export interface JudgedFigure extends Figure {
  bounds?: Bounds;
  verdict: 'pass' | 'FAIL' | '';
}

export interface BenchResult {
  name: string;
  title: string;
  durationS: number;
  /** The benchmark threw: its figures are what it had, and the suite fails. */
  error?: string;
  notes: string[];
  figures: JudgedFigure[];
}

export interface Results {
  /** ISO time the run started. */
  date: string;
  code: CodeState;
  machine: Machine;
  loadAverage: { start: number[]; end: number[] };
  options: { quick: boolean; only: string[] | null; sizes?: number[] };
  durationS: number;
  passed: boolean;
  benchmarks: BenchResult[];
}

export function judge(bench: string, figure: Figure, quick: boolean): JudgedFigure {
  const t = targetOf(bench, figure.metric, quick);
  if (!t || (t.max === undefined && t.min === undefined)) return { ...figure, verdict: '' };
  const bounds: Bounds = { ...(t.max !== undefined ? { max: t.max } : {}), ...(t.min !== undefined ? { min: t.min } : {}) };
  const v = figure.value;
  const ok = v !== null && Number.isFinite(v) && (t.max === undefined || v <= t.max) && (t.min === undefined || v >= t.min);
  return { ...figure, bounds, verdict: ok ? 'pass' : 'FAIL' };
}

const unitted = (value: number, unit: string): string => (unit === '' ? num(value) : unit === '×' || unit === '%' ? `${num(value)} ${unit}` : `${num(value)} ${unit}`);

function boundsText(b: Bounds | undefined, unit: string): string {
  if (!b) return '';
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`≥ ${unitted(b.min, unit)}`);
  if (b.max !== undefined) parts.push(b.max === 0 && b.min === undefined ? '0' : `≤ ${unitted(b.max, unit)}`);
  return parts.join(', ');
}

const HEAD = ['benchmark', 'size / mode', 'figure', 'value', 'target', 'verdict'];

function rows(results: Results): string[][] {
  const out: string[][] = [];
  for (const b of results.benchmarks) {
    let first = true;
    const name = () => {
      const n = first ? b.name : '';
      first = false;
      return n;
    };
    for (const f of b.figures) out.push([name(), f.scope ?? '', f.label, f.value === null ? 'not measured' : unitted(f.value, f.unit), boundsText(f.bounds, f.unit), f.verdict]);
    if (b.error) out.push([name(), '', `ERROR: ${b.error.split('\n')[0] ?? ''}`, '', '', 'FAIL']);
  }
  return out;
}

/** The table as aligned text (the console). */
export function textTable(results: Results): string {
  const all = [HEAD, ...rows(results)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(results).map(line)].join('\n');
}

/** The table as markdown (docs/benchmarks.md). */
export function markdownTable(results: Results): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 3 ? '---:' : '---')).join('|')}|`, ...rows(results).map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** One line on what was measured where (date, commit, machine, load). */
export function header(results: Results): string {
  const m = results.machine;
  const code = `${results.code.commit.slice(0, 10)}${results.code.uncommitted.length ? ` + ${results.code.uncommitted.length} uncommitted file(s)` : ''}`;
  return (
    `${results.date.slice(0, 16).replace('T', ' ')} UTC, commit ${code}, ${results.options.quick ? '--quick' : 'full'}${results.options.only ? ` (only ${results.options.only.join(', ')})` : ''}; ` +
    `${m.cores} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node.replace(/^v/, '')}; load ${results.loadAverage.start.join(' ')} at the start, ${results.loadAverage.end.join(' ')} at the end; ` +
    `${num(results.durationS / 60, 1)} min; ${results.passed ? 'every target met' : 'TARGETS MISSED'}`
  );
}
