/**
 * `newsletter schedule | write | list | next`: an initiative's newsletter, written ahead per
 * language and sent every N weeks at a local time. Dutch is required, because parents
 * whose language is missing get the Dutch text. `--by <personId>` records an ambassador or
 * coordinator of that initiative as the audit actor (checked against their memberships).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DateTime } from 'luxon';
import { DEFAULT_LOCALES_DIR, SOURCE_LANGUAGE } from '../core/i18n.js';
import { AppError } from '../core/errors.js';
import type { Db } from '../db/client.js';
import { initiativeById } from '../db/initiatives.repo.js';
import {
  addNewsletter,
  canEditNewsletters,
  getNewsletterSchedule,
  listNewsletters,
  NEWSLETTER_MAX_CHARS,
  setNewsletterSchedule,
  type NewsletterTexts,
} from '../db/newsletters.repo.js';
import { personExists } from '../db/people.repo.js';
import { isLocalDate, isLocalTime, newsletterSlots } from '../domain/newsletter-slots.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { languagesIn } from './i18n/locale-files.js';
import { parseId } from './parse.js';

interface Target {
  initiative: number;
  by?: number;
}
interface ScheduleOptions extends Target {
  everyWeeks: number;
  first: string;
  time: string;
  paused?: boolean;
}
interface Part {
  lang: string;
  value: string;
}
interface WriteOptions extends Target {
  text?: Part[];
  file?: Part[];
}

const NEXT_COUNT = 5;
const DAY_MS = 86_400_000;

function checked(test: (v: string) => boolean, message: string): (value: string) => string {
  return (value) => {
    if (!test(value.trim())) throw new InvalidArgumentError(message);
    return value.trim();
  };
}

function parseWeeks(value: string): number {
  if (!/^\d{1,2}$/.test(value) || Number(value) < 1 || Number(value) > 52) throw new InvalidArgumentError('expected a whole number of weeks from 1 to 52.');
  return Number(value);
}

/** Repeatable `lang=…`: collects every occurrence in order. */
function collectPart(value: string, previous: Part[] | undefined): Part[] {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected LANG=…, e.g. nl="Hallo allemaal" or nl=./nl.txt');
  return [...(previous ?? []), { lang: value.slice(0, at).trim(), value: value.slice(at + 1) }];
}

export function registerNewsletterCommands(program: Command, ctx: CliContext): void {
  const group = program.command('newsletter').description("an initiative's newsletter: schedule, texts per language, next moments");
  const by = ['--by <personId>', 'act as this ambassador or coordinator of the initiative (audit actor)', parseId] as const;
  group
    .command('schedule')
    .description('send every N weeks from a first local date at a local time')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .requiredOption('--every-weeks <n>', 'weeks between newsletters (1–52)', parseWeeks)
    .requiredOption('--first <YYYY-MM-DD>', 'local date of the first newsletter', checked(isLocalDate, 'expected a real date YYYY-MM-DD.'))
    .requiredOption('--time <HH:MM>', "local time in the initiative's time zone", checked(isLocalTime, 'expected a time HH:MM from 00:00 to 23:59.'))
    .option('--paused', 'keep the schedule but send nothing')
    .option(...by)
    .action((o: ScheduleOptions) => schedule(ctx, o));
  group
    .command('write')
    .description(`store a newsletter (Dutch required; at most ${NEWSLETTER_MAX_CHARS} characters per language)`)
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--text <lang=text>', 'the text in one language (repeatable)', collectPart)
    .option('--file <lang=path>', 'the text in one language from a UTF-8 file (repeatable)', collectPart)
    .option(...by)
    .action((o: WriteOptions) => write(ctx, o));
  group
    .command('list')
    .description('newsletters of an initiative, oldest first: id, languages, issued for')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((o: Target & { json?: boolean }) => list(ctx, o.initiative, o.json === true));
  group
    .command('next')
    .description(`the next ${NEXT_COUNT} newsletter moments in local time`)
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .action((o: Target) => next(ctx, o.initiative));
}

/** Runs against an existing initiative and returns the audit actor; a refused write becomes a one-line error. */
function withInitiative<T>(ctx: CliContext, target: Target, fn: (db: Db, actor: string) => T): Promise<T> {
  return ctx.withDb((db) => {
    if (!initiativeById(db, target.initiative)) throw new CliError(`no initiative with id ${target.initiative}.`);
    let actor = CLI_ACTOR;
    if (target.by !== undefined) {
      if (!personExists(db, target.by)) throw new CliError(`no person with id ${target.by}.`);
      if (!canEditNewsletters(db, target.by, target.initiative)) throw new CliError(`person ${target.by} is not an ambassador or coordinator of initiative ${target.initiative}.`);
      actor = `person:${target.by}`;
    }
    try {
      return fn(db, actor);
    } catch (err) {
      if (err instanceof AppError) throw new CliError(err.message, { cause: err });
      throw err;
    }
  });
}

