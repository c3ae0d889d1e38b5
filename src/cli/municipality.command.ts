/**
 * `municipality list | show | deadline | add-date | remove-date | set-rule`: the registration
 * rule per city. Coordinators add next year's published day here, without a deploy. Every
 * command first seeds the built-in cities from config/municipalities.json (only what the
 * database lacks), so a fresh database knows them and a CLI change is never undone.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { yearMonthIn } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Db } from '../db/client.js';
import { listInitiatives } from '../db/initiatives.repo.js';
import {
  addRegistrationDate,
  DEFAULT_MUNICIPALITIES_PATH,
  listMunicipalities,
  municipalityInfo,
  normalizeMunicipality,
  readMunicipalitiesFile,
  removeRegistrationDate,
  resolveMunicipality,
  seedMunicipalities,
  setRule,
  type RuleWithoutDates,
} from '../db/municipalities.repo.js';
import type { YearMonth } from '../domain/birth-month.js';
import { isLocalDate } from '../domain/newsletter-slots.js';
import { firstRegistrationAge, registrationDeadline, type CohortRule, type RegistrationDeadline, type RegistrationRule, type SchoolYearRoundsRule } from '../domain/registration-deadline.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { textParser } from './parse.js';

const KINDS = ['cohorts', 'quarterTurning3', 'schoolYearRounds', 'fromAge3'] as const;
type Kind = (typeof KINDS)[number];
interface SetRuleOptions {
  kind: Kind;
  rounds?: SchoolYearRoundsRule['lateRounds'];
  windows?: CohortRule['windows'];
  mainRound?: SchoolYearRoundsRule['mainRound'];
  cohortStart?: number;
  firstAge?: number;
}

/** The municipalities file: MUNICIPALITIES_PATH when set, else the shipped config/municipalities.json. */
export function municipalitiesPath(ctx: CliContext): string {
  return ctx.config().nurture.municipalitiesPath ?? DEFAULT_MUNICIPALITIES_PATH;
}

const pad = (n: number) => String(n).padStart(2, '0');
const ym = (v: YearMonth) => `${v.year}-${pad(v.month)}`;
const MONTH = new Intl.DateTimeFormat('en', { month: 'long', timeZone: 'UTC' });
const monthName = (m: number) => MONTH.format(new Date(Date.UTC(2024, m - 1, 15)));
const nameArg = textParser('the municipality name', 100);
const NAME = 'municipality, e.g. amsterdam or "den haag" (any case)';

function parseDate(value: string): string {
  if (!isLocalDate(value.trim())) throw new InvalidArgumentError('expected a real date YYYY-MM-DD, e.g. 2028-03-02.');
  return value.trim();
}

function parseBorn(value: string): YearMonth {
  const m = /^(\d{4})-(\d{1,2})$/.exec(value.trim());
  const month = Number(m?.[2]);
  if (!m || month < 1 || month > 12) throw new InvalidArgumentError('expected a birth year and month YYYY-MM, e.g. 2024-09.');
  return { year: Number(m[1]), month };
}

/** "02-01,04-01": month-day of each yearly round. */
function parseRounds(value: string): SchoolYearRoundsRule['lateRounds'] {
  return value.split(',').map((part) => {
    const m = /^(\d{1,2})-(\d{1,2})$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError(`"${part}" is not a round; use MM-DD, e.g. 02-01,04-01.`);
    return { month: Number(m[1]), day: Number(m[2]) };
  });
}

/** "2-3": the main round's day is published in February or March. */
function parseMainRound(value: string): SchoolYearRoundsRule['mainRound'] {
  const m = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected MONTH or MONTH-LATEST_MONTH, e.g. 2-3.');
  return { month: Number(m[1]), latestMonth: Number(m[2] ?? m[1]) };
}

