/**
 * A file over our limit, sent where a flow takes one (a broadcast version), is refused kindly in
 * the person's language with the limit, and the step stays; the same file elsewhere is still
 * "I can only read text". (Uses the broadcast flow's in-memory world, broadcast-fake.ts.)
 */
import { beforeEach, expect, it } from 'vitest';
import { addPerson, A, Chat, createWorld, type World } from './broadcast-fake.js';

let w: World;
const AMB = 10;

beforeEach(() => {
  w = createWorld('2027-03-01T09:00:00Z');
  addPerson(w, AMB, [{ initiativeId: A, role: 'ambassador' }]);
});

it('a voice note over 16 MB is refused with the limit; the flow stays at its step and records nothing', () => {
  const chat = new Chat(w, AMB);
  chat.send('/broadcast');
  chat.send('bc:a:done');
  expect(chat.step).toBe('version');
  const t = chat.send({ kind: 'media', media: { type: 'voice', ref: 'v-big', bytes: 17 * 1024 * 1024 } });
  expect(t.text).toContain('Dit bestand is te groot. Stuur een bestand van hoogstens 16 MB.');
  expect(t.commands).toEqual([]);
  expect(t.effects).toEqual([]);
  expect(chat.step).toBe('version');
  // Within the limit it is taken.
  const ok = chat.send({ kind: 'media', media: { type: 'document', ref: 'pdf', mimeType: 'application/pdf', bytes: 2_000_000 } });
  expect(ok.text).not.toContain('te groot');
});

it('outside a flow that takes files, a large file is just something the bot cannot read', () => {
  const t = new Chat(w, AMB).send({ kind: 'media', media: { type: 'photo', ref: 'p', bytes: 50 * 1024 * 1024 } });
  expect(t.text).not.toContain('te groot');
  expect(t.effects).toEqual([]);
});