async function schedule(ctx: CliContext, o: ScheduleOptions): Promise<void> {
  const saved = await withInitiative(ctx, o, (db, actor) =>
    setNewsletterSchedule(db, o.initiative, { everyWeeks: o.everyWeeks, firstDate: o.first, time: o.time, active: o.paused !== true }, actor),
  );
  ctx.print(`initiative ${o.initiative}: a newsletter every ${saved.everyWeeks} week(s) from ${saved.firstDate} at ${saved.time} (${saved.timeZone})${saved.active ? '' : ', paused'}`);
}

function readTexts(ctx: CliContext, o: WriteOptions): NewsletterTexts {
  const shipped = languagesIn(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  const texts: NewsletterTexts = {};
  const parts = [...(o.text ?? []).map((p) => ({ ...p, from: `--text ${p.lang}` })), ...(o.file ?? []).map((p) => ({ ...p, from: `--file ${p.lang}` }))];
  for (const { lang, value, from } of parts) {
    if (!shipped.includes(lang)) throw new CliError(`${from}: "${lang}" is not a language folder in locales/ (${shipped.join(', ')}).`);
    if (lang in texts) throw new CliError(`${from}: ${lang} is given twice.`);
    const raw = from.startsWith('--file') ? readText(ctx, value, from) : value;
    const text = raw.replace(/\r\n?/g, '\n').trim();
    if (text === '') throw new CliError(`${from}: the text is empty.`);
    if (text.length > NEWSLETTER_MAX_CHARS) throw new CliError(`${from}: at most ${NEWSLETTER_MAX_CHARS} characters (got ${text.length}).`);
    if (/[^\P{Cc}\n\t]/u.test(text)) throw new CliError(`${from}: the text contains control characters.`);
    texts[lang] = text;
  }
  if (!(SOURCE_LANGUAGE in texts)) throw new CliError(`the Dutch text is required (--text ${SOURCE_LANGUAGE}=… or --file ${SOURCE_LANGUAGE}=…): parents without their own language get it.`);
  return texts;
}

function readText(ctx: CliContext, path: string, from: string): string {
  try {
    return readFileSync(resolve(ctx.io.cwd, path), 'utf8');
  } catch (err) {
    throw new CliError(`${from}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function write(ctx: CliContext, o: WriteOptions): Promise<void> {
  const texts = readTexts(ctx, o);
  const id = await withInitiative(ctx, o, (db, actor) => addNewsletter(db, o.initiative, texts, actor));
  const shipped = languagesIn(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  const missing = shipped.filter((l) => !(l in texts));
  ctx.print(`newsletter ${id} for initiative ${o.initiative}: ${Object.keys(texts).sort().join(', ')}`);
  ctx.print(missing.length > 0 ? `missing: ${missing.join(', ')} (those parents get the Dutch text)` : 'every shipped language is there');
}

async function list(ctx: CliContext, initiative: number, asJson: boolean): Promise<void> {
  const rows = await withInitiative(ctx, { initiative }, (db) => listNewsletters(db, initiative));
  const view = rows.map((r) => ({ id: r.id, languages: Object.keys(r.texts).sort(), issuedFor: r.issuedFor }));
  if (asJson) return ctx.print(json(view));
  if (view.length === 0) return ctx.print(`No newsletters for initiative ${initiative} yet (write one with: newsletter write --help).`);
  ctx.print(formatTable(['id', 'languages', 'issued for'], view.map((r) => [String(r.id), r.languages.join(','), r.issuedFor ?? 'waiting'])));
}

async function next(ctx: CliContext, initiative: number): Promise<void> {
  const { saved, waiting } = await withInitiative(ctx, { initiative }, (db) => ({
    saved: getNewsletterSchedule(db, initiative),
    waiting: listNewsletters(db, initiative).filter((n) => n.issuedFor === null).length,
  }));
  if (!saved) return ctx.print(`initiative ${initiative} has no newsletter schedule (set one with: newsletter schedule --help).`);
  ctx.print(`initiative ${initiative}: every ${saved.everyWeeks} week(s) from ${saved.firstDate} at ${saved.time} (${saved.timeZone})`);
  if (!saved.active) return ctx.print('the schedule is paused: no newsletter goes out.');
  const now = ctx.io.clock.now();
  const start = Math.max(now.getTime(), Date.parse(`${saved.firstDate}T00:00:00Z`) - DAY_MS);
  const until = new Date(start + (NEXT_COUNT * saved.everyWeeks + 1) * 7 * DAY_MS);
  for (const { at } of newsletterSlots(saved, saved.timeZone, now, until).slice(0, NEXT_COUNT)) {
    ctx.print(`  ${DateTime.fromJSDate(at, { zone: saved.timeZone }).setLocale('en').toFormat('ccc yyyy-LL-dd HH:mm')}  (${at.toISOString().slice(11, 16)} UTC)`);
  }
  ctx.print(waiting > 0 ? `waiting: ${waiting} newsletter(s); the oldest goes out first` : 'waiting: none (write one with: newsletter write --help)');
}