function parseInteger(value: string): number {
  if (!/^\d{1,2}$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number.');
  return Number(value.trim());
}

/** "9-12:+4:3": born months 9–12 → deadline in month 3 of the birth year + 4. */
function parseWindows(value: string): CohortRule['windows'] {
  return value.split(',').map((part) => {
    const m = /^(\d{1,2})-(\d{1,2}):\+?(\d):(\d{1,2})$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError(`"${part}" is not a window; use FROM-TO:+YEARS:DEADLINE_MONTH, e.g. 9-12:+4:3.`);
    return { fromMonth: Number(m[1]), toMonth: Number(m[2]), deadlineYearOffset: Number(m[3]), deadlineMonth: Number(m[4]) };
  });
}

export function registerMunicipalityCommands(program: Command, ctx: CliContext): void {
  const group = program.command('municipality').description('registration rules and published deadline days per municipality');
  group.command('list').description('every configured municipality and its rule').option('--json', 'print JSON for scripts').action((o: { json?: boolean }) => list(ctx, o.json === true));
  group.command('show').description('rule, published days and worked examples').argument('<name>', NAME, nameArg).action((name: string) => show(ctx, name));
  group
    .command('deadline')
    .description("a child's registration deadline")
    .argument('<name>', NAME, nameArg)
    .requiredOption('--born <YYYY-MM>', 'birth year and month', parseBorn)
    .option('--joined <YYYY-MM-DD>', 'the day the parent joined (a late joiner gets a later round)', parseDate)
    .action((name: string, o: { born: YearMonth; joined?: string }) => deadline(ctx, name, o.born, o.joined ?? null));
  group
    .command('add-date')
    .description("add (or correct) a published deadline day, e.g. next year's")
    .argument('<name>', NAME, nameArg)
    .requiredOption('--date <YYYY-MM-DD>', 'the published day; its month is the deadline month', parseDate)
    .action((name: string, o: { date: string }) => changeDate(ctx, 'add', name, o.date));
  group
    .command('remove-date')
    .description('remove a published deadline day')
    .argument('<name>', NAME, nameArg)
    .requiredOption('--date <YYYY-MM-DD>', 'the day to remove', parseDate)
    .action((name: string, o: { date: string }) => changeDate(ctx, 'remove', name, o.date));
  group
    .command('set-rule')
    .description("set a municipality's rule (creates it when new)")
    .argument('<name>', NAME, nameArg)
    .addOption(new Option('--kind <kind>', 'the kind of rule').choices(KINDS).makeOptionMandatory())
    .option('--rounds <list>', 'schoolYearRounds: later rounds MM-DD,… e.g. 04-01,06-01,09-01,11-01', parseRounds)
    .option('--main-round <months>', 'schoolYearRounds: the months of the published main round, e.g. 2-3', parseMainRound)
    .option('--cohort-start <month>', 'schoolYearRounds: the cohort turns 4 from the 1st of this month, e.g. 6', parseInteger)
    .option('--first-age <months>', 'age in months from which parents can register (default 36), e.g. 33', parseInteger)
    .option('--windows <list>', 'cohorts: FROM-TO:+YEARS:MONTH,… e.g. 9-12:+4:3,1-4:+3:6,5-8:+3:11', parseWindows)
    .action((name: string, o: SetRuleOptions) => changeRule(ctx, name, o));
}

/** Seeds, runs, and turns a refused change into a one-line operator error. */
function withMunicipalities<T>(ctx: CliContext, fn: (db: Db) => T): Promise<T> {
  return ctx.withDb((db) => {
    try {
      seedMunicipalities(db, municipalitiesPath(ctx), ctx.io.clock.now());
      return fn(db);
    } catch (err) {
      if (err instanceof AppError) throw new CliError(err.message, { cause: err });
      throw err;
    }
  });
}

function describeRule(rule: RegistrationRule): string {
  switch (rule.kind) {
    case 'cohorts':
      return [...rule.windows]
        .sort((a, b) => a.fromMonth - b.fromMonth)
        .map((w) => `born ${monthName(w.fromMonth)}–${monthName(w.toMonth)}: deadline in ${monthName(w.deadlineMonth)} of the birth year + ${w.deadlineYearOffset}`)
        .join('; ');
    case 'quarterTurning3':
      return 'deadline on the last day of the quarter in which the child turns 3';
    case 'schoolYearRounds': {
      const main = rule.mainRound.latestMonth > rule.mainRound.month ? `${monthName(rule.mainRound.month)} (or up to ${monthName(rule.mainRound.latestMonth)})` : monthName(rule.mainRound.month);
      return (
        `main round in ${main}, day published per year, before the school year of children turning 4 from 1 ${monthName(rule.cohortStartMonth)}; ` +
        `later rounds ${rule.lateRounds.map((r) => `${r.day} ${monthName(r.month)}`).join(', ')} for late registrations`
      );
    }
    case 'fromAge3':
      return 'no central deadline: register at each school from age 3';
  }
}

function deadlineText(d: RegistrationDeadline): string {
  switch (d.kind) {
    case 'date':
      return `deadline ${d.date} (registration opens ${ym(d.opens)})`;
    case 'monthOnly':
      return `deadline in ${ym(d.deadline)}; the date is not known yet (registration opens ${ym(d.opens)})`;
    case 'fromAge3':
      return `no central deadline: register at the school from ${ym(d.opens)}`;
  }
}

async function list(ctx: CliContext, asJson: boolean): Promise<void> {
  const { rows, unconfigured } = await withMunicipalities(ctx, (db) => {
    const rows = listMunicipalities(db);
    const known = new Set(rows.map((r) => r.name));
    const unconfigured = [...new Set(listInitiatives(db).map((i) => normalizeMunicipality(i.municipality)))].filter((n) => !known.has(n) && !resolveMunicipality(db, n)).sort();
    return { rows, unconfigured };
  });
  if (asJson) return ctx.print(json(rows.map(({ name, rule, note, dates }) => ({ name, rule, note, dates }))));
  ctx.print(formatTable(['municipality', 'rule', 'published days'], rows.map((r) => [r.name, r.rule.kind, Object.values(r.dates).join(', ') || '-'])));
  if (unconfigured.length > 0) ctx.note(`note: no rule for ${unconfigured.join(', ')} (used by initiatives): they get the default, fromAge3.`);
}

async function show(ctx: CliContext, name: string): Promise<void> {
  const info = await withMunicipalities(ctx, (db) => municipalityInfo(db, name));
  const rule: RegistrationRule = info?.rule ?? { kind: 'fromAge3' };
  const key = info?.name ?? normalizeMunicipality(name);
  ctx.print(`municipality: ${key}`);
  ctx.print(`rule: ${rule.kind}${info ? '' : ' (not configured: the default)'} — ${describeRule(rule)}`);
  const age = firstRegistrationAge(rule);
  ctx.print(`registration opens at: ${age.years} years${age.months ? ` ${age.months} months` : ''}`);
  if (info?.aliases.length) ctx.print(`also known as: ${info.aliases.join(', ')}`);
  if (info?.url) ctx.print(`page: ${info.url}`);
  if (info?.note) ctx.print(`note: ${info.note}`);
  const dates = Object.values(info?.dates ?? {});
  if (rule.kind === 'cohorts' || rule.kind === 'schoolYearRounds') ctx.print(`published days: ${dates.join(', ') || `none yet (add one with: municipality add-date ${key.includes(' ') ? `"${key}"` : key} --date YYYY-MM-DD)`}`);
  else if (dates.length > 0) ctx.print(`stored days (not used by this rule): ${dates.join(', ')}`);
  const year = yearMonthIn(ctx.io.clock.now(), ctx.config().timeZone).year - 2;
  const months = [...new Set([...(rule.kind === 'cohorts' ? rule.windows.map((w) => w.fromMonth) : []), 1, 5, 9])].sort((a, b) => a - b).slice(0, 3);
  ctx.print('examples:');
  for (const month of months) ctx.print(`  born ${ym({ year, month })}: ${deadlineText(registrationDeadline({ year, month }, rule))}`);
}

async function deadline(ctx: CliContext, name: string, born: YearMonth, joined: string | null): Promise<void> {
  const info = await withMunicipalities(ctx, (db) => municipalityInfo(db, name));
  const rule = info?.rule ?? ({ kind: 'fromAge3' } as const);
  const who = `${info?.name ?? normalizeMunicipality(name)}, born ${ym(born)}${joined ? `, joined ${joined}` : ''}`;
  ctx.print(`${who}: ${deadlineText(registrationDeadline(born, rule, { from: joined }))}`);
}

async function changeDate(ctx: CliContext, verb: 'add' | 'remove', name: string, date: string): Promise<void> {
  const key = (await withMunicipalities(ctx, (db) => resolveMunicipality(db, name))) ?? normalizeMunicipality(name);
  const now = ctx.io.clock.now();
  if (verb === 'add') {
    const r = await withMunicipalities(ctx, (db) => addRegistrationDate(db, key, date, CLI_ACTOR, now));
    if (!r.changed) return ctx.print(`${key}: ${date} is already the published day for ${r.deadlineMonth}; nothing changed`);
    return ctx.print(`${key}: the deadline in ${r.deadlineMonth} is ${date}${r.previous ? ` (was ${r.previous})` : ''}`);
  }
  const removed = await withMunicipalities(ctx, (db) => removeRegistrationDate(db, key, date, CLI_ACTOR, now));
  ctx.print(removed ? `${key}: removed ${date}` : `${key}: ${date} is not a published day; nothing changed`);
  const path = municipalitiesPath(ctx);
  const inFile = readMunicipalitiesFile(path).municipalities[key]?.dates ?? {};
  if (removed && Object.values(inFile).includes(date)) ctx.note(`note: ${date} is also in ${path}; remove it there too, or the next command adds it back.`);
}

function ruleFrom(o: SetRuleOptions): RuleWithoutDates {
  const school = o.kind === 'schoolYearRounds';
  if (!school && (o.rounds || o.mainRound || o.cohortStart !== undefined)) throw new CliError('--rounds, --main-round and --cohort-start are only for --kind schoolYearRounds.');
  if (o.kind !== 'cohorts' && o.windows) throw new CliError('--windows is only for --kind cohorts.');
  const age = o.firstAge === undefined ? {} : { firstRegistrationAgeMonths: o.firstAge };
  if (school) {
    if (!o.rounds || !o.mainRound || o.cohortStart === undefined) {
      throw new CliError('--kind schoolYearRounds needs --main-round, --cohort-start and --rounds, e.g. --main-round 2-3 --cohort-start 6 --rounds 04-01,06-01,09-01,11-01');
    }
    return { kind: 'schoolYearRounds', cohortStartMonth: o.cohortStart, mainRound: o.mainRound, lateRounds: o.rounds, ...age };
  }
  if (o.kind === 'cohorts') {
    if (!o.windows) throw new CliError('--kind cohorts needs --windows, e.g. --windows 9-12:+4:3,1-4:+3:6,5-8:+3:11');
    return { kind: 'cohorts', windows: o.windows, ...age };
  }
  return { kind: o.kind as 'quarterTurning3' | 'fromAge3', ...age };
}

async function changeRule(ctx: CliContext, name: string, o: SetRuleOptions): Promise<void> {
  const rule = ruleFrom(o);
  const { key, r } = await withMunicipalities(ctx, (db) => {
    const key = resolveMunicipality(db, name) ?? normalizeMunicipality(name);
    return { key, r: setRule(db, key, rule, ctx.io.clock.now(), CLI_ACTOR) };
  });
  if (!r.changed) return ctx.print(`${key} already has this ${rule.kind} rule; nothing changed`);
  ctx.print(`${key} now uses ${rule.kind}${r.previous ? ` (was ${r.previous.kind})` : ' (new)'}: ${describeRule(rule.kind === 'cohorts' || rule.kind === 'schoolYearRounds' ? { ...rule, dates: {} } : rule)}`);
}
