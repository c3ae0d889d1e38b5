/**
 * The planner's own statements (src/jobs/plan-pass.ts): the rows of a group of parents, their next
 * moments, and who of a group has rows at all. A full rebuild runs these for every parent
 * (a million at the target), so each is compiled once per connection (src/db/statements.ts), not
 * per group, and the insert runs without a savepoint of its own: the caller's transaction is the
 * group's one short write.
 */
import type Database from 'better-sqlite3';
import type { Db } from './client.js';
import type { NewDelivery } from './deliveries.repo.js';
import { cached } from './statements.js';

const INSERT_ROW = `insert into deliveries (key, person_id, child_id, rule_id, channel, kind, priority, due_at, send_at, expires_at, urgent_from, payload, status, last_error, attempts, parts_sent, created_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?) on conflict(key) do nothing`;
const SET_NEXT = 'update people set next_plan_at = ? where id = ?';
const WITH_ROWS = 'select j.value from json_each(?) j where exists (select 1 from deliveries d where d.person_id = j.value)';

const prepared = new WeakSet<Database.Database>();

/**
 * SQLite keeps a statement journal for every statement inside a transaction that may have to undo
 * itself (the insert: a unique key, foreign keys): the original of each page it changes. With the
 * default temp_store that journal spills to a temporary file after 64 KiB, so a group's write made
 * some 500 pwrite calls (measured: 26 per parent at the rebuild, 40 % of its system time). In memory
 * it is a copy. Set once per connection; this connection has no temporary tables (changing the
 * setting would drop them).
 */
export function journalInMemory(db: Db): void {
  const sqlite = db.$client;
  // SQLite refuses the change inside a transaction: planPass asks before each group's write.
  if (prepared.has(sqlite) || sqlite.inTransaction) return;
  prepared.add(sqlite);
  if (sqlite.memory || sqlite.pragma('temp_store', { simple: true }) === 2) return;
  sqlite.pragma('temp_store = memory');
}

/**
 * Inserts planned rows (inside the caller's transaction; journalInMemory before it), ignoring keys that exist; returns, per row,
 * the new id or null when the key already existed.
 */
export function insertPlanRows(db: Db, rows: readonly NewDelivery[], now: Date): (number | null)[] {
  const stmt = cached(db, INSERT_ROW);
  const created = now.getTime();
  const ids: (number | null)[] = new Array<number | null>(rows.length);
  // A merged message's companion rows follow it with the same payload object: serialised once.
  let lastPayload: unknown = undefined;
  let lastJson = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.payload !== lastPayload) {
      lastPayload = r.payload;
      lastJson = JSON.stringify(r.payload);
    }
    const info = stmt.run(r.key, r.personId, r.childId, r.ruleId, r.channel, r.kind, r.priority, r.dueAt.getTime(), r.sendAt.getTime(), r.expiresAt?.getTime() ?? null, r.urgentFrom?.getTime() ?? null, lastJson, r.status ?? 'planned', r.lastError ?? null, created);
    ids[i] = info.changes === 1 ? Number(info.lastInsertRowid) : null;
  }
  return ids;
}

/** Stores next moments (epoch ms; null: only when marked), inside the caller's transaction. */
export function setNextPlanAt(db: Db, next: readonly (readonly [number, number | null])[]): void {
  if (!next.length) return;
  const stmt = cached(db, SET_NEXT);
  for (const [id, at] of next) stmt.run(at, id);
}

/** Which of these people have any delivery row at all (one indexed probe each). */
export function peopleWithRows(db: Db, ids: readonly number[]): Set<number> {
  if (!ids.length) return new Set();
  return new Set(cached(db, WITH_ROWS).pluck().all(JSON.stringify(ids)) as number[]);
}
