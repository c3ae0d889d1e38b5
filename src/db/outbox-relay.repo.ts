/**
 * How a process without the bot role reaches a channel that lives in the bot's process (the local
 * web chat, whatsapp-web.js; `processBound` in src/bot/channel-module.ts): the message becomes an
 * outbox row with no owner, which the bot's outbound scheduler for that channel takes over at its
 * next look (at start and every 10 s, ADR 0005) and sends like a reply. The planner role uses it for
 * a broadcast's progress and summary to an author on such a channel. It cannot edit, so the author
 * gets a message at the start and one at the end, as on WhatsApp.
 */
import type { Clock } from '../core/clock.js';
import type { SendOutcome } from '../core/errors.js';
import type { ChannelName } from '../core/messages.js';
import type { ChannelAdapter } from '../core/ports.js';
import type { Db } from './client.js';

export function createOutboxRelay(db: Db, clock: Clock, channel: ChannelName): ChannelAdapter {
  const identity = db.$client.prepare<[string, string], { id: number; person_id: number }>('select id, person_id from identities where channel = ? and chat_id = ?');
  const insert = db.$client.prepare<[number | null, number | null, string, string, string, number]>(
    `insert into outbox (person_id, identity_id, channel, chat_id, message, status, attempts, parts_sent, owner, lease_until, created_at)
     values (?, ?, ?, ?, ?, 'pending', 0, 0, null, null, ?)`,
  );
  return {
    name: channel,
    send(chatId, message): Promise<SendOutcome> {
      try {
        const who = identity.get(channel, chatId);
        insert.run(who?.person_id ?? null, who?.id ?? null, channel, chatId, JSON.stringify(message), clock.now().getTime());
        // Handed over: the bot's scheduler delivers it (and retries) like any reply.
        return Promise.resolve({ status: 'sent' });
      } catch (err) {
        return Promise.resolve({ status: 'retry', reason: `outbox relay: ${err instanceof Error ? err.message : String(err)}` });
      }
    },
  };
}
