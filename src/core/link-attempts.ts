/**
 * How many wrong link codes may be tried, and the port that counts them. The counts live in
 * the database (src/db/link-attempts.repo.ts), so every bot process and a restart see the
 * same numbers. Three limits, each over the last hour:
 *   - per channel (a global budget): once spent, every redeem on that channel is asked to
 *     wait, without the code being checked, so inventing chat ids does not buy more guesses;
 *   - per person: a chat that belongs to a consented person counts against that person,
 *     across all their chats;
 *   - per chat.
 *
 * Why a code of 12 base-32 symbols (src/domain/link-code.ts) is long enough:
 *   guesses per day, at most  G = 300 per channel per hour × 24 h × 3 channels = 21,600
 *   live codes at once, at most L = 1,000,000 (one per person; 10× the 100,000 parents the
 *                                   benchmarks plan for)
 *   code space                  S = 32^12 = 2^60 ≈ 1.15 × 10^18
 *   chance that any guess of a whole day hits any live code ≤ G × L / S ≈ 1.9 × 10^-8,
 *   below 10^-6 with a margin of 50. (10 symbols would give 1.9 × 10^-5; 6 digits,
 *   the old code, gave certainty.) test/core/link-attempts.test.ts recomputes it from the
 *   constants, so raising a budget or adding a channel cannot quietly break the bound.
 */
import type { ChannelName } from './messages.js';

export const LINK_WINDOW_MS = 60 * 60 * 1000;
export const LINK_MISSES = {
  /** Wrong codes per channel per hour, all chats together. */
  channel: 300,
  /** Wrong codes per consented person per hour, all their chats together. */
  person: 5,
  /** Wrong codes per chat per hour. */
  chat: 5,
} as const;

/** Which limit is reached: 'channel' asks everyone on it to wait, the others one chat or person. */
export type LinkRefusal = keyof typeof LINK_MISSES;

/** Who tries a code: the chat, and the person it belongs to (null before consent). */
export interface LinkAttempter {
  channel: ChannelName;
  chatId: string;
  personId: number | null;
}

/** Wrong-code counts shared by every process (stored without chat ids or names). */
export interface LinkAttempts {
  /** The first limit this chat is over right now ('channel' first), or null when it may try a code. */
  refusal(who: LinkAttempter, now: Date): LinkRefusal | null;
  /** Counts one wrong code against the channel, the chat and (if any) the person; forgets counts older than the window. */
  miss(who: LinkAttempter, now: Date): void;
}
