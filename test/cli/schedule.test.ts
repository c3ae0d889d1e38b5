/**
 * `schedule` and `plan --dry-run` run in-process on a SQLite file arranged with plain inserts:
 * what they print, that they write nothing, and how they refuse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { saveOutreachSettings } from '../../src/db/outreach.repo.js';
import { children, identities, memberships, people } from '../../src/db/schema.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';

/** Midnight starting 1 August 2026 in Amsterdam. */
const NOW = '2026-07-31T22:00:00Z';

let dir: string;
let dbPath: string;

const run = (args: string[]): Promise<CliResult> => runCliOn(dbPath, dir, args, NOW);

const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);

const count = (table: string): number => withDb((db) => db.$client.prepare(`select count(*) from ${table}`).pluck().get() as number);

interface World {
  initiativeId: number;
  /** Child born January 2025. */
  early: number;
  /** Child born March 2025. */
  late: number;
  coordinator: number;
}

/** A Utrecht initiative with two parents (one child each) and a coordinator without children. */
function arrange(): World {
  return withDb((db) => {
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, new Date(NOW));
    const ini = createInitiative(db, { name: 'Samen naar De Boog', school: 'De Boog', municipality: 'Utrecht', phase: 2, postcodes: ['3511'] }, 'test');
    // The reminders' schedule; the outreach ladder's projection is in test/jobs/outreach-ladder.test.ts.
    saveOutreachSettings(db, ini.id, { enabled: false }, 120, new Date(NOW));
    const person = (role: 'parent' | 'coordinator', birth?: { year: number; month: number }): number => {
      const id = db.insert(people).values({ language: 'nl', displayName: 'Samira' }).returning().get().id;
      db.insert(identities).values({ personId: id, channel: 'telegram', chatId: `chat-${id}` }).run();
      if (birth) db.insert(children).values({ personId: id, birthYear: birth.year, birthMonth: birth.month }).run();
      db.insert(memberships).values({ personId: id, initiativeId: ini.id, role, createdAt: new Date('2026-07-01T08:00:00Z') }).run();
      return id;
    };
    return {
      initiativeId: ini.id,
      early: person('parent', { year: 2025, month: 1 }),
      late: person('parent', { year: 2025, month: 3 }),
      coordinator: person('coordinator'),
    };
  });
}

/** Table lines as [send time, person, child, rule, message, status]. */
const lines = (out: string): string[][] =>
  out
    .trim()
    .split('\n')
    .slice(2)
    .map((l) => l.split(/\s{2,}/));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-schedule-cli-'));
  dbPath = join(dir, 'test.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('schedule', () => {
  it('--person prints a year of messages in local time and writes nothing', async () => {
    const w = arrange();
    const r = await run(['schedule', '--person', String(w.early)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^send time \(local\)\s+person\s+child\s+rule\s+message\s+status\s+note$/);
    expect(lines(r.out)).toEqual([
      ['2026-09-01 10:00', String(w.early), expect.stringMatching(/^\d+$/), 'toddler-groups', 'nurture:toddlerGroups', 'projected'],
      ['2027-04-01 10:00', String(w.early), expect.stringMatching(/^\d+$/), 'look-at-schools', 'nurture:lookAtSchools', 'projected'],
    ]);
    expect(r.err).toBe('');
    expect(count('deliveries')).toBe(0);
  });

  it('--days reaches the registration deadline', async () => {
    const w = arrange();
    const r = await run(['schedule', '--person', String(w.early), '--days', '730']);
    expect(r.code, r.err).toBe(0);
    const rows = lines(r.out).map((l) => [l[0], l[3]]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['2028-01-01 10:00', 'registration-opens'],
        ['2028-03-17 10:00', 'deadline-14'],
        ['2028-03-29 10:00', 'deadline-2'],
      ]),
    );
  });

  it('--initiative covers every parent (not the coordinator), sorted by send time; --json for scripts', async () => {
    const w = arrange();
    const r = await run(['schedule', '--initiative', String(w.initiativeId), '--days', '365', '--json']);
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out) as { personId: number; ruleId: string; local: string; sendAt: string; status: string }[];
    expect(rows.map((x) => [x.local, x.personId, x.ruleId])).toEqual([
      ['2026-09-01 10:00', w.early, 'toddler-groups'],
      ['2026-11-01 10:00', w.late, 'toddler-groups'],
      ['2027-04-01 10:00', w.early, 'look-at-schools'],
      ['2027-06-01 10:00', w.late, 'look-at-schools'],
    ]);
    expect(rows[0]?.sendAt).toBe('2026-09-01T08:00:00.000Z');
    expect(rows.some((x) => x.personId === w.coordinator)).toBe(false);
    // Default for an initiative: 90 days (to 30 October 2026).
    const short = await run(['schedule', '--initiative', String(w.initiativeId)]);
    expect(lines(short.out).map((l) => [l[1], l[3]])).toEqual([[String(w.early), 'toddler-groups']]);
  });

  it('refuses an unknown person or initiative, and needs exactly one of them', async () => {
    arrange();
    const person = await run(['schedule', '--person', '999']);
    expect(person.code).toBe(1);
    expect(person.err).toBe('error: no person with id 999.\n');
    const initiative = await run(['schedule', '--initiative', '999']);
    expect(initiative.code).toBe(1);
    expect(initiative.err).toBe('error: no initiative with id 999.\n');
    const neither = await run(['schedule']);
    expect(neither.code).toBe(1);
    expect(neither.err).toContain('give --person <id> or --initiative <id>');
    const both = await run(['schedule', '--person', '1', '--initiative', '1']);
    expect(both.code).toBe(1);
    expect(both.err).toContain('cannot be used with');
  });
});

