/**
 * The only file that wires the process: configuration, logging, the app, and signals.
 * With no TELEGRAM_BOT_TOKEN it serves only the local web chat (http://localhost:3000).
 */
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createApp } from './app.js';
import { describeError } from './core/dispatcher.js';

function main(): void {
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
  const app = createApp({ config, logger });

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
      if (!config.telegram.token) logger.info({ url: `http://localhost:${port}` }, 'no TELEGRAM_BOT_TOKEN: local web chat only');
    },
    (err: unknown) => {
      logger.error({ err: describeError(err) }, 'start failed');
      process.exit(1);
    },
  );
}

main();
