/**
 * `outreach …`: the outreach ladder of an initiative (issue 12, item 2; src/domain/outreach-ladder.ts).
 * Changes are audited (actor 'cli'); `status` shows counts only, never who.
 *
 *   settings --initiative ID [--cooldown-days N] [--on | --off] [--json]
 *            without a change: what holds now (an initiative without its own: on, OUTREACH_COOLDOWN_DAYS)
 *   voice    --initiative ID --lang tr --file step2.ogg --owner PERSON
 *            the voice note step 2 goes out as, for parents who read Turkish; a recording belongs to
 *            a person (the media row is theirs, erased with them): a staff member of the initiative
 *   voice    --initiative ID --lang tr --remove
 *   status   --initiative ID [--json]   per step how many rows went out, wait, were skipped or expired;
 *            the call-back tasks by outcome; the voice notes' languages
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_LOCALES_DIR } from '../core/i18n.js';
import { createMediaStore, mediaDirFor } from '../core/media-store.js';
import { MAX_COOLDOWN_DAYS } from '../domain/outreach-ladder.js';
import { writeAudit } from '../db/audit.repo.js';
import type { Db } from '../db/client.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { membershipsOf } from '../db/invites.repo.js';
import { outreachSettingsOf, outreachStatus, outreachVoicesOf, removeOutreachVoice, saveOutreachSettings, saveOutreachVoice } from '../db/outreach.repo.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { languagesIn } from './i18n/locale-files.js';
import { formatTable, json } from './format.js';
import { parseId } from './parse.js';
import { keepVoiceFile, voiceFile } from './voice-file.js';

interface SettingsOptions {
  initiative: number;
  cooldownDays?: number;
  on?: boolean;
  off?: boolean;
  json?: boolean;
}

interface VoiceOptions {
  initiative: number;
  lang: string;
  file?: string;
  owner?: number;
  remove?: boolean;
}

const parseDays = (v: string): number => {
  if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > MAX_COOLDOWN_DAYS) throw new InvalidArgumentError(`expected a whole number of days from 1 to ${MAX_COOLDOWN_DAYS}.`);
  return Number(v);
};

export function registerOutreachCommands(program: Command, ctx: CliContext): void {
  const group = program.command('outreach').description('the outreach ladder: personal contact for parents who have gone silent (counts only, never who)');
  group
    .command('settings')
    .description("the ladder on or off for an initiative, and its cool-down (days of rest after a parent's ladder)")
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--cooldown-days <n>', `days (1–${MAX_COOLDOWN_DAYS}) before a still-silent parent may get the ladder again`, parseDays)
    .option('--on', 'switch the ladder on')
    .option('--off', 'switch the ladder off (steps already planned are dropped when they are due)')
    .option('--json', 'print JSON for scripts')
    .action((opts: SettingsOptions) => settings(ctx, opts));
  group
    .command('voice')
    .description("the voice note step 2 goes out as, in one language (a staff member's recording)")
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .requiredOption('--lang <code>', 'the language of the parents it is for, e.g. tr')
    .option('--file <file>', 'the recording (OGG, MP3 or M4A)')
    .option('--owner <personId>', 'the ambassador or coordinator whose recording it is (it is erased with them)', parseId)
    .option('--remove', 'remove the voice note of this language (step 2 goes as text)')
    .action((opts: VoiceOptions) => voice(ctx, opts));
  group
    .command('status')
    .description('per step: sent, waiting, skipped, expired; the call-back tasks by outcome')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((opts: { initiative: number; json?: boolean }) => status(ctx, opts));
}

function needInitiative(db: Db, id: number): void {
  if (!initiativeById(db, id)) throw new CliError(`no initiative with id ${id}.`);
}

async function settings(ctx: CliContext, o: SettingsOptions): Promise<void> {
  if (o.on && o.off) throw new CliError('choose --on or --off, not both.');
  const now = ctx.io.clock.now();
  const result = await ctx.withDb((db, config) => {
    needInitiative(db, o.initiative);
    const fallback = config.nurture.outreachCooldownDays;
    const change = { ...(o.on || o.off ? { enabled: Boolean(o.on) } : {}), ...(o.cooldownDays !== undefined ? { cooldownDays: o.cooldownDays } : {}) };
    if (!Object.keys(change).length) return { ...outreachSettingsOf(db, o.initiative, fallback), changed: false };
    return db.transaction((tx) => {
      const saved = saveOutreachSettings(tx, o.initiative, change, fallback, now);
      writeAudit(tx, { actor: CLI_ACTOR, action: 'outreach.settings', subjectType: 'initiative', subjectId: o.initiative, detail: change }, now);
      return { ...saved, own: true, changed: true };
    });
  });
  if (o.json) return ctx.print(json({ initiative: o.initiative, enabled: result.enabled, cooldownDays: result.cooldownDays, own: result.own }));
  ctx.print(`outreach ladder of initiative ${o.initiative}: ${result.enabled ? 'on' : 'off'}, cool-down ${result.cooldownDays} days${result.own ? '' : ' (the default: OUTREACH_COOLDOWN_DAYS)'}${result.changed ? ' (saved)' : ''}`);
}

async function voice(ctx: CliContext, o: VoiceOptions): Promise<void> {
  const languages = languagesIn(ctx.config().localesDir ?? DEFAULT_LOCALES_DIR);
  if (!languages.includes(o.lang)) throw new CliError(`${o.lang} is not a language of the bot (${languages.join(', ')}): parents choose one of these.`);
  const now = ctx.io.clock.now();
  if (o.remove) {
    if (o.file || o.owner !== undefined) throw new CliError('--remove takes no --file or --owner.');
    const removed = await ctx.withDb((db) => {
      needInitiative(db, o.initiative);
      return db.transaction((tx) => {
        const gone = removeOutreachVoice(tx, o.initiative, o.lang);
        if (gone) writeAudit(tx, { actor: CLI_ACTOR, action: 'outreach.voice', subjectType: 'initiative', subjectId: o.initiative, detail: { lang: o.lang, removed: true } }, now);
        return gone;
      });
    });
    return ctx.print(removed ? `voice note (${o.lang}) removed: step 2 goes as text.` : `there was no voice note in ${o.lang}.`);
  }
  if (!o.file) throw new CliError('--file <recording> is needed (or --remove).');
  if (o.owner === undefined) throw new CliError('--owner <personId> is needed: a recording belongs to the person who made it.');
  const file = voiceFile(resolve(ctx.io.cwd, o.file));
  const mediaId = await ctx.withDb((db, config) => {
    needInitiative(db, o.initiative);
    const staff = membershipsOf(db, o.owner!).some((m) => m.initiativeId === o.initiative && (m.role === 'ambassador' || m.role === 'coordinator'));
    if (!staff) throw new CliError(`person ${o.owner} is no ambassador or coordinator of initiative ${o.initiative}.`);
    const store = createMediaStore(mediaDirFor(config.databasePath));
    return db.transaction((tx) => {
      const id = keepVoiceFile(tx, store, o.owner!, file, now);
      saveOutreachVoice(tx, o.initiative, o.lang, id, now);
      writeAudit(tx, { actor: CLI_ACTOR, action: 'outreach.voice', subjectType: 'initiative', subjectId: o.initiative, detail: { lang: o.lang, mediaId: id, owner: o.owner! } }, now);
      return id;
    });
  });
  ctx.print(`voice note (${o.lang}) stored as media ${mediaId}: step 2 goes out as this voice note to parents who read ${o.lang}.`);
}

async function status(ctx: CliContext, o: { initiative: number; json?: boolean }): Promise<void> {
  const out = await ctx.withDb((db, config) => {
    needInitiative(db, o.initiative);
    const s = outreachSettingsOf(db, o.initiative, config.nurture.outreachCooldownDays);
    return { initiative: o.initiative, enabled: s.enabled, cooldownDays: s.cooldownDays, voices: outreachVoicesOf(db, o.initiative).map((v) => v.lang), ...outreachStatus(db, o.initiative) };
  });
  if (o.json) return ctx.print(json(out));
  ctx.print(`outreach ladder of initiative ${out.initiative}: ${out.enabled ? 'on' : 'off'}, cool-down ${out.cooldownDays} days, voice notes: ${out.voices.join(', ') || 'none'}`);
  const statuses = ['sent', 'planned', 'queued', 'sending', 'skipped', 'expired', 'failed', 'unreachable'];
  const count = (by: Record<string, number>, k: string) => String(by[k] ?? 0);
  const label = ['1 question', '2 call offer', '3 call-back task'];
  ctx.print(formatTable(['step', ...statuses], out.steps.map((s) => [label[s.step - 1]!, ...statuses.map((k) => count(s.byStatus, k))])));
  const outcomes = ['open', 'claimed', 'reached', 'noAnswer', 'wrongNumber', 'declined', 'closed'];
  ctx.print(formatTable(['call-back tasks', ...outcomes], [['count', ...outcomes.map((k) => count(out.tasks, k))]]));
}
