/**
 * The outreach ladder (issue 12, item 2; ADR 0010): personal contact for a parent who has gone
 * silent (src/domain/participation.ts). Parents who are heard least are reached by a person,
 * not by more broadcasts, and more or harder texts raise opt-outs; so the ladder is three small
 * steps and then a long rest:
 *   ladder1  a friendly question about their own child's next step, answered with one tap
 *            (never a word about absence);
 *   ladder2  10 days after ladder1 went out, still silent: "shall a parent of <initiative> call
 *            you?" (yes / no thank you), as the initiative's voice note where it has one in the
 *            parent's language;
 *   ladder3  10 days after ladder2, still silent: a call-back task for an ambassador (a notice row
 *            with `payload.task`: the worker makes the relay thread instead of sending anything);
 *   then a cool-down (per initiative, default 120 days) before a still-silent parent may get
 *   the ladder again.
 * Pure: a function of (person, their ladder history, the initiative's settings, now), so the
 * planner, the worker's re-check and `schedule` agree (src/jobs/plan-pass.ts#timelineOf).
 *
 * Episodes. The occurrence of an episode is `s<UTC day number of its start>`: the moment the
 * parent became silent, or the end of the previous episode's cool-down, whichever is later. It
 * is stable across ticks. Any own action moves `silentFrom` months ahead, so the keys of the
 * running episode stop being candidates: the worker's re-check skips a step still in the queue
 * and no later step follows. A step not sent (expired in the cap, skipped) or a window passed
 * without a row (the parent was unreachable) ends the episode; its cool-down starts then.
 */
import { monthIndex } from './birth-month.js';
import { addDays, localAt, localDayOf } from './local-time.js';
import type { Candidate, DeliveryPayload, PlanChild, PlanInitiative, PlanPerson } from './nurture.types.js';
import { dayNumber, silentFrom } from './participation.js';
import { registrationDeadline } from './registration-deadline.js';
import type { ButtonSet } from './reminder-rules.js';

export const LADDER_RULE_IDS = ['ladder1', 'ladder2', 'ladder3'] as const;
export type LadderRuleId = (typeof LADDER_RULE_IDS)[number];

/** Days from one step's send to the next step. */
export const LADDER_GAP_DAYS = 10;
/** Each step's window: it expires this many days after it is due. */
export const LADDER_VALID_DAYS = 7;
/** Local time of day at which a step is due (quiet hours and the cap may move it later). */
export const LADDER_AT = '10:00';
/** Below deadlines (8–9), events (5–7) and "look at schools" (4); above keep-warm and the newsletter (1–2). */
export const LADDER_PRIORITY = 3;
/** The cool-down after an episode when the initiative set none (OUTREACH_COOLDOWN_DAYS overrides it). */
export const DEFAULT_COOLDOWN_DAYS = 120;
/** Ladder rows are kept 400 days (src/domain/retention-rows.ts): a cool-down may not be longer than a year. */
export const MAX_COOLDOWN_DAYS = 365;

/** The question of step 1, chosen from the child's situation. */
export const STEP1_VARIANTS = ['play', 'visit', 'register', 'start', 'general'] as const;
export type Step1Variant = (typeof STEP1_VARIANTS)[number];

const STEP1_BUTTONS: Record<Step1Variant, ButtonSet> = {
  play: 'outreachPlay',
  visit: 'outreachVisit',
  register: 'outreachRegister',
  start: 'outreachStart',
  general: 'outreachGeneral',
};

export const STEP2_KEY = 'outreach:step2';
export const TASK_KEY = 'outreach:task';

export interface LadderSettings {
  enabled: boolean;
  cooldownDays: number;
}

/** One delivery row of the ladder (rule ladder1–3), as the planner loads it (ids and dates only). */
export interface LadderRow {
  ruleId: string;
  occurrence: string;
  status: string;
  /** When it went out (sent_at), else its planned send time. */
  at: Date;
  dueAt: Date;
  expiresAt: Date | null;
}

export interface LadderInput {
  now: Date;
  horizonMs: number;
  person: PlanPerson;
  initiative: PlanInitiative | null;
  /** The person's ladder rows, any order. */
  history: readonly LadderRow[];
  /** The initiative's settings (absent: on, with `defaultCooldownDays`). */
  settings: LadderSettings | undefined;
  defaultCooldownDays: number;
  /** Languages in which the initiative has a step-2 voice note. */
  voiceLanguages: ReadonlySet<string> | undefined;
}

const DAY_MS = 86_400_000;
const SENT = new Set(['sent', 'held']);
const PENDING = new Set(['planned', 'queued', 'sending', 'paused']);

