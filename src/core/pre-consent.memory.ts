/**
 * Conversation state of people who have not (yet) agreed to the privacy notice. It lives in
 * memory only, so a refusal leaves no trace anywhere; it expires after a day and is capped,
 * so strangers cannot fill the process. A restart before consent means starting over.
 */
import type { Clock } from './clock.js';

const TTL_MS = 24 * 60 * 60 * 1000;
const MAX_ENTRIES = 10_000;

export interface PreConsentMemory {
  get(key: string): unknown;
  set(key: string, state: unknown): void;
  delete(key: string): void;
  size(): number;
}

export function createPreConsentMemory(clock: Clock): PreConsentMemory {
  const entries = new Map<string, { state: unknown; expires: number }>();
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return null;
      if (e.expires < clock.now().getTime()) {
        entries.delete(key);
        return null;
      }
      return e.state;
    },
    set(key, state) {
      if (state === null) {
        entries.delete(key);
        return;
      }
      entries.delete(key); // re-insert so Map order is least recently used first
      entries.set(key, { state, expires: clock.now().getTime() + TTL_MS });
      while (entries.size > MAX_ENTRIES) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    delete(key) {
      entries.delete(key);
    },
    size: () => entries.size,
  };
}
