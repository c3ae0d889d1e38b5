/**
 * The incremental planner (issue 13, ADR 0012): planning that costs what is due, not who exists.
 *
 * - `planTick`: the minutely tick. Takes the marked parents (src/db/plan-marks.repo.ts: every
 *   fact that changes a timeline marks its parents) and those whose next moment has come (a range
 *   scan of people_next_plan_at), plans exactly those with the one timeline (planPass over a set
 *   of ids), and stores each one's next moment. A tick with nothing due reads two index lookups.
 * - `rebuildBegin` / `rebuildBatch` / `rebuildAll`: the full rebuild, at start when the rules or the
 *   planner's configuration changed (a fingerprint in app_keys) or never ran, in batches of ids.
 *
 * Synchronous on a Db: run on the planner thread (src/jobs/plan-thread.ts) by the planner, inline by
 * the benchmark and the tests. Both write group by group in short transactions (rows and next
 * moments of 100 parents: planPass), so a reply on the other thread never waits long for SQLite's
 * write lock.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/client.js';
import { duePeople, markPerson, readPlanFingerprint, storePlanFingerprint, takeMarks } from '../db/plan-marks.repo.js';
import { DEFAULT_COOLDOWN_DAYS } from '../domain/outreach-ladder.js';
import { NEXT_LOOKAHEAD_MS, planPass, RETRY_UNPLACED_MS, type PlanPassDeps } from './plan-pass.js';

/** At most this many parents per tick (marks first, then the earliest due); the rest wait a minute. */
export const TICK_MAX_PEOPLE = 50_000;
/** Parents planned per pass (one bulk load, one set of short write transactions). */
export const PLAN_CHUNK = 5_000;
/** Parents per batch of the full rebuild. */
export const REBUILD_BATCH = 5_000;
/**
 * Bump when what the timeline produces changes in a way stored next moments do not know of (a new
 * kind of rule, another lookahead): the next start rebuilds. Rule and configuration changes are in
 * the fingerprint already.
 */
export const PLANNER_VERSION = 1;

export interface TickPlanReport {
  at: Date;
  /** Parents planned: marked plus due (each once). */
  people: number;
  marked: number;
  due: number;
  candidates: number;
  /** Ids of the rows written, in send order per pass. */
  planned: number[];
  expired: number;
  noNewsletter: string[];
  /** More were due than one tick takes (TICK_MAX_PEOPLE): the next tick goes on. */
  more: boolean;
  ms: number;
}

export function planTick(deps: PlanPassDeps, now: Date, opts: { maxPeople?: number } = {}): TickPlanReport {
  const started = performance.now();
  const max = opts.maxPeople ?? TICK_MAX_PEOPLE;
  const marked = takeMarksGated(deps, max);
  const due = marked.length < max ? duePeople(deps.db, now, max - marked.length) : [];
  const report: TickPlanReport = { at: now, people: 0, marked: marked.length, due: due.length, candidates: 0, planned: [], expired: 0, noNewsletter: [], more: marked.length + due.length >= max, ms: 0 };
  if (!marked.length && !due.length) {
    report.ms = performance.now() - started;
    return report;
  }
  const ids = [...new Set([...marked, ...due])];
  report.people = ids.length;
  try {
    planChunks(deps, now, ids, report);
  } catch (err) {
    // The marks were taken: give them back (and the due ones stay due), so the next tick tries again.
    const at = new Date();
    deps.db.$client.transaction(() => {
      for (const id of marked) if (personExists(deps.db, id)) markPerson(deps.db, id, at);
    })();
    throw err;
  }
  report.ms = performance.now() - started;
  return report;
}

/** Marks to take per statement: each take is a short write (through the write gate). */
const TAKE_SLICE = 1000;

/** Takes up to `max` marks, a slice at a time; with nothing marked, one lookup of an empty table. */
function takeMarksGated(deps: PlanPassDeps, max: number): number[] {
  const out: number[] = [];
  while (out.length < max) {
    const limit = Math.min(TAKE_SLICE, max - out.length);
    const taken = deps.writeGate ? deps.writeGate(() => takeMarks(deps.db, limit)) : takeMarks(deps.db, limit);
    for (const id of taken) out.push(id);
    if (taken.length < limit) break;
  }
  return out;
}

function planChunks(deps: PlanPassDeps, now: Date, ids: readonly number[], report: TickPlanReport): void {
  for (let i = 0; i < ids.length; i += PLAN_CHUNK) {
    // Rows and next moments are written by the pass, group by group (short transactions).
    absorb(report, planPass(deps, { now, personIds: ids.slice(i, i + PLAN_CHUNK), nextMoments: true }));
  }
}

function absorb(report: TickPlanReport, pass: ReturnType<typeof planPass>): void {
  report.candidates += pass.candidates;
  report.expired += pass.expired;
  for (const r of pass.planned) if (r.id !== undefined) report.planned.push(r.id);
  for (const s of pass.noNewsletter) if (!report.noNewsletter.includes(s)) report.noNewsletter.push(s);
}

const personExists = (db: Db, id: number): boolean => db.$client.prepare('select 1 from people where id = ?').get(id) !== undefined;

// ── the full rebuild ───────────────────────────────────────────────────────────────────────

