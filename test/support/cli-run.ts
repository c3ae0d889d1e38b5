/** Runs the operator CLI in-process on a database file, with captured output and a fixed clock. */
import { runCli, type CliIo } from '../../src/cli/main.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { fixedClock } from './clock.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCliOn(dbPath: string, cwd: string, args: string[], now: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { DATABASE_PATH: dbPath, ...env }, cwd, clock: fixedClock(now) };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** Opens the file the CLI writes, for arranging and checking rows directly. */
export function withDbAt<T>(dbPath: string, fn: (db: Db) => T): T {
  const db = openDatabase(dbPath);
  try {
    return fn(db);
  } finally {
    db.$client.close();
  }
}
