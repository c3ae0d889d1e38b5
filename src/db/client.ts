/**
 * Opens the SQLite database with the pragmas we rely on and applies the committed
 * migrations (drizzle/), synchronously, before anything else touches it.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import { guarded } from './write-lock.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  // The busy timeout first: switching a fresh file to WAL takes a lock that another process opening
  // it at the same moment may hold (four processes at once failed now and then with SQLITE_BUSY).
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // Erased rows are overwritten with zeros, so deleted personal data does not linger in the file.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('synchronous = NORMAL');
  immediateTransactions(sqlite);
  const db = drizzle(sqlite, { schema }) as Db;
  migrateOnce(db);
  return db;
}

/**
 * Every transaction begins IMMEDIATE (amends ADR 0001): several processes write this file (the
 * roles of `npm start -- --role …`, the CLI). A DEFERRED transaction that reads and then writes
 * fails at once with SQLITE_BUSY_SNAPSHOT when another process committed in between (WAL cannot
 * upgrade a stale snapshot, and busy_timeout does not apply to that); IMMEDIATE takes the write
 * lock first and waits for it up to the busy timeout. drizzle asks for `.deferred` by default,
 * better-sqlite3's own default is plain BEGIN: both become `.immediate`.
 */
function immediateTransactions(sqlite: Database.Database): void {
  const transaction = sqlite.transaction.bind(sqlite);
  sqlite.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const tx = transaction(fn);
    // Each also takes this process's write lock while planner threads write (src/db/write-lock.ts).
    const immediate = (...args: unknown[]): unknown => guarded(sqlite, () => tx.immediate(...args));
    const exclusive = (...args: unknown[]): unknown => guarded(sqlite, () => tx.exclusive(...args));
    return Object.defineProperties(immediate, {
      default: { value: immediate },
      deferred: { value: immediate },
      immediate: { value: immediate },
      exclusive: { value: exclusive },
      database: { value: sqlite, enumerable: true },
    });
  }) as Database.Database['transaction'];
}

/**
 * drizzle's migrator reads the last applied migration before its own BEGIN, so two processes
 * starting together on a database that needs a migration would both apply it; the second fails
 * (the table or column exists) and rolls back. Trying again reads the migrations table anew and
 * finds nothing left to do.
 */
function migrateOnce(db: Db): void {
  for (let attempt = 1; ; attempt++) {
    try {
      migrate(db, { migrationsFolder: MIGRATIONS });
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
}

/** Moves every WAL page into the main file and empties the WAL (after an erasure). */
export function checkpoint(db: Db): void {
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
}
