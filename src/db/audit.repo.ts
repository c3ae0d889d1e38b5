/** Privileged actions leave a trace: who, what, on which id. Never names or other personal data. */
import type { Db } from './client.js';
import { auditLog } from './schema.js';

export interface AuditEntry {
  actor: string;
  action: string;
  subjectType: 'initiative' | 'person' | 'membership';
  subjectId: number | null;
  detail?: Record<string, string | number | boolean | null>;
}

export function writeAudit(db: Pick<Db, 'insert'>, entry: AuditEntry, at: Date = new Date()): void {
  db.insert(auditLog)
    .values({ actor: entry.actor, action: entry.action, subjectType: entry.subjectType, subjectId: entry.subjectId, detail: entry.detail ?? null, at })
    .run();
}
