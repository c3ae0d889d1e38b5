/**
 * The coordinators' figures on a seeded database (test/support/stats-seed.ts says where every
 * expected number comes from): each figure equals what the data says, groups under 10 read
 * 'fewer', another initiative's parents stay out, and an erased parent is gone from every figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { erasePerson } from '../../src/db/effects.apply.js';
import { createStatsReads, statsReport, statsReportAsync } from '../../src/db/stats.reads.js';
import type { StatsReport } from '../../src/domain/stats-report.types.js';
import { seedStatsWorld, STATS_NOW, type StatsWorld } from '../support/stats-seed.js';

let dir: string;
let db: Db;
let w: StatsWorld;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-stats-'));
  db = openDatabase(join(dir, 'test.db'));
  w = seedStatsWorld(db);
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const of = (r: StatsReport) => ({
  ages: Object.fromEntries(r.byAgeBand.map((b) => [b.band, b.parents])),
  heard: Object.fromEntries(r.heardFrom.map((h) => [h.source, h.parents])),
  funnel: Object.fromEntries(r.funnel.map((f) => [f.step, f.parents])),
  months: Object.fromEntries(r.participation.months.map((m) => [m.month, m.counts])),
});

describe('the figures of one initiative', () => {
  it('equal what the data says, with every group under 10 shown as "fewer"', () => {
    const r = statsReport(db, w.a, STATS_NOW)!;
    expect(r.scope).toEqual({ kind: 'initiative', initiativeId: w.a, code: 'linde', name: 'Samen naar De Linde', phase: 2 });
    expect(r.parents).toBe(39);
    expect(r.byPhase).toEqual([{ phase: 2, parents: 39 }]);
    expect(r.byLanguage).toEqual([
      { lang: 'nl', parents: 23 },
      { lang: 'tr', parents: 12 },
      { lang: 'ar', parents: 'fewer' },
    ]);
    expect(r.byPostcode).toEqual([
      { pc4: '3511', parents: 20 },
      { pc4: 'unknown', parents: 19 },
    ]);
    const x = of(r);
    expect(x.ages).toEqual({ expected: 'fewer', under1: 0, y1: 16, y2: 0, y3: 23, y4plus: 'fewer' });
    expect(x.heard).toMatchObject({ health_clinic: 12, flyer: 15, unknown: 12, day_care: 0, other_parent: 0 });
    // The funnel in its order; "joined" is a parent member (nothing is stored before consent).
    expect(r.funnel.map((f) => f.step)).toEqual(['joined', 'consented', 'lookedAtSchools', 'registered', 'placed']);
    expect(x.funnel).toEqual({ joined: 39, consented: 36, lookedAtSchools: 12, registered: 12, placed: 10 });
    expect(r.registration).toEqual({ registered: 12, onTime: 10, late: 'fewer', noDate: 0 });

    // Reach: newest first; reads only where WhatsApp reported them; the Arabic group is suppressed.
    expect(r.reach.map((i) => [i.kind, i.nudgeId])).toEqual([
      ['nudge', 7],
      ['broadcast', null],
    ]);
    const [nudgeRun, broadcast] = r.reach;
    expect(nudgeRun).toMatchObject({ delivered: 'fewer', read: null, answered: 0 });
    expect(broadcast).toMatchObject({ delivered: 39, read: 11, answered: 11 });
    expect(broadcast!.byLanguage).toEqual([
      { lang: 'nl', delivered: 23, read: 11, answered: 10 },
      { lang: 'tr', delivered: 12, read: null, answered: 'fewer' },
      { lang: 'ar', delivered: 'fewer', read: null, answered: 0 },
    ]);
    expect(r.reachByLanguage).toEqual([
      { lang: 'nl', delivered: 23, read: 11, answered: 10 },
      { lang: 'tr', delivered: 12, read: null, answered: 'fewer' },
      { lang: 'ar', delivered: 'fewer', read: null, answered: 0 },
    ]);

    // Events: the tour (past) and the open morning (coming); not B's tour.
    expect(r.events.map((e) => [e.kind, e.titles.nl])).toEqual([
      ['tour', 'Rondleiding De Linde'],
      ['open_morning', 'Inloopochtend'],
    ]);
    expect(r.events[0]).toMatchObject({ id: w.tour, going: 11, waiting: 0, maybe: 'fewer', no: 'fewer', attended: 10, absent: 'fewer', cancelled: false });
    expect(r.events[1]).toMatchObject({ going: 0, maybe: 0, attended: 0 });

    expect(r.ladder).toEqual({
      messages: [
        { ruleId: 'ladder1', delivered: 10 },
        { ruleId: 'ladder2', delivered: 'fewer' },
      ],
      callbacks: [
        { outcome: 'reached', tasks: 'fewer' },
        { outcome: 'noAnswer', tasks: 'fewer' },
        { outcome: 'wrongNumber', tasks: 0 },
        { outcome: 'declined', tasks: 0 },
        { outcome: 'open', tasks: 'fewer' },
      ],
    });

    // Participation now, and at the end of each of the last 12 months (all joined on 1 June 2026).
    expect(r.participation.now).toEqual({ active: 14, fading: 11, silent: 14 });
    expect(r.participation.months.map((m) => m.month)).toEqual([
      '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01', '2027-02', '2027-03',
    ]);
    expect(x.months['2026-05']).toEqual({ active: 0, fading: 0, silent: 0 });
    expect(x.months['2026-06']).toEqual({ active: 39, fading: 0, silent: 0 });
    expect(x.months['2026-07']).toEqual({ active: 0, fading: 39, silent: 0 });
    expect(x.months['2026-08']).toEqual({ active: 0, fading: 0, silent: 39 });
    expect(x.months['2027-02']).toEqual({ active: 14, fading: 0, silent: 25 });
    expect(x.months['2027-03']).toEqual({ active: 14, fading: 11, silent: 14 });

    // Counts only: nothing in the report is about a person (no person ids, no names, no chats).
    expect(JSON.stringify(r)).not.toMatch(/person|chat|stats-\d/i);
  });

  it('an erased parent disappears from every figure', () => {
    const before = statsReport(db, w.a, STATS_NOW)!;
    db.transaction((tx) => erasePerson(tx, w.parents[1]!, STATS_NOW));
    const after = statsReport(db, w.a, STATS_NOW)!;
    expect(after.parents).toBe(38);
    expect(after.byLanguage[0]).toEqual({ lang: 'nl', parents: 22 });
    expect(after.byPostcode[0]).toEqual({ pc4: '3511', parents: 19 });
    expect(of(after).ages.y3).toBe(22);
    expect(of(after).heard.health_clinic).toBe(11);
    expect(of(after).funnel).toEqual({ joined: 38, consented: 35, lookedAtSchools: 11, registered: 11, placed: 'fewer' });
    expect(after.registration).toEqual({ registered: 11, onTime: 'fewer', late: 'fewer', noDate: 0 });
    expect(after.reach[1]).toMatchObject({ delivered: 38, read: 10, answered: 10 });
    expect(after.reach[1]!.byLanguage[0]).toEqual({ lang: 'nl', delivered: 22, read: 10, answered: 'fewer' });
    expect(after.events[0]).toMatchObject({ going: 10, attended: 'fewer' });
    expect(after.participation.now).toEqual({ active: 13, fading: 11, silent: 14 });
    expect(of(after).months['2026-06']).toEqual({ active: 38, fading: 0, silent: 0 });
    expect(before).not.toEqual(after);
  });

  it('another initiative sees only its own parents; all initiatives together count each parent once', () => {
    const b = statsReport(db, w.b, STATS_NOW)!;
    expect(b.parents).toBe(11);
    expect(b.byPhase).toEqual([{ phase: 1, parents: 11 }]);
    expect(b.reach).toEqual([]);
    expect(b.events.map((e) => e.titles.nl)).toEqual(['Rondleiding De Wilg']);
    expect(of(b).funnel).toMatchObject({ joined: 11, lookedAtSchools: 11, registered: 0 });

    const all = statsReport(db, null, STATS_NOW)!;
    expect(all.scope).toEqual({ kind: 'all' });
    expect(all.initiatives).toBe(2);
    expect(all.parents).toBe(50);
    expect(all.byPhase).toEqual([
      { phase: 1, parents: 11 },
      { phase: 2, parents: 39 },
    ]);
    expect(of(all).heard.health_clinic).toBe(23);
    expect(all.reach).toHaveLength(2);
    expect(all.events).toHaveLength(3);
    expect(statsReport(db, 999, STATS_NOW)).toBeNull();
  });

  it('read in chunks of parents, or without the history (the chat), or async (the charts): the same figures', async () => {
    const whole = statsReport(db, w.a, STATS_NOW)!;
    expect(statsReport(db, w.a, STATS_NOW, { chunk: 7 })).toEqual(whole);
    expect(statsReport(db, null, STATS_NOW, { chunk: 4 })).toEqual(statsReport(db, null, STATS_NOW));
    expect(await statsReportAsync(db, w.a, STATS_NOW, { chunk: 5 })).toEqual(whole);
    // Without the history: everything but the months (the level now comes from each parent's latest action and read).
    const text = statsReport(db, w.a, STATS_NOW, { history: false })!;
    expect(text.participation.months).toEqual([]);
    expect({ ...text, participation: null }).toEqual({ ...whole, participation: null });
    expect(text.participation.now).toEqual(whole.participation.now);
  });

  it('Directory.stats reads live data at each new moment, and the same moment once', async () => {
    const reads = createStatsReads(db);
    const first = reads.report(w.a, STATS_NOW, { history: false });
    expect(first!.participation.months).toEqual([]);
    expect(reads.report(w.a, STATS_NOW, { history: false })).toBe(first);
    const full = await reads.reportWithHistory(w.a, STATS_NOW);
    expect(full!.participation.months).toHaveLength(12);
    expect(reads.report(w.a, STATS_NOW)).toBe(full);
    db.transaction((tx) => erasePerson(tx, w.parents[2]!, STATS_NOW));
    expect(reads.report(w.a, new Date(STATS_NOW.getTime() + 1))!.parents).toBe(38);
  });
});
