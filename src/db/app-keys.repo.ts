/**
 * Small named values the database keeps for every process (`app_keys`): the planner's fingerprint,
 * the retention pass's cursor. (The link-attempts key is drawn once and never replaced: it has its
 * own insert-if-absent in src/db/link-attempts.repo.ts.)
 */
import type { Db } from './client.js';
import { cached } from './statements.js';

export function readAppKey(db: Db, name: string): string | null {
  return (cached(db, 'select key from app_keys where name = ?').pluck().get(name) as string | undefined) ?? null;
}

/** In a transaction of its own (or the caller's): on a planner thread that takes the process's write lock (src/db/write-lock.ts). */
export function storeAppKey(db: Db, name: string, value: string): void {
  const stmt = cached(db, 'insert into app_keys (name, key) values (?, ?) on conflict(name) do update set key = excluded.key');
  db.$client.transaction(() => stmt.run(name, value))();
}
