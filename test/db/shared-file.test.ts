/**
 * One SQLite file, several processes (issue 13: `npm start -- --role …`, and the CLI): every
 * transaction takes the write lock up front, and processes that start together on a database that
 * needs its migrations all come up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { people } from '../../src/db/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDb = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-shared-'));
  dirs.push(dir);
  return join(dir, 'bot.db');
};

describe('transactions on a file other processes write', () => {
  it('hold the write lock from BEGIN: a read-then-write transaction is not refused because another connection wrote in between', () => {
    const path = tempDb();
    const db = openDatabase(path);
    const other = new Database(path);
    other.pragma('busy_timeout = 0');
    const insertPerson = () => db.insert(people).values({ language: 'nl', createdAt: new Date() }).run();
    // drizzle's default (deferred) and better-sqlite3's plain transaction function alike.
    const viaDrizzle = () =>
      db.transaction((tx) => {
        tx.select().from(people).all();
        // Another process trying to write now must wait: this transaction already holds the lock.
        expect(() => other.prepare("insert into people (language, created_at) values ('en', 0)").run()).toThrow(/locked|busy/i);
        insertPerson();
      });
    const viaClient = db.$client.transaction(() => {
      db.$client.prepare('select count(*) from people').get();
      expect(() => other.prepare("insert into people (language, created_at) values ('en', 0)").run()).toThrow(/locked|busy/i);
      insertPerson();
    });
    viaDrizzle();
    viaClient();
    viaClient.deferred();
    expect(db.select().from(people).all()).toHaveLength(3);
    // Nested transactions still become savepoints.
    db.transaction((tx) => {
      tx.transaction(() => insertPerson());
      expect(() => tx.transaction(() => {
        insertPerson();
        throw new Error('undo the inner one');
      })).toThrow('undo the inner one');
    });
    expect(db.select().from(people).all()).toHaveLength(4);
    other.close();
    db.$client.close();
  });

  it('four processes opening a fresh file at the same moment all start, and each migration is applied once', async () => {
    const path = tempDb();
    // Each process loads the code first, then all open the file at one agreed moment.
    const script = `import { openDatabase } from ${JSON.stringify(new URL('../../src/db/client.ts', import.meta.url).pathname)};
      while (Date.now() < Number(process.env.START_AT)) {}
      const db = openDatabase(process.env.DB_PATH); db.$client.close(); process.stdout.write('ok');`;
    const startAt = String(Date.now() + 4_000);
    const runs = Array.from({ length: 4 }, () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, DB_PATH: path, START_AT: startAt } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => resolve({ code, out, err }));
      }),
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(r, r.err).toMatchObject({ code: 0, out: 'ok' });
    const check = new Database(path, { readonly: true });
    const hashes = check.prepare('select hash from __drizzle_migrations').pluck().all() as string[];
    check.close();
    expect(hashes.length).toBeGreaterThan(0);
    expect(new Set(hashes).size).toBe(hashes.length);
  }, 60_000);
});
