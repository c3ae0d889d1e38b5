/** `initiative create | list | link | phase | edit | archive`: setting up initiatives and the links parents start from. */
import type { Command } from 'commander';
import type { Db } from '../db/client.js';
import {
  createInitiative,
  initiativeByCode,
  initiativeById,
  listInitiatives,
  newInitiativeCode,
  postcodeOverlaps,
  setArchived,
  setPhase,
  updateInitiative,
  type InitiativePatch,
} from '../db/initiatives.repo.js';
import { resolveMunicipality, seedMunicipalities, suggestMunicipalities } from '../db/municipalities.repo.js';
import { municipalitiesPath } from './municipality.command.js';
import type { Phase } from '../domain/model.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { deepLink, qrTarget, resolveBotUsername, writeQr, type QrOption } from './deep-link.js';
import { compactPostcodes, formatTable, json } from './format.js';
import { optionalTextParser, parseBotUsername, parseCode, parseId, parsePhase, parsePostcodes, textParser } from './parse.js';
import { phaseName } from './phase-names.js';
import { announcementReach } from '../jobs/phase-announcement.js';
import { loadReminderRules } from '../jobs/nurture.config.js';

interface CreateOptions {
  name: string;
  school: string;
  municipality: string;
  postcodes: string[];
  neighbourhood?: string;
  contact?: string;
  phase: Phase;
  code?: string;
  botUsername?: string;
  qr?: QrOption;
  force?: boolean;
}

interface LinkOptions {
  botUsername?: string;
  qr?: QrOption;
}

export function registerInitiativeCommands(program: Command, ctx: CliContext): void {
  const group = program.command('initiative').description('create and manage parent initiatives');

  group
    .command('create')
    .description('create an initiative and print its id, code and deep link')
    .requiredOption('--name <name>', 'name of the initiative (max 100 characters)', textParser('--name', 100))
    .requiredOption('--school <school>', 'the neighbourhood school (max 100 characters)', textParser('--school', 100))
    .requiredOption('--municipality <municipality>', 'gemeente, e.g. Amsterdam', textParser('--municipality', 100))
    .requiredOption('--postcodes <list>', 'PC4 area, comma-separated, ranges allowed: 1091,1092 or 1091-1098', parsePostcodes)
    .option('--neighbourhood <name>', 'wijk or buurt', optionalTextParser('--neighbourhood', 100))
    .option('--contact <contact>', 'how parents reach the initiative (e-mail or website; shown in the chat)', optionalTextParser('--contact', 200))
    .option('--phase <n>', 'phase 0–5', parsePhase, 1)
    .option('--code <code>', 'deep-link code (default: random)', parseCode)
    .option('--bot-username <name>', 'Telegram bot username (default: TELEGRAM_BOT_USERNAME)', parseBotUsername)
    .option('--qr [file]', 'write a PNG QR code of the deep link (default file: data/initiative-<code>.png)')
    .option('--force', 'accept a municipality without a configured rule (its parents register from age 3)')
    .action((opts: CreateOptions) => create(ctx, opts));
  registerEditCommands(group, ctx);

  group
    .command('list')
    .description('list all initiatives')
    .option('--json', 'print JSON for scripts')
    .action((opts: { json?: boolean }) => list(ctx, opts.json === true));

  group
    .command('link')
    .description("print an initiative's deep link and optionally write its QR code again")
    .argument('<id>', 'initiative id', parseId)
    .option('--bot-username <name>', 'Telegram bot username (default: TELEGRAM_BOT_USERNAME)', parseBotUsername)
    .option('--qr [file]', 'write a PNG QR code of the deep link (default file: data/initiative-<code>.png)')
    .action((id: number, opts: LinkOptions) => link(ctx, id, opts));

  group
    .command('phase')
    .description('set the phase (0–5) an initiative is in; its parents are told once (without --yes: only shows how many)')
    .argument('<id>', 'initiative id', parseId)
    .argument('<phase>', 'phase 0–5', parsePhase)
    .option('--yes', 'confirm: change the phase and announce it')
    .action((id: number, phase: Phase, opts: { yes?: boolean }) => changePhase(ctx, id, phase, opts.yes === true));
}

