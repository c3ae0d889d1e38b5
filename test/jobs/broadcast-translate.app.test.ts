/**
 * Machine translation in the bot as `npm start` builds it: with LIBRETRANSLATE_URL set, a
 * committed requestDrafts stores machine drafts and the author's notice reaches their Telegram
 * chat through the queue; without it, nothing listens and the translation server is never asked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroadcast, getBroadcast, setVersion } from '../../src/db/broadcasts.repo.js';
import { createInitiative, grantRole } from '../../src/db/initiatives.repo.js';
import { identities, people } from '../../src/db/schema.js';
import { fixedClock } from '../support/clock.js';
import { startAppHarness, type AppHarness } from '../support/app-harness.js';
import { startFakeLibreTranslate, type FakeLibreTranslate } from '../support/fake-libretranslate.js';

const NL = 'Zaterdag is er een open ochtend op school. Iedereen is welkom.';
const clock = fixedClock('2027-03-02T09:00:00Z'); // 10:00 in Amsterdam
let fake: FakeLibreTranslate;
let h: AppHarness | undefined;

beforeEach(async () => {
  clock.set('2027-03-02T09:00:00Z');
  fake = await startFakeLibreTranslate({ apiKeys: ['key-1'] });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await fake.close();
});

function authorWithDraft(app: AppHarness['app'], chat: number): { author: number; broadcastId: number } {
  const ini = createInitiative(app.db, { name: 'Samen naar De Linde', school: 'De Linde', municipality: 'Amsterdam', phase: 2, postcodes: ['1091'], code: 'linde' }, 'test');
  const author = app.db.insert(people).values({ language: 'nl' }).returning().get().id;
  app.db.insert(identities).values({ personId: author, channel: 'telegram', chatId: String(chat) }).run();
  grantRole(app.db, author, ini.id, 'coordinator', 'test');
  const broadcastId = createBroadcast(app.db, { initiativeId: ini.id, authorId: author, audience: {}, sendAt: null });
  setVersion(app.db, broadcastId, 'nl', { text: NL });
  return { author, broadcastId };
}

const requestDrafts = (broadcastId: number, languages: string[]) => ({ type: 'broadcast' as const, command: { op: 'requestDrafts' as const, broadcastId, languages } });

describe('machine translation in the whole bot', () => {
  it('with LIBRETRANSLATE_URL: drafts are stored unapproved and the author is told on Telegram', async () => {
    h = await startAppHarness({ LIBRETRANSLATE_URL: fake.url, LIBRETRANSLATE_API_KEY: 'key-1' }, { clock });
    expect(h.app.machineDrafts).toBeDefined();
    const chat = 7301;
    h.api.meet(chat);
    const { author, broadcastId } = authorWithDraft(h.app, chat);
    await h.app.afterCommit.emit({ effects: [requestDrafts(broadcastId, ['tr', 'ti'])], personId: author, channel: 'telegram', now: clock.now() });
    expect(getBroadcast(h.app.db, broadcastId)!.versions.map((v) => [v.lang, v.machine, v.approved])).toEqual([
      ['nl', false, true],
      ['tr', true, false],
    ]);
    const [notice] = await h.api.waitForSent(chat, 1);
    expect(notice?.plain).toBe(
      `Er staan computervertalingen klaar van je bericht ${broadcastId}, in: Türkçe. Een computer maakt soms fouten. We sturen een vertaling pas als jij hem goedkeurt of verbetert. Naar ትግርኛ kan de computer niet vertalen. Schrijf die tekst zelf, of neem een spraakbericht op.`,
    );
    expect(fake.calls('/translate')).toBe(1);
    expect(h.logs.join('\n')).not.toContain('open ochtend');
  });

  it('without it (the default): no drafts service, nothing listens, the server is never asked', async () => {
    h = await startAppHarness({}, { clock });
    expect(h.app.machineDrafts).toBeUndefined();
    const { author, broadcastId } = authorWithDraft(h.app, 7302);
    await h.app.afterCommit.emit({ effects: [requestDrafts(broadcastId, ['tr'])], personId: author, channel: 'telegram', now: clock.now() });
    expect(getBroadcast(h.app.db, broadcastId)!.versions.map((v) => v.lang)).toEqual(['nl']);
    expect(fake.requests).toEqual([]);
  });
});
