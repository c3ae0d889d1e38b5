/**
 * When a due message may actually go out: never in the quiet hours (default 20:00–08:30
 * local, or the parent's own window), and at most `cap.max` proactive messages per parent
 * per `cap.windowMs` (default 3 per 7 days). Deferred messages keep their order: a message
 * is never planned before the person's last planned one. A deadline reminder within 48 h of
 * its deadline (`urgentFrom`) may break the cap, never the quiet hours. Applied by the
 * planner, and again by the worker just before sending.
 */
import { addDays, localAt, localDayOf, localMinutes, minutesOf } from './local-time.js';
import type { QuietHours } from './nurture.types.js';

export interface SendPolicy {
  quiet: QuietHours;
  cap: { max: number; windowMs: number };
}

export const DEFAULT_POLICY: SendPolicy = {
  quiet: { start: '20:00', end: '08:30' },
  cap: { max: 3, windowMs: 7 * 86_400_000 },
};

/** True when `t` falls inside the quiet window in `zone`. */
export function isQuiet(t: Date, quiet: QuietHours, zone: string): boolean {
  const m = localMinutes(t, zone);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/** The first moment at or after `t` outside the quiet window (DST-correct: "08:30" is local). */
export function afterQuiet(t: Date, quiet: QuietHours, zone: string): Date {
  if (!isQuiet(t, quiet, zone)) return t;
  // The local day of t, or the next one, at the end of the quiet hours (local-time.ts remembers both: a pass asks the same few).
  const today = localDayOf(t, zone);
  const day = localMinutes(t, zone) < minutesOf(quiet.end) ? today : addDays(today, 1);
  return localAt(day, quiet.end, zone);
}

export interface PlanSendInput {
  dueAt: Date;
  now: Date;
  expiresAt: Date | null;
  urgentFrom: Date | null;
  /** Whether this message counts toward (and is limited by) the cap; notices do not. */
  capped: boolean;
  /** Send times of the person's capped messages, sent or planned (any order). */
  history: Date[];
  /** The person's last planned send time: later messages keep their order behind it. */
  notBefore: Date | null;
  policy: SendPolicy;
  zone: string;
}

export type PlanSendResult = { sendAt: Date } | { expired: true };

/**
 * Whether one more message at `t` keeps every window of the cap's length that contains `t`
 * within the cap (messages already planned after `t` count as well as those before it).
 */
export function fitsCap(t: number, sortedHistory: number[], cap: { max: number; windowMs: number }): boolean {
  const w = cap.windowMs;
  const starts = [t - w];
  for (const h of sortedHistory) if (h > t && h < t + w) starts.push(h - w);
  for (const s of starts) {
    let n = 0;
    for (const h of sortedHistory) if (h > s && h <= s + w) n++;
    if (n + 1 > cap.max) return false;
  }
  return true;
}

export function planSendTime(input: PlanSendInput): PlanSendResult {
  const { policy, zone } = input;
  const urgent = (t: Date) => input.urgentFrom !== null && t >= input.urgentFrom;
  let t = new Date(Math.max(input.dueAt.getTime(), input.now.getTime()));
  if (input.notBefore && !urgent(t) && input.notBefore >= t) t = new Date(input.notBefore.getTime() + 1000);
  const history = input.history.map((d) => d.getTime()).sort((a, b) => a - b);
  for (let guard = 0; guard < 50; guard++) {
    t = afterQuiet(t, policy.quiet, zone);
    if (input.expiresAt && t >= input.expiresAt) return { expired: true };
    if (!input.capped || urgent(t)) return { sendAt: t };
    if (fitsCap(t.getTime(), history, policy.cap)) return { sendAt: t };
    // Wait until a message of a window around t has aged out (planned ones after t count too).
    const w = policy.cap.windowMs;
    let capFree = Infinity;
    for (const h of history) if (h > t.getTime() - w && h < t.getTime() + w && h + w + 1000 > t.getTime()) capFree = Math.min(capFree, h + w + 1000);
    if (!Number.isFinite(capFree)) return { sendAt: t };
    // A deadline reminder waits for the cap only until it becomes urgent.
    t = new Date(input.urgentFrom && input.urgentFrom.getTime() < capFree ? input.urgentFrom.getTime() : capFree);
  }
  return { expired: true };
}
