/**
 * A voice note recorded on Telegram reaches a parent on WhatsApp (Cloud API) and one on
 * whatsapp-web.js, through the real pieces: telegraf polling the fake Bot API maps the voice
 * note, the turn records it (recordInboundMedia), the fetcher downloads it (getFile + the file
 * URL) into the media store, and each WhatsApp channel sends the same bytes: the Cloud API
 * uploads once and sends an audio message by the media id (checked by the fake Graph API), the
 * second parent gets the cached id; whatsapp-web.js sends it as a voice note. And back: a voice
 * note sent on WhatsApp (M4A from an iPhone) reaches Telegram as audio.
 * (The broadcast flow that records the voice note is tested in telegram-broadcast-chat.test.ts.)
 */
import { afterEach, expect, it } from 'vitest';
import { createTelegramChannel } from '../../src/bot/telegram/telegram.adapter.js';
import { createWhatsAppCloudChannel } from '../../src/bot/whatsapp/cloud/cloud.adapter.js';
import { loadTemplates } from '../../src/bot/whatsapp/cloud/cloud.templates.js';
import { createWhatsAppWebChannel } from '../../src/bot/whatsapp/web/whatsapp-web.adapter.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import type { InboundMessage } from '../../src/core/messages.js';
import { mediaById, recordInboundMedia } from '../../src/db/media.repo.js';
import { createMediaFetcher } from '../../src/jobs/media-fetch.js';
import { fixedClock } from '../support/clock.js';
import { silentLogger } from '../support/engine-harness.js';
import { startFakeBotApi } from '../support/fake-bot-api.js';
import { startFakeGraphApi } from '../support/fake-graph-api.js';
import { createMediaWorld, M4A_AUDIO, OGG_VOICE } from '../support/media-world.js';
import { FakeWwebClient } from '../bot/whatsapp/fake-wweb-client.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const AMBASSADOR = 777;
const TURKISH_CLOUD = ['905321234567', '905321234568'];
const TURKISH_WEB = '905329999999@c.us';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a Telegram voice note is downloaded once, stored, and delivered on WhatsApp Cloud (one upload) and whatsapp-web.js; a WhatsApp M4A reaches Telegram as audio', async () => {
  const clock = fixedClock('2027-03-01T10:00:00Z');
  const world = createMediaWorld();
  cleanups.push(() => world.close());
  const bot = await startFakeBotApi();
  cleanups.push(() => bot.close());
  const graph = await startFakeGraphApi();
  cleanups.push(() => graph.close());
  const inbound: InboundMessage[] = [];

  const telegram = createTelegramChannel({ token: bot.token, apiRoot: bot.apiRoot, logger: silentLogger, onInbound: async (m) => void inbound.push(m), commands: [], defaultLanguage: 'nl', media: world.library });
  cleanups.push(() => telegram.stop());
  const cloud = createWhatsAppCloudChannel({
    config: { token: graph.token, phoneNumberId: graph.phoneNumberId, appSecret: 's', verifyToken: 'v', apiVersion: graph.apiVersion, baseUrl: graph.baseUrl, ratePerSecond: 80 },
    i18n,
    languages: locales.languages.map((l) => l.code),
    logger: silentLogger,
    clock,
    onInbound: async () => undefined,
    lastInboundAt: () => new Date(clock.now().getTime() - 3600_000),
    onInboundSeen: () => undefined,
    onStatus: () => undefined,
    templates: loadTemplates(),
    media: world.library,
  });
  const phone = new FakeWwebClient(() => clock.now().getTime());
  const web = createWhatsAppWebChannel({ transport: phone, i18n, languages: locales.languages.map((l) => l.code), logger: silentLogger, onInbound: async (m) => void inbound.push(m), clock, minDelayMs: 1, maxDelayMs: 2, dailyCap: 100, knownChat: () => true, defaultLanguage: 'nl', media: world.library });
  await web.start();
  phone.ready();
  cleanups.push(() => web.stop());
  const fetcher = createMediaFetcher({ db: world.db, store: world.store, downloaders: new Map([['telegram', telegram.downloader], ['whatsapp', web.downloader]]), clock, logger: silentLogger });
  cleanups.push(() => fetcher.stop());

  // The ambassador records a Turkish voice note in their Telegram chat.
  await telegram.start();
  bot.sendFile(AMBASSADOR, 'voice', OGG_VOICE, { duration: 12 });
  await expect.poll(() => inbound.length).toBe(1);
  const content = inbound[0]!.content;
  if (content.kind !== 'media') throw new Error(`expected media, got ${content.kind}`);
  const owner = world.person('tr');
  const mediaId = world.db.transaction((tx) => recordInboundMedia(tx, { ownerId: owner, channel: 'telegram', media: content.media }));

  // After the commit: fetched from Telegram and stored.
  await fetcher.fetchPending();
  expect(mediaById(world.db, mediaId)).toMatchObject({ status: 'ready', bytes: OGG_VOICE.length, mimeType: 'audio/ogg', durationSeconds: 12 });
  expect(bot.requestsOf('getFile')).toHaveLength(1);

  // Delivered on WhatsApp Cloud to two Turkish parents: one upload, two audio messages by that id.
  for (const to of TURKISH_CLOUD) {
    expect(await cloud.send(to, { text: 'Velilere sesli mesaj', lang: 'tr', media: { mediaId, type: 'voice' } })).toMatchObject({ status: 'sent' });
  }
  const uploads = graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/media'));
  expect(uploads).toHaveLength(1);
  const audioIds = TURKISH_CLOUD.map((to) => (graph.sent(to).find((b) => b.type === 'audio')?.audio as { id: string } | undefined)?.id);
  expect(new Set(audioIds).size).toBe(1);
  const uploaded = graph.media.get(audioIds[0]!);
  expect(uploaded?.mimeType).toBe('audio/ogg');
  expect(uploaded?.data.equals(OGG_VOICE)).toBe(true);
  expect(graph.sent(TURKISH_CLOUD[0]!).map((b) => b.type)).toEqual(['audio', 'text']);

  // And on whatsapp-web.js as a voice note, the same bytes.
  expect((await web.send(TURKISH_WEB, { text: '', lang: 'tr', media: { mediaId, type: 'voice' } })).status).toBe('sent');
  expect(phone.sentTo(TURKISH_WEB)[0]?.media).toMatchObject({ as: 'voice', bytes: OGG_VOICE.length });

  // Back: a parent's iPhone voice note (M4A) on WhatsApp reaches Telegram as audio.
  phone.receiveMedia(TURKISH_WEB, 'ptt', { mimeType: 'audio/mp4', data: M4A_AUDIO });
  await expect.poll(() => inbound.length).toBe(2);
  const back = inbound[1]!.content;
  if (back.kind !== 'media') throw new Error('expected media');
  const backId = world.db.transaction((tx) => recordInboundMedia(tx, { ownerId: world.person('tr'), channel: 'whatsapp', media: back.media }));
  await fetcher.fetchPending();
  expect(mediaById(world.db, backId)?.status).toBe('ready');
  bot.meet(AMBASSADOR);
  expect((await telegram.send(String(AMBASSADOR), { text: 'Antwoord van een ouder', media: { mediaId: backId, type: 'voice' } })).status).toBe('sent');
  expect(bot.sent(AMBASSADOR).at(-1)).toMatchObject({ method: 'sendAudio', plain: 'Antwoord van een ouder', media: { uploaded: true, bytes: M4A_AUDIO.length } });
});
