/**
 * `broadcast …`: broadcasts from the command line (issue 11, item 2), for operators and tests.
 * Every change goes through the same commands as the chat (src/db/broadcast.effects.ts) with
 * actor 'cli', audited. Audience counts are shown as staff see them ("fewer than 5").
 *
 *   count    --initiative ID [audience]                       parents it would reach, per language
 *   create   --initiative ID [audience] --text nl="…" [--text tr="…"] [--voice tr=FILE --owner P] [--at ISO]
 *   list     [--initiative ID] [--status S]
 *   show     ID                                               versions, rows by status, summary
 *   preview  ID [--lang tr] [--fallback en]                   exactly what each language group reads
 *   submit | approve | reject | pause | resume | cancel ID
 *   approval --initiative ID on|off                           ambassadors' broadcasts need approval
 *
 * Audience: --born-from 2024-01 --born-to 2024-12 --turns3-within 6 --registered yes|no
 * --rsvp EVENT:yes,maybe --interest KEY --lang tr,ar --silent-weeks 8. A submitted broadcast is
 * sent by the running bot (its broadcast runner looks every 2 s).
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../core/i18n.js';
import { createMediaStore, mediaDirFor } from '../core/media-store.js';
import { renderReply } from '../core/render.js';
import { broadcastReply } from '../domain/broadcast-message.js';
import { BROADCAST_STATUSES, type AudienceFilter, type BroadcastCommand, type BroadcastStatus, type BroadcastView } from '../domain/broadcast.types.js';
import type { Db } from '../db/client.js';
import { runBroadcastCommand, type BroadcastOutcome } from '../db/broadcast.effects.js';
import { countAudience, initiativeZone } from '../db/broadcast-audience.repo.js';
import { suppressCounts } from '../db/broadcast.reads.js';
import { getBroadcast, listBroadcasts, requiresApproval } from '../db/broadcasts.repo.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { personExists } from '../db/people.repo.js';
import { rowGroups } from '../jobs/broadcast.runner.js';
import { summarize } from '../domain/broadcast-report.js';
import { CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { parseId } from './parse.js';
import { keepVoiceFile, voiceFile } from './voice-file.js';

interface AudienceOptions {
  bornFrom?: string;
  bornTo?: string;
  turns3Within?: number;
  registered?: boolean;
  rsvp?: { eventId: number; answers: ('yes' | 'maybe' | 'no' | 'none')[] };
  interest?: string;
  lang?: string[];
  silentWeeks?: number;
}

interface CreateOptions extends AudienceOptions {
  initiative: number;
  text: [string, string][];
  voice: [string, string][];
  owner?: number;
  at?: Date;
  json?: boolean;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const LANG = /^[a-z]{2,3}$/;

function parseMonth(value: string): string {
  if (!MONTH.test(value.trim())) throw new InvalidArgumentError('expected a month like 2024-03.');
  return value.trim();
}

function parseCount(value: string): number {
  if (!/^\d{1,3}$/.test(value)) throw new InvalidArgumentError('expected a whole number (0–999).');
  return Number(value);
}

function parseYesNo(value: string): boolean {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  throw new InvalidArgumentError('expected yes or no.');
}

function parseRsvp(value: string): NonNullable<AudienceOptions['rsvp']> {
  const m = /^([1-9]\d{0,9}):([a-z,]+)$/.exec(value.trim());
  const answers = m?.[2]?.split(',').filter(Boolean) ?? [];
  if (!m || !answers.length || answers.some((a) => !['yes', 'maybe', 'no', 'none'].includes(a))) throw new InvalidArgumentError('expected EVENT:answers, e.g. 12:yes,maybe (answers: yes, maybe, no, none).');
  return { eventId: Number(m[1]), answers: [...new Set(answers)] as ('yes' | 'maybe' | 'no' | 'none')[] };
}

function parseLangs(value: string): string[] {
  const codes = [...new Set(value.split(',').map((c) => c.trim().toLowerCase()).filter(Boolean))];
  if (!codes.length || codes.some((c) => !LANG.test(c))) throw new InvalidArgumentError('expected language codes like tr,ar.');
  return codes;
}

/** `nl="Hallo allemaal"` (repeatable): one version per language. */
function collectLangValue(value: string, previous: [string, string][] = []): [string, string][] {
  const m = /^([a-z]{2,3})=([\s\S]*)$/.exec(value);
  if (!m || !m[2]?.trim()) throw new InvalidArgumentError('expected LANG=TEXT, e.g. nl="Hallo allemaal".');
  if (previous.some(([l]) => l === m[1])) throw new InvalidArgumentError(`${m[1]} is given twice.`);
  return [...previous, [m[1]!, m[2]]];
}

function parseAt(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO date and time, e.g. 2026-12-08T09:00:00Z.');
  return d;
}

