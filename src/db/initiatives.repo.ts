/** Initiatives, their postcode areas and roles: the only SQL about them. */
import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './client.js';
import { initiativePostcodes, initiatives, memberships } from './schema.js';
import { writeAudit } from './audit.repo.js';
import type { Directory, InitiativeView } from '../flows/flow.types.js';
import type { Phase, Role } from '../domain/model.js';
import { helpRoute } from './help-route.repo.js';
import { eventFor } from './event-info.repo.js';

export interface NewInitiative {
  name: string;
  school: string;
  neighbourhood?: string;
  contact?: string;
  municipality: string;
  phase: Phase;
  postcodes: string[];
  code?: string;
}

type InitiativeRow = typeof initiatives.$inferSelect;

const toView = (row: InitiativeRow): InitiativeView => ({
  id: row.id,
  code: row.code,
  name: row.name,
  school: row.school,
  neighbourhood: row.neighbourhood,
  contact: row.contact,
  municipality: row.municipality,
  phase: row.phase as Phase,
});

/** Deep-link codes: URL-safe, short enough for `/start <code>` (Telegram allows 64). */
export const newInitiativeCode = (): string => randomBytes(6).toString('base64url');

export function createInitiative(db: Db, input: NewInitiative, actor: string): InitiativeView {
  return db.transaction((tx) => {
    const row = tx
      .insert(initiatives)
      .values({
        code: input.code ?? newInitiativeCode(),
        name: input.name,
        school: input.school,
        neighbourhood: input.neighbourhood ?? '',
        contact: input.contact ?? '',
        municipality: input.municipality,
        phase: input.phase,
      })
      .returning()
      .get();
    for (const pc4 of new Set(input.postcodes)) tx.insert(initiativePostcodes).values({ initiativeId: row.id, pc4 }).run();
    writeAudit(tx, { actor, action: 'initiative.create', subjectType: 'initiative', subjectId: row.id, detail: { phase: input.phase } });
    return toView(row);
  });
}

export function setPhase(db: Db, initiativeId: number, phase: Phase, actor: string): InitiativeView | null {
  return db.transaction((tx) => {
    const row = tx.update(initiatives).set({ phase }).where(eq(initiatives.id, initiativeId)).returning().get();
    if (!row) return null;
    writeAudit(tx, { actor, action: 'initiative.phase', subjectType: 'initiative', subjectId: initiativeId, detail: { phase } });
    return toView(row);
  });
}

export function initiativeById(db: Db, id: number): InitiativeView | null {
  const row = db.select().from(initiatives).where(eq(initiatives.id, id)).get();
  return row ? toView(row) : null;
}

export function initiativeByCode(db: Db, code: string): InitiativeView | null {
  const row = db.select().from(initiatives).where(eq(initiatives.code, code)).get();
  return row ? toView(row) : null;
}

export function initiativesForPostcode(db: Db, pc4: string): InitiativeView[] {
  return db
    .select({ i: initiatives })
    .from(initiativePostcodes)
    .innerJoin(initiatives, eq(initiatives.id, initiativePostcodes.initiativeId))
    .where(eq(initiativePostcodes.pc4, pc4))
    .orderBy(asc(initiatives.name))
    .all()
    .map((r) => toView(r.i));
}

export function listInitiatives(db: Db): (InitiativeView & { postcodes: string[] })[] {
  const rows = db.select().from(initiatives).orderBy(asc(initiatives.id)).all();
  const pcs = db.select().from(initiativePostcodes).all();
  return rows.map((r) => ({ ...toView(r), postcodes: pcs.filter((p) => p.initiativeId === r.id).map((p) => p.pc4).sort() }));
}

export function createDirectory(db: Db): Directory {
  return {
    initiativeById: (id) => initiativeById(db, id),
    initiativeByCode: (code) => initiativeByCode(db, code),
    initiativesForPostcode: (pc4) => initiativesForPostcode(db, pc4),
    eventFor: (eventId, personId) => eventFor(db, eventId, personId),
    helpRoute: (initiativeId, askingPersonId) => helpRoute(db, initiativeId, askingPersonId),
  };
}

export function grantRole(db: Db, personId: number, initiativeId: number, role: Role, actor: string): boolean {
  return db.transaction((tx) => {
    const added = tx.insert(memberships).values({ personId, initiativeId, role }).onConflictDoNothing().returning().all();
    if (added.length > 0) writeAudit(tx, { actor, action: 'role.grant', subjectType: 'person', subjectId: personId, detail: { initiativeId, role } });
    return added.length > 0;
  });
}

export function revokeRole(db: Db, personId: number, initiativeId: number, role: Role, actor: string): boolean {
  return db.transaction((tx) => {
    const removed = tx
      .delete(memberships)
      .where(and(eq(memberships.personId, personId), eq(memberships.initiativeId, initiativeId), eq(memberships.role, role)))
      .returning()
      .all();
    if (removed.length > 0) writeAudit(tx, { actor, action: 'role.revoke', subjectType: 'person', subjectId: personId, detail: { initiativeId, role } });
    return removed.length > 0;
  });
}
