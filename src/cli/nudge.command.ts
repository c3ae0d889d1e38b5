/**
 * `nudge …`: coordinator nudges from the command line (issue 11, item 4), for operators and tests.
 * Every change is audited (actor 'cli', or the coordinator given with --by, whose right is checked
 * in src/domain/authorization.ts). Exact counts: this is the operator's view.
 *
 *   create  --initiative ID --text nl="…" [--text tr="…"] [--voice tr=FILE] MOMENT [AUDIENCE] [--by P]
 *   list    --initiative ID [--all] [--json]
 *   show    ID                                 moment, audience, status, next, versions
 *   preview ID [--lang tr]                     exactly what each language group reads
 *   trigger ID [--by P]                        one run now (the running bot fans it out)
 *   pause | resume | cancel ID [--by P]
 *   runs    ID [--json]                        each run: when, delivered, failed, skipped, waiting
 *
 * MOMENT, one of: --once "2027-03-15 10:00" · --weekly "wed 10:00" · --monthly "15 10:00" ·
 * --child-age 30 [--window-months 1] · --before-event play_morning|any --days 3 [--window-days 3];
 * relative ones go at --at (default 10:00). AUDIENCE (once and recurring): --registered yes|no,
 * --born-from 2024-01 --born-to 2024-12, --lang tr,ar; relative: --registered only (child age).
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../core/i18n.js';
import { createMediaStore, mediaDirFor } from '../core/media-store.js';
import { renderReply } from '../core/render.js';
import { may } from '../domain/authorization.js';
import { broadcastReply } from '../domain/broadcast-message.js';
import type { AudienceFilter } from '../domain/broadcast.types.js';
import { parseDayTime, parseMonth, parseTime } from '../domain/nudge-parse.js';
import { audienceProblem, momentProblem } from '../domain/nudge-rules.js';
import { NUDGE_EVENT_KINDS, type NudgeEventKind, type NudgeMoment, type NudgeView } from '../domain/nudge.types.js';
import type { Db } from '../db/client.js';
import { getBroadcast } from '../db/broadcasts.repo.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { membershipsOf } from '../db/invites.repo.js';
import { changeNudgeStatus, createNudge, getNudge, listNudges, listRuns, nudgeVersions, triggerNudge, zoneOfInitiative } from '../db/nudges.repo.js';
import { personExists } from '../db/people.repo.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { parseId } from './parse.js';
import { keepVoiceFile, voiceFile } from './voice-file.js';

const WEEKDAYS: Record<string, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7, ma: 1, di: 2, wo: 3, do: 4, vr: 5, za: 6, zo: 7 };
const WEEKDAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

interface CreateOptions {
  initiative: number;
  text: [string, string][];
  voice: [string, string][];
  once?: { date: string; at: string };
  weekly?: { weekday: number; at: string };
  monthly?: { day: number; at: string };
  childAge?: number;
  windowMonths: number;
  beforeEvent?: string;
  days?: number;
  windowDays?: number;
  at: string;
  registered?: boolean;
  bornFrom?: string;
  bornTo?: string;
  lang?: string[];
  by?: number;
}

const fail = (message: string): never => {
  throw new InvalidArgumentError(message);
};

function collectLangValue(value: string, previous: [string, string][] = []): [string, string][] {
  const m = /^([a-z]{2,3})=([\s\S]*)$/.exec(value);
  if (!m || !m[2]?.trim()) fail('expected LANG=TEXT, e.g. nl="Kom naar de speelochtend".');
  if (previous.some(([l]) => l === m![1])) fail(`${m![1]} is given twice.`);
  return [...previous, [m![1]!, m![2]!.trim()]];
}

const parseOnce = (v: string) => parseDayTime(v) ?? fail('expected a day and a time, e.g. "2027-03-15 10:00".');
const parseAtTime = (v: string) => parseTime(v) ?? fail('expected a time, e.g. 10:00.');
const parseWhole = (min: number, max: number) => (v: string) => (/^\d{1,3}$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : fail(`expected a whole number from ${min} to ${max}.`));
const parseMonthOpt = (v: string) => parseMonth(v) ?? fail('expected a month like 2024-03.');
const parseYesNo = (v: string) => (v === 'yes' ? true : v === 'no' ? false : fail('expected yes or no.'));
const parseLangs = (v: string) => v.split(',').map((s) => (/^[a-z]{2,3}$/.test(s.trim()) ? s.trim() : fail('expected language codes, e.g. tr,ar.')));

function parseWeekly(v: string): { weekday: number; at: string } {
  const [d, t] = v.trim().toLowerCase().split(/\s+/);
  const weekday = WEEKDAYS[(d ?? '').slice(0, 3)] ?? WEEKDAYS[(d ?? '').slice(0, 2)] ?? (/^[1-7]$/.test(d ?? '') ? Number(d) : undefined);
  const at = parseTime(t ?? '');
  return weekday && at ? { weekday, at } : fail('expected a weekday and a time, e.g. "wed 10:00".');
}

function parseMonthly(v: string): { day: number; at: string } {
  const [d, t] = v.trim().split(/\s+/);
  const at = parseTime(t ?? '');
  return /^\d{1,2}$/.test(d ?? '') && Number(d) >= 1 && Number(d) <= 31 && at ? { day: Number(d), at } : fail('expected a day of the month and a time, e.g. "15 10:00".');
}

export function registerNudgeCommands(program: Command, ctx: CliContext): void {
  const group = program.command('nudge').description("coordinator nudges: once, weekly, monthly, or relative to each parent's child or event");
  group
    .command('create')
    .description('make a nudge (one moment option; versions per language, Dutch required)')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--text <lang=text>', 'a version, e.g. nl="Kom naar de speelochtend" (repeatable)', collectLangValue, [])
    .option('--voice <lang=file>', 'a voice note (OGG/MP3/M4A) as the version of a language other than Dutch, e.g. tr=groet.ogg (repeatable; the recording belongs to --by)', collectLangValue, [])
    .option('--once <day time>', 'once, e.g. "2027-03-15 10:00" (local time of the initiative)', parseOnce)
    .option('--weekly <weekday time>', 'every week, e.g. "wed 10:00"', parseWeekly)
    .option('--monthly <day time>', 'every month, e.g. "15 10:00" (29–31: the last day of a shorter month)', parseMonthly)
    .option('--child-age <months>', "when a parent's child turns this many months (0–72)", parseWhole(0, 72))
    .option('--window-months <n>', 'with --child-age: how long a late joiner still gets it (months)', parseWhole(1, 12), 1)
    .addOption(new Option('--before-event <kind>', 'before each event of this kind (any: every kind)').choices([...NUDGE_EVENT_KINDS, 'any']))
    .option('--days <n>', 'with --before-event: days before the event (0–14)', parseWhole(0, 14))
    .option('--window-days <n>', 'with --before-event: how many days after that it may still go (default: until the event day)', parseWhole(1, 15))
    .option('--at <time>', 'local time of a relative nudge', parseAtTime, '10:00')
    .option('--registered <yes|no>', 'only parents with a child registered at a school (yes) or not yet (no)', parseYesNo)
    .option('--born-from <month>', 'children born from this month (YYYY-MM; once and recurring)', parseMonthOpt)
    .option('--born-to <month>', 'children born up to and including this month', parseMonthOpt)
    .option('--lang <codes>', "the parent's language is one of these, e.g. tr,ar (once and recurring)", parseLangs)
    .option('--by <personId>', 'the coordinator who makes it (checked); default: the operator', parseId)
    .action((o: CreateOptions) => create(ctx, o));
  group
    .command('list')
    .description("an initiative's nudges (active and paused; --all: also stopped and done)")
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--all', 'also stopped and done nudges')
    .option('--json', 'print JSON for scripts')
    .action((o: { initiative: number; all?: boolean; json?: boolean }) => list(ctx, o));
  group.command('show').description('one nudge: moment, audience, status, next moment, versions').argument('<id>', 'nudge id', parseId).action((id: number) => show(ctx, id));
  group
    .command('preview')
    .description('the message exactly as each language group reads it')
    .argument('<id>', 'nudge id', parseId)
    .option('--lang <codes>', 'only these reader languages, e.g. tr,ar', parseLangs)
    .action((id: number, o: { lang?: string[] }) => preview(ctx, id, o));
  for (const op of ['trigger', 'pause', 'resume', 'cancel'] as const) {
    const what = { trigger: 'send once now to the current audience', pause: 'pause (nothing planned goes out)', resume: 'turn a paused nudge on again', cancel: 'stop for good' }[op];
    group
      .command(op)
      .description(what)
      .argument('<id>', 'nudge id', parseId)
      .option('--by <personId>', 'the coordinator (checked); default: the operator', parseId)
      .action((id: number, o: { by?: number }) => change(ctx, op, id, o.by));
  }
  group
    .command('runs')
    .description('each run with what it sent (relative nudges: per day)')
    .argument('<id>', 'nudge id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((id: number, o: { json?: boolean }) => runs(ctx, id, o));
}

function momentOf(o: CreateOptions): NudgeMoment {
  const given = [o.once, o.weekly, o.monthly, o.childAge, o.beforeEvent].filter((x) => x !== undefined).length;
  if (given !== 1) throw new CliError('give exactly one of --once, --weekly, --monthly, --child-age, --before-event.');
  if (o.once) return { type: 'once', ...o.once };
  if (o.weekly) return { type: 'weekly', ...o.weekly };
  if (o.monthly) return { type: 'monthly', ...o.monthly };
  if (o.childAge !== undefined) return { type: 'childAge', months: o.childAge, windowMonths: o.windowMonths, at: o.at };
  if (o.days === undefined) throw new CliError('--before-event needs --days.');
  const eventKind = o.beforeEvent === 'any' ? null : (o.beforeEvent as NudgeEventKind);
  return { type: 'event', eventKind, daysBefore: o.days, windowDays: o.windowDays ?? Math.max(1, o.days), at: o.at };
}

function audienceOf(o: CreateOptions): AudienceFilter {
  if ((o.bornFrom === undefined) !== (o.bornTo === undefined)) throw new CliError('give both --born-from and --born-to.');
  const a: AudienceFilter = {};
  if (o.registered !== undefined) a.registered = o.registered;
  if (o.bornFrom && o.bornTo) [a.bornFrom, a.bornTo] = o.bornFrom <= o.bornTo ? [o.bornFrom, o.bornTo] : [o.bornTo, o.bornFrom];
  if (o.lang) a.languages = o.lang;
  return a;
}

/** The actor, after checking the coordinator's right on the initiative. */
function actorFor(db: Db, initiativeId: number, by: number | undefined): string {
  if (by === undefined) return CLI_ACTOR;
  if (!personExists(db, by)) throw new CliError(`no person with id ${by}.`);
  if (!may(membershipsOf(db, by), 'nudge', initiativeId)) throw new CliError(`person ${by} may not manage nudges of initiative ${initiativeId}.`);
  return `person:${by}`;
}

