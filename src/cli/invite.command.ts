/**
 * `invite create --initiative ID --role ambassador|coordinator [--by PERSON]`: a one-time staff
 * invite (7 days); prints the Telegram deep link and the code for WhatsApp and the web chat.
 * The token is printed once; only its hash is stored. With --by, that person must be allowed to invite (src/domain/authorization.ts).
 * `audit [--initiative ID] [--json]`: the audit log, ids only.
 */
import { Option, type Command } from 'commander';
import { newInviteToken } from '../core/invite-token.js';
import { listAudit } from '../db/audit.repo.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { createInvite, membershipsOf } from '../db/invites.repo.js';
import { personExists } from '../db/people.repo.js';
import { INVITE_ROLES, INVITE_TTL_MS, inviteAction, may, type InviteRole } from '../domain/authorization.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { resolveBotUsername } from './deep-link.js';
import { formatTable, json } from './format.js';
import { parseBotUsername, parseId } from './parse.js';

interface CreateOptions {
  initiative: number;
  role: InviteRole;
  by?: number;
  botUsername?: string;
}

export function registerInviteCommands(program: Command, ctx: CliContext): void {
  const group = program.command('invite').description('one-time invites to a staff role');
  group
    .command('create')
    .description('create a one-time invite (7 days) to be ambassador or coordinator of an initiative')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .addOption(new Option('--role <role>', 'the role').choices(INVITE_ROLES).makeOptionMandatory())
    .option('--by <personId>', 'the coordinator who invites (checked); default: the operator', parseId)
    .option('--bot-username <name>', 'Telegram bot username (default: TELEGRAM_BOT_USERNAME)', parseBotUsername)
    .action((opts: CreateOptions) => create(ctx, opts));
  program
    .command('audit')
    .description('the audit log: role changes, invites and other privileged actions (ids only)')
    .option('--initiative <id>', 'only rows about this initiative', parseId)
    .option('--json', 'print JSON for scripts')
    .action((opts: { initiative?: number; json?: boolean }) => audit(ctx, opts));
}

async function create(ctx: CliContext, opts: CreateOptions): Promise<void> {
  const token = newInviteToken();
  const now = ctx.io.clock.now();
  const expiresAt = new Date(now.getTime() + INVITE_TTL_MS);
  const id = await ctx.withDb((db) => {
    if (!initiativeById(db, opts.initiative)) throw new CliError(`no initiative with id ${opts.initiative}.`);
    if (opts.by !== undefined) {
      if (!personExists(db, opts.by)) throw new CliError(`no person with id ${opts.by}.`);
      if (!may(membershipsOf(db, opts.by), inviteAction(opts.role), opts.initiative)) throw new CliError(`person ${opts.by} may not invite a ${opts.role} to initiative ${opts.initiative}.`);
    }
    const actor = opts.by === undefined ? CLI_ACTOR : `person:${opts.by}`;
    return db.transaction((tx) => createInvite(tx, { token, initiativeId: opts.initiative, role: opts.role, createdBy: opts.by ?? null, expiresAt }, actor, now));
  });
  const bot = resolveBotUsername(opts.botUsername, ctx.config());
  ctx.print(`invite: ${id} (${opts.role}, initiative ${opts.initiative}, single use, until ${expiresAt.toISOString()})`);
  if (bot) ctx.print(`telegram: https://t.me/${bot}?start=inv_${token}`);
  else ctx.note('no Telegram bot username (TELEGRAM_BOT_USERNAME or --bot-username): no deep link printed');
  ctx.print(`whatsapp: UITNODIGING ${token}`);
  ctx.print(`web chat: /start inv_${token}`);
}

async function audit(ctx: CliContext, opts: { initiative?: number; json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => {
    if (opts.initiative !== undefined && !initiativeById(db, opts.initiative)) throw new CliError(`no initiative with id ${opts.initiative}.`);
    return listAudit(db, opts.initiative);
  });
  if (opts.json) return ctx.print(json(rows.map((r) => ({ ...r, at: r.at.toISOString() }))));
  if (rows.length === 0) return ctx.print('The audit log is empty.');
  ctx.print(
    formatTable(
      ['id', 'at', 'actor', 'action', 'subject', 'detail'],
      rows.map((r) => [String(r.id), r.at.toISOString(), r.actor, r.action, `${r.subjectType}${r.subjectId === null ? '' : ` ${r.subjectId}`}`, r.detail ? JSON.stringify(r.detail) : '']),
    ),
  );
}
