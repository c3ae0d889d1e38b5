/**
 * `stats`: the coordinators' figures for operators (issue 12, items 3 and 5), computed from live
 * data at this moment (src/db/stats.reads.ts), counts only, every group of 1–9 parents shown as
 * "<10" (never a list of people). Audited as `stats.view` (actor cli).
 *   stats [--initiative ID|CODE] [--json] [--chart FILE] [--chart-kind funnel|participation|reach|all] [--lang nl]
 * Without --initiative: all initiatives together. --chart writes a chart as SVG or PNG (by the
 * file's extension); --chart-kind all writes the three with the kind added to the name
 * (figures.svg → figures-funnel.svg, figures-participation.svg, figures-reach.svg). --lang is the
 * language of the chart's texts (default Dutch).
 */
import { writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { renderChartPng, renderChartSvg } from '../core/charts/render.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../core/i18n.js';
import { writeAudit } from '../db/audit.repo.js';
import type { Db } from '../db/client.js';
import { statsReport } from '../db/stats.reads.js';
import { chartInput, chartLabels, CHART_KINDS, type ChartKind } from '../domain/stats-charts.js';
import type { LevelCounts, ReachCounts, StatsReport } from '../domain/stats-report.types.js';
import type { ShownCount } from '../domain/stats.types.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { dateIn, formatTable, json } from './format.js';

interface StatsOptions {
  initiative?: string;
  json?: boolean;
  chart?: string;
  chartKind: ChartKind | 'all';
  lang: string;
}

const initiativeArg = (value: string): string => {
  if (!/^([1-9]\d{0,9}|[A-Za-z0-9_-]{3,64})$/.test(value)) throw new InvalidArgumentError('expected an initiative id or code.');
  return value;
};

export function registerStatsCommands(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('figures for coordinators: parents, funnel, reach, events, participation (counts only; groups under 10 as "<10")')
    .option('--initiative <id|code>', 'one initiative (default: all together)', initiativeArg)
    .option('--json', 'print the report as JSON')
    .option('--chart <file>', 'also write a chart: .svg or .png')
    .addOption(new Option('--chart-kind <kind>', 'which chart (all: the three, the kind added to the file name)').choices([...CHART_KINDS, 'all']).default('funnel'))
    .option('--lang <code>', 'language of the chart texts', 'nl')
    .action((opts: StatsOptions) => stats(ctx, opts));
}

async function stats(ctx: CliContext, opts: StatsOptions): Promise<void> {
  const now = ctx.io.clock.now();
  const chartFormat = opts.chart ? formatOf(opts.chart) : null;
  const report = await ctx.withDb((db, config) => {
    const id = opts.initiative === undefined ? null : initiativeIdOf(db, opts.initiative);
    const r = statsReport(db, id, now, { defaultTimeZone: config.timeZone });
    if (!r) throw new CliError(`no initiative ${opts.initiative ?? ''}.`);
    writeAudit(db, { actor: CLI_ACTOR, action: 'stats.view', subjectType: 'initiative', subjectId: id, detail: id === null ? { scope: 'all' } : { initiativeId: id } }, now);
    return r;
  });
  if (opts.chart && chartFormat) {
    for (const file of await writeCharts(ctx, report, opts, opts.chart, chartFormat)) ctx.note(`chart written: ${file}`);
  }
  if (opts.json) return ctx.print(json(report));
  printReport(ctx, report);
}

function initiativeIdOf(db: Db, arg: string): number {
  const row = /^\d+$/.test(arg)
    ? (db.$client.prepare('select id from initiatives where id = ?').get(Number(arg)) as { id: number } | undefined)
    : (db.$client.prepare('select id from initiatives where code = ?').get(arg) as { id: number } | undefined);
  if (!row) throw new CliError(`no initiative with id or code ${arg}.`);
  return row.id;
}

function formatOf(file: string): 'svg' | 'png' {
  const ext = extname(file).toLowerCase();
  if (ext === '.svg' || ext === '.png') return ext.slice(1) as 'svg' | 'png';
  throw new CliError(`--chart ${file}: the file must end in .svg or .png.`);
}

async function writeCharts(ctx: CliContext, report: StatsReport, opts: StatsOptions, file: string, format: 'svg' | 'png'): Promise<string[]> {
  const locales = loadLocales(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  if (!locales.languages.some((l) => l.code === opts.lang)) throw new CliError(`--lang ${opts.lang}: not a shipped language (${locales.languages.map((l) => l.code).join(', ')}).`);
  const t = createI18n(locales).getFixedT(opts.lang, 'stats');
  const text = (key: string, params?: Record<string, string | number>): string => String(t(key, params ?? {}));
  const languageName = (code: string): string => locales.languages.find((l) => l.code === code)?.endonym ?? code;
  const labels = chartLabels(report, opts.lang, text);
  const kinds = opts.chartKind === 'all' ? CHART_KINDS : [opts.chartKind];
  const written: string[] = [];
  for (const kind of kinds) {
    const input = chartInput(kind, report, opts.lang, text, languageName);
    const target = resolve(ctx.io.cwd, opts.chartKind === 'all' ? withSuffix(file, kind) : file);
    writeFileSync(target, format === 'svg' ? await renderChartSvg(input, labels) : await renderChartPng(input, labels));
    written.push(target);
  }
  return written;
}

/** figures.svg + funnel → figures-funnel.svg */
export const withSuffix = (file: string, kind: string): string => {
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}-${kind}${ext}`;
};

/* ── Text for operators ───────────────────────────────────────────────────────────────────── */

const n = (c: ShownCount | null): string => (c === null ? 'not reported' : c === 'fewer' ? '<10' : String(c));
const pairs = (xs: { key: string; value: ShownCount }[]): string => (xs.length ? xs.map((x) => `${x.key} ${n(x.value)}`).join(', ') : '-');
const reachCells = (r: ReachCounts): string[] => [n(r.delivered), n(r.read), n(r.answered)];
const levelCells = (l: LevelCounts): string[] => [n(l.active), n(l.fading), n(l.silent)];

function printReport(ctx: CliContext, r: StatsReport): void {
  const day = dateIn(new Date(r.generatedAt), r.timeZone);
  ctx.print(
    r.scope.kind === 'initiative'
      ? `Figures of ${r.scope.name} (id ${r.scope.initiativeId}, code ${r.scope.code}, phase ${r.scope.phase}) on ${day} (${r.timeZone})`
      : `Figures of all ${r.initiatives} initiatives together on ${day} (${r.timeZone})`,
  );
  ctx.print('Counts only; a group of 1–9 parents is shown as "<10". Definitions: docs/domain.md (Cijfers).');
  ctx.print();
  ctx.print(`parents:      ${n(r.parents)}`);
  ctx.print(`by phase:     ${pairs(r.byPhase.map((p) => ({ key: `phase ${p.phase}`, value: p.parents })))}`);
  ctx.print(`by age band:  ${pairs(r.byAgeBand.map((b) => ({ key: b.band, value: b.parents })))}`);
  ctx.print(`by language:  ${pairs(r.byLanguage.map((l) => ({ key: l.lang, value: l.parents })))}`);
  ctx.print(`by postcode:  ${pairs(r.byPostcode.map((p) => ({ key: p.pc4, value: p.parents })))}`);
  ctx.print(`heard from:   ${pairs(r.heardFrom.filter((h) => h.parents !== 0).map((h) => ({ key: h.source, value: h.parents })))}`);
  ctx.print(`funnel:       ${r.funnel.map((f) => `${f.step} ${n(f.parents)}`).join(' → ')}`);
  const reg = r.registration;
  ctx.print(`registration: ${n(reg.registered)} children registered; on time ${n(reg.onTime)}, late ${n(reg.late)}, no deadline day known ${n(reg.noDate)}`);
  ctx.print();
  ctx.print(`Reach of the latest ${r.reach.length} broadcasts and nudges (answered: active within 3 days of delivery):`);
  if (r.reach.length) {
    ctx.print(
      formatTable(
        ['sent', 'kind', 'broadcast', 'nudge', 'initiative', 'delivered', 'read', 'answered'],
        r.reach.map((x) => [dateIn(new Date(x.at), r.timeZone), x.kind, x.broadcastId === null ? '-' : String(x.broadcastId), x.nudgeId === null ? '-' : String(x.nudgeId), String(x.initiativeId), ...reachCells(x)]),
      ),
    );
    ctx.print();
    ctx.print(formatTable(['language', 'delivered', 'read', 'answered'], r.reachByLanguage.map((l) => [l.lang, ...reachCells(l)])));
  } else ctx.print('  none yet');
  ctx.print();
  ctx.print('Events (last 90 days and coming):');
  if (r.events.length) {
    ctx.print(
      formatTable(
        ['id', 'initiative', 'kind', 'starts', 'yes', 'waiting', 'maybe', 'no', 'present', 'absent'],
        r.events.map((e) => [
          String(e.id),
          String(e.initiativeId),
          e.kind,
          `${dateIn(new Date(e.startsAt), e.timeZone)}${e.cancelled ? ' (cancelled)' : ''}`,
          n(e.going),
          n(e.waiting),
          n(e.maybe),
          n(e.no),
          n(e.attended),
          n(e.absent),
        ]),
      ),
    );
  } else ctx.print('  none');
  ctx.print();
  ctx.print(`Outreach ladder: messages ${pairs(r.ladder.messages.map((m) => ({ key: m.ruleId, value: m.delivered })))}; call-backs ${pairs(r.ladder.callbacks.map((c) => ({ key: c.outcome, value: c.tasks })))}`);
  ctx.print();
  ctx.print(`Participation now: active ${n(r.participation.now.active)}, fading ${n(r.participation.now.fading)}, silent ${n(r.participation.now.silent)}`);
  ctx.print(formatTable(['month', 'active', 'fading', 'silent'], r.participation.months.map((m) => [m.month, ...levelCells(m.counts)])));
}