const PROBLEMS: Record<string, string> = {
  past: 'that moment has already passed.',
  audience: 'a relative nudge goes to all parents of the initiative, or (child age) only --registered yes|no.',
  time: 'not a valid time.',
  date: 'not a valid day.',
};

async function create(ctx: CliContext, o: CreateOptions): Promise<void> {
  const moment = momentOf(o);
  const audience = audienceOf(o);
  if (!o.text.some(([l]) => l === 'nl')) throw new CliError('the Dutch version is required: --text nl="…".');
  if (o.voice.some(([l]) => l === 'nl')) throw new CliError('Dutch is read by every parent without a version of their own: give it as --text nl="…"; a voice note is for the other languages.');
  if (o.voice.length && o.by === undefined) throw new CliError('--voice needs --by <personId>: a recording belongs to the coordinator who made it.');
  const files = o.voice.map(([lang, file]) => ({ lang, ...voiceFile(resolve(ctx.io.cwd, file)) }));
  const now = ctx.io.clock.now();
  const id = await ctx.withDb((db, config) => {
    if (!initiativeById(db, o.initiative)) throw new CliError(`no initiative with id ${o.initiative}.`);
    const zone = zoneOfInitiative(db, o.initiative, ctx.config().timeZone);
    const problem = momentProblem(moment, { now, zone }) ?? audienceProblem(moment, audience);
    if (problem) throw new CliError(PROBLEMS[problem] ?? `the moment is not valid (${problem}).`);
    const actor = actorFor(db, o.initiative, o.by);
    const store = files.length ? createMediaStore(mediaDirFor(config.databasePath)) : null;
    return db.transaction((tx) => {
      const voiced = new Map(files.map((f) => [f.lang, keepVoiceFile(tx, store!, o.by!, f, now)]));
      const langs = [...new Set([...o.text.map(([l]) => l), ...voiced.keys()])];
      const versions = langs.map((lang) => ({ lang, text: o.text.find(([l]) => l === lang)?.[1] ?? '', ...(voiced.has(lang) ? { mediaId: voiced.get(lang)! } : {}) }));
      return createNudge(tx, { initiativeId: o.initiative, createdBy: o.by ?? null, audience, moment, versions }, actor, now, zone);
    });
  });
  const n = await ctx.withDb((db) => getNudge(db, id));
  ctx.print(`nudge ${id}: ${n?.kind}, ${describeMoment(moment)}${n?.nextAt ? `, first ${n.nextAt.toISOString()}` : ''}.`);
}

