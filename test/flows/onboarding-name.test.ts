/**
 * The name step through the real engine: invisible and bidi-control characters never reach
 * the database or a reply, a name without letters is asked again in the parent's language,
 * and in a right-to-left language the name is wrapped in isolates.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness('2026-11-22T10:00:00Z');
});
afterEach(() => h.close());

async function atNameStep(chatId: string, lang: string) {
  await h.say(chatId, '/start');
  await h.say(chatId, pick(`lang:${lang}`));
  const asked = await h.say(chatId, pick('consent:yes'));
  expect(buttons(asked).map((b) => b.value)).toContain('name:skip');
}

describe('the name step', () => {
  it('asks again, kindly, for a name of zero-width characters or emoji only', async () => {
    await atNameStep('p1', 'nl');
    const zeroWidth = await h.say('p1', '\u200B\u200C\u200D\u2060');
    expect(plain(zeroWidth)).toContain('Ik zie geen letters in die naam');
    expect(buttons(zeroWidth).map((b) => b.value)).toContain('name:skip'); // still at the name step
    expect(plain(await h.say('p1', '🌸🌸🌸'))).toContain('Ik zie geen letters in die naam');
    expect(h.db.select().from(people).all()[0]?.displayName).toBeNull();
    expect(plain(await h.say('p1', 'Sanne'))).toContain('Leuk je te ontmoeten, Sanne!');
  });

  it('removes a right-to-left override before storing and showing the name', async () => {
    await atNameStep('p1', 'nl');
    const out = await h.say('p1', '\u202Eemma\u202C  de\u200B Vries');
    expect(plain(out)).toContain('Leuk je te ontmoeten, emma de Vries!');
    expect(plain(out)).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
    expect(h.db.select().from(people).all()[0]?.displayName).toBe('emma de Vries');
  });

  it('answers in Arabic, and wraps an Arabic name in isolates', async () => {
    await atNameStep('p1', 'ar');
    expect(plain(await h.say('p1', '😀'))).toContain('لا أرى أي حروف');
    const out = await h.say('p1', '\u200Fمحمد\u202E');
    expect(plain(out)).toContain('\u2068محمد\u2069');
    expect(h.db.select().from(people).all()[0]?.displayName).toBe('محمد');
  });

  it('accepts Tigrinya and Ukrainian names as they are (NFC)', async () => {
    await atNameStep('p1', 'ti');
    await h.say('p1', 'ሰላም');
    await atNameStep('p2', 'uk');
    await h.say('p2', 'Олексі\u0438\u0306'); // и + combining breve → й
    expect(h.db.select().from(people).all().map((p) => p.displayName)).toEqual(['ሰላም', 'Олексій']);
  });
});
