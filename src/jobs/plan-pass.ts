/**
 * One planning pass: run the timeline of every parent (or of one, a set, or a range of ids),
 * keep what is new (the unique key says so), give it a send time outside the quiet hours and
 * within the frequency cap, and write the rows. No Redis here: enqueueing is the planner's next
 * step, so a pass is also what `plan --dry-run` shows and what the benchmark measures. The
 * incremental planner (src/jobs/plan-tick.ts) runs it over the parents that are due or marked and
 * stores each one's next moment (`nextMoments`).
 */
import type { Clock } from '../core/clock.js';
import type { ChannelName } from '../core/messages.js';
import type { Logger } from '../core/ports.js';
import { deliveryKey, type Candidate, type PlanPerson } from '../domain/nurture.types.js';
import type { ReminderRule } from '../domain/reminder-rules.js';
import { asNudgeCandidate } from '../domain/nudge-rules.js';
import { DEFAULT_COOLDOWN_DAYS, ladderPlan, ladderWithin, type LadderPlan } from '../domain/outreach-ladder.js';
import { planSendTime, type SendPolicy } from '../domain/send-window.js';
import { candidatesFor, mergeSiblings } from '../domain/timeline.js';
import type { Db } from '../db/client.js';
import { capHistoryOf, keyExists, keysPresent, type NewDelivery } from '../db/deliveries.repo.js';
import { issueNextNewsletter } from '../db/newsletters.repo.js';
import { insertPlanRows, journalInMemory, peopleWithRows, setNextPlanAt } from '../db/plan-statements.repo.js';
import { loadPlanningWorld, type PeopleSelection, type PlanningWorld } from '../db/planning.repo.js';

export interface PlanPassDeps {
  db: Db;
  rules: ReminderRule[];
  clock: Clock;
  logger: Logger;
  policy: SendPolicy;
  defaultTimeZone: string;
  /** How far ahead rows are written (they are enqueued only when nearly due). */
  horizonMs: number;
  /** The outreach ladder's cool-down for initiatives that set none (OUTREACH_COOLDOWN_DAYS; default 120). */
  outreachCooldownDays?: number;
  /**
   * Keys known to have a row, kept by a caller across passes (scripts/bench-nurture.ts). The
   * planner no longer keeps one: its tick looks only at parents with something due (ADR 0012).
   */
  knownKeys?: Set<string>;
  /**
   * Runs one of the pass's short write transactions. On a planner thread it holds the process's
   * write lock meanwhile (src/db/write-lock.ts), so a commit of the thread that answers parents
   * waits for this one write at most, and wakes the moment it ends (not in SQLite's busy handler).
   * Absent: the write just runs.
   */
  writeGate?: <T>(write: () => T) => T;
  /**
   * Runs a batch's writes, all at once after its planning (`writeAtEnd`). On a planner thread it
   * keeps the other planner threads from writing meanwhile (src/db/write-lock.ts plannerTurns),
   * while each group's write still takes `writeGate`. Absent: the writes just run.
   */
  writeTurn?: <T>(writes: () => T) => T;
}

export interface PlanReport {
  at: Date;
  people: number;
  candidates: number;
  /** New rows (with ids unless dry-run), in send order. */
  planned: (NewDelivery & { id?: number })[];
  /** Due but impossible before they expire (quiet hours and cap left no room). */
  expired: number;
  /** Newsletter slots with no newsletter written yet. */
  noNewsletter: string[];
  ms: number;
  /**
   * With `nextMoments`: per person planned, when the planner must look again (epoch ms; null:
   * only when marked). Written to people.next_plan_at by the incremental planner (plan-tick.ts).
   */
  next?: Map<number, number | null>;
}

export interface PlanPassOptions extends Pick<PeopleSelection, 'personIds' | 'idRange'> {
  now?: Date;
  dryRun?: boolean;
  personId?: number;
  /** Compute each person's next moment (the incremental planner). */
  nextMoments?: boolean;
  /**
   * Write the groups one after the other at the end of the pass, in one `writeTurn`, instead of
   * each after its planning (the rebuild's batches). Groups never read what an earlier group of
   * the same pass writes (their keys are their own parents'), so the rows are the same.
   */
  writeAtEnd?: boolean;
}

