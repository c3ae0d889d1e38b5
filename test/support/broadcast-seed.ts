/**
 * Parents for broadcast tests and the broadcast benchmark, written in bulk (prepared statements
 * in one transaction: 100,000 parents in a few seconds). Each parent: a person (language,
 * consents), one chat, a 'parent' membership of the initiative, children as given.
 */
import type { ChannelName } from '../../src/core/messages.js';
import type { Db } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';

export interface SeedParent {
  language: string;
  fallback?: 'en' | null;
  proactive?: boolean;
  reminders?: boolean;
  /** Chat on this channel; null: none (or `unreachable`). */
  channel?: ChannelName | null;
  chatId?: string;
  unreachable?: boolean;
  children?: { year: number; month: number; expected?: boolean; registered?: boolean }[];
  /** Last message from the parent (identities.last_inbound_at). */
  lastInboundAt?: Date | null;
  role?: 'parent' | 'ambassador' | 'coordinator';
}

export function seedInitiative(db: Db, code: string, name = `Samen naar ${code}`): number {
  return createInitiative(db, { name, school: `School ${code}`, neighbourhood: '', contact: '', municipality: 'Amsterdam', phase: 2, postcodes: [], code }, 'test').id;
}

/** Writes the parents; returns their person ids in order. Chat ids default to `9<person id>`. */
export function seedParents(db: Db, initiativeId: number, parents: readonly SeedParent[], now: Date): number[] {
  const s = db.$client;
  const person = s.prepare('insert into people (language, fallback_language, proactive, reminders, created_at) values (?, ?, ?, ?, ?) returning id').pluck();
  const identity = s.prepare('insert into identities (person_id, channel, chat_id, unreachable_at, last_inbound_at, created_at) values (?, ?, ?, ?, ?, ?)');
  const member = s.prepare('insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, ?, ?)');
  const child = s.prepare('insert into children (person_id, birth_year, birth_month, expected, registered_at, created_at) values (?, ?, ?, ?, ?, ?)');
  const t = now.getTime();
  return s.transaction(() =>
    parents.map((p) => {
      const id = person.get(p.language, p.fallback ?? null, p.proactive === false ? 0 : 1, p.reminders === false ? 0 : 1, t) as number;
      if (p.channel !== null) identity.run(id, p.channel ?? 'telegram', p.chatId ?? `9${id}`, p.unreachable ? t : null, p.lastInboundAt?.getTime() ?? null, t);
      member.run(id, initiativeId, p.role ?? 'parent', t);
      for (const c of p.children ?? []) child.run(id, c.year, c.month, c.expected ? 1 : 0, c.registered ? t : null, t);
      return id;
    }),
  )();
}

/** Adds a role on an initiative to an existing person. */
export function addRole(db: Db, personId: number, initiativeId: number, role: 'parent' | 'ambassador' | 'coordinator', now: Date): void {
  db.$client.prepare('insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, ?, ?)').run(personId, initiativeId, role, now.getTime());
}
