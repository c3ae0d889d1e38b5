/**
 * Parents who chat while something else happens (planning, a broadcast): each sends /menu,
 * waits for the answer, thinks, and again. The latency is from the update being queued at the
 * fake Bot API to the first bot message to that chat after it, both stamped by the fake in this
 * process. An answer that does not come within ANSWER_TIMEOUT_MS counts as that long and as
 * unanswered: never silently dropped. Moved from scripts/bench-broadcast-delivery.ts.
 */
import type Database from 'better-sqlite3';
import type { FakeBotApi } from '../../test/support/fake-bot-api.js';
import { sleep } from './format.js';

export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Onboarded parents without children (no reminder of their own falls due during a run), one
 * Telegram chat each, chat ids from `firstChatId`; in one transaction.
 */
export function seedChatParents(sqlite: Database.Database, initiativeId: number, firstChatId: number, count: number, lang: (i: number) => string): void {
  const at = Date.parse('2026-11-01T10:00:00Z');
  const person = sqlite.prepare('insert into people (language, proactive, reminders, newsletter, heard_from, created_at) values (?, 1, 1, 0, ?, ?)');
  const identity = sqlite.prepare("insert into identities (person_id, channel, chat_id, last_inbound_at, created_at) values (?, 'telegram', ?, ?, ?)");
  const membership = sqlite.prepare("insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, 'parent', ?)");
  const consent = sqlite.prepare("insert into consent_log (person_id, kind, given, version, at) values (?, 'data', 1, '2026-12', ?)");
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = Number(person.run(lang(i), 'flyer', at).lastInsertRowid);
      identity.run(id, String(firstChatId + i), at, at);
      membership.run(id, initiativeId, at);
      consent.run(id, at);
    }
  })();
}

export interface Chatters {
  /** Latencies are recorded only while measuring. */
  measure(on: boolean): void;
  readonly latencies: number[];
  /** Answers that did not come within ANSWER_TIMEOUT_MS while measuring. */
  unanswered(): number;
  /** Answers received (also outside the measuring window). */
  replies(): number;
  stop(): Promise<void>;
}

export function startChatters(api: FakeBotApi, chatIds: number[], thinkMs: number): Chatters {
  let chatting = true;
  let measuring = false;
  let replies = 0;
  let unanswered = 0;
  const latencies: number[] = [];
  const chats = new Set(chatIds);
  const waiting = new Map<number, { since: number; done: () => void }>();
  const unsubscribe = api.onSent((chatId, _message, at) => {
    if (!chats.has(chatId)) return;
    const w = waiting.get(chatId);
    if (!w) return;
    replies++;
    if (measuring) latencies.push(at - w.since);
    waiting.delete(chatId);
    w.done();
  });
  const chatter = async (chatId: number): Promise<void> => {
    // Parents do not all press at the same moment: each starts somewhere within one think time.
    await sleep(thinkMs * Math.random());
    while (chatting) {
      await new Promise<void>((resolve) => {
        const since = performance.now();
        waiting.set(chatId, { since, done: resolve });
        api.sendCommand(chatId, 'menu');
        setTimeout(() => {
          if (waiting.get(chatId)?.since !== since) return;
          waiting.delete(chatId);
          if (measuring) {
            latencies.push(ANSWER_TIMEOUT_MS);
            unanswered++;
          }
          resolve();
        }, ANSWER_TIMEOUT_MS).unref();
      });
      if (chatting) await sleep(thinkMs * (0.5 + Math.random()));
    }
  };
  const running = chatIds.map((id) => chatter(id));
  return {
    measure: (on) => {
      measuring = on;
    },
    latencies,
    unanswered: () => unanswered,
    replies: () => replies,
    async stop() {
      chatting = false;
      measuring = false;
      await Promise.all(running);
      unsubscribe();
    },
  };
}
