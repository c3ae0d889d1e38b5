/**
 * The only file that wires the process: configuration, logging, the app, and signals.
 * With no TELEGRAM_BOT_TOKEN it serves only the local web chat (http://localhost:3000).
 * `--role bot|planner|worker` (or several, comma-separated) runs only those parts (src/roles.ts);
 * without it the process runs everything, as one process always did.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createRoleApp } from './app.roles.js';
import { describeError } from './core/dispatcher.js';
import { ALL_ROLES, parseRoles, RoleError, ROLES, type Roles } from './roles.js';

function parseArgs(): Roles {
  const program = new Command('ouderbrug')
    .description('Ouderbrug: the chat bot, the reminder planner and the delivery workers (all in one process unless --role says otherwise)')
    .addOption(
      new Option('--role <roles>', `run only these parts, comma-separated: ${ROLES.join(', ')} (README: "Running the parts separately")`).argParser((value) => {
        try {
          return parseRoles(value);
        } catch (err) {
          throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
        }
      }),
    )
    .allowExcessArguments(false)
    .parse(process.argv);
  return program.opts<{ role?: Roles }>().role ?? ALL_ROLES;
}

function main(): void {
  const roles = parseArgs();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every setting.\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let app;
  try {
    app = createRoleApp({ config, logger, roles });
  } catch (err) {
    if (err instanceof RoleError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  process.on('unhandledRejection', (reason) => logger.error({ err: describeError(reason) }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => logger.error({ err: describeError(err) }, 'uncaught exception'));

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: describeError(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  app.start().then(
    (port) => {
      if (port !== null && !config.telegram.token) logger.info({ url: `http://localhost:${port}` }, 'no TELEGRAM_BOT_TOKEN: local web chat only');
    },
    (err: unknown) => {
      logger.error({ err: describeError(err) }, 'start failed');
      process.exit(1);
    },
  );
}

main();
