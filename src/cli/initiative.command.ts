/** `initiative create | list | link | phase`: setting up initiatives and the links parents start from. */
import type { Command } from 'commander';
import { createInitiative, initiativeByCode, initiativeById, listInitiatives, newInitiativeCode, setPhase } from '../db/initiatives.repo.js';
import type { Phase } from '../domain/model.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { deepLink, qrTarget, resolveBotUsername, writeQr, type QrOption } from './deep-link.js';
import { compactPostcodes, formatTable, json } from './format.js';
import { optionalTextParser, parseBotUsername, parseCode, parseId, parsePhase, parsePostcodes, textParser } from './parse.js';
import { phaseName } from './phase-names.js';

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
    .action((opts: CreateOptions) => create(ctx, opts));

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
    .description('set the phase (0–5) an initiative is in')
    .argument('<id>', 'initiative id', parseId)
    .argument('<phase>', 'phase 0–5', parsePhase)
    .action((id: number, phase: Phase) => changePhase(ctx, id, phase));
}

async function create(ctx: CliContext, opts: CreateOptions): Promise<void> {
  const code = opts.code ?? newInitiativeCode();
  const botUsername = resolveBotUsername(opts.botUsername, ctx.config());
  // Checked before writing, so a missing bot username does not leave a half-done initiative.
  const qrPath = qrTarget(opts.qr, code, botUsername, ctx.io.cwd);
  const created = await ctx.withDb((db) => {
    if (initiativeByCode(db, code)) throw new CliError(`an initiative with code "${code}" already exists.`);
    const { name, school, municipality, postcodes, neighbourhood, contact, phase } = opts;
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

async function changePhase(ctx: CliContext, id: number, phase: Phase): Promise<void> {
  const localesDir = ctx.config().localesDir;
  const changed = await ctx.withDb((db) => {
    const before = initiativeById(db, id);
    if (!before) throw new CliError(`no initiative with id ${id}.`);
    // Same phase: no write and no audit row, like `role grant` on an existing role.
    if (before.phase === phase) return false;
    setPhase(db, id, phase, CLI_ACTOR);
    return true;
  });
  const label = `phase ${phase}: ${phaseName(phase, localesDir)}`;
  ctx.print(changed ? `initiative ${id} is now in ${label}` : `initiative ${id} is already in ${label}; nothing changed`);
}
