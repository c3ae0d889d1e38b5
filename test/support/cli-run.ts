/** Runs the operator CLI in-process on a database file, with captured output and a fixed clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { memberships, people } from '../../src/db/schema.js';
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

/**
 * A CLI test's world on a temp database: `run` the CLI at a fixed moment, `withDb` for rows,
 * `initiative(name)` made through the CLI, `personWith(initiative, role)` inserted directly.
 * Call `setUp()` in beforeEach and `tearDown()` in afterEach.
 */
export function cliWorld(prefix: string, now: string) {
  let dir = '';
  let dbPath = '';
  const run = (args: string[]): Promise<CliResult> => runCliOn(dbPath, dir, args, now);
  const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);
  return {
    run,
    withDb,
    dir: () => dir,
    setUp() {
      dir = mkdtempSync(join(tmpdir(), prefix));
      dbPath = join(dir, 'test.db');
    },
    tearDown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async initiative(name: string): Promise<number> {
      const r = await run(['initiative', 'create', '--name', name, '--school', 'De Linde', '--municipality', 'Amsterdam', '--postcodes', '1091']);
      if (r.code !== 0) throw new Error(`initiative create failed: ${r.err}`);
      return Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
    },
    personWith(initiativeId: number, role: 'parent' | 'ambassador' | 'coordinator'): number {
      return withDb((db) => {
        const id = db.insert(people).values({ language: 'nl' }).returning({ id: people.id }).get().id;
        db.insert(memberships).values({ personId: id, initiativeId, role }).run();
        return id;
      });
    },
  };
}
