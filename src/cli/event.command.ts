/**
 * `event create | list | show | cancel | attendance`: coordinators plan tours and open
 * mornings and record who came. Times are typed in the initiative's local time and stored in
 * UTC; a local time that does not exist or happens twice (DST nights) is refused rather than
 * guessed. People appear as ids only. Every change writes an audit row.
 */
import { Option, InvalidArgumentError, type Command } from 'commander';
import { DateTime } from 'luxon';
import { DEFAULT_LOCALES_DIR, SOURCE_LANGUAGE } from '../core/i18n.js';
import { writeAudit } from '../db/audit.repo.js';
import type { Db } from '../db/client.js';
import * as repo from '../db/events.repo.js';
import { personExists } from '../db/people.repo.js';
import { EVENT_KINDS } from '../db/schema.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { languagesIn } from './i18n/locale-files.js';
import { parseId, textParser } from './parse.js';

type LangText = [lang: string, text: string];

interface CreateOptions {
  initiative: number;
  kind: repo.EventKind;
  at: string;
  minutes: number;
  capacity?: number;
  minAge: number;
  maxAge: number;
  title: LangText[];
  place: LangText[];
}

const LOCAL = "yyyy-MM-dd'T'HH:mm";

/** Repeatable `lang=text`; the language is checked against locales/ when the command runs. */
function langTextParser(label: string, max: number): (value: string, previous: LangText[] | undefined) => LangText[] {
  const text = textParser(label, max);
  return (value, previous = []) => {
    const m = /^([a-z]{2,3})=(.*)$/s.exec(value.trim());
    if (!m) throw new InvalidArgumentError(`expected lang=text, e.g. nl="Rondleiding".`);
    const [lang, raw] = [m[1] ?? '', m[2] ?? ''];
    if (previous.some(([l]) => l === lang)) throw new InvalidArgumentError(`${label} ${lang}= is given twice.`);
    return [...previous, [lang, text(raw)]];
  };
}

function intParser(label: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d{1,6}$/.test(value.trim()) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${label} must be a whole number from ${min} to ${max}.`);
    return Number(value);
  };
}

function parseLocalTime(value: string): string {
  const local = value.trim().replace(' ', 'T');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local) || !DateTime.fromISO(local, { zone: 'UTC' }).isValid) {
    throw new InvalidArgumentError('expected a local date and time like 2027-03-01T09:00.');
  }
  return local;
}

function parseIdList(value: string, previous: number[] = []): number[] {
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(parseId);
  if (ids.length === 0) throw new InvalidArgumentError('expected person ids, e.g. 3,4,5.');
  return [...new Set([...previous, ...ids])];
}

export function registerEventCommands(program: Command, ctx: CliContext): void {
  const group = program.command('event').description('events (tours, open mornings, …) with RSVP, capacity and waiting list');

  group
    .command('create')
    .description('plan an event; --at is local time in the initiative\'s time zone')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .addOption(new Option('--kind <kind>', 'kind of event').choices(EVENT_KINDS).makeOptionMandatory())
    .requiredOption('--at <local>', 'start, local time, e.g. 2027-03-01T09:00', parseLocalTime)
    .requiredOption('--minutes <n>', 'duration in minutes', intParser('--minutes', 1, 24 * 60))
    .option('--capacity <n>', 'places (default: no limit)', intParser('--capacity', 1, 100_000))
    .option('--min-age <months>', "children's youngest age at the event, in months", intParser('--min-age', 0, 72), 24)
    .option('--max-age <months>', "children's oldest age at the event, in months", intParser('--max-age', 0, 72), 42)
    .requiredOption('--title <lang=text>', 'title per language, repeatable; nl required', langTextParser('--title', 100))
    .requiredOption('--place <lang=text>', 'place per language, repeatable; nl required', langTextParser('--place', 200))
    .action((opts: CreateOptions) => create(ctx, opts));

  group
    .command('list')
    .description('events by start time, with going / waiting / maybe / no counts')
    .option('--initiative <id>', 'only this initiative', parseId)
    .option('--json', 'print JSON for scripts')
    .action((opts: { initiative?: number; json?: boolean }) => list(ctx, opts));

  group
    .command('show')
    .description('one event: details, counts and the waiting list (person ids)')
    .argument('<id>', 'event id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((id: number, opts: { json?: boolean }) => show(ctx, id, opts.json === true));

  group.command('cancel').description('cancel an event').argument('<id>', 'event id', parseId).action((id: number) => cancel(ctx, id));

  group
    .command('attendance')
    .description('record who came; present people without an RSVP are added as walk-ins')
    .argument('<id>', 'event id', parseId)
    .option('--present <ids>', 'person ids, comma-separated', parseIdList)
    .option('--absent <ids>', 'person ids, comma-separated', parseIdList)
    .action((id: number, opts: { present?: number[]; absent?: number[] }) => attendance(ctx, id, opts.present ?? [], opts.absent ?? []));
}

function localized(label: string, pairs: LangText[], shipped: string[]): repo.LocalizedText {
  const unknown = pairs.find(([lang]) => !shipped.includes(lang));
  if (unknown) throw new CliError(`${label}: unknown language "${unknown[0]}" (shipped: ${shipped.join(', ')}).`);
  const texts = Object.fromEntries(pairs);
  const nl = texts[SOURCE_LANGUAGE];
  if (nl === undefined) throw new CliError(`${label} ${SOURCE_LANGUAGE}=… is required (Dutch is the source language).`);
  return { ...texts, nl };
}

/** Local wall-clock time in a zone → UTC; refuses times the DST change skips or repeats. */
function localToUtc(local: string, zone: string): Date {
  const dt = DateTime.fromISO(local, { zone });
  if (!dt.isValid) throw new CliError(`the initiative's time zone "${zone}" is not valid (${dt.invalidReason ?? 'unknown reason'}).`);
  if (dt.toFormat(LOCAL) !== local) {
    throw new CliError(`${local.replace('T', ' ')} does not exist in ${zone}: the clocks go forward that night. Choose another time.`);
  }
  if (dt.getPossibleOffsets().length > 1) {
    throw new CliError(`${local.replace('T', ' ')} happens twice in ${zone}: the clocks go back that night. Choose another time.`);
  }
  return dt.toJSDate();
}