export const occurrenceOf = (start: Date): string => `s${dayNumber(start)}`;
const dayOf = (occurrence: string): number => Number(occurrence.slice(1));
export const stepOf = (ruleId: string): number => LADDER_RULE_IDS.indexOf(ruleId as LadderRuleId) + 1;

/** The first LADDER_AT (local) at or after an instant. */
function atOrAfter(instant: Date, zone: string): Date {
  const day = localDayOf(instant, zone);
  const same = localAt(day, LADDER_AT, zone);
  return same >= instant ? same : localAt(addDays(day, 1), LADDER_AT, zone);
}

const plusDays = (at: Date, days: number, zone: string): Date => {
  const d = localDayOf(at, zone);
  return localAt(addDays(d, days), LADDER_AT, zone);
};

interface Episode {
  occurrence: string;
  day: number;
  rows: LadderRow[];
}

type EpisodeState =
  /** A step is planned or queued: it stays a candidate (the worker's re-check must find its key). */
  | { kind: 'pending'; row: LadderRow }
  | { kind: 'next'; step: number; dueAt: Date; expiresAt: Date }
  | { kind: 'ended'; at: Date };

function stateOf(ep: Episode, zone: string): EpisodeState {
  let last: LadderRow | null = null;
  for (const ruleId of LADDER_RULE_IDS) {
    const row = ep.rows.find((r) => r.ruleId === ruleId);
    if (!row) {
      if (!last) return { kind: 'ended', at: latestAt(ep) };
      const dueAt = atOrAfter(new Date(last.at.getTime() + LADDER_GAP_DAYS * DAY_MS), zone);
      return { kind: 'next', step: stepOf(ruleId), dueAt, expiresAt: plusDays(dueAt, LADDER_VALID_DAYS, zone) };
    }
    if (PENDING.has(row.status)) return { kind: 'pending', row };
    if (!SENT.has(row.status)) return { kind: 'ended', at: row.at };
    last = row;
  }
  return { kind: 'ended', at: last!.at };
}

const latestAt = (ep: Episode): Date => new Date(Math.max(...ep.rows.map((r) => r.at.getTime())));

function episodesOf(history: readonly LadderRow[]): Episode[] {
  const by = new Map<string, Episode>();
  for (const r of history) {
    if (!/^s\d+$/.test(r.occurrence) || stepOf(r.ruleId) === 0) continue;
    const ep = by.get(r.occurrence) ?? { occurrence: r.occurrence, day: dayOf(r.occurrence), rows: [] };
    ep.rows.push(r);
    by.set(r.occurrence, ep);
  }
  return [...by.values()].sort((a, b) => a.day - b.day);
}

/** The ladder's candidates for one person now (at most one). */
export function ladderCandidates(input: LadderInput): Candidate[] {
  return ladderWithin(ladderPlan(input), input.now, input.horizonMs);
}

/**
 * The ladder's step for one person now, before the horizon is applied: the candidate, and the
 * instant the horizon must reach besides its due time (when the silence began, or the next
 * episode may start). Null: no ladder for this person. The planner runs a person's timeline at
 * three horizons in a pass; this part is the same for all of them.
 */
export interface LadderPlan {
  candidate: Candidate;
  from: number;
}

export function ladderPlan(input: Omit<LadderInput, 'horizonMs'>): LadderPlan | null {
  const { person, initiative: ini, now } = input;
  if (!ini || !person.proactive || !person.reminders || person.contactDeclined || !person.joinedAt) return null;
  const settings = input.settings ?? { enabled: true, cooldownDays: input.defaultCooldownDays };
  if (!settings.enabled) return null;
  const signals = { joinedAt: person.joinedAt, lastActionAt: person.lastActionAt ?? null, lastReadAt: person.lastReadAt ?? null };
  // Silent by the time a step is due (the planner writes rows a day ahead, like every rule's; the
  // worker's re-check at the send time asks again). Active and fading parents are never laddered:
  // the horizon must reach the start of the silence (ladderWithin).
  const silentSince = silentFrom(signals);
  const zone = ini.timeZone;
  const cooldownMs = settings.cooldownDays * DAY_MS;
  const latest = episodesOf(input.history).at(-1);
  let start = silentSince;
  if (latest) {
    const state = stateOf(latest, zone);
    // The latest episode belongs to this silence when it started during it.
    const current = latest.day >= dayNumber(silentSince);
    if (current && state.kind === 'pending') return { candidate: pendingCandidate(input, latest.occurrence, state.row), from: silentSince.getTime() };
    if (current && state.kind === 'next' && now < state.expiresAt) return { candidate: stepCandidate(input, state.step, latest.occurrence, state.dueAt, state.expiresAt), from: silentSince.getTime() };
    // Ended; or its next step's window passed without a row (the parent could not be reached then).
    const endedAt = state.kind === 'ended' ? state.at : current && state.kind === 'next' ? state.expiresAt : latestAt(latest);
    start = new Date(Math.max(silentSince.getTime(), endedAt.getTime() + cooldownMs));
  }
  // Step 1's window rolls on weekly from the start, so a parent whose start passed while the
  // ladder could not reach them (just switched on, consent back) still gets it, once. The horizon
  // must reach the start (never before the silence: start >= silentSince).
  const first = atOrAfter(start, zone);
  const weeks = now > first ? Math.floor((now.getTime() - first.getTime()) / (LADDER_VALID_DAYS * DAY_MS)) : 0;
  const dueAt = plusDays(first, weeks * LADDER_VALID_DAYS, zone);
  return { candidate: stepCandidate(input, 1, occurrenceOf(start), dueAt, plusDays(dueAt, LADDER_VALID_DAYS, zone)), from: start.getTime() };
}

