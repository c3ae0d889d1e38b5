/**
 * What a channel may send, as token buckets (ADR 0005). Each channel module declares its
 * limits; the outbound scheduler turns them into the buckets one message takes from.
 */
import { createHash } from 'node:crypto';
import type { ChannelName } from '../messages.js';
import type { Bucket, Priority } from './send-budget.js';

export interface Rate {
  capacity: number;
  perSecond: number;
}

export interface ChannelLimits {
  /** The bot's overall budget: every message counts towards it (the conservative reading). */
  bot: Rate;
  /**
   * Replies' own budget, outside `bot`: for a deployment that sees no 429 on replies (Telegram's
   * FAQ may mean replies are not held to the bulk limit). Absent: replies count towards `bot`.
   */
  replies?: Rate;
  /** One private chat (Telegram: about 1/s with short bursts). */
  chat: Rate;
  /** One group chat, where the channel has groups (Telegram: 20 a minute). */
  group?: Rate;
  isGroup?: (chatId: string) => boolean;
  /** Sends in flight at once (different chats; one chat is always one at a time). */
  maxInFlight: number;
}

/** A short, stable, non-reversible-at-a-glance key for a chat: the budget table holds no chat ids. */
export const chatKey = (chatId: string): string => createHash('sha256').update(chatId).digest('base64url').slice(0, 16);

export function bucketsFor(channel: ChannelName, limits: ChannelLimits, chatId: string, priority: Priority): Bucket[] {
  const group = limits.group && limits.isGroup?.(chatId);
  const perChat: Bucket = { key: `${channel}:chat:${chatKey(chatId)}`, ...(group && limits.group ? limits.group : limits.chat) };
  if (priority === 'reply' && limits.replies) return [{ key: `${channel}:replies`, ...limits.replies, shared: true }, perChat];
  return [{ key: `${channel}:all`, ...limits.bot, shared: true }, perChat];
}

/** No limit worth the name (the local web chat): still one message at a time per chat. */
export const UNLIMITED: ChannelLimits = { bot: { capacity: 1000, perSecond: 1000 }, chat: { capacity: 1000, perSecond: 1000 }, maxInFlight: 64 };