/**
 * People are planned and written in groups of this many: each group's rows (and next moments) in
 * one short transaction, between the groups' planning. So a long pass on the planner thread holds
 * SQLite's write lock a few milliseconds at a time (a reply's commit may wait for one such write:
 * src/db/write-lock.ts). Groups of 100 or 200 wrote a quarter less at 1M, but a write of 200 took
 * 20–60 ms when the machine was busy, and the reply thread's stalls went over 50 ms (ADR 0012).
 */
export const PLAN_GROUP = 50;

export function planPass(deps: PlanPassDeps, opts: PlanPassOptions = {}): PlanReport {
  const started = performance.now();
  const now = opts.now ?? deps.clock.now();
  const selection = { personId: opts.personId, personIds: opts.personIds, idRange: opts.idRange };
  const world = loadPlanningWorld(deps.db, now, { ...selection, capWindowMs: deps.policy.cap.windowMs, withHistory: false, aheadMs: opts.nextMoments ? NEXT_LOOKAHEAD_MS : 0 });
  const lookup = keyExists(deps.db);
  const present = keysPresent(deps.db);
  const known = deps.knownKeys;
  // A group's answers are kept until its next moments are computed (they ask about the same keys again).
  const asked = new Map<string, boolean>();
  const exists = (key: string): boolean => {
    if (known?.has(key)) return true;
    let found = asked.get(key);
    if (found === undefined) asked.set(key, (found = lookup(key)));
    if (found && known) remember(known, key);
    return found;
  };
  // The keys a group will ask about, asked in one statement per round (a statement per key cost
  // about 9 % of a rebuild at 1M); `exists` then answers from `asked`.
  const ask = (keys: readonly string[]): void => {
    const open = keys.filter((k) => !asked.has(k) && !known?.has(k));
    if (!open.length) return;
    const found = present(open);
    for (const k of open) asked.set(k, found.has(k));
  };
  const report: PlanReport = { at: now, people: world.people.length, candidates: 0, planned: [], expired: 0, noNewsletter: [], ms: 0 };
  /** After a group's write: its rows with their ids (a key that appeared meanwhile, by another planner, is simply not inserted again). */
  const written = (rows: NewDelivery[], ids: (number | null)[]): void => {
    const inserted = rows.flatMap((r, i) => (ids[i] === null ? [] : [{ ...r, id: ids[i] as number }]));
    if (inserted.length !== rows.length) deps.logger.warn({ expected: rows.length, inserted: inserted.length }, 'some planned rows already existed');
    for (const r of inserted) report.planned.push(r);
    if (known) for (const r of rows) remember(known, r.key);
  };
  if (opts.nextMoments && !opts.dryRun) report.next = new Map();
  const newsletters = new Map<string, boolean>();
  const horizonEnd = now.getTime() + deps.horizonMs;
  const memo: TimelineMemo = new Map();
  const deferred: { rows: NewDelivery[]; next: [number, number | null][] }[] = [];
  for (let g = 0; g < world.people.length; g += PLAN_GROUP) {
    const group = world.people.slice(g, g + PLAN_GROUP);
    asked.clear();
    // Whose keys can exist at all: a parent without a single row (a new one; everyone at the first
    // rebuild) needs no lookup per candidate. One indexed probe per parent.
    const withRows = peopleWithRows(deps.db, group.map((p) => p.id));
    const has = (person: PlanPerson, key: string): boolean => withRows.has(person.id) && exists(key);
    const withNews: { person: PlanPerson; channel: ChannelName; fresh: Candidate[]; upcoming: Candidate[] }[] = [];
    /** This pass's candidates per person (the next moments look at them again). */
    const current = new Map<number, Candidate[]>();
    memo.clear();
    const staged: { person: PlanPerson; channel: ChannelName; candidates: Candidate[]; keys: string[] | null }[] = [];
    for (const person of group) {
      const channel = world.channelOf.get(person.id);
      if (!channel || !person.proactive) continue;
      const candidates = timelineOf(deps, world, person, now, deps.horizonMs, memo);
      report.candidates += candidates.length;
      if (report.next) current.set(person.id, candidates);
      // No key is built for a parent without rows (everyone at the first rebuild): all candidates are new.
      staged.push({ person, channel, candidates, keys: withRows.has(person.id) ? candidates.map(deliveryKey) : null });
    }
    ask(staged.flatMap((s) => s.keys ?? []));
    const ahead: { person: PlanPerson; channel: ChannelName; fresh: Candidate[]; timeBound: Candidate[] }[] = [];
    for (const { person, channel, candidates, keys } of staged) {
      const fresh = keys ? candidates.filter((_, i) => !exists(keys[i]!)) : candidates;
      if (!fresh.length) continue;
      // Time-bound messages of the coming days keep their room in the cap (only for those with news: few).
      const timeBound = timelineOf(deps, world, person, now, LOOKAHEAD_MS, memo).filter((c) => c.timeBound && c.dueAt.getTime() > horizonEnd);
      ahead.push({ person, channel, fresh, timeBound });
    }
    ask(ahead.flatMap((a) => (withRows.has(a.person.id) ? a.timeBound.map(deliveryKey) : [])));
    for (const { person, channel, fresh, timeBound } of ahead) withNews.push({ person, channel, fresh, upcoming: timeBound.filter((c) => !has(person, deliveryKey(c))) });
    // The cap history only of those with something new (in the steady state: few).
    world.history = capHistoryOf(deps.db, new Date(now.getTime() - deps.policy.cap.windowMs), withNews.map((w) => w.person.id));
    let rows: (NewDelivery & { id?: number })[] = [];
    for (const { person, channel, fresh, upcoming } of withNews) {
      const planned = schedulePerson(deps, world, person, fresh, now, upcoming);
      for (const r of planned) rows.push({ ...r, channel });
      report.expired += fresh.length - planned.length;
    }
    rows = resolveNewsletters(deps, rows, newsletters, report.noNewsletter, opts.dryRun === true);
    let next: [number, number | null][] = [];
    if (report.next) {
      const written = new Set(rows.map((r) => r.key));
      // The next weeks' candidates of each parent, their keys asked at once.
      const weeks = new Map<number, Candidate[]>();
      for (const person of group) if (current.has(person.id)) weeks.set(person.id, timelineOf(deps, world, person, now, NEXT_LOOKAHEAD_MS, memo));
      ask([...weeks].flatMap(([id, cs]) => (withRows.has(id) ? cs.map(deliveryKey).filter((k) => !written.has(k)) : [])));
      next = group.map((person) => {
        const planned = current.get(person.id);
        return [person.id, planned ? nextMomentOf(deps, world, person, now, planned, (key) => written.has(key) || has(person, key), memo, weeks.get(person.id)) : null];
      });
      for (const [id, at] of next) report.next.set(id, at);
    }
    if (opts.dryRun) {
      for (const r of rows) report.planned.push(r);
      continue;
    }
    if (opts.writeAtEnd) deferred.push({ rows, next });
    else written(rows, writeGroup(deps, rows, next, now));
  }
  if (deferred.length) {
    const writeAll = (): void => {
      for (const d of deferred) written(d.rows, writeGroup(deps, d.rows, d.next, now));
    };
    if (deps.writeTurn) deps.writeTurn(writeAll);
    else writeAll();
  }
  if (report.noNewsletter.length) deps.logger.warn({ slots: report.noNewsletter }, 'newsletter due but none written');
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** One group's rows and next moments, in one short transaction. */
function writeGroup(deps: PlanPassDeps, rows: NewDelivery[], next: [number, number | null][], now: Date): (number | null)[] {
  if (!rows.length && !next.length) return [];
  journalInMemory(deps.db);
  const write = (): (number | null)[] =>
    deps.db.$client.transaction(() => {
      const ids = insertPlanRows(deps.db, rows, now);
      setNextPlanAt(deps.db, next);
      return ids;
    })();
  return deps.writeGate ? deps.writeGate(write) : write();
}

/**
 * How far ahead a parent's next moment is looked for. Shorter than the keep-warm interval (42 days
 * at least), so the keep-warm occurrence current at now + this is the next one after the current
 * one; a parent with nothing ahead is looked at again after this (less the horizon): a periodic
 * re-check that costs 1/29 of the parents a day.
 */
export const NEXT_LOOKAHEAD_MS = 30 * 86_400_000;
/** A message that could not be placed (the cap or the quiet hours left no room) is tried again after this, at the latest. */
export const RETRY_UNPLACED_MS = 3600_000;

/**
 * When the planner must look at this person again, from their candidates now (`planned`: this
 * pass's, at the planning horizon) and those of the coming weeks: the earliest moment a candidate
 * without a row enters the horizon (its due time less the horizon); for one that is already in it
 * but got no row (no room before it expires, no newsletter written yet), within the hour or at its
 * expiry, whichever is first (a window that rolls on, like the ladder's first step, opens anew
 * there); with nothing ahead, a re-check when the lookahead has passed. Always after now: the next
 * tick at the earliest. Facts that change meanwhile mark the person (src/db/plan-marks.repo.ts).
 */
export function nextMomentOf(
  deps: PlanPassDeps,
  world: PlanningWorld,
  person: PlanPerson,
  now: Date,
  planned: Candidate[],
  hasRow: (key: string) => boolean,
  memo?: TimelineMemo,
  /** The person's candidates of the next weeks (timelineOf at NEXT_LOOKAHEAD_MS), when the caller has them. */
  weeks: Candidate[] = timelineOf(deps, world, person, now, NEXT_LOOKAHEAD_MS, memo),
): number {
  const t = now.getTime();
  let next = t + NEXT_LOOKAHEAD_MS - deps.horizonMs;
  const seen = new Set<string>();
  for (const c of [...planned, ...weeks]) {
    const key = deliveryKey(c);
    if (seen.has(key)) continue;
    seen.add(key);
    if (hasRow(key)) continue;
    const enters = c.dueAt.getTime() - deps.horizonMs;
    const at = enters > t ? enters : Math.min(t + RETRY_UNPLACED_MS, c.expiresAt?.getTime() ?? Infinity);
    if (at < next) next = at;
  }
  return Math.max(next, t + 1);
}

/** How far ahead the planner looks for time-bound messages that the cap must keep room for. */
export const LOOKAHEAD_MS = 8 * 86_400_000;

/**
 * What one person's timeline runs at several horizons share within a pass (the same world, person
 * and now): the outreach ladder's step before the horizon is applied. Kept per group by planPass.
 */
export type TimelineMemo = Map<PlanPerson, LadderPlan | null>;

/** One person's candidates from a loaded world (the planner, the worker's re-check and the projection share this). */
export function timelineOf(deps: PlanPassDeps, world: PlanningWorld, person: PlanPerson, now: Date, horizonMs: number, memo?: TimelineMemo): Candidate[] {
  const ini = person.initiativeId !== null ? (world.initiatives.get(person.initiativeId) ?? null) : null;
  const input = {
    now,
    horizonMs,
    rules: deps.rules,
    person,
    initiative: ini,
    events: ini ? (world.eventsOf.get(ini.id) ?? []) : [],
    newsletterSlots: ini ? (world.slotsOf.get(ini.id) ?? []) : [],
    defaultTimeZone: deps.defaultTimeZone,
  };
  const shared = candidatesFor(input);
  // The initiative's own rules (relative nudges), for its own parents only: most initiatives have none.
  const own = ini ? world.nudgeRulesOf?.get(ini.id) : undefined;
  if (own) {
    input.rules = own.rules;
    for (const c of candidatesFor(input)) shared.push(asNudgeCandidate(c, own.refs.get(c.ruleId)));
  }
  // The outreach ladder: personal contact for a parent who went silent (src/domain/outreach-ladder.ts).
  if (ini && world.ladder) {
    let plan = memo?.get(person);
    if (plan === undefined) {
      plan = ladderPlan({
        now,
        person,
        initiative: ini,
        history: world.ladder.history.get(person.id) ?? [],
        settings: world.ladder.settings.get(ini.id),
        defaultCooldownDays: deps.outreachCooldownDays ?? DEFAULT_COOLDOWN_DAYS,
        voiceLanguages: world.ladder.voices.get(ini.id),
      });
      memo?.set(person, plan);
    }
    for (const c of ladderWithin(plan, now, horizonMs)) shared.push(c);
  }
  return shared;
}

/** Which message gets a place in the cap first: time-bound ones, then by priority, then the earliest due. */
export function byImportance(a: Candidate, b: Candidate): number {
  return Number(b.timeBound ?? false) - Number(a.timeBound ?? false) || b.priority - a.priority || a.dueAt.getTime() - b.dueAt.getTime() || a.ruleId.localeCompare(b.ruleId);
}

/**
 * Send times for one person's new messages: siblings' messages of one rule and moment become
 * one message (the cap counts messages, not children); then the cap chooses by importance and
 * urgency: time-bound messages (also those of the coming days, `upcoming`, which only reserve
 * their place) are placed first, then the rest by priority, within the quiet hours and the cap
 * against the person's history (plus `extraHistory`, e.g. projected sends). So a keep-warm or a
 * newsletter never pushes out an invitation or a deadline. Messages that cannot go out before
 * they expire are left out (a later pass tries again while they are relevant). Sorted by send time.
 */
export function sendTimesFor(
  deps: PlanPassDeps,
  world: PlanningWorld,
  person: PlanPerson,
  fresh: Candidate[],
  now: Date,
  extraHistory: Date[] = [],
  upcoming: Candidate[] = [],
): { candidate: Candidate; sendAt: Date }[] {
  const ini = person.initiativeId !== null ? world.initiatives.get(person.initiativeId) : undefined;
  const zone = ini?.timeZone ?? deps.defaultTimeZone;
  const policy = person.quiet ? { ...deps.policy, quiet: person.quiet } : deps.policy;
  const history = [...(world.history.get(person.id) ?? []), ...extraHistory];
  // Messages already planned keep their place in the order; this pass's messages follow them.
  const notBefore: Date | null = history.length ? new Date(Math.max(...history.map((d) => d.getTime()))) : null;
  const own = mergeSiblings(fresh);
  const reserved = new Set(mergeSiblings(upcoming));
  const out: { candidate: Candidate; sendAt: Date }[] = [];
  for (const c of [...own, ...reserved].sort(byImportance)) {
    const r = planSendTime({ dueAt: c.dueAt, now, expiresAt: c.expiresAt, urgentFrom: c.urgentFrom, capped: c.kind !== 'notice', history, notBefore, policy, zone });
    if ('expired' in r) continue;
    if (c.kind !== 'notice') history.push(r.sendAt);
    if (!reserved.has(c)) out.push({ candidate: c, sendAt: r.sendAt });
  }
  return out.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime() || byImportance(a.candidate, b.candidate));
}

