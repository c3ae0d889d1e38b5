/**
 * Conversation state of people who have not (yet) agreed to the privacy notice. It lives in
 * memory only, so a refusal leaves no trace anywhere; it expires after a day. A restart
 * before consent means starting over.
 *
 * Bounded per channel (the part of the key before the first ':', as in `telegram:123`), so a
 * flood of strangers on one channel cannot push out anyone on another. Within a channel the
 * chat that has been quiet longest goes first, and a chat that answered within the last 10
 * minutes is never dropped: when a channel is full of such chats, a new chat is simply not
 * remembered (it starts over at its next message) until someone goes quiet.
 */
import type { Clock } from './clock.js';

const TTL_MS = 24 * 60 * 60 * 1000;
/** A chat that answered this recently is in the middle of onboarding: never evicted. */
export const ACTIVE_MS = 10 * 60 * 1000;
export const DEFAULT_PER_CHANNEL = 10_000;

export interface PreConsentMemory {
  /** The state stored for this chat, or null (never stored, expired, or not remembered). */
  get(key: string): unknown;
  /** Stores (null: forgets) a chat's state; may decline to store a new chat when its channel is full of active chats. */
  set(key: string, state: unknown): void;
  delete(key: string): void;
  /** Entries across all channels. */
  size(): number;
}

interface Entry {
  state: unknown;
  /** Last set: the chat's last answer. */
  touched: number;
}

export function createPreConsentMemory(clock: Clock, opts: { perChannel?: number } = {}): PreConsentMemory {
  const perChannel = opts.perChannel ?? DEFAULT_PER_CHANNEL;
  /** channel → (key → entry), each Map in least-recently-touched-first order. */
  const channels = new Map<string, Map<string, Entry>>();
  const channelOf = (key: string): string => key.slice(0, Math.max(0, key.indexOf(':')));
  const partition = (key: string): Map<string, Entry> => {
    let entries = channels.get(channelOf(key));
    if (!entries) channels.set(channelOf(key), (entries = new Map()));
    return entries;
  };

  /** Makes room for one more entry; false when every entry is active. */
  function makeRoom(entries: Map<string, Entry>, now: number): boolean {
    while (entries.size >= perChannel) {
      const [oldestKey, oldest] = entries.entries().next().value ?? [];
      if (oldestKey === undefined || !oldest) return true;
      if (now - oldest.touched < ACTIVE_MS) return false;
      entries.delete(oldestKey);
    }
    return true;
  }

  return {
    get(key) {
      const entries = channels.get(channelOf(key));
      const e = entries?.get(key);
      if (!entries || !e) return null;
      if (e.touched + TTL_MS < clock.now().getTime()) {
        entries.delete(key);
        return null;
      }
      return e.state;
    },
    set(key, state) {
      if (state === null) {
        channels.get(channelOf(key))?.delete(key);
        return;
      }
      const entries = partition(key);
      const now = clock.now().getTime();
      const known = entries.delete(key); // re-insert so Map order is least recently touched first
      if (!known && !makeRoom(entries, now)) return;
      entries.set(key, { state, touched: now });
    },
    delete(key) {
      channels.get(channelOf(key))?.delete(key);
    },
    size: () => [...channels.values()].reduce((n, entries) => n + entries.size, 0),
  };
}
