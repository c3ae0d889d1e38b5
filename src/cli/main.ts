/**
 * Operator CLI: `npm run cli -- <command> [options]`. `buildProgram(io)` builds the whole
 * program on injected I/O so tests run it in-process; run as a script it uses the process.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { systemClock } from '../core/clock.js';
import { CliError, createContext, type CliIo } from './context.js';
import { registerBroadcastCommands } from './broadcast.command.js';
import { registerBroadcastTranslate } from './broadcast-translate.command.js';
import { registerEventCommands } from './event.command.js';
import { registerI18nCommands } from './i18n.command.js';
import { registerInitiativeCommands } from './initiative.command.js';
import { registerInviteCommands } from './invite.command.js';
import { registerMunicipalityCommands } from './municipality.command.js';
import { registerNewsletterCommands } from './newsletter.command.js';
import { registerNudgeCommands } from './nudge.command.js';
import { registerOutreachCommands } from './outreach.command.js';
import { registerPeopleCommands } from './people.command.js';
import { registerRelayCommands } from './relay.command.js';
import { registerRoleCommands } from './role.command.js';
import { registerScheduleCommands } from './schedule.command.js';
import { registerSeedCommands } from './seed.command.js';
import { registerStatsCommands } from './stats.command.js';
import { registerWhatsAppCommands } from './whatsapp.command.js';

export type { CliIo } from './context.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command();
  // Set before adding commands: `.command()` copies these settings into each subcommand.
  program
    .name('npm run cli --')
    .description('Ouderbrug operator commands. Reads DATABASE_PATH (default ./data/ouderbrug.db).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(add --help for usage)');
  const ctx = createContext(io);
  registerInitiativeCommands(program, ctx);
  registerRoleCommands(program, ctx);
  registerInviteCommands(program, ctx);
  registerPeopleCommands(program, ctx);
  registerSeedCommands(program, ctx);
  registerI18nCommands(program, ctx);
  registerEventCommands(program, ctx);
  registerMunicipalityCommands(program, ctx);
  registerNewsletterCommands(program, ctx);
  registerNudgeCommands(program, ctx);
  registerScheduleCommands(program, ctx);
  registerWhatsAppCommands(program, ctx);
  registerRelayCommands(program, ctx);
  registerOutreachCommands(program, ctx);
  registerStatsCommands(program, ctx);
  registerBroadcastTranslate(registerBroadcastCommands(program, ctx), ctx);
  return program;
}

/** Runs one command line and returns the exit code; only bugs escape as exceptions. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander already printed its own message (or the help) through io.
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError || err instanceof ConfigError) {
      io.stderr(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const io: CliIo = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    cwd: process.cwd(),
    clock: systemClock,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // A bug, not an operator mistake: keep the stack for the report.
      console.error(err);
      process.exitCode = 1;
    },
  );
}
