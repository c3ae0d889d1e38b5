/**
 * Voice notes, photos and files on Telegram against the fake Bot API: the first send uploads
 * (multipart) and caches the file_id, later sends use it; the text rides as caption when it fits
 * in 1,024 characters, else it goes first on its own; a stale file_id is uploaded again; edits
 * ("not modified" counts as sent); downloads of what people sent, within the limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramChannel, type TelegramChannel } from '../../../src/bot/telegram/telegram.adapter.js';
import { telegramMethodFor } from '../../../src/bot/telegram/telegram.media.js';
import { MEDIA_LIMITS } from '../../../src/core/media.js';
import type { InboundMessage } from '../../../src/core/messages.js';
import { mediaById } from '../../../src/db/media.repo.js';
import { silentLogger } from '../../support/engine-harness.js';
import { startFakeBotApi, type FakeBotApi } from '../../support/fake-bot-api.js';
import { createMediaWorld, JPEG_PHOTO, M4A_AUDIO, OGG_VOICE, PDF_FLYER, type MediaWorld } from '../../support/media-world.js';

const CHAT = 5151;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ api: FakeBotApi; channel: TelegramChannel; world: MediaWorld; inbound: InboundMessage[]; owner: number }> {
  const api = await startFakeBotApi();
  cleanups.push(() => api.close());
  const world = createMediaWorld();
  cleanups.push(() => world.close());
  const inbound: InboundMessage[] = [];
  const channel = createTelegramChannel({
    token: api.token,
    apiRoot: api.apiRoot,
    logger: silentLogger,
    onInbound: async (m) => void inbound.push(m),
    commands: [],
    defaultLanguage: 'nl',
    media: world.library,
  });
  cleanups.push(() => channel.stop());
  api.meet(CHAT);
  return { api, channel, world, inbound, owner: world.person() };
}

const chat = String(CHAT);

describe('telegram: sending stored media', () => {
  it('uploads a voice note once with the text as caption, then sends it by the cached file_id', async () => {
    const { api, channel, world, owner } = await setup();
    const id = world.ready(owner, 'voice', OGG_VOICE, 'audio/ogg; codecs=opus');
    const first = await channel.send(chat, { text: 'Luister: <b>het speelochtend-nieuws</b>', media: { mediaId: id, type: 'voice' }, choices: [[{ label: 'Help', value: 'rl:help' }]] });
    const second = await channel.send(chat, { text: 'Nog een keer', media: { mediaId: id, type: 'voice' } });
    expect(first.status).toBe('sent');
    const [a, b] = api.sent(CHAT);
    expect(a).toMatchObject({ method: 'sendVoice', plain: 'Luister: het speelochtend-nieuws', media: { kind: 'voice', uploaded: true, bytes: OGG_VOICE.length } });
    expect(a?.reply_markup).toBeDefined();
    expect(b).toMatchObject({ method: 'sendVoice', plain: 'Nog een keer', media: { kind: 'voice', uploaded: false, fileId: a?.media?.fileId } });
    expect(api.file(a!.media!.fileId)?.data.equals(OGG_VOICE)).toBe(true);
    expect(first).toEqual({ status: 'sent', externalId: String(a?.message_id) });
    expect(second).toEqual({ status: 'sent', externalId: String(b?.message_id) });
    expect(mediaById(world.db, id)?.uploads).toEqual({ telegram: { fileId: a?.media?.fileId, as: 'voice' } });
  });

  it('sends a photo and a PDF with captions, and M4A audio (a WhatsApp iPhone voice note) as audio', async () => {
    const { api, channel, world, owner } = await setup();
    const photo = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    const pdf = world.ready(owner, 'document', PDF_FLYER, 'application/pdf', 'flyer speelochtend.pdf');
    const m4a = world.ready(owner, 'voice', M4A_AUDIO, 'audio/mp4');
    for (const [mediaId, type] of [[photo, 'photo'], [pdf, 'document'], [m4a, 'voice']] as const) {
      expect((await channel.send(chat, { text: `Bijlage ${type}`, media: { mediaId, type } })).status).toBe('sent');
    }
    expect(api.sent(CHAT).map((m) => [m.method, m.plain, m.media?.uploaded])).toEqual([
      ['sendPhoto', 'Bijlage photo', true],
      ['sendDocument', 'Bijlage document', true],
      ['sendAudio', 'Bijlage voice', true],
    ]);
    expect(api.sent(CHAT)[1]?.document?.filename).toBe('flyer speelochtend.pdf');
    expect(telegramMethodFor({ type: 'voice', mimeType: 'audio/amr', bytes: 10 })).toBe('document');
    expect(telegramMethodFor({ type: 'photo', mimeType: 'image/heic', bytes: 10 })).toBe('document');
  });

  it('sends a text over 1,024 characters first, on its own (each part paced), then the file with the buttons', async () => {
    const { api, channel, world, owner } = await setup();
    const id = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    let paced = 0;
    const text = 'Lange uitleg. '.repeat(100);
    const outcome = await channel.send(chat, { text, media: { mediaId: id, type: 'photo' }, choices: [[{ label: 'Ja', value: 'yes' }]] }, { pace: async () => void paced++ });
    expect(outcome.status).toBe('sent');
    const sent = api.sent(CHAT);
    expect(sent.map((m) => m.method)).toEqual(['sendMessage', 'sendPhoto']);
    expect(sent[0]?.plain).toBe(text);
    expect(sent[0]?.reply_markup).toBeUndefined();
    expect(sent[1]?.plain).toBeUndefined();
    expect(sent[1]?.reply_markup).toBeDefined();
    expect(paced).toBe(1);
  });

  it('the fake refuses what Telegram refuses: a caption over 1,024 characters, a voice note that is not audio, an unknown file_id', async () => {
    const { api } = await setup();
    const call = async (method: string, body: Record<string, unknown>) => (await fetch(`${api.apiRoot}bot${api.token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const form = async (method: string, field: string, data: Buffer, extra: Record<string, string> = {}) => {
      const f = new FormData();
      f.set('chat_id', chat);
      f.set(field, new Blob([data]), 'x.bin');
      for (const [k, v] of Object.entries(extra)) f.set(k, v);
      return (await fetch(`${api.apiRoot}bot${api.token}/${method}`, { method: 'POST', body: f })).json();
    };
    expect(await form('sendVoice', 'voice', OGG_VOICE, { caption: 'x'.repeat(1025) })).toMatchObject({ ok: false, description: 'Bad Request: message caption is too long' });
    expect(await form('sendVoice', 'voice', PDF_FLYER)).toMatchObject({ ok: false, error_code: 400 });
    expect(await form('sendVoice', 'audio', OGG_VOICE)).toMatchObject({ ok: false, description: 'Bad Request: there is no voice in the request' });
    expect(await form('sendPhoto', 'photo', PDF_FLYER)).toMatchObject({ ok: false, description: 'Bad Request: IMAGE_PROCESS_FAILED' });
    expect(await call('sendVoice', { chat_id: chat, voice: 'AwACAgQ-404' })).toMatchObject({ ok: false, description: 'Bad Request: wrong file identifier/HTTP URL specified' });
    const ok = (await form('sendVoice', 'voice', OGG_VOICE)) as { result: { voice: { file_id: string } } };
    expect(await call('sendPhoto', { chat_id: chat, photo: ok.result.voice.file_id })).toMatchObject({ ok: false, error_code: 400 });
    expect(await call('sendVoice', { chat_id: chat, voice: ok.result.voice.file_id })).toMatchObject({ ok: true });
  });

  it('uploads again when Telegram no longer knows the cached file_id', async () => {
    const { api, channel, world, owner } = await setup();
    const id = world.ready(owner, 'voice', OGG_VOICE, 'audio/ogg');
    world.library.rememberUpload(id, { telegram: { fileId: 'AwACAgQ-gone', as: 'voice' } });
    expect((await channel.send(chat, { text: '', media: { mediaId: id, type: 'voice' } })).status).toBe('sent');
    expect(api.sent(CHAT).map((m) => m.media?.uploaded)).toEqual([true]);
    expect(mediaById(world.db, id)?.uploads?.telegram?.fileId).not.toBe('AwACAgQ-gone');
  });

  it('waits (retry) while the file is still being fetched; a file that is gone leaves the text alone, or is refused without text', async () => {
    const { api, channel, world, owner } = await setup();
    const pending = world.pending(owner, 'telegram', { type: 'voice', ref: 'x' });
    expect(await channel.send(chat, { text: 'Hoi', media: { mediaId: pending, type: 'voice' } })).toEqual({ status: 'retry', reason: 'media not fetched yet' });
    expect(api.sent(CHAT)).toEqual([]);
    expect((await channel.send(chat, { text: 'Alleen tekst', media: { mediaId: 999, type: 'voice' } })).status).toBe('sent');
    expect(api.sent(CHAT).map((m) => [m.method, m.plain])).toEqual([['sendMessage', 'Alleen tekst']]);
    expect(await channel.send(chat, { text: '', media: { mediaId: 999, type: 'voice' } })).toMatchObject({ status: 'invalid' });
  });

  it('classifies failures like any send: 429 wait, 403 unreachable, 5xx retry', async () => {
    const { api, channel, world, owner } = await setup();
    const id = world.ready(owner, 'photo', JPEG_PHOTO, 'image/jpeg');
    api.failNext('sendPhoto', { error_code: 429, description: 'Too Many Requests: retry after 3', retry_after: 3 });
    expect(await channel.send(chat, { text: 'x', media: { mediaId: id, type: 'photo' } })).toMatchObject({ status: 'wait', retryAfterMs: 3000 });
    api.failNext('sendPhoto', { error_code: 502, description: 'Bad Gateway' });
    expect(await channel.send(chat, { text: 'x', media: { mediaId: id, type: 'photo' } })).toMatchObject({ status: 'retry' });
    api.block(CHAT);
    expect(await channel.send(chat, { text: 'x', media: { mediaId: id, type: 'photo' } })).toMatchObject({ status: 'unreachable' });
  });
});

describe('telegram: editing a sent message', () => {
  it('replaces text and buttons; the same text again counts as sent; an unknown message is invalid', async () => {
    const { api, channel } = await setup();
    const sent = await channel.send(chat, { text: 'Verzonden: 0 van 100', choices: [[{ label: 'Pauze', value: 'bc:pause:1' }]] });
    if (sent.status !== 'sent' || !sent.externalId) throw new Error('not sent');
    expect(await channel.edit!(chat, sent.externalId, { text: 'Verzonden: <b>50</b> van 100', choices: [[{ label: 'Pauze', value: 'bc:pause:1' }]] })).toEqual({ status: 'sent', externalId: sent.externalId });
    expect(api.sent(CHAT)[0]).toMatchObject({ plain: 'Verzonden: 50 van 100', edits: 1 });
    expect(await channel.edit!(chat, sent.externalId, { text: 'Verzonden: <b>50</b> van 100', choices: [[{ label: 'Pauze', value: 'bc:pause:1' }]] })).toEqual({ status: 'sent', externalId: sent.externalId });
    expect(api.sent(CHAT)[0]?.edits).toBe(1);
    expect(await channel.edit!(chat, sent.externalId, { text: 'Klaar' })).toEqual({ status: 'sent', externalId: sent.externalId });
    expect(api.sent(CHAT)[0]?.reply_markup).toBeUndefined();
    expect(await channel.edit!(chat, '9999', { text: 'x' })).toMatchObject({ status: 'invalid', reason: expect.stringContaining('message to edit not found') });
    expect(await channel.edit!(chat, 'wamid.x', { text: 'x' })).toMatchObject({ status: 'invalid' });
    expect(api.sent(CHAT)).toHaveLength(1);
  });
});

describe('telegram: inbound media and downloads', () => {
  it('maps a voice note and a reply from the fake, and downloads the voice note by its file_id', async () => {
    const { api, channel, inbound } = await setup();
    await channel.start();
    const question = await channel.send(chat, { text: 'Vraag van een ouder' });
    const { fileId } = api.sendFile(CHAT, 'voice', OGG_VOICE, { duration: 4 });
    api.replyText(CHAT, 'Ja, om 9 uur', Number(question.status === 'sent' ? question.externalId : 0));
    await expect.poll(() => inbound.length).toBe(2);
    expect(inbound[0]?.content).toEqual({ kind: 'media', media: { type: 'voice', ref: fileId, mimeType: 'audio/ogg', durationSeconds: 4, bytes: OGG_VOICE.length } });
    expect(inbound[1]?.content).toEqual({ kind: 'text', text: 'Ja, om 9 uur', replyTo: question.status === 'sent' ? question.externalId : '' });
    const got = await channel.downloader.download(fileId, MEDIA_LIMITS.voice);
    expect(got.ok && got.data.equals(OGG_VOICE)).toBe(true);
    expect(api.requestsOf('file')).toHaveLength(1);
  });

  it('refuses a file over the limit (getFile: file is too big; or more bytes than allowed) and an unknown file_id', async () => {
    const { api, channel } = await setup();
    const big = api.sendFile(CHAT, 'document', PDF_FLYER, { size: 25 * 1024 * 1024 });
    expect(await channel.downloader.download(big.fileId, MEDIA_LIMITS.document)).toMatchObject({ ok: false, failure: 'too_large' });
    const photo = api.sendFile(CHAT, 'photo', JPEG_PHOTO);
    expect(await channel.downloader.download(photo.fileId, 100)).toMatchObject({ ok: false, failure: 'too_large' });
    expect(await channel.downloader.download('AwACAgQ-nope', 100)).toMatchObject({ ok: false, failure: 'gone' });
  });
});
