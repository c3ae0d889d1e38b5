/**
 * Pre-consent memory is bounded per channel: a flood on one channel cannot push out a chat
 * on another, and within a channel a chat that answered in the last 10 minutes is never
 * dropped (a new chat is then not remembered instead).
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';
import { ACTIVE_MS, createPreConsentMemory } from '../../src/core/pre-consent.memory.js';

const MINUTE = 60 * 1000;

describe('pre-consent memory', () => {
  it('10,050 local /start chats do not evict a Telegram chat', () => {
    const clock = fixedClock('2026-11-22T10:00:00Z');
    const memory = createPreConsentMemory(clock);
    memory.set('telegram:42', { step: 'consent' });
    clock.advance(30 * MINUTE); // the Telegram parent is reading the privacy notice: idle
    for (let i = 0; i < 10_050; i++) memory.set(`local:flood-${i}`, { step: 'language' });
    expect(memory.get('telegram:42')).toEqual({ step: 'consent' });
    expect(memory.size()).toBe(10_001); // the local channel stays at its own bound
  });

  it('active chats survive a flood on their own channel; new chats are not remembered while all are active', () => {
    const clock = fixedClock('2026-11-22T10:00:00Z');
    const memory = createPreConsentMemory(clock, { perChannel: 100 });
    for (let i = 0; i < 100; i++) memory.set(`telegram:parent-${i}`, { i });
    clock.advance(5 * MINUTE);
    for (let i = 0; i < 500; i++) memory.set(`telegram:flood-${i}`, { flood: i });
    for (let i = 0; i < 100; i++) expect(memory.get(`telegram:parent-${i}`)).toEqual({ i });
    expect(memory.get('telegram:flood-0')).toBeNull(); // starts over at its next message
    memory.set('telegram:parent-7', { i: 'answered' }); // a known chat always gets its update
    expect(memory.get('telegram:parent-7')).toEqual({ i: 'answered' });
  });

  it('evicts the chat idle longest first, never one that answered within 10 minutes', () => {
    const clock = fixedClock('2026-11-22T10:00:00Z');
    const memory = createPreConsentMemory(clock, { perChannel: 3 });
    memory.set('whatsapp:a', 'a');
    clock.advance(MINUTE);
    memory.set('whatsapp:b', 'b');
    clock.advance(MINUTE);
    memory.set('whatsapp:c', 'c');
    clock.advance(ACTIVE_MS - 2 * MINUTE); // a has been quiet 10 minutes, b 9 and c 8: still active
    memory.set('whatsapp:a', 'a2'); // a answers: now the most recent
    memory.set('whatsapp:d', 'd'); // full of active chats: d is not remembered
    expect(memory.get('whatsapp:d')).toBeNull();
    clock.advance(2 * MINUTE); // b is now idle for more than 10 minutes
    memory.set('whatsapp:e', 'e');
    expect(memory.get('whatsapp:b')).toBeNull();
    expect(['a', 'c', 'e'].map((k) => memory.get(`whatsapp:${k}`))).toEqual(['a2', 'c', 'e']);
  });

  it('forgets a state set to null or deleted, and a state older than a day', () => {
    const clock = fixedClock('2026-11-22T10:00:00Z');
    const memory = createPreConsentMemory(clock);
    memory.set('telegram:1', 'x');
    memory.set('telegram:1', null);
    expect(memory.get('telegram:1')).toBeNull();
    memory.set('telegram:2', 'y');
    memory.delete('telegram:2');
    expect(memory.size()).toBe(0);
    memory.set('telegram:3', 'z');
    clock.advance(24 * 60 * MINUTE + 1);
    expect(memory.get('telegram:3')).toBeNull();
  });
});
