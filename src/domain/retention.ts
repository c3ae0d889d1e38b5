/**
 * How long a parent's data is kept (ADR 0006). Until the youngest child has started school:
 * 4 years plus the settling-in period (the 1st of the month the child is 4 years and
 * SETTLING_MONTHS months). An expected child that was never confirmed keeps the data until
 * UNCONFIRMED_MONTHS after its due month. "Keep in touch" (a button under the notice) keeps it
 * KEEP_DAYS from that answer. The parent is told NOTICE_DAYS ahead; the erasure waits until
 * NOTICE_DAYS after the notice really went out. A parent without children is not erased by this
 * rule (ambassadors and coordinators leave with /delete). Pure: no clock, no database.
 */
import { fromIndex, monthIndex } from './birth-month.js';
import { localAt } from './local-time.js';

export const SETTLING_MONTHS = 2;
export const UNCONFIRMED_MONTHS = 6;
export const NOTICE_DAYS = 30;
export const KEEP_DAYS = 365;
const DAY_MS = 86_400_000;

export interface RetentionChild {
  year: number;
  month: number;
  expected: boolean;
}

export type RetentionReason = 'school' | 'unconfirmed' | 'kept';

export interface RetentionDue {
  /** From this moment the data may be erased (at the earliest). */
  at: Date;
  reason: RetentionReason;
}

/** When this parent's data is no longer needed; null when no rule applies (no children). */
export function retentionDue(children: RetentionChild[], keptAt: Date | null, zone: string): RetentionDue | null {
  if (!children.length) return null;
  let best: { idx: number; reason: RetentionReason } | null = null;
  for (const c of children) {
    const idx = monthIndex(c) + (c.expected ? UNCONFIRMED_MONTHS : 48 + SETTLING_MONTHS);
    if (!best || idx > best.idx) best = { idx, reason: c.expected ? 'unconfirmed' : 'school' };
  }
  const ym = fromIndex(best!.idx);
  const at = localAt({ year: ym.year, month: ym.month, day: 1 }, '10:00', zone);
  if (keptAt && keptAt.getTime() + KEEP_DAYS * DAY_MS > at.getTime()) return { at: new Date(keptAt.getTime() + KEEP_DAYS * DAY_MS), reason: 'kept' };
  return { at, reason: best!.reason };
}

export type RetentionStep = { do: 'nothing' } | { do: 'notice' } | { do: 'wait' } | { do: 'erase' };

/**
 * What to do now for one parent. `notice` is the notice delivery of this due moment, if any:
 * its status and when it went out.
 */
export function retentionStep(due: RetentionDue, now: Date, notice: { status: string; sentAt: Date | null } | null, reachable: boolean): RetentionStep {
  const t = now.getTime();
  if (t < due.at.getTime() - NOTICE_DAYS * DAY_MS) return { do: 'nothing' };
  if (!notice) return reachable && t < due.at.getTime() ? { do: 'notice' } : t >= due.at.getTime() ? { do: 'erase' } : { do: 'nothing' };
  if (notice.status === 'sent' && notice.sentAt) {
    // Never sooner than NOTICE_DAYS after the parent could read it.
    return t >= Math.max(due.at.getTime(), notice.sentAt.getTime() + NOTICE_DAYS * DAY_MS) ? { do: 'erase' } : { do: 'wait' };
  }
  if (['planned', 'queued', 'sending'].includes(notice.status)) return { do: 'wait' };
  // The notice could not be delivered (stopped, unreachable): the promise of the consent notice still holds.
  return t >= due.at.getTime() ? { do: 'erase' } : { do: 'wait' };
}
