/**
 * A nudge's moment and audience checked, and a relative nudge turned into the initiative's own
 * reminder rule (pure). The rule is validated with the very schema of config/reminder-rules.json
 * (src/domain/reminder-rules.ts), so the planner treats it exactly like a shipped rule: quiet hours,
 * the cap, late joiners (a candidate exists only while its window is open) and expiry.
 */
import type { AudienceFilter } from './broadcast.types.js';
import type { Candidate, DeliveryPayload } from './nurture.types.js';
import { localAt } from './local-time.js';
import { EVENT_KIND_NAMES } from './model.js';
import { parseDayString } from './nudge-schedule.js';
import { kindOfMoment, nudgeRuleId, type NudgeMoment } from './nudge.types.js';
import { reminderRulesFile, type ReminderRule } from './reminder-rules.js';

/** The message key of a nudge's rows: the delivery renderer shows the template broadcast's version. */
export const NUDGE_MESSAGE_KEY = 'broadcast:body';
/** Between the deadline reminders (8–9) and the keep-warm and newsletter (1–2), like an event invitation. */
export const NUDGE_PRIORITY = 5;

/** How far ahead events are known to the planner (src/db/planning.repo.ts loads 16 days). */
export const MAX_DAYS_BEFORE_EVENT = 14;
export const MAX_CHILD_AGE_MONTHS = 72;

/** Why a moment or audience cannot be used; each has a text in locales/<lang>/nudge.json (problem.<code>). */
export type NudgeProblem = 'time' | 'date' | 'past' | 'weekday' | 'monthDay' | 'months' | 'window' | 'days' | 'eventKind' | 'audience';

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const int = (n: unknown, min: number, max: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** The first problem of a moment, or null. With `now`, a once moment must lie ahead (in the initiative's zone). */
export function momentProblem(m: NudgeMoment, now?: { now: Date; zone: string }): NudgeProblem | null {
  if (typeof m.at !== 'string' || !TIME.test(m.at)) return 'time';
  switch (m.type) {
    case 'once': {
      const day = parseDayString(m.date);
      if (!day) return 'date';
      return now && localAt(day, m.at, now.zone) <= now.now ? 'past' : null;
    }
    case 'weekly':
      return int(m.weekday, 1, 7) ? null : 'weekday';
    case 'monthly':
      return int(m.day, 1, 31) ? null : 'monthDay';
    case 'childAge':
      if (!int(m.months, 0, MAX_CHILD_AGE_MONTHS)) return 'months';
      return int(m.windowMonths, 1, 12) ? null : 'window';
    case 'event':
      if (m.eventKind !== null && !(EVENT_KIND_NAMES as readonly string[]).includes(m.eventKind)) return 'eventKind';
      if (!int(m.daysBefore, 0, MAX_DAYS_BEFORE_EVENT)) return 'days';
      return int(m.windowDays, 1, MAX_DAYS_BEFORE_EVENT + 1) ? null : 'window';
  }
}

/**
 * Relative nudges are planned per parent by the timeline, which knows the parent's children,
 * not their language or answers: their audience is all parents of the initiative, or (when a
 * child turns N months) only children registered or not yet registered.
 */
export function audienceProblem(m: Pick<NudgeMoment, 'type'>, a: AudienceFilter): NudgeProblem | null {
  if (kindOfMoment(m) !== 'relative') return null;
  const keys = Object.keys(a).filter((k) => a[k as keyof AudienceFilter] !== undefined);
  if (keys.length === 0) return null;
  return m.type === 'childAge' && keys.length === 1 && keys[0] === 'registered' ? null : 'audience';
}

/** The reminder rule of a relative nudge (null for once and recurring nudges), validated with the rules file's schema. */
export function nudgeRule(nudgeId: number, m: NudgeMoment, a: AudienceFilter): ReminderRule | null {
  if (m.type !== 'childAge' && m.type !== 'event') return null;
  const trigger =
    m.type === 'childAge'
      ? { type: 'childAge', months: m.months, untilMonths: m.months + m.windowMonths, at: m.at }
      : {
          type: 'event',
          offsetDays: 0 - m.daysBefore || 0,
          // The window ends windowDays after the due day, at the latest when the event day is over (and never after the start).
          untilOffsetDays: Math.min(1, -m.daysBefore + m.windowDays),
          at: m.at,
          ...(m.eventKind ? { kinds: [m.eventKind] } : {}),
        };
  const audience = m.type === 'childAge' ? { member: true, expected: false, ...(a.registered !== undefined ? { registered: a.registered } : {}) } : { member: true };
  const raw = { id: nudgeRuleId(nudgeId), trigger, audience, consent: 'reminders', message: NUDGE_MESSAGE_KEY, priority: NUDGE_PRIORITY, buttons: null };
  const parsed = reminderRulesFile.safeParse({ version: 1, rules: [raw] });
  if (!parsed.success) throw new RangeError(`nudge ${nudgeId}: not a valid reminder rule: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.rules[0] ?? null;
}

/** Which nudge (and its template broadcast) a rule `n<id>` of an initiative belongs to. */
export interface NudgeRuleRef {
  nudgeId: number;
  broadcastId: number;
}

/**
 * A candidate of a nudge's rule, as a delivery row: the message is the template broadcast's
 * version in the reader's language (read at send time); the children stay (twins share one message).
 */
export function asNudgeCandidate(c: Candidate, ref: NudgeRuleRef | undefined): Candidate {
  if (!ref) return c;
  const p = c.payload;
  const payload: DeliveryPayload = { key: NUDGE_MESSAGE_KEY, params: {}, buttons: null, broadcastId: ref.broadcastId, nudgeId: ref.nudgeId };
  if (p.childId !== undefined) payload.childId = p.childId;
  if (p.children) payload.children = p.children;
  if (p.eventId !== undefined) payload.eventId = p.eventId;
  return { ...c, payload };
}
