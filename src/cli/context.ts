/**
 * What every CLI command gets: injected I/O (so tests run the program in-process), the
 * configuration (read lazily, so `--help` works even with a bad environment) and a
 * short-lived database connection per command.
 */
import { loadConfig, type Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { openDatabase, type Db } from '../db/client.js';

/** Audit actor for every privileged write made from the command line. */
export const CLI_ACTOR = 'cli';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Relative file names (QR codes) are resolved against this folder. */
  cwd: string;
  clock: Clock;
}

/** A mistake by the operator: printed as one line on stderr, exit code 1, no stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface CliContext {
  io: CliIo;
  /** Prints one line on stdout. */
  print(line?: string): void;
  /** Prints one line on stderr (hints that must not disturb scripted stdout). */
  note(line: string): void;
  config(): Config;
  withDb<T>(fn: (db: Db, config: Config) => T | Promise<T>): Promise<T>;
}

export function createContext(io: CliIo): CliContext {
  let config: Config | undefined;
  const getConfig = (): Config => (config ??= loadConfig(io.env));
  return {
    io,
    print: (line = '') => io.stdout(`${line}\n`),
    note: (line) => io.stderr(`${line}\n`),
    config: getConfig,
    async withDb(fn) {
      const cfg = getConfig();
      let db: Db;
      try {
        db = openDatabase(cfg.databasePath);
      } catch (err) {
        throw new CliError(`cannot open the database at ${cfg.databasePath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      try {
        return await fn(db, cfg);
      } finally {
        db.$client.close();
      }
    },
  };
}