/** A ladder plan at a horizon: its candidate (a copy) when the horizon reaches its start and its due time and it has not expired. */
export function ladderWithin(plan: LadderPlan | null, now: Date, horizonMs: number): Candidate[] {
  if (!plan || plan.from > now.getTime() + horizonMs) return [];
  const c = plan.candidate;
  const due = c.dueAt.getTime() <= now.getTime() + horizonMs;
  const open = c.expiresAt === null || (c.expiresAt.getTime() > now.getTime() && c.expiresAt.getTime() > c.dueAt.getTime());
  return due && open ? [{ ...c }] : [];
}

function pendingCandidate(input: Omit<LadderInput, 'horizonMs'>, occurrence: string, row: LadderRow): Candidate {
  return stepCandidate(input, stepOf(row.ruleId), occurrence, row.dueAt, row.expiresAt);
}

function stepCandidate(input: Omit<LadderInput, 'horizonMs'>, step: number, occurrence: string, dueAt: Date, expiresAt: Date | null): Candidate {
  const { person, initiative } = input;
  const ini = initiative!;
  let payload: DeliveryPayload;
  if (step === 1) payload = step1Payload(person.children, ini, input.now);
  else if (step === 2) {
    payload = { key: STEP2_KEY, params: {}, buttons: 'outreachCall', initiativeId: ini.id };
    if (person.language && input.voiceLanguages?.has(person.language)) payload.outreachVoice = true;
  } else payload = { key: TASK_KEY, params: {}, buttons: null, initiativeId: ini.id, task: 'outreachCallback' };
  return {
    ruleId: LADDER_RULE_IDS[step - 1]!,
    personId: person.id,
    childId: null,
    occurrence,
    // Step 3 messages nobody: a task, not counted in the parent's cap (a notice row).
    kind: step === 3 ? 'notice' : 'reminder',
    priority: LADDER_PRIORITY,
    dueAt,
    expiresAt,
    urgentFrom: null,
    timeBound: false,
    payload,
  };
}

/** Step 1's question: the most pressing next step of any child not at school yet. */
export function step1For(children: readonly PlanChild[], ini: PlanInitiative, now: Date): { variant: Step1Variant; child: PlanChild | null } {
  const today = localDayOf(now, ini.timeZone);
  const nowIdx = monthIndex(today);
  const rank: Record<Step1Variant, number> = { register: 4, start: 3, visit: 2, play: 1, general: 0 };
  let best: { variant: Step1Variant; child: PlanChild | null } = { variant: 'general', child: null };
  // Oldest first: among equals the older child's step comes sooner.
  for (const c of [...children].sort((a, b) => monthIndex(a) - monthIndex(b))) {
    const age = nowIdx - monthIndex(c);
    let variant: Step1Variant;
    if (c.expected || age < 24) variant = 'play';
    else if (age >= 48) continue; // at school already (or about to be): nothing to ask about this child
    else if (c.registered || c.placement === 'yes') variant = 'start';
    else {
      const opens = registrationDeadline(c, ini.registration).opens;
      // From three months before registration opens, registering is the next step.
      variant = nowIdx >= monthIndex(opens) - 3 ? 'register' : 'visit';
    }
    if (rank[variant] > rank[best.variant]) best = { variant, child: c };
  }
  return best;
}

function step1Payload(children: readonly PlanChild[], ini: PlanInitiative, now: Date): DeliveryPayload {
  const { variant, child } = step1For(children, ini, now);
  const payload: DeliveryPayload = { key: `outreach:step1.${variant}`, params: {}, buttons: STEP1_BUTTONS[variant], initiativeId: ini.id };
  if (child && (variant === 'register' || variant === 'start')) {
    payload.childId = child.id;
    payload.params.born = { yearMonth: { year: child.year, month: child.month } };
  }
  return payload;
}
