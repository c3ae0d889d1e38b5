/**
 * The incremental planner plans exactly what the full pass plans (issue 13): a property test over
 * random worlds. Each world (test/support/planning-sim.ts: 200 parents, initiatives in four cities,
 * events, newsletters, silent parents for the outreach ladder …) is copied twice; for a month, at
 * the same irregular moments (a minute to fourteen hours apart), one copy runs the full pass over
 * everyone (planPass) and the other the incremental tick (marks and next moments, after a full
 * rebuild at the start), and both get the same changes through the bot's own writers and the same
 * stand-in worker. At the end every delivery row must be the same: key, times, payload, status.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import type { Db } from '../../src/db/client.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import { planPass, type PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { planTick, rebuildAll } from '../../src/jobs/plan-tick.js';
import { fixedClock } from '../support/clock.js';
import { copyWorld, openSim, randomChange, rowsByKey, seedSimWorld, SIM_START, simulateWorker } from '../support/planning-sim.js';
import { seededRandom } from '../support/seeded-random.js';

const WORLDS = 50;
const PARENTS = 200;
const DAYS = 30;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const rules = loadReminderRules();
const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-equiv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function depsFor(db: Db): PlanPassDeps {
  return { db, rules, clock: fixedClock(SIM_START), logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS };
}

interface Outcome {
  rows: number;
  ticks: number;
  changes: Record<string, number>;
  incrementalPeople: number;
  fullPeople: number;
}

function runWorld(seed: number): Outcome {
  const base = join(dir, `w${seed}.db`);
  const world = seedSimWorld(base, seed, PARENTS);
  copyWorld(base, join(dir, `w${seed}-full.db`));
  copyWorld(base, join(dir, `w${seed}-inc.db`));
  const full = openSim(join(dir, `w${seed}-full.db`));
  const inc = openSim(join(dir, `w${seed}-inc.db`));
  const fullDeps = depsFor(full);
  const incDeps = depsFor(inc);
  // Two copies of the world's own random stream: the same changes, drawn the same way, on both.
  const worlds = { full: structuredClone(world), inc: structuredClone(world) };
  const rndFull = seededRandom(seed * 7919);
  const rndInc = seededRandom(seed * 7919);
  const when = seededRandom(seed * 104729);
  const outcome: Outcome = { rows: 0, ticks: 0, changes: {}, incrementalPeople: 0, fullPeople: 0 };

  let now = SIM_START;
  outcome.fullPeople += planPass(fullDeps, { now }).people;
  outcome.incrementalPeople += rebuildAll(incDeps, now).people;
  const end = SIM_START.getTime() + DAYS * 86_400_000;
  while (now.getTime() < end) {
    // A minute to fourteen hours later (about a hundred ticks a month); now and then minutely ticks.
    const step = when() < 0.1 ? 60_000 : 60_000 * (1 + Math.floor(when() * 840));
    now = new Date(now.getTime() + step);
    simulateWorker(full, now);
    simulateWorker(inc, now);
    const changes = Math.floor(when() * 5);
    for (let c = 0; c < changes; c++) {
      const kind = randomChange(full, rndFull, worlds.full, now);
      randomChange(inc, rndInc, worlds.inc, now);
      outcome.changes[kind] = (outcome.changes[kind] ?? 0) + 1;
    }
    outcome.fullPeople += planPass(fullDeps, { now }).people;
    outcome.incrementalPeople += planTick(incDeps, now).people;
    outcome.ticks++;
  }
  const a = rowsByKey(full);
  const b = rowsByKey(inc);
  outcome.rows = a.size;
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).slice(0, 5);
  const detail = differ.map((k) => `${k}\n  full:        ${a.get(k) ?? '—'}\n  incremental: ${b.get(k) ?? '—'}`).join('\n');
  expect(differ, `world ${seed}: rows that differ\n${detail}`).toEqual([]);
  full.$client.close();
  inc.$client.close();
  return outcome;
}

describe('the incremental planner and the full pass plan the same rows (random worlds)', () => {
  const groups = 10;
  const per = WORLDS / groups;
  for (let g = 0; g < groups; g++) {
    it(`worlds ${g * per + 1}–${(g + 1) * per}: ${PARENTS} parents each, a month of changes and ticks`, () => {
      const totals = { rows: 0, ticks: 0, full: 0, incremental: 0 };
      const kinds: Record<string, number> = {};
      for (let s = g * per + 1; s <= (g + 1) * per; s++) {
        const o = runWorld(s);
        totals.rows += o.rows;
        totals.ticks += o.ticks;
        totals.full += o.fullPeople;
        totals.incremental += o.incrementalPeople;
        for (const [k, v] of Object.entries(o.changes)) kinds[k] = (kinds[k] ?? 0) + v;
      }
      console.log(`[equivalence ${g + 1}/${groups}] rows ${totals.rows}, ticks ${totals.ticks}, parents planned: full pass ${totals.full}, incremental ${totals.incremental}; changes ${JSON.stringify(kinds)}`);
      // Something was planned and changed, and the incremental planner looked at far fewer parents.
      expect(totals.rows).toBeGreaterThan(per * 100);
      expect(Object.keys(kinds).length).toBeGreaterThan(12);
      expect(totals.incremental).toBeLessThan(totals.full / 4);
    }, 60_000);
  }
});
