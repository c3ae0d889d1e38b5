/**
 * The broadcast re-check's person (src/db/recheck.repo.ts) reads the same switches and the same
 * initiative as the planning world (src/db/planning.repo.ts): the first parent membership, and no
 * zone of an archived initiative (the default zone then applies, as for the planner).
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { loadPlanningWorld } from '../../src/db/planning.repo.js';
import { recheckPerson } from '../../src/db/recheck.repo.js';

describe('recheckPerson', () => {
  it('agrees with the planning world on switches, quiet hours and the initiative (first membership; archived: none)', () => {
    const db = openDatabase(':memory:');
    const s = db.$client;
    const at = Date.parse('2026-11-01T10:00:00Z');
    const ini = (code: string, zone: string, archived: number | null) =>
      Number(
        s
          .prepare("insert into initiatives (name, school, neighbourhood, contact, municipality, phase, code, time_zone, archived_at, created_at) values ('I', 'S', 'N', 'c@example.org', 'Utrecht', 2, ?, ?, ?, ?)")
          .run(code, zone, archived, at).lastInsertRowid,
      );
    const person = (proactive: number, reminders: number, quiet: [string, string] | null) =>
      Number(
        s
          .prepare("insert into people (language, proactive, reminders, newsletter, heard_from, quiet_start, quiet_end, created_at) values ('nl', ?, ?, 0, 'flyer', ?, ?, ?)")
          .run(proactive, reminders, quiet?.[0] ?? null, quiet?.[1] ?? null, at).lastInsertRowid,
      );
    const member = (p: number, i: number, role = 'parent') => s.prepare('insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, ?, ?)').run(p, i, role, at);
    const lisbon = ini('a', 'Europe/Lisbon', null);
    const archived = ini('b', 'Asia/Tokyo', at);
    const later = ini('c', 'America/Curacao', null);
    const a = person(1, 1, ['21:00', '09:00']);
    member(a, later, 'ambassador');
    member(a, lisbon);
    member(a, later);
    const b = person(1, 0, null);
    member(b, archived);
    const c = person(0, 1, null);

    expect(recheckPerson(db, a)).toEqual({ proactive: true, reminders: true, quiet: { start: '21:00', end: '09:00' }, timeZone: 'Europe/Lisbon' });
    expect(recheckPerson(db, b)).toEqual({ proactive: true, reminders: false, quiet: null, timeZone: null });
    expect(recheckPerson(db, c)).toEqual({ proactive: false, reminders: true, quiet: null, timeZone: null });
    expect(recheckPerson(db, 999)).toBeNull();

    for (const id of [a, b, c]) {
      const world = loadPlanningWorld(db, new Date(at), { personId: id, capWindowMs: 7 * 86_400_000 });
      const p = world.people[0]!;
      const zone = p.initiativeId !== null ? (world.initiatives.get(p.initiativeId)?.timeZone ?? null) : null;
      expect(recheckPerson(db, id)).toEqual({ proactive: p.proactive, reminders: p.reminders, quiet: p.quiet, timeZone: zone });
    }
  });
});