function schedulePerson(deps: PlanPassDeps, world: PlanningWorld, person: PlanPerson, fresh: Candidate[], now: Date, upcoming: Candidate[]): Omit<NewDelivery, 'channel'>[] {
  return sendTimesFor(deps, world, person, fresh, now, [], upcoming).flatMap(({ candidate: c, sendAt }) => {
    const row = {
      key: deliveryKey(c),
      personId: c.personId,
      childId: c.childId,
      ruleId: c.ruleId,
      kind: c.kind,
      priority: c.priority,
      dueAt: c.dueAt,
      sendAt,
      expiresAt: c.expiresAt,
      urgentFrom: c.urgentFrom,
      payload: c.payload,
    };
    // A sibling's own key is kept as a companion row (never sent), so it is never planned on its own.
    const companions = (c.siblings ?? []).map((s) => ({ ...row, key: deliveryKey(s), childId: s.childId, status: 'skipped' as const, lastError: `merged into ${row.key}` }));
    return [row, ...companions];
  });
}

/** A newsletter slot goes out only if a newsletter is written for it; the first pass issues it (`ready`: per pass, by slot). */
function resolveNewsletters(deps: PlanPassDeps, rows: NewDelivery[], ready: Map<string, boolean>, missing: string[], dryRun: boolean): NewDelivery[] {
  return rows.filter((r) => {
    const { newsletterSlot, initiativeId } = r.payload;
    if (newsletterSlot === undefined || initiativeId === undefined) return true;
    const key = `${initiativeId}|${newsletterSlot}`;
    if (!ready.has(key)) ready.set(key, dryRun || issueNextNewsletter(deps.db, initiativeId, newsletterSlot) !== null);
    if (!ready.get(key) && !missing.includes(key)) missing.push(key);
    return ready.get(key);
  });
}

/** Bounded: a long-running planner forgets everything once in a while and asks SQLite again. */
function remember(known: Set<string>, key: string): void {
  if (known.size >= 2_000_000) known.clear();
  known.add(key);
}
