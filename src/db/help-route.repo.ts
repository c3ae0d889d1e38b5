/**
 * Who hears a parent's "help me register" or "I want to help with this": the initiative's
 * ambassadors, otherwise its coordinators, otherwise nobody (the operator log gets a warning and
 * the request waits in `interests` for `interests list`). Only staff with a chat that still
 * answers count, so the parent is never promised a call that no one will get.
 * The chat (src/flows) and the effect (src/db/effects.apply.ts) use the same answer.
 */
import { and, eq, isNull, ne } from 'drizzle-orm';
import type { HelpRoute, Role } from '../domain/model.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { identities, memberships } from './schema.js';

/** People of one role in the initiative who can be reached in a chat (the asking person left out). */
export function reachableStaff(tx: Db | Tx, initiativeId: number, role: Role, exceptPersonId: number): number[] {
  const rows = tx
    .selectDistinct({ personId: memberships.personId })
    .from(memberships)
    .innerJoin(identities, and(eq(identities.personId, memberships.personId), isNull(identities.unreachableAt)))
    .where(and(eq(memberships.initiativeId, initiativeId), eq(memberships.role, role), ne(memberships.personId, exceptPersonId)))
    .all();
  return rows.map((r) => r.personId).sort((a, b) => a - b);
}

export function helpRecipients(tx: Db | Tx, initiativeId: number, exceptPersonId: number): { route: HelpRoute; personIds: number[] } {
  for (const role of ['ambassador', 'coordinator'] as const) {
    const personIds = reachableStaff(tx, initiativeId, role, exceptPersonId);
    if (personIds.length) return { route: role, personIds };
  }
  return { route: 'nobody', personIds: [] };
}

export const helpRoute = (db: Db, initiativeId: number, exceptPersonId: number): HelpRoute => helpRecipients(db, initiativeId, exceptPersonId).route;

