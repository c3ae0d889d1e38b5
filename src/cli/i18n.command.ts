/**
 * `i18n status | export | import`: the review workflow for native speakers.
 *   status            coverage and review state per language (drafts are marked)
 *   export --lang tr  CSV of keys that are missing, draft or stale (key, dutch, translation, status)
 *   import FILE       reads such a CSV back; refuses rows that do not fit Dutch (row number and
 *                     reason), writes the others and marks them reviewed
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DEFAULT_LOCALES_DIR } from '../core/i18n.js';
import { CliError, type CliContext } from './context.js';
import { baseKey, hashSource, languagesIn, readMeta, readTexts, sourceOf, SOURCE, writeMeta, writeTexts } from './i18n/locale-files.js';
import { languageRows, rowProblem, type ImportProblem } from './i18n/review.js';

const COLUMNS = ['language', 'key', 'dutch', 'translation', 'status'] as const;

export function registerI18nCommands(program: Command, ctx: CliContext): void {
  const dir = () => ctx.config().localesDir ?? DEFAULT_LOCALES_DIR;
  const group = program.command('i18n').description('translations: coverage, export for translators, import of reviewed texts');
  group
    .command('status')
    .description('coverage and review state per language')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => status(ctx, dir(), opts.json === true));
  group
    .command('export')
    .description('write a CSV of the keys that are missing, draft or stale')
    .requiredOption('--lang <code>', 'language code, e.g. tr')
    .option('--out <file>', 'CSV file (default: data/i18n-<lang>.csv)')
    .option('--all', 'export every key, also reviewed ones')
    .action((opts: { lang: string; out?: string; all?: boolean }) => exportCsv(ctx, dir(), opts));
  group
    .command('import')
    .description('read a reviewed CSV back; rows that do not fit Dutch are refused')
    .argument('<file>', 'CSV written by i18n export and edited by a translator')
    .action((file: string) => importCsv(ctx, dir(), file));
}

function status(ctx: CliContext, dir: string, json: boolean): void {
  const report = languagesIn(dir).map((lang) => {
    const rows = languageRows(dir, lang);
    const count = (s: string) => rows.filter((r) => r.status === s).length;
    const meta = readMeta(dir, lang);
    const translated = rows.length - count('missing');
    return { lang, endonym: meta.endonym, dir: meta.dir, status: meta.status, reviewedAt: meta.reviewedAt, keys: rows.length, coverage: Math.round((translated / rows.length) * 1000) / 10, missing: count('missing'), draft: count('draft'), stale: count('stale'), reviewed: count('reviewed') };
  });
  if (json) return ctx.print(JSON.stringify(report, null, 2));
  ctx.print('lang  language         coverage  missing  draft  stale  reviewed  status');
  for (const r of report) {
    const state = r.status === 'reviewed' ? `reviewed ${r.reviewedAt ?? ''}`.trim() : 'DRAFT';
    ctx.print(`${r.lang.padEnd(5)} ${r.endonym.padEnd(16)} ${`${r.coverage}%`.padStart(8)} ${String(r.missing).padStart(8)} ${String(r.draft).padStart(6)} ${String(r.stale).padStart(6)} ${String(r.reviewed).padStart(9)}  ${state}`);
  }
}

function exportCsv(ctx: CliContext, dir: string, opts: { lang: string; out?: string; all?: boolean }): void {
  if (!languagesIn(dir).includes(opts.lang)) throw new CliError(`no language "${opts.lang}" in ${dir}; make the folder locales/${opts.lang} with a meta.json first.`);
  if (opts.lang === SOURCE) throw new CliError('Dutch is the source language; it is not exported for translation.');
  const rows = languageRows(dir, opts.lang).filter((r) => opts.all || r.status !== 'reviewed');
  // Generated files go to ./data/ (git-ignored), never into the repository root.
  const file = resolve(ctx.io.cwd, opts.out ?? join('data', `i18n-${opts.lang}.csv`));
  mkdirSync(dirname(file), { recursive: true });
  const records = rows.map((r) => [opts.lang, r.key, r.source, r.translation, r.status]);
  writeFileSync(file, stringify([COLUMNS as unknown as string[], ...records]));
  ctx.print(`wrote ${rows.length} rows to ${file}`);
}

function importCsv(ctx: CliContext, dir: string, file: string): void {
  let records: string[][];
  try {
    records = parse(readFileSync(resolve(ctx.io.cwd, file), 'utf8'), { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const [header, ...body] = records;
  const col = (name: string) => header?.indexOf(name) ?? -1;
  if (col('key') < 0 || col('translation') < 0 || col('language') < 0) throw new CliError(`${file} has no header with the columns ${COLUMNS.join(', ')}.`);
  const source = readTexts(dir, SOURCE);
  const problems: ImportProblem[] = [];
  const accepted = new Map<string, Map<string, string>>();
  body.forEach((record, i) => {
    const row = i + 2; // 1-based, after the header: the line a spreadsheet shows
    const lang = record[col('language')] ?? '';
    const key = record[col('key')] ?? '';
    const translation = record[col('translation')] ?? '';
    if (!languagesIn(dir).includes(lang) || lang === SOURCE) return void problems.push({ row, key, reason: `unknown language "${lang}"` });
    const reason = rowProblem(source, lang, key, translation);
    if (reason) return void problems.push({ row, key, reason });
    const texts = accepted.get(lang) ?? new Map<string, string>();
    texts.set(key, translation);
    accepted.set(lang, texts);
  });
  for (const [lang, rows] of accepted) save(dir, lang, rows, source, ctx.io.clock.now());
  const count = [...accepted.values()].reduce((n, m) => n + m.size, 0);
  ctx.print(`accepted ${count} rows${problems.length ? `, refused ${problems.length}` : ''}`);
  for (const p of problems) ctx.note(`row ${p.row} (${p.key || 'no key'}): ${p.reason}`);
  if (problems.length) throw new CliError(`${problems.length} rows refused; fix them and import the file again (accepted rows are saved).`);
}

function save(dir: string, lang: string, rows: Map<string, string>, source: ReturnType<typeof readTexts>, now: Date): void {
  const texts = readTexts(dir, lang);
  const meta = readMeta(dir, lang);
  const review = { ...(meta.review ?? {}) };
  for (const [key, translation] of rows) {
    texts.set(key, translation);
    review[baseKey(key)] = hashSource(sourceOf(source, baseKey(key)));
  }
  writeTexts(dir, lang, texts, [...source.keys()]);
  writeMeta(dir, lang, { ...meta, review });
  const all = languageRows(dir, lang);
  const complete = all.every((r) => r.status === 'reviewed');
  writeMeta(dir, lang, { ...meta, review, status: complete ? 'reviewed' : 'draft', reviewedAt: complete ? now.toISOString().slice(0, 10) : meta.reviewedAt });
}
