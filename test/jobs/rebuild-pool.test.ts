/**
 * The full rebuild on two planner threads (src/jobs/rebuild-pool.ts) writes exactly what the
 * rebuild on one thread writes: the same rows (key, times, payload, status) and the same next
 * moment for every parent, each parent planned once, every batch taken by one of the threads.
 * 12,000 parents on SQLite on disk: three batches of 5,000, so both threads get work.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { checkpoint, openDatabase, type Db } from '../../src/db/client.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import type { PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { createPlanRunner, type PlanRunner } from '../../src/jobs/plan-runner.js';
import { rebuildAll, REBUILD_BATCH } from '../../src/jobs/plan-tick.js';
import { rebuildOn } from '../../src/jobs/rebuild-pool.js';
import { fixedClock } from '../support/clock.js';
import { seedBulkWorld } from '../support/planning-seed.js';

const PARENTS = 12_000;
const NOW = new Date('2026-12-01T09:00:00Z');
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-rebuild-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const depsFor = (db: Db): PlanPassDeps => ({ db, rules: loadReminderRules(), clock: fixedClock(NOW), logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS });

const rowsOf = (db: Db): unknown[] =>
  db.$client.prepare("select key, person_id, child_id, rule_id, kind, priority, due_at, send_at, expires_at, urgent_from, payload, status, last_error from deliveries where status <> 'sent' order by key").raw().all();
const nextMomentsOf = (db: Db): unknown[] => db.$client.prepare('select id, next_plan_at from people order by id').raw().all();

/** A runner that counts the batches it ran. */
function counting(runner: PlanRunner, batches: number[], i: number): PlanRunner {
  return {
    ...runner,
    mode: runner.mode,
    rebuildBatch: (now, from, to) => {
      batches[i] = (batches[i] ?? 0) + 1;
      return runner.rebuildBatch(now, from, to);
    },
  };
}

describe('the rebuild on several planner threads', () => {
  it('writes the same rows and next moments as one thread, every parent once', async () => {
    const seededPath = join(dir, 'seeded.db');
    const seeded = openDatabase(seededPath);
    seedBulkWorld(seeded, PARENTS, NOW);
    checkpoint(seeded);
    seeded.$client.close();
    copyFileSync(seededPath, join(dir, 'one.db'));
    copyFileSync(seededPath, join(dir, 'two.db'));

    const one = openDatabase(join(dir, 'one.db'));
    const single = rebuildAll(depsFor(one), NOW);

    const two = openDatabase(join(dir, 'two.db'));
    const deps = depsFor(two);
    const batches: number[] = [];
    const runners = [createPlanRunner(deps, { thread: true }), createPlanRunner(deps, { thread: true })];
    expect(runners.every((r) => r.mode === 'thread')).toBe(true);
    try {
      const totals = await rebuildOn(
        runners.map((r, i) => counting(r, batches, i)),
        { now: () => NOW, stopping: () => false },
      );
      expect(totals).toEqual({ people: PARENTS, planned: single.planned.length, batches: Math.ceil(PARENTS / REBUILD_BATCH) });
      // Both threads took batches (the first one begins, lists the batches and takes one as well).
      expect(batches.filter((n) => n > 0)).toHaveLength(2);
    } finally {
      await Promise.all(runners.map((r) => r.close()));
    }

    expect(single.people).toBe(PARENTS);
    expect(single.planned.length).toBeGreaterThan(PARENTS / 2);
    const rows = rowsOf(two);
    expect(rows).toHaveLength(rowsOf(one).length);
    expect(rows).toEqual(rowsOf(one));
    const moments = nextMomentsOf(two);
    expect(moments.every((m) => (m as [number, number | null])[1] !== null)).toBe(true);
    expect(moments).toEqual(nextMomentsOf(one));
    one.$client.close();
    two.$client.close();
  }, 120_000);

  it('stops between batches when asked, with nothing half-written', async () => {
    const path = join(dir, 'stop.db');
    const db = openDatabase(path);
    seedBulkWorld(db, PARENTS, NOW, 2);
    const runner = createPlanRunner(depsFor(db), { thread: true });
    let asked = 0;
    try {
      // Stop after the first batch: the result says so, and the first batch's parents are planned.
      const totals = await rebuildOn([runner], { now: () => NOW, stopping: () => asked++ > 0 });
      expect(totals).toBeNull();
      const planned = db.$client.prepare('select count(*) from people where next_plan_at is not null').pluck().get() as number;
      expect(planned).toBe(REBUILD_BATCH);
    } finally {
      await runner.close();
      db.$client.close();
    }
  }, 120_000);
});
