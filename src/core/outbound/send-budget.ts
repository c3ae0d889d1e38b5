/**
 * The SendBudget port: token buckets that every process sending on a channel shares, so a
 * second bot process cannot believe it has the whole budget to itself (ADR 0005). The
 * implementation lives in src/db/send-budget.repo.ts (a row per bucket in SQLite).
 *
 * A bucket holds up to `capacity` tokens and gains `perSecond` tokens a second; each message
 * takes one token from every bucket it counts towards (the bot's, the chat's). Replies have
 * priority: a reply that finds the bot's bucket empty marks "replies waiting", and proactive
 * messages then take nothing from that bucket until the mark has passed, in any process.
 */

export interface Bucket {
  /** A stable key without personal data: "telegram:all", "telegram:chat:<hash>". */
  key: string;
  capacity: number;
  perSecond: number;
  /** The bucket that reply priority applies to (the bot's overall budget). */
  shared?: boolean;
}

export type Priority = 'reply' | 'proactive';

export type TakeResult =
  | { ok: true }
  /** `blockedBy` names the bucket kind that said no; `waitMs` is when it will say yes. */
  | { ok: false; waitMs: number; blockedBy: 'chat' | 'bot' | 'replies' };

export interface SendBudget {
  /** Takes one token from each bucket, or none at all. */
  take(buckets: Bucket[], priority: Priority, nowMs: number): TakeResult;
  /** The messenger said "slow down" (429): the bucket gives nothing until `untilMs`. */
  pause(bucket: Bucket, untilMs: number, nowMs: number): void;
  /** Forgets this channel's per-chat buckets that are full again (nothing to remember). */
  sweep(channel: string, nowMs: number): number;
}

/** Milliseconds a reply that found no token keeps proactive messages out of the bot's bucket. */
export const REPLY_WANTED_MS = 60;
