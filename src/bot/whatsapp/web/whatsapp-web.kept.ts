/**
 * Replies that could not go out because WhatsApp Web was disconnected. The send returns
 * 'retry' (the caller may try again) and the reply is kept here, in memory only; after the
 * next `ready` the channel sends what is kept, in order. A caller's later retry of the same
 * message finds it here (by chat, part and content) instead of sending it twice: still
 * waiting → 'retry' again, being sent → that outcome, already sent → 'sent'.
 *
 * Proactive messages (reminders) are not kept: their delivery queue retries them and
 * re-checks /stop, quiet hours and the cap first, which a blind resend here would skip.
 */
import { createHash } from 'node:crypto';
import type { SendOutcome } from '../../../core/errors.js';
import type { OutboundMessage } from '../../../core/messages.js';

export interface KeptReply {
  key: string;
  chatId: string;
  message: OutboundMessage;
  fromPart: number;
  keptAt: number;
  status: 'pending' | 'sending' | 'sent';
  /** While 'sending': resolves with the outcome. */
  done?: Promise<SendOutcome>;
  externalId?: string;
}

export interface KeptReplies {
  keyFor(chatId: string, message: OutboundMessage, fromPart: number): string;
  get(key: string): KeptReply | undefined;
  keep(key: string, chatId: string, message: OutboundMessage, fromPart: number): void;
  delete(key: string): void;
  /** Entries still waiting, oldest first; expired ones are dropped (and counted in the result). */
  waiting(): { entries: KeptReply[]; expired: number };
  size(): number;
}

export function createKeptReplies(options: { now: () => number; ttlMs: number; max: number }): KeptReplies {
  const entries = new Map<string, KeptReply>();
  // A caller that gave up long ago will not ask again: forget sent records after a while.
  const forgetSentAfterMs = Math.max(options.ttlMs, 3600_000);

  function purge(): number {
    let expired = 0;
    const now = options.now();
    for (const [key, e] of entries) {
      const age = now - e.keptAt;
      if (e.status === 'pending' && age > options.ttlMs) {
        entries.delete(key);
        expired++;
      } else if (e.status === 'sent' && age > forgetSentAfterMs) entries.delete(key);
    }
    return expired;
  }

  return {
    keyFor(chatId, message, fromPart) {
      const content = [chatId, fromPart, message.text, message.choices ?? [], message.attachment?.filename ?? '', message.attachment?.content.length ?? 0, message.media?.mediaId ?? 0];
      return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
    },
    get: (key) => entries.get(key),
    keep(key, chatId, message, fromPart) {
      purge();
      entries.set(key, { key, chatId, message, fromPart, keptAt: options.now(), status: 'pending' });
      while (entries.size > options.max) entries.delete(entries.keys().next().value as string);
    },
    delete(key) {
      entries.delete(key);
    },
    waiting() {
      const expired = purge();
      return { entries: [...entries.values()].filter((e) => e.status === 'pending'), expired };
    },
    size: () => entries.size,
  };
}
