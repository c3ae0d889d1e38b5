/**
 * One planning pass: run every parent's timeline, keep what is new (the unique key says so),
 * give it a send time outside the quiet hours and within the frequency cap, and write the
 * rows in one transaction. No Redis here: enqueueing is the planner's next step, so a pass
 * is also what `plan --dry-run` shows and what the benchmark measures.
 */
import type { Clock } from '../core/clock.js';
import type { ChannelName } from '../core/messages.js';
import type { Logger } from '../core/ports.js';
import { deliveryKey, type Candidate, type PlanPerson } from '../domain/nurture.types.js';
import type { ReminderRule } from '../domain/reminder-rules.js';
import { planSendTime, type SendPolicy } from '../domain/send-window.js';
import { candidatesFor } from '../domain/timeline.js';
import type { Db } from '../db/client.js';
import { capHistoryOf, insertPlannedRows, keyExists, type NewDelivery } from '../db/deliveries.repo.js';
import { issueNextNewsletter } from '../db/newsletters.repo.js';
import { loadPlanningWorld, type PlanningWorld } from '../db/planning.repo.js';

export interface PlanPassDeps {
  db: Db;
  rules: ReminderRule[];
  clock: Clock;
  logger: Logger;
  policy: SendPolicy;
  defaultTimeZone: string;
  /** How far ahead rows are written (they are enqueued only when nearly due). */
  horizonMs: number;
  /**
   * Keys known to have a row (the planner keeps this across its minutely passes, so the steady
   * state asks SQLite nothing per candidate). Safe: a row only disappears with its person or child.
   */
  knownKeys?: Set<string>;
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
}

export function planPass(deps: PlanPassDeps, opts: { now?: Date; dryRun?: boolean; personId?: number } = {}): PlanReport {
  const started = performance.now();
  const now = opts.now ?? deps.clock.now();
  const world = loadPlanningWorld(deps.db, now, { personId: opts.personId, capWindowMs: deps.policy.cap.windowMs, withHistory: false });
  const lookup = keyExists(deps.db);
  const known = deps.knownKeys;
  const exists = (key: string): boolean => {
    if (known?.has(key)) return true;
    const found = lookup(key);
    if (found && known) remember(known, key);
    return found;
  };
  const report: PlanReport = { at: now, people: world.people.length, candidates: 0, planned: [], expired: 0, noNewsletter: [], ms: 0 };
  const withNews: { person: PlanPerson; channel: ChannelName; fresh: Candidate[] }[] = [];
  for (const person of world.people) {
    const channel = world.channelOf.get(person.id);
    if (!channel || !person.proactive) continue;
    const candidates = timelineOf(deps, world, person, now, deps.horizonMs);
    report.candidates += candidates.length;
    const fresh = candidates.filter((c) => !exists(deliveryKey(c)));
    if (fresh.length) withNews.push({ person, channel, fresh });
  }
  // The cap history only of those with something new (in the steady state: few).
  world.history = capHistoryOf(deps.db, new Date(now.getTime() - deps.policy.cap.windowMs), withNews.map((w) => w.person.id));
  for (const { person, channel, fresh } of withNews) {
    const rows = schedulePerson(deps, world, person, fresh, now);
    for (const r of rows) report.planned.push({ ...r, channel });
    report.expired += fresh.length - rows.length;
  }
  resolveNewsletters(deps, report, opts.dryRun === true);
  if (!opts.dryRun && report.planned.length) {
    const rows = report.planned;
    const ids = insertPlannedRows(deps.db, rows, now);
    // A key that appeared meanwhile (another planner) is simply not inserted again.
    report.planned = rows.flatMap((r, i) => (ids[i] === null ? [] : [{ ...r, id: ids[i] as number }]));
    if (report.planned.length !== rows.length) deps.logger.warn({ expected: rows.length, inserted: report.planned.length }, 'some planned rows already existed');
    if (known) for (const r of rows) remember(known, r.key);
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** One person's candidates from a loaded world (the planner, the worker's re-check and the projection share this). */
export function timelineOf(deps: PlanPassDeps, world: PlanningWorld, person: PlanPerson, now: Date, horizonMs: number): Candidate[] {
  const ini = person.initiativeId !== null ? (world.initiatives.get(person.initiativeId) ?? null) : null;
  return candidatesFor({
    now,
    horizonMs,
    rules: deps.rules,
    person,
    initiative: ini,
    events: ini ? (world.eventsOf.get(ini.id) ?? []) : [],
    newsletterSlots: ini ? (world.slotsOf.get(ini.id) ?? []) : [],
    defaultTimeZone: deps.defaultTimeZone,
  });
}

/**
 * Send times for one person's new messages, in due order (then priority), keeping that order:
 * the quiet hours, the cap against the person's history (plus `extraHistory`, e.g. projected
 * sends) and the urgency of deadline reminders. Messages that cannot go out before they expire
 * are left out (a later pass tries again while they are relevant).
 */
export function sendTimesFor(deps: PlanPassDeps, world: PlanningWorld, person: PlanPerson, fresh: Candidate[], now: Date, extraHistory: Date[] = []): { candidate: Candidate; sendAt: Date }[] {
  const ini = person.initiativeId !== null ? world.initiatives.get(person.initiativeId) : undefined;
  const zone = ini?.timeZone ?? deps.defaultTimeZone;
  const policy = person.quiet ? { ...deps.policy, quiet: person.quiet } : deps.policy;
  const history = [...(world.history.get(person.id) ?? []), ...extraHistory];
  let notBefore: Date | null = history.length ? new Date(Math.max(...history.map((d) => d.getTime()))) : null;
  const out: { candidate: Candidate; sendAt: Date }[] = [];
  fresh.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || b.priority - a.priority || a.ruleId.localeCompare(b.ruleId));
  for (const c of fresh) {
    const r = planSendTime({ dueAt: c.dueAt, now, expiresAt: c.expiresAt, urgentFrom: c.urgentFrom, capped: c.kind !== 'notice', history, notBefore, policy, zone });
    if ('expired' in r) continue;
    history.push(r.sendAt);
    if (!notBefore || r.sendAt > notBefore) notBefore = r.sendAt;
    out.push({ candidate: c, sendAt: r.sendAt });
  }
  return out;
}

function schedulePerson(deps: PlanPassDeps, world: PlanningWorld, person: PlanPerson, fresh: Candidate[], now: Date): Omit<NewDelivery, 'channel'>[] {
  return sendTimesFor(deps, world, person, fresh, now).map(({ candidate: c, sendAt }) => ({
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
  }));
}

/** A newsletter slot goes out only if a newsletter is written for it; the first pass issues it. */
function resolveNewsletters(deps: PlanPassDeps, report: PlanReport, dryRun: boolean): void {
  const ready = new Map<string, boolean>();
  report.planned = report.planned.filter((r) => {
    const { newsletterSlot, initiativeId } = r.payload;
    if (newsletterSlot === undefined || initiativeId === undefined) return true;
    const key = `${initiativeId}|${newsletterSlot}`;
    if (!ready.has(key)) ready.set(key, dryRun || issueNextNewsletter(deps.db, initiativeId, newsletterSlot) !== null);
    if (!ready.get(key) && !report.noNewsletter.includes(key)) report.noNewsletter.push(key);
    return ready.get(key);
  });
  if (report.noNewsletter.length) deps.logger.warn({ slots: report.noNewsletter }, 'newsletter due but none written');
}

/** Bounded: a long-running planner forgets everything once in a while and asks SQLite again. */
function remember(known: Set<string>, key: string): void {
  if (known.size >= 2_000_000) known.clear();
  known.add(key);
}