const localText = (d: Date, zone: string): string => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd HH:mm');
const when = (d: Date, zone: string): string => `${localText(d, zone)} ${zone} (${d.toISOString()})`;

function zoneOf(db: Db, initiativeId: number): string {
  const zone = repo.initiativeTimeZone(db, initiativeId);
  if (zone === null) throw new CliError(`no initiative with id ${initiativeId}.`);
  return zone;
}

function eventOf(db: Db, id: number): repo.EventView {
  const event = repo.getEvent(db, id);
  if (!event) throw new CliError(`no event with id ${id}.`);
  return event;
}

async function create(ctx: CliContext, opts: CreateOptions): Promise<void> {
  const shipped = languagesIn(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  const titles = localized('--title', opts.title, shipped);
  const places = localized('--place', opts.place, shipped);
  if (opts.minAge > opts.maxAge) throw new CliError(`--min-age (${opts.minAge}) is above --max-age (${opts.maxAge}).`);
  const now = ctx.io.clock.now();
  const { id, zone, startsAt, endsAt } = await ctx.withDb((db) => {
    const zone = zoneOf(db, opts.initiative);
    const startsAt = localToUtc(opts.at, zone);
    if (startsAt.getTime() < now.getTime()) throw new CliError(`${opts.at.replace('T', ' ')} in ${zone} is in the past.`);
    const endsAt = new Date(startsAt.getTime() + opts.minutes * 60_000);
    const input: repo.NewEvent = { initiativeId: opts.initiative, kind: opts.kind, startsAt, endsAt, capacity: opts.capacity ?? null, minAgeMonths: opts.minAge, maxAgeMonths: opts.maxAge, titles, places };
    const id = db.transaction((tx) => {
      const eventId = repo.createEvent(tx, input);
      writeAudit(tx, { actor: CLI_ACTOR, action: 'event.create', subjectType: 'initiative', subjectId: opts.initiative, detail: { eventId, kind: opts.kind } }, now);
      return eventId;
    });
    return { id, zone, startsAt, endsAt };
  });
  ctx.print(`id: ${id}`);
  ctx.print(`starts: ${when(startsAt, zone)}`);
  ctx.print(`ends: ${when(endsAt, zone)}`);
}

async function list(ctx: CliContext, opts: { initiative?: number; json?: boolean }): Promise<void> {
  const { rows, zones } = await ctx.withDb((db) => {
    if (opts.initiative !== undefined) zoneOf(db, opts.initiative);
    const rows = repo.listEvents(db, { initiativeId: opts.initiative });
    const zones = new Map([...new Set(rows.map((r) => r.initiativeId))].map((i) => [i, zoneOf(db, i)]));
    return { rows, zones };
  });
  if (opts.json) return ctx.print(json(rows));
  if (rows.length === 0) return ctx.print('No events yet (create one with: event create --help).');
  const headers = ['id', 'initiative', 'kind', 'starts (local)', 'capacity', 'going', 'waiting', 'maybe', 'no', 'status', 'title (nl)'];
  ctx.print(
    formatTable(
      headers,
      rows.map((e) => {
        const counts = [e.going, e.waiting, e.maybe, e.no].map(String);
        const starts = localText(e.startsAt, zones.get(e.initiativeId) ?? 'UTC');
        return [String(e.id), String(e.initiativeId), e.kind, starts, e.capacity === null ? '-' : String(e.capacity), ...counts, e.cancelledAt ? 'cancelled' : 'planned', e.titles.nl];
      }),
    ),
  );
}

async function show(ctx: CliContext, id: number, asJson: boolean): Promise<void> {
  const { event, zone, waiting } = await ctx.withDb((db) => {
    const event = eventOf(db, id);
    return { event, zone: zoneOf(db, event.initiativeId), waiting: repo.waitingList(db, id) };
  });
  if (asJson) return ctx.print(json({ ...event, waitingList: waiting }));
  const lines = [
    `id: ${event.id}`,
    `initiative: ${event.initiativeId}`,
    `kind: ${event.kind}`,
    `starts: ${when(event.startsAt, zone)}`,
    `ends: ${when(event.endsAt, zone)}`,
    `capacity: ${event.capacity ?? 'no limit'}`,
    `ages: ${event.minAgeMonths}-${event.maxAgeMonths} months`,
    ...Object.entries(event.titles).map(([lang, text]) => `title ${lang}: ${text}`),
    ...Object.entries(event.places).map(([lang, text]) => `place ${lang}: ${text}`),
    `status: ${event.cancelledAt ? `cancelled ${when(event.cancelledAt, zone)}` : 'planned'}`,
    `going: ${event.going}  waiting: ${event.waiting}  maybe: ${event.maybe}  no: ${event.no}`,
    `waiting list (oldest first): ${waiting.length > 0 ? waiting.join(', ') : '-'}`,
  ];
  for (const line of lines) ctx.print(line);
}

async function cancel(ctx: CliContext, id: number): Promise<void> {
  const now = ctx.io.clock.now();
  const { event, changed } = await ctx.withDb((db) => {
    const event = eventOf(db, id);
    if (event.cancelledAt) return { event, changed: false };
    db.transaction((tx) => {
      repo.cancelEvent(tx, id, now);
      writeAudit(tx, { actor: CLI_ACTOR, action: 'event.cancel', subjectType: 'initiative', subjectId: event.initiativeId, detail: { eventId: id } }, now);
    });
    return { event, changed: true };
  });
  if (!changed) return ctx.print(`event ${id} was already cancelled; nothing changed`);
  ctx.print(`event ${id} cancelled (had ${event.going} going, ${event.waiting} waiting, ${event.maybe} maybe)`);
}

async function attendance(ctx: CliContext, id: number, present: number[], absent: number[]): Promise<void> {
  if (present.length + absent.length === 0) throw new CliError('give --present and/or --absent person ids.');
  const both = present.filter((p) => absent.includes(p));
  if (both.length > 0) throw new CliError(`person ${both.join(', ')} is both present and absent.`);
  const now = ctx.io.clock.now();
  const { came, away } = await ctx.withDb((db) => {
    const event = eventOf(db, id);
    if (event.cancelledAt) throw new CliError(`event ${id} is cancelled; there is no attendance to record.`);
    if (event.startsAt.getTime() > now.getTime()) throw new CliError(`event ${id} has not started yet; record attendance afterwards.`);
    const unknown = [...present, ...absent].filter((p) => !personExists(db, p));
    if (unknown.length > 0) throw new CliError(`no person with id ${unknown.join(', ')}.`);
    return db.transaction((tx) => {
      const came = repo.recordAttendance(tx, id, present, true);
      const away = repo.recordAttendance(tx, id, absent, false);
      const detail = { eventId: id, present: present.length, absent: absent.length, walkIns: came.added.length };
      writeAudit(tx, { actor: CLI_ACTOR, action: 'event.attendance', subjectType: 'initiative', subjectId: event.initiativeId, detail }, now);
      return { came, away };
    });
  });
  ctx.print(`event ${id}: ${present.length} present, ${absent.length - away.skipped.length} absent recorded`);
  if (came.added.length > 0) ctx.print(`walk-ins (no RSVP, added as going): ${came.added.join(', ')}`);
  if (away.skipped.length > 0) ctx.print(`no RSVP, nothing recorded: ${away.skipped.join(', ')}`);
}
