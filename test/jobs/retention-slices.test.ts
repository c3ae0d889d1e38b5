/**
 * The hourly retention pass looks at a slice of the parents each run (issue 13: its cost must not
 * grow with everyone who exists): the slices go round, so every parent is looked at within
 * RETENTION_RUNS_PER_ROUND runs, each exactly once per round, and a notice is written once however
 * often a parent is looked at. SQLite on disk, a hand-set clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { RETENTION_RUNS_PER_ROUND, retentionPass } from '../../src/jobs/retention.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
// Born January 2023: their data is kept until 1 March 2027 10:00; the notice is due from 30 January.
const NOW = new Date('2027-02-02T10:00:00Z');

function seedParents(db: Db, count: number, withChild: (i: number) => boolean): number[] {
  const at = Date.parse('2026-11-01T10:00:00Z');
  const sqlite = db.$client;
  const ini = Number(sqlite.prepare("insert into initiatives (name, school, neighbourhood, contact, municipality, phase, code, time_zone, created_at) values ('I', 'S', 'N', 'c@example.org', 'Utrecht', 2, 'slices', 'Europe/Amsterdam', ?)").run(at).lastInsertRowid);
  const person = sqlite.prepare("insert into people (language, proactive, reminders, newsletter, heard_from, created_at) values ('nl', 1, 1, 0, 'flyer', ?)");
  const identity = sqlite.prepare("insert into identities (person_id, channel, chat_id, last_inbound_at, created_at) values (?, 'telegram', ?, ?, ?)");
  const membership = sqlite.prepare("insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, 'parent', ?)");
  const child = sqlite.prepare('insert into children (person_id, birth_year, birth_month, expected, created_at) values (?, 2023, 1, 0, ?)');
  const ids: number[] = [];
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = Number(person.run(at).lastInsertRowid);
      identity.run(id, String(1000 + i), at, at);
      membership.run(id, ini, at);
      if (withChild(i)) child.run(id, at);
      ids.push(id);
    }
  })();
  return ids;
}

describe('retention in slices', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'retention-slices-'));
    db = openDatabase(join(dir, 'db.sqlite'));
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const noticed = (): number[] => db.$client.prepare("select person_id from deliveries where rule_id = 'retention' order by person_id").pluck().all() as number[];

  it('each run looks at the next slice; within a round everyone is noticed once, and never twice after', () => {
    const ids = seedParents(db, 36, (i) => i % 3 !== 2);
    const due = ids.filter((_, i) => i % 3 !== 2);
    const deps = { db, logger: silent, defaultTimeZone: 'Europe/Amsterdam' };
    // 36 parents, at least 10 a run: ceil(36 / 12) = 3 is less, so 10 a run; a round is 4 runs.
    const first = retentionPass(deps, NOW, { minSlice: 10 });
    expect(first.noticed).toBe(due.filter((id) => id <= ids[9]!).length);
    expect(noticed()).toEqual(due.filter((id) => id <= ids[9]!));
    retentionPass(deps, NOW, { minSlice: 10 });
    retentionPass(deps, NOW, { minSlice: 10 });
    // The fourth run takes the last 6 and wraps round to the first 4 (already noticed: no second notice).
    const fourth = retentionPass(deps, NOW, { minSlice: 10 });
    expect(fourth.noticed).toBe(due.filter((id) => id > ids[29]!).length);
    expect(noticed()).toEqual(due);
    for (let i = 0; i < 8; i++) retentionPass(deps, NOW, { minSlice: 10 });
    expect(noticed()).toEqual(due);
  });

  it('a slice is at least 1/RETENTION_RUNS_PER_ROUND of everyone: a round never takes more runs than that', () => {
    const ids = seedParents(db, 60, () => true);
    const deps = { db, logger: silent, defaultTimeZone: 'Europe/Amsterdam' };
    let runs = 0;
    // Slices of max(1, ceil(60 / 12)) = 5 parents.
    while (noticed().length < ids.length && runs < 100) {
      retentionPass(deps, NOW, { minSlice: 1 });
      runs++;
    }
    expect(runs).toBe(RETENTION_RUNS_PER_ROUND);
    expect(noticed()).toEqual(ids);
  });

  it('with fewer parents than a slice, every run looks at everyone (a small initiative: as before)', () => {
    const ids = seedParents(db, 5, () => true);
    retentionPass({ db, logger: silent, defaultTimeZone: 'Europe/Amsterdam' }, NOW);
    expect(noticed()).toEqual(ids);
  });
});
