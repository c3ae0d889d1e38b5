/** Privileged actions leave a trace: who, what, on which id. Never names or other personal data. */
import { and, asc, eq, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { auditLog } from './schema.js';

export interface AuditEntry {
  actor: string;
  action: string;
  subjectType: 'initiative' | 'person' | 'membership' | 'broadcast' | 'nudge' | 'thread';
  subjectId: number | null;
  detail?: Record<string, string | number | boolean | null>;
}

export function writeAudit(db: Pick<Db, 'insert'>, entry: AuditEntry, at: Date = new Date()): void {
  db.insert(auditLog)
    .values({ actor: entry.actor, action: entry.action, subjectType: entry.subjectType, subjectId: entry.subjectId, detail: entry.detail ?? null, at })
    .run();
}

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: number | null;
  detail: Record<string, unknown> | null;
}

/** The audit log, oldest first; with an initiative: rows about it (as subject, or `initiativeId` in the detail). */
export function listAudit(db: Pick<Db, 'select'>, initiativeId?: number): AuditRow[] {
  const about =
    initiativeId === undefined
      ? undefined
      : or(and(eq(auditLog.subjectType, 'initiative'), eq(auditLog.subjectId, initiativeId)), sql`json_extract(${auditLog.detail}, '$.initiativeId') = ${initiativeId}`);
  return db
    .select()
    .from(auditLog)
    .where(about)
    .orderBy(asc(auditLog.id))
    .all()
    .map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, subjectType: r.subjectType, subjectId: r.subjectId, detail: (r.detail as Record<string, unknown> | null) ?? null }));
}