function addAudienceOptions(cmd: Command): Command {
  return cmd
    .option('--born-from <month>', 'children born from this month (YYYY-MM)', parseMonth)
    .option('--born-to <month>', 'children born up to and including this month (YYYY-MM)', parseMonth)
    .option('--turns3-within <months>', 'a child turns 3 within this many months', parseCount)
    .option('--registered <yes|no>', 'registered at a school (for a matching child) or not', parseYesNo)
    .option('--rsvp <event:answers>', 'answered this event, e.g. 12:yes,maybe (none: not answered)', parseRsvp)
    .option('--interest <key>', 'said "I want to help with this" to this phase action')
    .option('--lang <codes>', "the parent's language is one of these, e.g. tr,ar", parseLangs)
    .option('--silent-weeks <n>', 'no message from the parent for at least this many weeks', parseCount);
}

function audienceOf(o: AudienceOptions): AudienceFilter {
  const a: AudienceFilter = {};
  if (o.bornFrom) a.bornFrom = o.bornFrom;
  if (o.bornTo) a.bornTo = o.bornTo;
  if (o.turns3Within !== undefined) a.turns3WithinMonths = o.turns3Within;
  if (o.registered !== undefined) a.registered = o.registered;
  if (o.rsvp) a.rsvp = o.rsvp;
  if (o.interest) a.interest = o.interest;
  if (o.lang) a.languages = o.lang;
  if (o.silentWeeks !== undefined) a.silentWeeks = o.silentWeeks;
  return a;
}

const describeAudience = (a: AudienceFilter): string => (Object.keys(a).length ? JSON.stringify(a) : 'all parents');

/**
 * The `broadcast` command group (created once): helpers add their own subcommands to it
 * (e.g. `broadcast translate`, src/cli/broadcast-translate.command.ts).
 */
export function broadcastCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'broadcast') ?? program.command('broadcast').description('broadcasts to the parents of an initiative, in every language');
}

