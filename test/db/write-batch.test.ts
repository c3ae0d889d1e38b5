/**
 * Group commit (src/db/write-batch.ts): writes asked for in one turn of the event loop share one
 * transaction; each caller gets its own result or error, a failing write fails alone, and a batch
 * that cannot get the write lock fails for all of its callers (SQLite on disk, a second connection
 * holding the lock).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteBatch } from '../../src/db/write-batch.js';

describe('write batch', () => {
  let dir: string;
  let db: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'write-batch-'));
    db = new Database(join(dir, 'db.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('create table t (id integer primary key, v text not null unique)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes asked for in one turn run in one transaction, each caller gets its own result', async () => {
    const batch = createWriteBatch(db);
    const insert = db.prepare('insert into t (v) values (?)');
    const seen: boolean[] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((v) =>
        batch.run(() => {
          seen.push(db.inTransaction);
          return Number(insert.run(v).lastInsertRowid);
        }),
      ),
    );
    expect(seen).toEqual([true, true, true]);
    expect(results).toEqual([1, 2, 3]);
    expect(db.prepare('select v from t order by id').pluck().all()).toEqual(['a', 'b', 'c']);
  });

  it('a write that throws fails alone: its caller gets the error, the others commit', async () => {
    const batch = createWriteBatch(db);
    const insert = db.prepare('insert into t (v) values (?)');
    const outcomes = await Promise.allSettled(['a', 'a', 'b'].map((v) => batch.run(() => insert.run(v).changes)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(db.prepare('select v from t order by id').pluck().all()).toEqual(['a', 'b']);
  });

  it('when the write lock cannot be had, every caller of that batch gets the error and nothing is written', async () => {
    db.pragma('busy_timeout = 50');
    const other = new Database(join(dir, 'db.sqlite'));
    other.exec('begin immediate');
    try {
      const batch = createWriteBatch(db);
      const insert = db.prepare('insert into t (v) values (?)');
      const outcomes = await Promise.allSettled(['a', 'b'].map((v) => batch.run(() => insert.run(v).changes)));
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect(db.prepare('select count(*) from t').pluck().get()).toBe(0);
    // The next batch works again.
    expect(await createWriteBatch(db).run(() => db.prepare('insert into t (v) values (?)').run('c').changes)).toBe(1);
  });
});
