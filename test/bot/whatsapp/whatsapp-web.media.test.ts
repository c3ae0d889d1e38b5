/**
 * Voice notes, photos and files on whatsapp-web.js against the fake session: OGG as a voice note
 * (no caption; the text follows), M4A as audio, a photo or PDF with the text as caption; the
 * bytes every time (no upload cache); downloads of what people sent while the session knows them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWhatsAppWebChannel, type WhatsAppWebChannel } from '../../../src/bot/whatsapp/web/whatsapp-web.adapter.js';
import { wwebKindFor } from '../../../src/bot/whatsapp/web/whatsapp-web.send.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import { MEDIA_LIMITS } from '../../../src/core/media.js';
import type { InboundMessage } from '../../../src/core/messages.js';
import { fixedClock } from '../../support/clock.js';
import { silentLogger } from '../../support/engine-harness.js';
import { createMediaWorld, JPEG_PHOTO, M4A_AUDIO, OGG_VOICE, PDF_FLYER, type MediaWorld } from '../../support/media-world.js';
import { FakeWwebClient } from './fake-wweb-client.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const CHAT = '31612345678@c.us';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ fake: FakeWwebClient; channel: WhatsAppWebChannel; world: MediaWorld; inbound: InboundMessage[]; owner: number }> {
  const clock = fixedClock('2027-03-01T10:00:00Z');
  const fake = new FakeWwebClient(() => clock.now().getTime());
  const world = createMediaWorld();
  cleanups.push(() => world.close());
  const inbound: InboundMessage[] = [];
  const channel = createWhatsAppWebChannel({
    transport: fake,
    i18n,
    languages: locales.languages.map((l) => l.code),
    logger: silentLogger,
    onInbound: async (m) => void inbound.push(m),
    clock,
    minDelayMs: 10,
    maxDelayMs: 20,
    dailyCap: 200,
    knownChat: () => true,
    defaultLanguage: 'nl',
    media: world.library,
  });
  await channel.start();
  fake.ready();
  cleanups.push(() => channel.stop());
  return { fake, channel, world, inbound, owner: world.person() };
}

describe('whatsapp-web: sending stored media', () => {
  it('sends an OGG voice note as a voice note with the text after it, and the bytes again next time', async () => {
    const { fake, channel, world, owner } = await setup();
    const id = world.ready(owner, 'voice', OGG_VOICE, 'audio/ogg; codecs=opus');
    const outcome = await channel.send(CHAT, { text: 'Luister', lang: 'nl', media: { mediaId: id, type: 'voice' } });
    await channel.send(CHAT, { text: '', lang: 'nl', media: { mediaId: id, type: 'voice' } });
    expect(fake.sent.map((s) => [s.media?.as ?? 'text', s.text])).toEqual([
      ['voice', ''],
      ['text', 'Luister'],
      ['voice', ''],
    ]);
    expect(fake.sent[0]?.media?.bytes).toBe(OGG_VOICE.length);
    expect(outcome).toMatchObject({ status: 'sent', externalId: expect.stringMatching(/^wweb:/) });
  });

  it('M4A goes as audio; a photo and a PDF carry the text as caption; a long text follows the file', async () => {
    const { fake, channel, world, owner } = await setup();
    const m4a = world.ready(owner, 'voice', M4A_AUDIO, 'audio/mp4');
    const photo = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    const pdf = world.ready(owner, 'document', PDF_FLYER, 'application/pdf', 'flyer.pdf');
    await channel.send(CHAT, { text: '', lang: 'nl', media: { mediaId: m4a, type: 'voice' } });
    await channel.send(CHAT, { text: 'De <b>flyer</b>', lang: 'nl', media: { mediaId: photo, type: 'photo' } });
    await channel.send(CHAT, { text: 'Als PDF', lang: 'nl', media: { mediaId: pdf, type: 'document' } });
    await channel.send(CHAT, { text: 'lang '.repeat(300), lang: 'nl', media: { mediaId: photo, type: 'photo' } });
    expect(fake.sent.map((s) => [s.media?.as ?? 'text', s.text.slice(0, 10)])).toEqual([
      ['audio', ''],
      ['photo', 'De *flyer*'],
      ['document', 'Als PDF'],
      ['photo', ''],
      ['text', 'lang lang '],
    ]);
    expect(fake.sent[2]?.media?.filename).toBe('flyer.pdf');
    expect(wwebKindFor({ type: 'voice', mimeType: 'audio/wav' })).toBe('document');
  });

  it('waits while the file is fetched; a file that is gone leaves the text alone', async () => {
    const { fake, channel, world, owner } = await setup();
    const pending = world.pending(owner, 'whatsapp', { type: 'photo', ref: 'wweb:x' });
    expect(await channel.send(CHAT, { text: 'x', lang: 'nl', media: { mediaId: pending, type: 'photo' } })).toEqual({ status: 'retry', reason: 'media not fetched yet' });
    expect((await channel.send(CHAT, { text: 'Alleen tekst', lang: 'nl', media: { mediaId: 777, type: 'photo' } })).status).toBe('sent');
    expect(fake.sent.map((s) => s.text)).toEqual(['Alleen tekst']);
  });
});

describe('whatsapp-web: downloading what people sent', () => {
  it('downloads by the media ref while the session knows the message; over the limit or unknown is refused', async () => {
    const { fake, channel, inbound } = await setup();
    fake.receiveMedia(CHAT, 'ptt', { mimeType: 'audio/ogg; codecs=opus', data: OGG_VOICE });
    await expect.poll(() => inbound.length).toBe(1);
    const content = inbound[0]!.content;
    if (content.kind !== 'media') throw new Error('not media');
    const got = await channel.downloader.download(content.media.ref, MEDIA_LIMITS.voice);
    expect(got.ok && got.data.equals(OGG_VOICE)).toBe(true);
    expect(await channel.downloader.download(content.media.ref, 10)).toMatchObject({ ok: false, failure: 'too_large' });
    expect(await channel.downloader.download('wweb:unknown', 10)).toMatchObject({ ok: false, failure: 'gone' });
    fake.disconnect();
    expect(await channel.downloader.download(content.media.ref, MEDIA_LIMITS.voice)).toMatchObject({ ok: false, failure: 'retry' });
  });
});
