/** Initiatives, their postcode areas and roles: the only SQL about them. */
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, ne } from 'drizzle-orm';
import { findInvite } from './invites.repo.js';
import type { Db } from './client.js';
import { initiativePostcodes, initiatives, memberships, people } from './schema.js';
import { writeAudit } from './audit.repo.js';
import type { Directory, InitiativeView } from '../flows/flow.types.js';
import type { Phase, Role } from '../domain/model.js';
import { helpRoute } from './help-route.repo.js';
import { eventFor, upcomingEvents } from './event-info.repo.js';
import { registrationRuleFor } from './municipalities.repo.js';
import { createBroadcastReads, type BroadcastReadsOptions } from './broadcast.reads.js';
import { createRelayReads } from './relay.reads.js';
import { createNudgeReads } from './nudge.reads.js';
import { createStatsReads } from './stats.reads.js';

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

/** The audit row's time is the moment of the change: the planner announces the new phase from it. */
export function setPhase(db: Db, initiativeId: number, phase: Phase, actor: string, now: Date = new Date()): InitiativeView | null {
  return db.transaction((tx) => {
    const row = tx.update(initiatives).set({ phase }).where(eq(initiatives.id, initiativeId)).returning().get();
    if (!row) return null;
    writeAudit(tx, { actor, action: 'initiative.phase', subjectType: 'initiative', subjectId: initiativeId, detail: { phase } }, now);
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

/** The initiatives offered to a parent with this postcode (archived ones are not). */
export function initiativesForPostcode(db: Db, pc4: string): InitiativeView[] {
  return db
    .select({ i: initiatives })
    .from(initiativePostcodes)
    .innerJoin(initiatives, eq(initiatives.id, initiativePostcodes.initiativeId))
    .where(and(eq(initiativePostcodes.pc4, pc4), isNull(initiatives.archivedAt)))
    .orderBy(asc(initiatives.name))
    .all()
    .map((r) => toView(r.i));
}

export function listInitiatives(db: Db): (InitiativeView & { postcodes: string[]; archived: boolean })[] {
  const rows = db.select().from(initiatives).orderBy(asc(initiatives.id)).all();
  const pcs = db.select().from(initiativePostcodes).all();
  return rows.map((r) => ({ ...toView(r), postcodes: pcs.filter((p) => p.initiativeId === r.id).map((p) => p.pc4).sort(), archived: r.archivedAt !== null }));
}

export type InitiativePatch = Partial<Pick<NewInitiative, 'name' | 'school' | 'neighbourhood' | 'contact' | 'municipality' | 'postcodes'>>;

/** Changes the given fields (postcodes: the whole list); audited with the names of the fields only. */
export function updateInitiative(db: Db, id: number, patch: InitiativePatch, actor: string): InitiativeView | null {
  return db.transaction((tx) => {
    const { postcodes, ...fields } = patch;
    const row = Object.keys(fields).length
      ? tx.update(initiatives).set(fields).where(eq(initiatives.id, id)).returning().get()
      : tx.select().from(initiatives).where(eq(initiatives.id, id)).get();
    if (!row) return null;
    if (postcodes) {
      tx.delete(initiativePostcodes).where(eq(initiativePostcodes.initiativeId, id)).run();
      for (const pc4 of new Set(postcodes)) tx.insert(initiativePostcodes).values({ initiativeId: id, pc4 }).run();
    }
    writeAudit(tx, { actor, action: 'initiative.edit', subjectType: 'initiative', subjectId: id, detail: { fields: Object.keys(patch).sort().join(',') } });
    return toView(row);
  });
}

/** Archives (or restores) an initiative: archived ones are not offered to new parents and send no reminders. */
export function setArchived(db: Db, id: number, archived: boolean, actor: string, now: Date): 'changed' | 'unchanged' | 'missing' {
  return db.transaction((tx) => {
    const row = tx.select().from(initiatives).where(eq(initiatives.id, id)).get();
    if (!row) return 'missing';
    if ((row.archivedAt !== null) === archived) return 'unchanged';
    tx.update(initiatives).set({ archivedAt: archived ? now : null }).where(eq(initiatives.id, id)).run();
    writeAudit(tx, { actor, action: archived ? 'initiative.archive' : 'initiative.restore', subjectType: 'initiative', subjectId: id, detail: {} });
    return 'changed';
  });
}

export function isArchived(db: Db, id: number): boolean {
  return db.select({ a: initiatives.archivedAt }).from(initiatives).where(eq(initiatives.id, id)).get()?.a != null;
}

/** Other (not archived) initiatives that share any of these postcodes, with the shared ones. */
export function postcodeOverlaps(db: Db, postcodes: string[], exceptId?: number): { id: number; name: string; postcodes: string[] }[] {
  if (postcodes.length === 0) return [];
  const rows = db
    .select({ id: initiatives.id, name: initiatives.name, pc4: initiativePostcodes.pc4 })
    .from(initiativePostcodes)
    .innerJoin(initiatives, eq(initiatives.id, initiativePostcodes.initiativeId))
    .where(and(inArray(initiativePostcodes.pc4, [...new Set(postcodes)]), isNull(initiatives.archivedAt), exceptId === undefined ? undefined : ne(initiatives.id, exceptId)))
    .orderBy(asc(initiatives.id), asc(initiativePostcodes.pc4))
    .all();
  const out = new Map<number, { id: number; name: string; postcodes: string[] }>();
  for (const r of rows) {
    const o = out.get(r.id) ?? { id: r.id, name: r.name, postcodes: [] };
    o.postcodes.push(r.pc4);
    out.set(r.id, o);
  }
  return [...out.values()];
}

/** `broadcasts`: whether machine translation is configured, and the default zone (see BroadcastReadsOptions). */
export function createDirectory(db: Db, opts: { broadcasts?: BroadcastReadsOptions } = {}): Directory {
  return {
    initiativeById: (id) => initiativeById(db, id),
    // A deep link to an archived initiative is not offered to new parents.
    initiativeByCode: (code) => {
      const found = initiativeByCode(db, code);
      return found && !isArchived(db, found.id) ? found : null;
    },
    initiativesForPostcode: (pc4) => initiativesForPostcode(db, pc4),
    eventFor: (eventId, personId) => eventFor(db, eventId, personId),
    helpRoute: (initiativeId, askingPersonId) => helpRoute(db, initiativeId, askingPersonId),
    registrationRule: (initiativeId) => {
      const initiative = initiativeById(db, initiativeId);
      return initiative ? registrationRuleFor(db, initiative.municipality) : { kind: 'fromAge3' };
    },
    upcomingEvents: (initiativeId, from) => upcomingEvents(db, initiativeId, from),
    inviteByToken: (token) => findInvite(db, token),
    // Coordinators, then ambassadors, oldest first: a first name at most, never a chat.
    team: (initiativeId) =>
      db
        .select({ personId: memberships.personId, name: people.displayName, role: memberships.role, languages: memberships.languages })
        .from(memberships)
        .innerJoin(people, eq(people.id, memberships.personId))
        .where(and(eq(memberships.initiativeId, initiativeId), inArray(memberships.role, ['coordinator', 'ambassador'])))
        .orderBy(desc(eq(memberships.role, 'coordinator')), asc(memberships.id))
        .all()
        .map((m) => ({ ...m, role: m.role as 'ambassador' | 'coordinator' })),
    broadcasts: createBroadcastReads(db, opts.broadcasts),
    relay: createRelayReads(db),
    nudges: createNudgeReads(db),
    stats: createStatsReads(db, opts.broadcasts?.defaultTimeZone ? { defaultTimeZone: opts.broadcasts.defaultTimeZone } : {}),
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