describe('plan --dry-run', () => {
  it('--at is local time: prints what would be planned at that moment and writes nothing', async () => {
    const w = arrange();
    // 16 March 2028, 11:00 in Amsterdam: group-registration is still open, deadline-14 is due tomorrow at 10:00.
    const r = await run(['plan', '--at', '2028-03-16T11:00', '--dry-run']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('at 2028-03-16 11:00 (Europe/Amsterdam) the planner would plan:');
    const rows = lines(r.out.split('\n').slice(1).join('\n')).filter((l) => /^\d{4}-/.test(l[0] ?? ''));
    // Both children (born January and March 2025) have the deadline of 31 March 2028.
    expect(rows.map((l) => [l[0], l[1], l[3], l[4]])).toEqual([
      ['2028-03-16 11:00', String(w.early), 'group-registration', 'nurture:groupRegistration.date'],
      ['2028-03-16 11:00', String(w.late), 'group-registration', 'nurture:groupRegistration.date'],
      ['2028-03-17 10:00', String(w.early), 'deadline-14', 'nurture:deadline14'],
      ['2028-03-17 10:00', String(w.late), 'deadline-14', 'nurture:deadline14'],
    ]);
    expect(r.out).toMatch(/^people: 3, candidates: 4, planned: 4, expired: 0, ms: \d+$/m);
    expect(count('deliveries')).toBe(0);
  });

  it('--person limits the pass to one parent; --json for scripts', async () => {
    const w = arrange();
    const r = await run(['plan', '--at', '2028-03-16T11:00', '--dry-run', '--person', String(w.late), '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { at: string; people: number; planned: { ruleId: string; local: string }[] };
    expect(report.at).toBe('2028-03-16T10:00:00.000Z');
    expect(report.people).toBe(1);
    expect(report.planned.map((p) => [p.local, p.ruleId])).toEqual([
      ['2028-03-16 11:00', 'group-registration'],
      ['2028-03-17 10:00', 'deadline-14'],
    ]);
    expect(count('deliveries')).toBe(0);
  });

  it('refuses to plan for real, a bad --at and an unknown person', async () => {
    arrange();
    const real = await run(['plan', '--at', '2027-03-01T09:00']);
    expect(real.code).toBe(1);
    expect(real.err).toContain('plan only simulates; the running bot plans by itself');
    expect(count('deliveries')).toBe(0);
    const bad = await run(['plan', '--at', '1 March', '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('YYYY-MM-DDTHH:MM');
    const unknown = await run(['plan', '--dry-run', '--person', '999']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('error: no person with id 999.\n');
  });
});
