/**
 * The incremental planner's own figures (issue 13, ADR 0012), on SQLite on disk:
 *   - the tick at 10k and 100k parents: nothing due, and with 100 / 1,000 parents marked;
 *   - the full rebuild: the first (every row written) and again (the steady state);
 *   - the heap after 10,000 onboardings through the engine (test/support/engine-harness.ts);
 *   - the heap over a day of planning in fast-forward: 1,440 minutely ticks with an injected
 *     clock over 20,000 parents, a stand-in worker sending what is due.
 *
 * Run: `node --expose-gc --import tsx scripts/measure-planner.ts [--sizes 10000,100000] [--onboardings 10000] [--day 20000]`
 * (the heap figures need --expose-gc). The suite's own planner figures are in bench/ (npm run bench).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/db/client.js';
import { createStore } from '../src/db/store.js';
import { DEFAULT_POLICY } from '../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../src/jobs/nurture.config.js';
import type { PlanPassDeps } from '../src/jobs/plan-pass.js';
import { createPlanRunner } from '../src/jobs/plan-runner.js';
import { planTick, rebuildAll } from '../src/jobs/plan-tick.js';
import { createHarness, pick } from '../test/support/engine-harness.js';
import { fixedClock } from '../test/support/clock.js';
import { seedBulkWorld } from '../test/support/planning-seed.js';
import { simulateWorker } from '../test/support/planning-sim.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1048576;
};
const rssMb = (): number => process.memoryUsage().rss / 1048576;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const depsFor = (db: Db, clock = fixedClock(NOW)): PlanPassDeps => ({ db, rules: loadReminderRules(), clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS });
const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-measure-'));
const out: Record<string, unknown> = {};

async function plannerCosts(size: number): Promise<void> {
  const db = openDatabase(join(dir, `w${size}.db`));
  const seeded = seedBulkWorld(db, size, NOW);
  const deps = depsFor(db);
  let t = performance.now();
  const first = rebuildAll(deps, NOW);
  const rebuildFirst = performance.now() - t;
  t = performance.now();
  rebuildAll(deps, NOW);
  const rebuildSteady = performance.now() - t;
  const at = (min: number) => new Date(NOW.getTime() + min * 60_000);
  const idle: number[] = [];
  for (let m = 1; m <= 5; m++) {
    t = performance.now();
    const r = planTick(deps, at(m));
    idle.push(performance.now() - t);
    if (r.people) console.log(`  (tick ${m} had ${r.people} parents due)`);
  }
  const store = createStore(db, fixedClock(at(10)), { outboxOwner: 'measure' });
  const ids = db.$client.prepare('select id, person_id, chat_id from identities order by random() limit 1000').all() as { id: number; person_id: number; chat_id: string }[];
  const marked = (n: number, min: number): { ms: number; people: number } => {
    for (const i of ids.slice(0, n)) store.commitTurn({ address: { channel: 'local', chatId: i.chat_id }, identity: { personId: i.person_id, identityId: i.id }, state: null, effects: [], outbound: [] });
    const s = performance.now();
    const r = planTick(deps, at(min));
    return { ms: performance.now() - s, people: r.people };
  };
  const m100 = marked(100, 11);
  const m1000 = marked(1000, 12);
  const runner = createPlanRunner(deps, { thread: true });
  await runner.tick(at(20)); // starts the thread
  const threadIdle: number[] = [];
  for (let m = 21; m <= 25; m++) {
    t = performance.now();
    await runner.tick(at(m));
    threadIdle.push(performance.now() - t);
  }
  await runner.close();
  const r = {
    seededMs: Math.round(seeded.ms),
    rebuildFirstMs: Math.round(rebuildFirst),
    rebuildFirstUsPerParent: Math.round((rebuildFirst * 1000) / size),
    rowsWritten: first.planned.length,
    rebuildSteadyMs: Math.round(rebuildSteady),
    rebuildSteadyUsPerParent: Math.round((rebuildSteady * 1000) / size),
    tickNothingDueMs: +median(idle).toFixed(2),
    tick100MarkedMs: +m100.ms.toFixed(1),
    tick1000MarkedMs: +m1000.ms.toFixed(1),
    tickOnThreadRoundTripMs: +median(threadIdle).toFixed(2),
  };
  out[`planner ${size}`] = r;
  console.log(`planner at ${size}:`, r);
  db.$client.close();
}

/** New parents through the engine, each the whole onboarding as the crowd test answers it. */
async function onboardings(count: number): Promise<void> {
  const h = createHarness(NOW.toISOString());
  const ini = h.initiative({ code: 'measure' });
  void ini;
  const before = heapMb();
  const t = performance.now();
  let finished = 0;
  for (let i = 0; i < count; i++) {
    const chat = `m${i}`;
    let replies = await h.say(chat, '/start measure');
    for (let step = 0; step < 20; step++) {
      const values = replies.flatMap((m) => m.choices?.flat() ?? []).map((c) => c.value);
      const has = (p: string) => values.some((v) => v.startsWith(p));
      if (has('menu:')) {
        finished++;
        break;
      }
      let next: string | ReturnType<typeof pick>;
      if (has('lang:')) next = pick(values.includes('lang:nl') ? 'lang:nl' : values.find((v) => v.startsWith('lang:'))!);
      else if (values.includes('consent:yes')) next = pick('consent:yes');
      else if (values.includes('name:skip')) next = 'Sam';
      else if (has('y:')) next = `0${1 + (i % 9)}-2024`;
      else if (has('m:')) next = pick(values.find((v) => v.startsWith('m:'))!);
      else if (values.includes('more:no')) next = pick('more:no');
      else if (values.includes('pc:skip')) next = '1094';
      else if (has('i:')) next = pick(values.find((v) => /^i:\d/.test(v)) ?? 'i:none');
      else if (has('h:')) next = pick(values.includes('h:flyer') ? 'h:flyer' : values.find((v) => v.startsWith('h:'))!);
      else break;
      replies = await h.say(chat, next);
    }
    // The harness's recording channel keeps every message it was given (a test's record, not the bot's memory).
    for (const c of h.channels.values()) c.sent.clear();
    if ((i + 1) % 2000 === 0) console.log(`  ${i + 1} onboardings, heap ${heapMb().toFixed(1)} MB`);
  }
  await h.delivered();
  const r = { onboardings: count, finished, seconds: Math.round((performance.now() - t) / 1000), heapBeforeMb: +before.toFixed(1), heapAfterMb: +heapMb().toFixed(1), rssMb: Math.round(rssMb()) };
  out.onboardings = r;
  console.log('onboardings:', r);
  h.close();
}

