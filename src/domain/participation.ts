/**
 * How much a parent takes part, from what they do (issue 12, item 1; ADR 0010). Pure.
 *
 * Signals, all already in the database except the activity days (one row per parent per day
 * on which they wrote or tapped anything, kept 13 months):
 *   - an own action: a message or button on any day, an RSVP, attendance at an event, a
 *     question to an ambassador, a call-back that reached them;
 *   - reading: a read receipt, where the channel reports one (WhatsApp Cloud; Telegram never does).
 * Joining counts as an action (a new parent is active). The levels:
 *   active  — an own action in the last ACTIVE_DAYS days;
 *   fading  — the last own action ACTIVE_DAYS–SILENT_DAYS days ago, or longer ago but the parent
 *             read one of our messages in the last ACTIVE_DAYS days (they read, and do not answer);
 *   silent  — no own action for more than SILENT_DAYS days and nothing read in ACTIVE_DAYS days.
 * The level is never shown to the parent, and never as a list to ambassadors: it feeds the
 * outreach ladder (src/domain/outreach-ladder.ts) and coordinators' figures (counts only).
 */

export const PARTICIPATION_LEVELS = ['active', 'fading', 'silent'] as const;
export type ParticipationLevel = (typeof PARTICIPATION_LEVELS)[number];

/** Six weeks: about one keep-warm interval; anyone who did something within it is active. */
export const ACTIVE_DAYS = 42;
/** Three months without any own action (and no reading lately) is silent. */
export const SILENT_DAYS = 90;

const DAY_MS = 86_400_000;

/** The UTC day number of an instant: what `activity_days` holds and the ladder's episode keys use. */
export const dayNumber = (at: Date): number => Math.floor(at.getTime() / DAY_MS);

/** The "YYYY-MM-DD" (UTC) of a day number, as the export shows it. */
export const dayOfNumber = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export interface ParticipationSignals {
  /** When the parent joined the initiative (their first consent): counts as an action. */
  joinedAt: Date;
  /** The latest own action (message, button, RSVP, attendance, question, reached by a call); null: none. */
  lastActionAt: Date | null;
  /** The latest read receipt of one of our messages; null: none, or the channel never reports it. */
  lastReadAt: Date | null;
}

/** The moment of the latest contact that came from the parent (joining included). */
export function lastContactAt(s: ParticipationSignals): Date {
  return s.lastActionAt && s.lastActionAt > s.joinedAt ? s.lastActionAt : s.joinedAt;
}

export function participationLevel(s: ParticipationSignals, now: Date): ParticipationLevel {
  const sinceContact = now.getTime() - lastContactAt(s).getTime();
  if (sinceContact <= ACTIVE_DAYS * DAY_MS) return 'active';
  if (sinceContact <= SILENT_DAYS * DAY_MS) return 'fading';
  if (s.lastReadAt && now.getTime() - s.lastReadAt.getTime() <= ACTIVE_DAYS * DAY_MS) return 'fading';
  return 'silent';
}

/**
 * When the parent becomes silent if nothing happens (the outreach ladder starts then): the later
 * of SILENT_DAYS after the last contact and ACTIVE_DAYS after the last read receipt.
 */
export function silentFrom(s: ParticipationSignals): Date {
  const byContact = lastContactAt(s).getTime() + SILENT_DAYS * DAY_MS;
  const byRead = s.lastReadAt ? s.lastReadAt.getTime() + ACTIVE_DAYS * DAY_MS : 0;
  return new Date(Math.max(byContact, byRead) + 1);
}

/**
 * The level at a past moment from a parent's history (coordinators' "participation over time"):
 * only what had happened by `at` counts. `actions` and `reads` are epoch ms in any order.
 * Null: the parent had not joined yet at that moment.
 */
export function levelAt(history: { joinedAt: Date; actions: readonly number[]; reads: readonly number[] }, at: Date): ParticipationLevel | null {
  const t = at.getTime();
  if (history.joinedAt.getTime() > t) return null;
  let lastAction = -Infinity;
  for (const a of history.actions) if (a <= t && a > lastAction) lastAction = a;
  let lastRead = -Infinity;
  for (const r of history.reads) if (r <= t && r > lastRead) lastRead = r;
  return participationLevel(
    {
      joinedAt: history.joinedAt,
      lastActionAt: Number.isFinite(lastAction) ? new Date(lastAction) : null,
      lastReadAt: Number.isFinite(lastRead) ? new Date(lastRead) : null,
    },
    at,
  );
}
