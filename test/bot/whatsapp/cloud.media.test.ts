/**
 * Voice notes, photos and files on the WhatsApp Cloud API against the fake Graph API: upload once
 * and send by the cached media id (a refused or expired id is uploaded again), audio without a
 * caption (the text follows), captions on images and documents, choices after the file; downloads
 * of what people sent (GET /{media-id} → URL → bytes, within the limit).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWhatsAppCloudChannel, type WhatsAppCloudChannel } from '../../../src/bot/whatsapp/cloud/cloud.adapter.js';
import { cloudKindFor, MEDIA_ID_TTL_MS } from '../../../src/bot/whatsapp/cloud/cloud.media.js';
import { loadTemplates } from '../../../src/bot/whatsapp/cloud/cloud.templates.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import { MEDIA_LIMITS } from '../../../src/core/media.js';
import { mediaById } from '../../../src/db/media.repo.js';
import { fixedClock } from '../../support/clock.js';
import { silentLogger } from '../../support/engine-harness.js';
import { startFakeGraphApi, type FakeGraphApi } from '../../support/fake-graph-api.js';
import { createMediaWorld, JPEG_PHOTO, M4A_AUDIO, OGG_VOICE, PDF_FLYER, type MediaWorld } from '../../support/media-world.js';

const PHONE = '31612345678';
const NOW = new Date('2027-03-01T10:00:00Z');
const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ api: FakeGraphApi; channel: WhatsAppCloudChannel; world: MediaWorld; clock: ReturnType<typeof fixedClock>; owner: number }> {
  const api = await startFakeGraphApi();
  cleanups.push(() => api.close());
  const world = createMediaWorld();
  cleanups.push(() => world.close());
  const clock = fixedClock(NOW);
  const channel = createWhatsAppCloudChannel({
    config: { token: api.token, phoneNumberId: api.phoneNumberId, appSecret: 's', verifyToken: 'v', apiVersion: api.apiVersion, baseUrl: api.baseUrl, ratePerSecond: 80 },
    i18n,
    languages: locales.languages.map((l) => l.code),
    logger: silentLogger,
    clock,
    onInbound: async () => undefined,
    // The parent wrote an hour ago: the 24-hour window is open.
    lastInboundAt: () => new Date(clock.now().getTime() - 3600_000),
    onInboundSeen: () => undefined,
    onStatus: () => undefined,
    templates: loadTemplates(),
    media: world.library,
    timeoutMs: 2_000,
  });
  return { api, channel, world, clock, owner: world.person() };
}

const uploadsOf = (api: FakeGraphApi) => api.requests.filter((r) => r.path.endsWith('/media') && r.method === 'POST');

describe('whatsapp cloud: sending stored media', () => {
  it('uploads a voice note once and sends it as audio, the text as its own message after it; then by the cached id', async () => {
    const { api, channel, world, owner } = await setup();
    const id = world.ready(owner, 'voice', OGG_VOICE, 'audio/ogg; codecs=opus');
    expect(await channel.send(PHONE, { text: 'Luister naar dit bericht', lang: 'nl', media: { mediaId: id, type: 'voice' } })).toMatchObject({ status: 'sent' });
    expect(await channel.send(PHONE, { text: '', lang: 'nl', media: { mediaId: id, type: 'voice' } })).toMatchObject({ status: 'sent' });
    const sent = api.sent(PHONE);
    expect(sent.map((b) => b.type)).toEqual(['audio', 'text', 'audio']);
    const mediaId = (sent[0]!.audio as { id: string }).id;
    expect(sent[0]).toEqual(expect.objectContaining({ audio: { id: mediaId } }));
    expect(sent[2]).toEqual(expect.objectContaining({ audio: { id: mediaId } }));
    expect(uploadsOf(api)).toHaveLength(1);
    expect(api.media.get(mediaId)).toMatchObject({ mimeType: 'audio/ogg', uploaded: true });
    expect(api.media.get(mediaId)?.data.equals(OGG_VOICE)).toBe(true);
    expect(mediaById(world.db, id)?.uploads?.whatsapp).toEqual({ id: mediaId, at: NOW.getTime() });
  });

  it('sends a photo and a PDF with the text as caption; M4A as audio; a WebP photo as a document', async () => {
    const { api, channel, world, owner } = await setup();
    const photo = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    const pdf = world.ready(owner, 'document', PDF_FLYER, 'application/pdf', 'flyer.pdf');
    const m4a = world.ready(owner, 'voice', M4A_AUDIO, 'audio/mp4');
    await channel.send(PHONE, { text: 'De <b>flyer</b>', lang: 'nl', media: { mediaId: photo, type: 'photo' } });
    await channel.send(PHONE, { text: 'Als PDF', lang: 'nl', media: { mediaId: pdf, type: 'document' } });
    await channel.send(PHONE, { text: '', lang: 'nl', media: { mediaId: m4a, type: 'voice' } });
    const sent = api.sent(PHONE);
    expect(sent.map((b) => b.type)).toEqual(['image', 'document', 'audio']);
    expect(sent[0]!.image).toMatchObject({ caption: 'De *flyer*' });
    expect(sent[1]!.document).toMatchObject({ caption: 'Als PDF', filename: 'flyer.pdf' });
    expect(cloudKindFor({ type: 'photo', mimeType: 'image/webp', bytes: 10 })).toBe('document');
    expect(cloudKindFor({ type: 'voice', mimeType: 'audio/wav', bytes: 10 })).toBe('document');
  });

  it('puts the choices after the file (a caption cannot carry buttons), as reply buttons', async () => {
    const { api, channel, world, owner } = await setup();
    const photo = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    await channel.send(PHONE, { text: 'Kom je?', lang: 'nl', media: { mediaId: photo, type: 'photo' }, choices: [[{ label: 'Ja', value: 'y' }, { label: 'Nee', value: 'n' }]] });
    const sent = api.sent(PHONE);
    expect(sent.map((b) => b.type)).toEqual(['image', 'interactive']);
    expect(sent[0]!.image).not.toHaveProperty('caption');
  });

  it('uploads again when the cached id expired (after 29 days, or refused by WhatsApp)', async () => {
    const { api, channel, world, clock, owner } = await setup();
    const id = world.ready(owner, 'voice', OGG_VOICE, 'audio/ogg');
    await channel.send(PHONE, { text: '', lang: 'nl', media: { mediaId: id, type: 'voice' } });
    const first = mediaById(world.db, id)!.uploads!.whatsapp!.id;
    api.expireMedia(first);
    expect(await channel.send(PHONE, { text: '', lang: 'nl', media: { mediaId: id, type: 'voice' } })).toMatchObject({ status: 'sent' });
    const second = mediaById(world.db, id)!.uploads!.whatsapp!.id;
    expect(second).not.toBe(first);
    clock.set(new Date(NOW.getTime() + MEDIA_ID_TTL_MS + 1));
    await channel.send(PHONE, { text: '', lang: 'nl', media: { mediaId: id, type: 'voice' } });
    expect(uploadsOf(api)).toHaveLength(3);
    expect(api.sent(PHONE).map((b) => (b.audio as { id: string }).id)).toEqual([first, second, mediaById(world.db, id)!.uploads!.whatsapp!.id]);
  });

  it('the fake refuses what WhatsApp refuses: an unknown id, an image id for audio, a caption on audio or over 1,024, an unsupported upload', async () => {
    const { api, channel, world, owner } = await setup();
    const photo = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    await channel.send(PHONE, { text: 'x', lang: 'nl', media: { mediaId: photo, type: 'photo' } });
    const imageId = mediaById(world.db, photo)!.uploads!.whatsapp!.id;
    const post = async (body: Record<string, unknown>) =>
      (await fetch(`${api.baseUrl}/${api.apiVersion}/${api.phoneNumberId}/messages`, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ messaging_product: 'whatsapp', to: PHONE, ...body }) })).status;
    expect(await post({ type: 'audio', audio: { id: 'media-999' } })).toBe(400);
    expect(await post({ type: 'audio', audio: { id: imageId } })).toBe(400);
    expect(await post({ type: 'image', image: { id: imageId, caption: 'x'.repeat(1025) } })).toBe(400);
    expect(await post({ type: 'image', image: { link: 'https://example.org/a.jpg' } })).toBe(400);
    expect(await post({ type: 'image', image: { id: imageId, caption: 'ok' } })).toBe(200);
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', 'video/x-msvideo');
    form.append('file', new Blob([Buffer.from('RIFF')]), 'a.avi');
    const upload = await fetch(`${api.baseUrl}/${api.apiVersion}/${api.phoneNumberId}/media`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
    expect(await upload.json()).toMatchObject({ error: { code: 131053 } });
  });

  it('waits while the file is fetched; a file that is gone leaves the text alone', async () => {
    const { api, channel, world, owner } = await setup();
    const pending = world.pending(owner, 'whatsapp', { type: 'voice', ref: 'media-1' });
    expect(await channel.send(PHONE, { text: 'x', lang: 'nl', media: { mediaId: pending, type: 'voice' } })).toEqual({ status: 'retry', reason: 'media not fetched yet' });
    expect(await channel.send(PHONE, { text: 'Alleen tekst', lang: 'nl', media: { mediaId: 4040, type: 'voice' } })).toMatchObject({ status: 'sent' });
    expect(api.sent(PHONE).map((b) => b.type)).toEqual(['text']);
  });
});

describe('whatsapp cloud: downloading what people sent', () => {
  it('GET /{media-id} then the URL, both with the token; refuses a file over the limit and an unknown id', async () => {
    const { api, channel } = await setup();
    const ref = api.inboundMedia(OGG_VOICE, 'audio/ogg; codecs=opus');
    const got = await channel.downloader.download(ref, MEDIA_LIMITS.voice);
    expect(got).toMatchObject({ ok: true, mimeType: 'audio/ogg; codecs=opus' });
    expect(got.ok && got.data.equals(OGG_VOICE)).toBe(true);
    const gets = api.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.path)).toEqual([`/${api.apiVersion}/${ref}`, `/download/${ref}`]);
    expect(gets.every((r) => r.authorization === `Bearer ${api.token}`)).toBe(true);
    expect(await channel.downloader.download(ref, 100)).toMatchObject({ ok: false, failure: 'too_large' });
    expect(await channel.downloader.download('media-4040', 100)).toMatchObject({ ok: false, failure: 'gone' });
  });
});
