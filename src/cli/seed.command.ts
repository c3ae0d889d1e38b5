/** `seed demo`: two demo initiatives for trying the bot; safe to run again (matched by code). */
import type { Command } from 'commander';
import { createInitiative, initiativeByCode, type NewInitiative } from '../db/initiatives.repo.js';
import { CLI_ACTOR, type CliContext } from './context.js';
import { deepLink, resolveBotUsername } from './deep-link.js';
import { parseBotUsername } from './parse.js';

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

export const DEMO_INITIATIVES: (NewInitiative & { code: string })[] = [
  {
    code: 'demo-regenboog',
    name: 'Samen naar De Regenboog',
    school: 'Basisschool De Regenboog',
    municipality: 'Amsterdam',
    neighbourhood: 'Oost',
    postcodes: range(1091, 1098),
    phase: 2,
  },
  {
    code: 'demo-zuilen',
    name: 'Buurtschool Zuilen',
    school: 'OBS De Zuilen',
    municipality: 'Utrecht',
    postcodes: range(3551, 3555),
    phase: 1,
  },
];

export function registerSeedCommands(program: Command, ctx: CliContext): void {
  program
    .command('seed')
    .description('fill the database with example data')
    .command('demo')
    .description('create the two demo initiatives (idempotent) and print their deep links')
    .option('--bot-username <name>', 'Telegram bot username (default: TELEGRAM_BOT_USERNAME)', parseBotUsername)
    .action((opts: { botUsername?: string }) => seedDemo(ctx, opts.botUsername));
}

async function seedDemo(ctx: CliContext, botUsernameOption: string | undefined): Promise<void> {
  const botUsername = resolveBotUsername(botUsernameOption, ctx.config());
  const results = await ctx.withDb((db) =>
    DEMO_INITIATIVES.map((demo) => {
      const existing = initiativeByCode(db, demo.code);
      return existing ? { initiative: existing, created: false } : { initiative: createInitiative(db, demo, CLI_ACTOR), created: true };
    }),
  );
  for (const { initiative, created } of results) {
    ctx.print(`${created ? 'created' : 'exists '} ${initiative.id} ${initiative.code} "${initiative.name}": ${deepLink(botUsername, initiative.code)}`);
  }
  if (!botUsername) ctx.note('note: no bot username known; pass --bot-username <name> or set TELEGRAM_BOT_USERNAME for t.me links.');
}
