/**
 * Prepared statements kept per connection. better-sqlite3 compiles a statement on every
 * `prepare` (tens of µs), and drizzle's query builder builds its SQL and prepares anew on every
 * call: on paths that run once per message (the delivery worker: 5–10 queries a message) that was
 * most of the cost (issue 13, pipeline cost). A statement here is compiled once per connection
 * and reused; the SQL text is the key, so only fixed SQL belongs here (no values spliced in).
 * `.pluck()` and `.raw()` stick to a statement: every caller of the same SQL must use the same mode.
 */
import type Database from 'better-sqlite3';

type Conn = { $client: Database.Database } | Database.Database;

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function cached(conn: Conn, sql: string): Database.Statement {
  const db = '$client' in conn ? conn.$client : conn;
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}
