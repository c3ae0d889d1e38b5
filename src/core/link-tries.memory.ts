/**
 * Wrong link codes per chat, in memory only: after 5 within an hour the chat is asked to
 * wait. With a million possible codes that live 10 minutes, that makes guessing hopeless.
 * A restart forgets the counts, which is acceptable for the same reason. Capped, so
 * strangers cannot fill the process.
 */
import type { Clock } from './clock.js';

export const LINK_TRIES_PER_HOUR = 5;
const WINDOW_MS = 60 * 60 * 1000;
const MAX_CHATS = 10_000;

export interface LinkTries {
  /** True when this chat may not try another code yet. */
  blocked(key: string): boolean;
  /** Records one wrong code from this chat. */
  miss(key: string): void;
}

export function createLinkTries(clock: Clock): LinkTries {
  const misses = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = clock.now().getTime() - WINDOW_MS;
    const list = (misses.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) misses.delete(key);
    return list;
  };
  return {
    blocked: (key) => recent(key).length >= LINK_TRIES_PER_HOUR,
    miss(key) {
      const list = recent(key);
      list.push(clock.now().getTime());
      misses.delete(key); // re-insert so Map order is least recently used first
      misses.set(key, list);
      while (misses.size > MAX_CHATS) {
        const oldest = misses.keys().next().value;
        if (oldest === undefined) break;
        misses.delete(oldest);
      }
    },
  };
}