export function registerBroadcastCommands(program: Command, ctx: CliContext): Command {
  const group = broadcastCommand(program);
  addAudienceOptions(group.command('count').description('how many parents an audience reaches, per language (under 5: "fewer than 5")'))
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((o: AudienceOptions & { initiative: number; json?: boolean }) => count(ctx, o));
  addAudienceOptions(group.command('create').description('write a broadcast as a draft (submit sends it)'))
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--text <lang=text>', 'a version, e.g. nl="Hallo allemaal" (repeatable; Dutch is required before submit)', collectLangValue, [])
    .option('--voice <lang=file>', 'a voice note (OGG/MP3/M4A) as a version, e.g. tr=groet.ogg (repeatable; needs --owner)', collectLangValue, [])
    .option('--owner <personId>', 'the staff member whose recording a --voice file is (files belong to a person, erased with them)', parseId)
    .option('--at <iso>', 'send at this moment (default: as soon as it is submitted)', parseAt)
    .option('--json', 'print JSON for scripts')
    .action((o: CreateOptions) => create(ctx, o));
  group
    .command('list')
    .description('broadcasts, oldest first')
    .option('--initiative <id>', 'only this initiative', parseId)
    .option('--status <status>', `only this status (${BROADCAST_STATUSES.join(', ')})`, (v: string) => {
      if (!(BROADCAST_STATUSES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${BROADCAST_STATUSES.join(', ')}.`);
      return v as BroadcastStatus;
    })
    .option('--json', 'print JSON for scripts')
    .action((o: { initiative?: number; status?: BroadcastStatus; json?: boolean }) => list(ctx, o));
  group
    .command('show')
    .description('one broadcast: versions, its delivery rows by status, the summary')
    .argument('<id>', 'broadcast id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((id: number, o: { json?: boolean }) => show(ctx, id, o));
  group
    .command('preview')
    .description('what each language group reads (the version in their language, else Dutch or English with the note)')
    .argument('<id>', 'broadcast id', parseId)
    .option('--lang <codes>', 'only these reader languages (default: every language shipped)', parseLangs)
    .option('--fallback <en>', "readers who chose English as second language (default: Dutch)", (v: string) => {
      if (v !== 'en') throw new InvalidArgumentError('the only second language is en.');
      return 'en' as const;
    })
    .action((id: number, o: { lang?: string[]; fallback?: 'en' }) => preview(ctx, id, o));
  for (const op of ['submit', 'approve', 'reject', 'pause', 'resume', 'cancel'] as const) {
    group
      .command(op)
      .description(OP_HELP[op])
      .argument('<id>', 'broadcast id', parseId)
      .action((id: number) => command(ctx, { op, broadcastId: id }));
  }
  group
    .command('approval')
    .description("whether ambassadors' broadcasts on an initiative need a coordinator's approval")
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .argument('<on|off>', 'on or off', (v: string) => {
      if (v !== 'on' && v !== 'off') throw new InvalidArgumentError('expected on or off.');
      return v;
    })
    .action((value: 'on' | 'off', o: { initiative: number }) => approval(ctx, o.initiative, value === 'on'));
  return group;
}

const OP_HELP = {
  submit: 'confirm a draft: scheduled (or pending when it needs approval); the running bot sends it when due',
  approve: 'approve a broadcast waiting for approval',
  reject: 'reject a broadcast waiting for approval (its author may change and submit it again)',
  pause: 'pause a broadcast while it sends (what is not sent yet waits)',
  resume: 'resume a paused broadcast',
  cancel: 'cancel a broadcast before it is done (what is not sent yet is not sent)',
} as const;

const REASONS: Record<Exclude<BroadcastOutcome, { ok: true }>['reason'], string> = {
  refused: 'not allowed',
  not_found: 'no such broadcast',
  wrong_status: 'not possible in its current status',
  no_dutch: 'the Dutch version is required (--text nl="…")',
};

function needInitiative(db: Db, id: number): { timeZone: string } {
  const ini = initiativeById(db, id);
  if (!ini) throw new CliError(`no initiative with id ${id}.`);
  return { timeZone: initiativeZone(db, id, 'Europe/Amsterdam') };
}

async function count(ctx: CliContext, o: AudienceOptions & { initiative: number; json?: boolean }): Promise<void> {
  const now = ctx.io.clock.now();
  const audience = audienceOf(o);
  const counts = await ctx.withDb((db) => {
    const { timeZone } = needInitiative(db, o.initiative);
    return suppressCounts(countAudience(db, o.initiative, audience, now, timeZone));
  });
  if (o.json) return ctx.print(json(counts));
  const shown = (c: number | 'fewer-than-5') => (c === 'fewer-than-5' ? 'fewer than 5' : String(c));
  ctx.print(`audience: ${describeAudience(audience)}`);
  ctx.print(`parents: ${shown(counts.total)}`);
  if (counts.byLanguage.length) ctx.print(formatTable(['language', 'parents'], counts.byLanguage.map((l) => [l.lang, shown(l.count)])));
}

async function create(ctx: CliContext, o: CreateOptions): Promise<void> {
  const now = ctx.io.clock.now();
  if (o.voice.length && o.owner === undefined) throw new CliError('--voice needs --owner <personId>: a recording belongs to the person who made it.');
  const files = o.voice.map(([lang, file]) => ({ lang, ...voiceFile(resolve(ctx.io.cwd, file)) }));
  const id = await ctx.withDb((db, config) => {
    needInitiative(db, o.initiative);
    if (o.owner !== undefined && !personExists(db, o.owner)) throw new CliError(`no person with id ${o.owner}.`);
    const store = files.length ? createMediaStore(mediaDirFor(config.databasePath)) : null;
    return db.transaction((tx) => {
      const made = runBroadcastCommand(tx, { cli: true }, { op: 'create', initiativeId: o.initiative, draftKey: `cli-${now.getTime()}` }, now);
      if (!made.ok) throw new CliError(REASONS[made.reason]);
      const bid = made.broadcastId;
      const apply = (c: BroadcastCommand) => {
        const r = runBroadcastCommand(tx, { cli: true }, c, now);
        if (!r.ok) throw new CliError(REASONS[r.reason]);
      };
      apply({ op: 'audience', broadcastId: bid, audience: audienceOf(o) });
      if (o.at) apply({ op: 'timing', broadcastId: bid, sendAt: o.at });
      for (const [lang, text] of o.text) apply({ op: 'version', broadcastId: bid, lang, text: text.trim() });
      for (const f of files) {
        const mediaId = keepVoiceFile(tx, store!, o.owner!, f, now);
        const text = o.text.find(([l]) => l === f.lang)?.[1]?.trim() ?? null;
        apply({ op: 'version', broadcastId: bid, lang: f.lang, text, media: { mediaId, type: f.type } });
      }
      return bid;
    });
  });
  if (o.json) return ctx.print(json({ id, status: 'draft' }));
  ctx.print(`broadcast: ${id} (draft). Check it with 'broadcast preview ${id}', send it with 'broadcast submit ${id}'.`);
}

const row = (b: BroadcastView): string[] => [
  String(b.id),
  String(b.initiativeId),
  b.status,
  b.versions.map((v) => `${v.lang}${v.media ? '+voice' : ''}${v.machine && !v.approved ? '(draft)' : ''}`).join(','),
  b.sendAt ? b.sendAt.toISOString() : 'when submitted',
  b.authorId === null ? 'cli' : `person:${b.authorId}`,
];

const asJson = (b: BroadcastView) => ({ ...b, sendAt: b.sendAt?.toISOString() ?? null, createdAt: b.createdAt.toISOString(), startedAt: b.startedAt?.toISOString() ?? null, finishedAt: b.finishedAt?.toISOString() ?? null });

async function list(ctx: CliContext, o: { initiative?: number; status?: BroadcastStatus; json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => listBroadcasts(db, { ...(o.initiative !== undefined ? { initiativeId: o.initiative } : {}), ...(o.status ? { statuses: [o.status] } : {}) }));
  if (o.json) return ctx.print(json(rows.map(asJson)));
  if (!rows.length) return ctx.print('No broadcasts.');
  ctx.print(formatTable(['id', 'initiative', 'status', 'versions', 'send at', 'author'], rows.map(row)));
}

async function show(ctx: CliContext, id: number, o: { json?: boolean }): Promise<void> {
  const { b, groups, approval } = await ctx.withDb((db) => {
    const b = getBroadcast(db, id);
    if (!b) throw new CliError(`no broadcast with id ${id}.`);
    return { b, groups: rowGroups(db, id), approval: requiresApproval(db, b.initiativeId) };
  });
  const byStatus: Record<string, number> = {};
  for (const g of groups) byStatus[g.status] = (byStatus[g.status] ?? 0) + g.count;
  // The operator sees exact numbers; a summary is computed now when the broadcast is still sending.
  const summary = b.summary && b.finishedAt ? b.summary : summarize(groups, b.summary?.atStart ?? {});
  if (o.json) return ctx.print(json({ ...asJson(b), rows: byStatus, summary, initiativeRequiresApproval: approval }));
  ctx.print(formatTable(['id', 'initiative', 'status', 'versions', 'send at', 'author'], [row(b)]));
  ctx.print(`audience: ${describeAudience(b.audience)}`);
  for (const v of b.versions) ctx.print(`[${v.lang}${v.machine ? (v.approved ? ', machine, approved' : ', machine draft: not sent until approved') : ''}${v.media ? `, ${v.media.type} ${v.media.mediaId}` : ''}] ${v.text ?? ''}`);
  if (groups.length) ctx.print(`rows: ${Object.entries(byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  if (b.startedAt) {
    ctx.print(`delivered ${summary.delivered}, waiting for a reply on WhatsApp ${summary.waitingForReply}`);
    if (Object.keys(summary.failed).length) ctx.print(`failed: ${Object.entries(summary.failed).map(([r, n]) => `${r} ${n}`).join(', ')}`);
    if (Object.keys(summary.skipped).length) ctx.print(`skipped: ${Object.entries(summary.skipped).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  }
}

/** Without the invisible direction marks (a terminal shows them as gaps). */
const bare = (s: string): string => s.replace(/\u200f|\u2068|\u2069/g, '');

async function preview(ctx: CliContext, id: number, o: { lang?: string[]; fallback?: 'en' }): Promise<void> {
  const locales = loadLocales(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  const i18n = createI18n(locales);
  const { b, name } = await ctx.withDb((db) => {
    const b = getBroadcast(db, id);
    if (!b) throw new CliError(`no broadcast with id ${id}.`);
    return { b, name: initiativeById(db, b.initiativeId)?.name ?? null };
  });
  const langs = o.lang ?? locales.languages.map((l) => l.code);
  for (const lang of langs) {
    const message = renderReply(i18n, lang, broadcastReply(b, lang, o.fallback ?? null, name ? { name } : null));
    ctx.print(`── ${lang}${message.media ? ` (+ ${message.media.type} ${message.media.mediaId})` : ''}`);
    ctx.print(bare(message.text));
    for (const r of message.choices ?? []) ctx.print(`[${r.map((c) => bare(c.label)).join('] [')}]`);
  }
}

async function command(ctx: CliContext, c: BroadcastCommand & { broadcastId: number }): Promise<void> {
  const now = ctx.io.clock.now();
  const out = await ctx.withDb((db) => db.transaction((tx) => runBroadcastCommand(tx, { cli: true }, c, now)));
  if (!out.ok) throw new CliError(`broadcast ${c.broadcastId}: ${REASONS[out.reason]}.`);
  const next = out.status === 'scheduled' ? ' The running bot sends it when it is due.' : out.status === 'pending' ? ' A coordinator must approve it first.' : '';
  ctx.print(`broadcast ${c.broadcastId}: ${out.status}.${next}`);
}

async function approval(ctx: CliContext, initiativeId: number, required: boolean): Promise<void> {
  const now = ctx.io.clock.now();
  await ctx.withDb((db) => {
    needInitiative(db, initiativeId);
    db.transaction((tx) => runBroadcastCommand(tx, { cli: true }, { op: 'requireApproval', initiativeId, required }, now));
  });
  ctx.print(`initiative ${initiativeId}: ambassadors' broadcasts ${required ? 'need' : 'do not need'} a coordinator's approval.`);
}