async function create(ctx: CliContext, opts: CreateOptions): Promise<void> {
  const code = opts.code ?? newInitiativeCode();
  const botUsername = resolveBotUsername(opts.botUsername, ctx.config());
  // Checked before writing, so a missing bot username does not leave a half-done initiative.
  const qrPath = qrTarget(opts.qr, code, botUsername, ctx.io.cwd);
  const created = await ctx.withDb((db) => {
    if (initiativeByCode(db, code)) throw new CliError(`an initiative with code "${code}" already exists.`);
    const municipality = checkedMunicipality(ctx, db, opts.municipality, opts.force === true);
    const { name, school, postcodes, neighbourhood, contact, phase } = opts;
    warnOverlaps(ctx, db, postcodes);
    return createInitiative(db, { name, school, municipality, postcodes, neighbourhood, contact, phase, code }, CLI_ACTOR);
  });
  ctx.print(`id: ${created.id}`);
  ctx.print(`code: ${created.code}`);
  await printLink(ctx, created.code, botUsername, qrPath);
}

async function list(ctx: CliContext, asJson: boolean): Promise<void> {
  const rows = await ctx.withDb((db) => listInitiatives(db));
  if (asJson) return ctx.print(json(rows));
  if (rows.length === 0) return ctx.print('No initiatives yet (create one with: initiative create --help).');
  ctx.print(
    formatTable(
      ['id', 'code', 'name', 'school', 'municipality', 'phase', 'postcodes'],
      rows.map((r) => [String(r.id), r.code, r.name, r.school, r.municipality, String(r.phase), compactPostcodes(r.postcodes)]),
    ),
  );
}

async function link(ctx: CliContext, id: number, opts: LinkOptions): Promise<void> {
  const initiative = await ctx.withDb((db) => initiativeById(db, id));
  if (!initiative) throw new CliError(`no initiative with id ${id}.`);
  const botUsername = resolveBotUsername(opts.botUsername, ctx.config());
  const qrPath = qrTarget(opts.qr, initiative.code, botUsername, ctx.io.cwd);
  ctx.print(`code: ${initiative.code}`);
  await printLink(ctx, initiative.code, botUsername, qrPath);
}

async function printLink(ctx: CliContext, code: string, botUsername: string | undefined, qrPath: string | null): Promise<void> {
  const url = deepLink(botUsername, code);
  ctx.print(`link: ${url}`);
  if (!botUsername) ctx.note('note: no bot username known; pass --bot-username <name> or set TELEGRAM_BOT_USERNAME for a t.me link.');
  if (qrPath) {
    await writeQr(qrPath, url);
    ctx.print(`qr: ${qrPath}`);
  }
}

/**
 * Moves an initiative to a phase. Its parents are told once, in their language, within the
 * quiet hours and the cap (the planner sends it: the `phase-change` rule). The coordinator first
 * sees how many it will reach; only `--yes` changes anything.
 */
async function changePhase(ctx: CliContext, id: number, phase: Phase, confirmed: boolean): Promise<void> {
  const config = ctx.config();
  const label = `phase ${phase}: ${phaseName(phase, config.localesDir)}`;
  const now = ctx.io.clock.now();
  const result = await ctx.withDb((db) => {
    const before = initiativeById(db, id);
    if (!before) throw new CliError(`no initiative with id ${id}.`);
    // Same phase: no write and no audit row, like `role grant` on an existing role.
    if (before.phase === phase) return { changed: false, reach: 0, from: before.phase };
    const reach = announcementReach(db, loadReminderRules(config.nurture.rulesPath), id, phase, now, config.timeZone);
    if (confirmed) setPhase(db, id, phase, CLI_ACTOR, now);
    return { changed: confirmed, reach, from: before.phase };
  });
  if (result.from === phase) return ctx.print(`initiative ${id} is already in ${label}; nothing changed`);
  const parents = `${result.reach} parent${result.reach === 1 ? '' : 's'}`;
  if (!result.changed) {
    ctx.print(`initiative ${id} is in phase ${result.from}. Moving it to ${label} will tell ${parents} (once, in their language, outside quiet hours and within the cap).`);
    ctx.print(`Nothing changed yet. Confirm with: initiative phase ${id} ${phase} --yes`);
    return;
  }
  ctx.print(`initiative ${id} is now in ${label}`);
  ctx.print(`announcement planned for ${parents}`);
}

