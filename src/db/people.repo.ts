/**
 * Operator views of the people in an initiative. Privacy is structural here too: these
 * queries never select names, postcodes or chat ids, so no caller can print them by accident.
 */
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from './client.js';
import { children, identities, interests, memberships, people } from './schema.js';
import { ROLES, type Role } from '../domain/model.js';

export interface PersonSummary {
  id: number;
  roles: Role[];
  language: string;
  proactive: boolean;
  children: { year: number; month: number; expected: boolean }[];
  /** False when no channel identity can still reach the person (blocked the bot, left WhatsApp). */
  reachable: boolean;
}

export interface InterestRow {
  personId: number;
  actionKey: string;
  at: Date;
}

export function personExists(db: Db, personId: number): boolean {
  return db.select({ id: people.id }).from(people).where(eq(people.id, personId)).get() !== undefined;
}

/** Everyone with any role in the initiative, by person id. */
export function peopleOfInitiative(db: Db, initiativeId: number): PersonSummary[] {
  const roleRows = db
    .select({ personId: memberships.personId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.initiativeId, initiativeId))
    .all();
  const ids = [...new Set(roleRows.map((r) => r.personId))];
  if (ids.length === 0) return [];

  const persons = db
    .select({ id: people.id, language: people.language, proactive: people.proactive })
    .from(people)
    .where(inArray(people.id, ids))
    .orderBy(asc(people.id))
    .all();
  const kids = db
    .select({ personId: children.personId, year: children.birthYear, month: children.birthMonth, expected: children.expected })
    .from(children)
    .where(inArray(children.personId, ids))
    .orderBy(asc(children.birthYear), asc(children.birthMonth), asc(children.id))
    .all();
  const reachable = new Set(
    db
      .select({ personId: identities.personId })
      .from(identities)
      .where(and(inArray(identities.personId, ids), isNull(identities.unreachableAt)))
      .all()
      .map((r) => r.personId),
  );

  return persons.map((p) => ({
    id: p.id,
    roles: ROLES.filter((role) => roleRows.some((r) => r.personId === p.id && r.role === role)),
    language: p.language,
    proactive: p.proactive,
    children: kids.filter((k) => k.personId === p.id).map(({ year, month, expected }) => ({ year, month, expected })),
    reachable: reachable.has(p.id),
  }));
}

/** "I want to help with this", oldest first, so ambassadors follow up in order. */
export function interestsOfInitiative(db: Db, initiativeId: number): InterestRow[] {
  return db
    .select({ personId: interests.personId, actionKey: interests.actionKey, at: interests.at })
    .from(interests)
    .where(eq(interests.initiativeId, initiativeId))
    .orderBy(asc(interests.at), asc(interests.id))
    .all();
}