export interface RebuildBatchReport extends Omit<TickPlanReport, 'marked' | 'due' | 'more'> {
  /** The first id of the next batch; null when this was the last. */
  nextFrom: number | null;
}

/**
 * A rebuild starts: marks written before now are dropped (every parent is planned from what the
 * batches read after this moment; marks written from now on stay for the ticks).
 */
export function rebuildBegin(deps: PlanPassDeps): { dropped: number } {
  // All of them, a slice at a time (short writes): a mark written from now on stays for the ticks.
  let dropped = 0;
  for (let taken = TAKE_SLICE; taken === TAKE_SLICE; dropped += taken) {
    taken = deps.writeGate ? deps.writeGate(() => takeMarks(deps.db, TAKE_SLICE)).length : takeMarks(deps.db, TAKE_SLICE).length;
  }
  return { dropped };
}

/**
 * Plans the parents with ids from `fromId` on (REBUILD_BATCH of them, and below `toId` when given:
 * a batch of rebuildBounds) and stores their next moments.
 */
export function rebuildBatch(deps: PlanPassDeps, now: Date, fromId: number, size = REBUILD_BATCH, toId?: number): RebuildBatchReport {
  const started = performance.now();
  const ids = deps.db.$client.prepare('select id from people where id >= ? and id < ? order by id limit ?').pluck().all(fromId, toId ?? Number.MAX_SAFE_INTEGER, size) as number[];
  const report: TickPlanReport = { at: now, people: ids.length, marked: 0, due: 0, candidates: 0, planned: [], expired: 0, noNewsletter: [], more: false, ms: 0 };
  if (ids.length) {
    const last = ids[ids.length - 1]!;
    const pass = planPass(deps, { now, idRange: { from: fromId, to: last + 1 }, nextMoments: true, writeAtEnd: true });
    absorb(report, pass);
    report.people = pass.people;
  }
  const { marked: _m, due: _d, more: _x, ...rest } = report;
  return { ...rest, ms: performance.now() - started, nextFrom: ids.length === size ? ids[ids.length - 1]! + 1 : null };
}

/**
 * Where the rebuild's batches start: every `size`-th parent id, in order. Batch i covers the ids
 * from bounds[i] up to bounds[i + 1] (the last: to the end), so several planner threads can take
 * batches at once (src/jobs/rebuild-pool.ts). A parent who joins meanwhile is marked and planned
 * by a tick.
 */
export function rebuildBounds(db: Db, size = REBUILD_BATCH): number[] {
  return db.$client.prepare('select id from (select id, row_number() over (order by id) as n from people) where (n - 1) % ? = 0 order by id').pluck().all(size) as number[];
}

/** The whole rebuild at once (the benchmark, tests, a one-off run): begin, every batch, the fingerprint. */
export function rebuildAll(deps: PlanPassDeps, now: Date): RebuildBatchReport & { batches: number } {
  const started = performance.now();
  // Fewer, larger checkpoints while everyone is written: each parent touches a few random index
  // pages, and a checkpoint every 1,000 pages (SQLite's default) copied and synced the same pages
  // again and again (about 40 % of a rebuild at 1M went to writing).
  const sqlite = deps.db.$client;
  const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
  if (autocheckpoint > 0) sqlite.pragma(`wal_autocheckpoint = ${REBUILD_CHECKPOINT_PAGES}`);
  try {
    return rebuildAllBatches(deps, now, started);
  } finally {
    if (autocheckpoint > 0) sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  }
}

/** WAL pages (4 KiB) between two checkpoints during rebuildAll: 40 MB. */
const REBUILD_CHECKPOINT_PAGES = 10_000;

function rebuildAllBatches(deps: PlanPassDeps, now: Date, started: number): RebuildBatchReport & { batches: number } {
  rebuildBegin(deps);
  const total: RebuildBatchReport & { batches: number } = { at: now, people: 0, candidates: 0, planned: [], expired: 0, noNewsletter: [], ms: 0, nextFrom: null, batches: 0 };
  for (let from: number | null = 0; from !== null; ) {
    const b = rebuildBatch(deps, now, from);
    total.batches++;
    total.people += b.people;
    total.candidates += b.candidates;
    total.expired += b.expired;
    for (const id of b.planned) total.planned.push(id);
    from = b.nextFrom;
  }
  storePlanFingerprint(deps.db, planFingerprint(deps));
  total.ms = performance.now() - started;
  return total;
}

/**
 * What the stored next moments were computed with: the rules, the send policy, the default zone,
 * the horizons, the ladder's default cool-down and PLANNER_VERSION. Another value means a rebuild.
 */
export function planFingerprint(deps: PlanPassDeps): string {
  const what = {
    v: PLANNER_VERSION,
    rules: deps.rules,
    policy: deps.policy,
    zone: deps.defaultTimeZone,
    horizon: deps.horizonMs,
    lookahead: NEXT_LOOKAHEAD_MS,
    retry: RETRY_UNPLACED_MS,
    // Unset is the default: a planner without the setting plans the same ladder as one with 120.
    cooldown: deps.outreachCooldownDays ?? DEFAULT_COOLDOWN_DAYS,
  };
  return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 32);
}

/** Whether the next moments in this database were computed with other rules (or never). */
export function rebuildNeeded(deps: PlanPassDeps): boolean {
  return readPlanFingerprint(deps.db) !== planFingerprint(deps);
}
