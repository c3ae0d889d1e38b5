/**
 * The little the delivery worker's re-check needs for a row that is not planned by a rule (a
 * broadcast's copy): the person's switches, quiet hours and initiative's time zone, in one
 * statement kept per connection. The same fields and the same choice of initiative (the first
 * parent membership of a live initiative) as the planning world (src/db/planning.repo.ts), without
 * loading the events, RSVPs, nudge rules and ladder that only a timeline needs.
 */
import type { Db } from './client.js';
import { cached } from './statements.js';

export interface RecheckPerson {
  proactive: boolean;
  reminders: boolean;
  quiet: { start: string; end: string } | null;
  /** The time zone of the person's initiative; null: none (the default zone applies). */
  timeZone: string | null;
}

export function recheckPerson(db: Db, personId: number): RecheckPerson | null {
  const r = cached(
    db,
    `select p.proactive, p.reminders, p.quiet_start, p.quiet_end, i.time_zone, i.archived_at from people p
     left join memberships m on m.id = (select min(id) from memberships where person_id = p.id and role = 'parent')
     left join initiatives i on i.id = m.initiative_id
     where p.id = ?`,
  ).get(personId) as { proactive: number; reminders: number; quiet_start: string | null; quiet_end: string | null; time_zone: string | null; archived_at: number | null } | undefined;
  if (!r) return null;
  return {
    proactive: r.proactive === 1,
    reminders: r.reminders === 1,
    quiet: r.quiet_start && r.quiet_end ? { start: r.quiet_start, end: r.quiet_end } : null,
    // An archived initiative is not in the planning world either: the default zone applies.
    timeZone: r.archived_at === null ? r.time_zone : null,
  };
}