/**
 * The configured name a typed municipality means ('s-Gravenhage → den haag). An unknown one is
 * refused with the closest names, unless forced (then its parents get the default: from age 3).
 */
function checkedMunicipality(ctx: CliContext, db: Db, typed: string, force: boolean): string {
  seedMunicipalities(db, municipalitiesPath(ctx), ctx.io.clock.now());
  const name = resolveMunicipality(db, typed);
  if (name) return name;
  if (force) {
    ctx.note(`note: "${typed}" has no registration rule; its parents register from age 3 until one is set (municipality set-rule).`);
    return typed.trim();
  }
  const close = suggestMunicipalities(db, typed);
  const hint = close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  throw new CliError(`unknown municipality "${typed}".${hint} See municipality list, or pass --force to use it with the default rule (from age 3).`);
}

function warnOverlaps(ctx: CliContext, db: Db, postcodes: string[], exceptId?: number): void {
  for (const o of postcodeOverlaps(db, postcodes, exceptId)) {
    ctx.note(`warning: postcodes ${compactPostcodes(o.postcodes)} are also in initiative ${o.id} (${o.name}); parents there will be offered both.`);
  }
}

interface EditOptions {
  name?: string;
  school?: string;
  municipality?: string;
  postcodes?: string[];
  neighbourhood?: string;
  contact?: string;
  force?: boolean;
}

function registerEditCommands(group: Command, ctx: CliContext): void {
  group
    .command('edit')
    .description("change an initiative's name, school, municipality, postcodes, neighbourhood or contact")
    .argument('<id>', 'initiative id', parseId)
    .option('--name <name>', 'name of the initiative (max 100 characters)', textParser('--name', 100))
    .option('--school <school>', 'the neighbourhood school (max 100 characters)', textParser('--school', 100))
    .option('--municipality <municipality>', 'gemeente, e.g. Amsterdam', textParser('--municipality', 100))
    .option('--postcodes <list>', 'the whole new PC4 area, e.g. 1091,1092 or 1091-1098', parsePostcodes)
    .option('--neighbourhood <name>', 'wijk or buurt', optionalTextParser('--neighbourhood', 100))
    .option('--contact <contact>', 'how parents reach the initiative', optionalTextParser('--contact', 200))
    .option('--force', 'accept a municipality without a configured rule')
    .action((id: number, opts: EditOptions) => edit(ctx, id, opts));
  group
    .command('archive')
    .description('archive an initiative: not offered to new parents, no reminders (history is kept)')
    .argument('<id>', 'initiative id', parseId)
    .option('--undo', 'restore an archived initiative')
    .action((id: number, opts: { undo?: boolean }) => archive(ctx, id, opts.undo !== true));
}

async function edit(ctx: CliContext, id: number, opts: EditOptions): Promise<void> {
  const { force, ...given } = opts;
  const patch: InitiativePatch = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  if (Object.keys(patch).length === 0) throw new CliError('nothing to change: pass --name, --school, --municipality, --postcodes, --neighbourhood or --contact.');
  const changed = await ctx.withDb((db) => {
    if (!initiativeById(db, id)) throw new CliError(`no initiative with id ${id}.`);
    if (patch.municipality !== undefined) patch.municipality = checkedMunicipality(ctx, db, patch.municipality, force === true);
    if (patch.postcodes) warnOverlaps(ctx, db, patch.postcodes, id);
    return updateInitiative(db, id, patch, CLI_ACTOR);
  });
  ctx.print(`initiative ${id} changed: ${Object.keys(patch).sort().join(', ')}${changed && patch.municipality ? ` (municipality: ${changed.municipality})` : ''}`);
}

async function archive(ctx: CliContext, id: number, archived: boolean): Promise<void> {
  const r = await ctx.withDb((db) => setArchived(db, id, archived, CLI_ACTOR, ctx.io.clock.now()));
  if (r === 'missing') throw new CliError(`no initiative with id ${id}.`);
  const state = archived ? 'archived: not offered to new parents, no reminders' : 'active again';
  ctx.print(r === 'changed' ? `initiative ${id} is ${state}` : `initiative ${id} is already ${archived ? 'archived' : 'active'}; nothing changed`);
}