/** A day of minutely ticks over a seeded world, with a stand-in worker; the heap at the start and every 6 hours. */
function fastForwardDay(size: number): void {
  const db = openDatabase(join(dir, `day${size}.db`));
  seedBulkWorld(db, size, NOW, 7);
  const clock = fixedClock(NOW);
  const deps = depsFor(db, clock);
  rebuildAll(deps, NOW);
  const heap: number[] = [heapMb()];
  let planned = 0;
  let people = 0;
  const t = performance.now();
  for (let m = 1; m <= 1440; m++) {
    const now = new Date(NOW.getTime() + m * 60_000);
    clock.set(now);
    simulateWorker(db, now);
    const r = planTick(deps, now);
    planned += r.planned.length;
    people += r.people;
    if (m % 360 === 0) heap.push(heapMb());
  }
  const r = { parents: size, ticks: 1440, seconds: Math.round((performance.now() - t) / 1000), parentsPlanned: people, rowsPlanned: planned, heapMbAt0h6h12h18h24h: heap.map((x) => +x.toFixed(1)), rssMb: Math.round(rssMb()) };
  out.day = r;
  console.log('fast-forward day:', r);
  db.$client.close();
}

if (!gc) console.log('note: run with node --expose-gc for the heap figures');
try {
  for (const size of arg('sizes', '10000,100000').split(',').map(Number).filter(Boolean)) await plannerCosts(size);
  const day = Number(arg('day', '20000'));
  if (day) fastForwardDay(day);
  const n = Number(arg('onboardings', '10000'));
  if (n) await onboardings(n);
  console.log(JSON.stringify(out, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