export function describeMoment(m: NudgeMoment): string {
  switch (m.type) {
    case 'once':
      return `once ${m.date} ${m.at}`;
    case 'weekly':
      return `every ${WEEKDAY_NAMES[m.weekday]} ${m.at}`;
    case 'monthly':
      return `every month on day ${m.day} ${m.at}`;
    case 'childAge':
      return `when a child turns ${m.months} months (window ${m.windowMonths} month${m.windowMonths === 1 ? '' : 's'}) ${m.at}`;
    case 'event':
      return `${m.daysBefore} day${m.daysBefore === 1 ? '' : 's'} before each ${m.eventKind ?? 'event'} (window ${m.windowDays} day${m.windowDays === 1 ? '' : 's'}) ${m.at}`;
  }
}

const describeAudience = (a: AudienceFilter): string => {
  const parts = [
    a.registered === undefined ? '' : a.registered ? 'registered' : 'not registered',
    a.bornFrom ? `born ${a.bornFrom}..${a.bornTo}` : '',
    a.languages ? `lang ${a.languages.join(',')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'all parents';
};

async function list(ctx: CliContext, o: { initiative: number; all?: boolean; json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => {
    if (!initiativeById(db, o.initiative)) throw new CliError(`no initiative with id ${o.initiative}.`);
    return listNudges(db, o.initiative, { all: o.all ?? false }).map((n) => ({ n, first: nudgeVersions(db, n.id)[0]?.text ?? '' }));
  });
  if (o.json) return ctx.print(json(rows.map(({ n }) => ({ ...n, nextAt: n.nextAt?.toISOString() ?? null, createdAt: n.createdAt.toISOString() }))));
  if (!rows.length) return ctx.print('No nudges.');
  ctx.print(
    formatTable(
      ['id', 'kind', 'status', 'moment', 'next', 'audience', 'text'],
      rows.map(({ n, first }) => [String(n.id), n.kind, n.status, describeMoment(n.moment), n.nextAt?.toISOString() ?? '', describeAudience(n.audience), first.length > 40 ? `${first.slice(0, 39)}…` : first]),
    ),
  );
}

async function withNudge<T>(ctx: CliContext, id: number, fn: (db: Db, n: NudgeView) => T): Promise<T> {
  return ctx.withDb((db) => {
    const n = getNudge(db, id);
    if (!n) throw new CliError(`no nudge with id ${id}.`);
    return fn(db, n);
  });
}

async function show(ctx: CliContext, id: number): Promise<void> {
  const { n, versions } = await withNudge(ctx, id, (db, n) => ({ n, versions: nudgeVersions(db, id) }));
  ctx.print(`nudge ${n.id} (initiative ${n.initiativeId}): ${n.kind}, ${n.status}`);
  ctx.print(`moment: ${describeMoment(n.moment)}`);
  ctx.print(`audience: ${describeAudience(n.audience)}`);
  if (n.nextAt) ctx.print(`next: ${n.nextAt.toISOString()}`);
  for (const v of versions) ctx.print(`${v.lang}: ${v.text}`);
}

async function preview(ctx: CliContext, id: number, o: { lang?: string[] }): Promise<void> {
  const locales = loadLocales(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  const i18n = createI18n(locales);
  const { b, name } = await withNudge(ctx, id, (db, n) => ({ b: n.templateBroadcastId !== null ? getBroadcast(db, n.templateBroadcastId) : null, name: initiativeById(db, n.initiativeId)?.name ?? null }));
  if (!b) throw new CliError(`nudge ${id} has no message.`);
  for (const lang of o.lang ?? locales.languages.map((l) => l.code)) {
    const message = renderReply(i18n, lang, broadcastReply(b, lang, null, name ? { name } : null));
    ctx.print(`── ${lang}`);
    ctx.print(message.text.replace(/\u200f|\u2068|\u2069/g, ''));
  }
}

async function change(ctx: CliContext, op: 'trigger' | 'pause' | 'resume' | 'cancel', id: number, by: number | undefined): Promise<void> {
  const now = ctx.io.clock.now();
  const out = await withNudge(ctx, id, (db, n) => {
    const actor = actorFor(db, n.initiativeId, by);
    const zone = zoneOfInitiative(db, n.initiativeId, ctx.config().timeZone);
    return db.transaction((tx) => (op === 'trigger' ? triggerNudge(tx, id, actor, now, by ?? null) : changeNudgeStatus(tx, id, op, actor, now, zone)));
  });
  if (op === 'trigger') {
    if (out === null || out === false) throw new CliError(`nudge ${id} cannot be sent: it is stopped or has no message.`);
    return ctx.print(`nudge ${id}: run ${String(out)} scheduled now. The running bot sends it within seconds.`);
  }
  if (!out) throw new CliError(`nudge ${id} cannot be ${op === 'pause' ? 'paused' : op === 'resume' ? 'resumed' : 'cancelled'} now.`);
  const after = await ctx.withDb((db) => getNudge(db, id));
  ctx.print(`nudge ${id}: ${after?.status}.`);
}

async function runs(ctx: CliContext, id: number, o: { json?: boolean }): Promise<void> {
  const list = await withNudge(ctx, id, (db, n) => listRuns(db, n, zoneOfInitiative(db, n.initiativeId, ctx.config().timeZone), 100));
  if (o.json) return ctx.print(json(list.map((r) => ({ ...r, at: r.at.toISOString() }))));
  if (!list.length) return ctx.print('No runs yet.');
  ctx.print(
    formatTable(
      ['run', 'at', 'how', 'broadcast', 'delivered', 'failed', 'skipped', 'waiting'],
      list.map((r) => [r.key, r.at.toISOString(), r.broadcastId === null && r.trigger !== 'rule' ? 'missed' : r.trigger, r.broadcastId === null ? '' : String(r.broadcastId), ...[r.counts.delivered, r.counts.failed, r.counts.skipped, r.counts.waiting].map(String)]),
    ),
  );
}
