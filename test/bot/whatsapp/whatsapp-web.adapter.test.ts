/** The whatsapp-web.js channel against a fake session: mapping, pacing, cap, first-writer rule, reconnects, privacy. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createWhatsAppWebChannel, messageRef, whatsappQrRoute, type WhatsAppWebChannel, type WhatsAppWebChannelOptions } from '../../../src/bot/whatsapp/web/whatsapp-web.adapter.js';
import { classifySendError } from '../../../src/bot/whatsapp/web/whatsapp-web.pacing.js';
import { toTransportMessage, type WhatsAppWebMessageType } from '../../../src/bot/whatsapp/web/whatsapp-web.transport.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import type { InboundMessage, OutboundMessage } from '../../../src/core/messages.js';
import { createLogger } from '../../../src/logger.js';
import { fixedClock } from '../../support/clock.js';
import { FakeWwebClient } from './fake-wweb-client.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const PHONE = '31612345678';
const DUTCH = `${PHONE}@c.us`;
const TURKISH = '905321234567@c.us';
const MIN = 3000;
const MAX = 6000;

interface Harness {
  fake: FakeWwebClient;
  channel: WhatsAppWebChannel;
  clock: ReturnType<typeof fixedClock>;
  inbound: InboundMessage[];
  logs: string[];
  terminal: string[];
  unreachable: string[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Partial<WhatsAppWebChannelOptions> = {}, { ready = true } = {}): Promise<Harness> {
  const clock = fixedClock('2027-03-01T10:00:00Z');
  const fake = new FakeWwebClient(() => clock.now().getTime());
  const inbound: InboundMessage[] = [];
  const logs: string[] = [];
  const terminal: string[] = [];
  const unreachable: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const channel = createWhatsAppWebChannel({
    transport: fake,
    i18n,
    languages: locales.languages.map((l) => l.code),
    logger: createLogger('debug', sink),
    onInbound: async (m) => {
      inbound.push(m);
    },
    onUnreachable: (chatId) => unreachable.push(chatId),
    clock,
    minDelayMs: MIN,
    maxDelayMs: MAX,
    dailyCap: 200,
    knownChat: () => false,
    defaultLanguage: 'nl',
    terminal: { write: (t) => terminal.push(t) },
    ...options,
  });
  await channel.start();
  if (ready) fake.ready();
  cleanups.push(() => channel.stop());
  return { fake, channel, clock, inbound, logs, terminal, unreachable };
}

const menu: OutboundMessage = {
  text: '<b>Kies</b> een taal',
  lang: 'nl',
  choices: [[{ label: 'Nederlands', value: 'lang:nl' }], [{ label: 'Türkçe', value: 'lang:tr' }], [{ label: 'English', value: 'lang:en' }]],
};
const say = (text: string): OutboundMessage => ({ text, lang: 'nl' });
const settle = () => new Promise((r) => setTimeout(r, 10));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** After a disconnect: waits for the channel's new initialize(), then the phone links again. */
async function reconnected(h: Harness): Promise<void> {
  await until(() => h.fake.initializeCalls > h.fake.readyCalls, 're-initialisation');
  h.fake.ready();
}

describe('whatsapp-web: inbound', () => {
  it('maps text, numbers, option texts and keywords', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hallo');
    await settle();
    expect(await h.channel.send(DUTCH, menu)).toEqual({ status: 'sent', externalId: expect.stringMatching(/^wweb:/) });
    h.fake.receive(DUTCH, '2');
    h.fake.receive(DUTCH, 'english');
    h.fake.receive(DUTCH, 'Nederlnds');
    h.fake.receive(DUTCH, ' sToP ');
    h.fake.receive(DUTCH, 'menu');
    await settle();
    expect(h.inbound.map((m) => m.content)).toEqual([
      { kind: 'text', text: 'Hallo' },
      { kind: 'choice', value: 'lang:tr' },
      { kind: 'choice', value: 'lang:en' },
      { kind: 'choice', value: 'lang:nl' },
      { kind: 'command', command: 'stop', args: '' },
      { kind: 'command', command: 'menu', args: '' },
    ]);
    expect(h.inbound[0]).toMatchObject({ address: { channel: 'whatsapp', chatId: DUTCH }, languageHint: 'nl' });
  });

  it('maps every media type to a kind "unsupported"', async () => {
    const h = await setup();
    const cases: [WhatsAppWebMessageType, string][] = [
      ['ptt', 'voice'],
      ['audio', 'voice'],
      ['image', 'photo'],
      ['video', 'video'],
      ['document', 'file'],
      ['sticker', 'sticker'],
      ['location', 'location'],
      ['vcard', 'contact'],
      ['other', 'other'],
    ];
    for (const [type] of cases) h.fake.receive(TURKISH, '', { type });
    await settle();
    expect(h.inbound.map((m) => m.content)).toEqual(cases.map(([, what]) => ({ kind: 'unsupported', what })));
    expect(h.inbound.every((m) => m.languageHint === 'tr')).toBe(true);
  });

  it('maps a voice note, audio, photo and document with their file to media (a ref without the phone number), and a quote of our message to replyTo', async () => {
    const h = await setup();
    const ogg = { mimeType: 'audio/ogg; codecs=opus', data: Buffer.from('OggS voice') };
    const voiceId = h.fake.receiveMedia(DUTCH, 'ptt', ogg, { media: { mimeType: ogg.mimeType, bytes: 10, durationSeconds: 4 } });
    h.fake.receiveMedia(DUTCH, 'audio', { mimeType: 'audio/mp4', data: Buffer.from('m4a') });
    h.fake.receiveMedia(DUTCH, 'image', { mimeType: 'image/jpeg', data: Buffer.from('jpg') }, { body: 'Flyer' });
    h.fake.receiveMedia(DUTCH, 'document', { mimeType: 'application/pdf', data: Buffer.from('%PDF'), filename: 'flyer.pdf' });
    const ours = await h.channel.send(DUTCH, say('Een vraag van een ouder'));
    const sentId = h.fake.sent.at(-1)!.id;
    h.fake.receive(DUTCH, 'Morgen om 9 uur', { quotedId: sentId });
    await settle();
    expect(h.inbound.map((m) => m.content)).toEqual([
      { kind: 'media', media: { type: 'voice', ref: messageRef(voiceId), mimeType: 'audio/ogg; codecs=opus', bytes: 10, durationSeconds: 4 } },
      { kind: 'media', media: { type: 'voice', ref: expect.stringMatching(/^wweb:/), mimeType: 'audio/mp4', bytes: 3 } },
      { kind: 'media', media: { type: 'photo', ref: expect.stringMatching(/^wweb:/), mimeType: 'image/jpeg', bytes: 3 }, caption: 'Flyer' },
      { kind: 'media', media: { type: 'document', ref: expect.stringMatching(/^wweb:/), mimeType: 'application/pdf', bytes: 4, filename: 'flyer.pdf' } },
      { kind: 'text', text: 'Morgen om 9 uur', replyTo: ours.status === 'sent' ? ours.externalId : 'not sent' },
    ]);
    expect(JSON.stringify(h.inbound.map((m) => m.content))).not.toContain(PHONE);
  });

  it('reads the library message: media fields only when it has media, and the quoted id it was given', () => {
    const lib = { id: { _serialized: `false_${DUTCH}_ABC` }, from: DUTCH, body: '', type: 'ptt', fromMe: false, isStatus: false, hasMedia: true, duration: '7', _data: { mimetype: 'audio/ogg; codecs=opus', size: 5120 } };
    expect(toTransportMessage(lib as never, `true_${DUTCH}_OUT1`)).toEqual({
      id: `false_${DUTCH}_ABC`,
      from: DUTCH,
      body: '',
      type: 'ptt',
      fromMe: false,
      isStatus: false,
      media: { mimeType: 'audio/ogg; codecs=opus', bytes: 5120, durationSeconds: 7 },
      quotedId: `true_${DUTCH}_OUT1`,
    });
    expect(toTransportMessage({ ...lib, hasMedia: false } as never)).not.toHaveProperty('media');
    expect(toTransportMessage({ ...lib, type: 'sticker' } as never)).not.toHaveProperty('media');
  });

  it('ignores its own messages, status updates, groups and empty texts; @lid chats get no language hint', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'echo', { fromMe: true });
    h.fake.receive('status@broadcast', 'my holiday', { isStatus: true });
    h.fake.receive(DUTCH, 'status', { isStatus: true });
    h.fake.receive('120363041234567890@g.us', 'hello group');
    h.fake.receive(DUTCH, '   ');
    h.fake.receive('201234567890123@lid', 'hoi');
    await settle();
    expect(h.inbound).toHaveLength(1);
    expect(h.inbound[0]?.address.chatId).toBe('201234567890123@lid');
    expect(h.inbound[0]?.languageHint).toBeUndefined();
  });

  it('passes a duplicate message on once, with an id that does not contain the phone number', async () => {
    const h = await setup();
    const message = { id: `false_${DUTCH}_3EB0C767D26A1D8B1A5D`, from: DUTCH, body: 'Hoi', type: 'chat' as const, fromMe: false, isStatus: false };
    h.fake.emit('message', message);
    h.fake.emit('message', message);
    await settle();
    expect(h.inbound).toHaveLength(1);
    expect(h.inbound[0]?.externalId).toBe(messageRef(message.id));
    expect(h.inbound[0]?.externalId).not.toContain(PHONE);
  });

  it('turns a whatsapp-web.js message into ours (unknown types → other, status broadcast)', () => {
    const base = { id: { _serialized: 'false_x@c.us_1' }, from: DUTCH, body: 'hi', fromMe: false, isStatus: false };
    expect(toTransportMessage({ ...base, type: 'chat' } as never)).toMatchObject({ id: 'false_x@c.us_1', type: 'chat' });
    expect(toTransportMessage({ ...base, type: 'poll_creation' } as never).type).toBe('other');
    expect(toTransportMessage({ ...base, from: 'status@broadcast', type: 'image' } as never).isStatus).toBe(true);
  });
});

describe('whatsapp-web: outbound', () => {
  it('sends only to chats that wrote first (or are known)', async () => {
    const known = new Set(['31687654321@c.us']);
    const h = await setup({ knownChat: (id) => known.has(id) });
    expect(await h.channel.send(DUTCH, say('Hallo'))).toEqual({ status: 'invalid', reason: 'never wrote first' });
    expect(await h.channel.send('31687654321@c.us', say('Herinnering'), { proactive: { key: 'k', lang: 'nl', params: {} } })).toMatchObject({ status: 'sent' });
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    expect(await h.channel.send(DUTCH, say('Hallo'))).toMatchObject({ status: 'sent' });
    expect(h.fake.sent.map((s) => s.text)).toEqual(['Herinnering', 'Hallo']);
  });

  it('formats mini-HTML, numbers the choices and adds a hint in the reader\'s language', async () => {
    const h = await setup();
    h.fake.receive(TURKISH, 'Merhaba');
    await settle();
    await h.channel.send(TURKISH, { ...menu, text: '<b>Dil</b> seç', lang: 'tr' });
    expect(h.fake.sent[0]?.text).toBe('*Dil* seç\n\n1. Nederlands\n2. Türkçe\n3. English\n\nNumarayla cevap verin: 1, 2 veya 3.');
  });

  it('pauses a random time within the bounds between any two sends, with a typing state before each', async () => {
    for (const random of [() => 0, () => 0.999999, Math.random]) {
      const h = await setup({ random });
      h.fake.receive(DUTCH, 'Hoi');
      h.fake.receive(TURKISH, 'Merhaba');
      await settle();
      await Promise.all([h.channel.send(DUTCH, say('een')), h.channel.send(TURKISH, say('iki')), h.channel.send(DUTCH, say('drie')), h.channel.send(DUTCH, say('vier'))]);
      expect(h.fake.sent.map((s) => s.text)).toEqual(['een', 'iki', 'drie', 'vier']);
      expect(h.fake.sent.every((s) => s.typedBefore >= 1)).toBe(true);
      const gaps = h.fake.sent.slice(1).map((s, i) => s.at - (h.fake.sent[i]?.at ?? 0));
      expect(gaps).toHaveLength(3);
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(MIN);
        expect(gap).toBeLessThanOrEqual(MAX);
      }
      if (random() === 0) expect(gaps).toEqual([MIN, MIN, MIN]);
      expect(h.clock.slept.every((ms) => ms >= MIN && ms <= MAX)).toBe(true);
    }
  });

  it('does not pause when the previous send is longer ago than the gap', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    await h.channel.send(DUTCH, say('een'));
    h.clock.advance(60_000);
    await h.channel.send(DUTCH, say('twee'));
    expect(h.clock.slept).toEqual([]);
  });

  it('splits long texts into parts of at most 4096 characters, paced like messages; files go as documents', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    const long = Array.from({ length: 700 }, (_, i) => `Regel ${i} van de lange tekst.`).join('\n');
    const file = { filename: 'mijn-gegevens.json', mimeType: 'application/json', content: '{"a":1}' };
    expect(await h.channel.send(DUTCH, { text: long, lang: 'nl', attachment: file })).toMatchObject({ status: 'sent' });
    const parts = h.fake.sent.filter((s) => !s.file);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(4096);
    expect(h.fake.sent.at(-1)?.file).toEqual(file);
    expect(h.clock.slept).toHaveLength(h.fake.sent.length - 1);
  });

  it('stops at the daily cap until midnight (Amsterdam), then sends again', async () => {
    const h = await setup({ dailyCap: 3 });
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    for (const t of ['1', '2', '3']) expect(await h.channel.send(DUTCH, say(t))).toMatchObject({ status: 'sent' });
    const midnight = new Date('2027-03-01T23:00:00Z').getTime();
    const over = await h.channel.send(DUTCH, say('4'));
    expect(over).toEqual({ status: 'wait', retryAfterMs: midnight - h.clock.now().getTime(), reason: 'daily cap of 3 messages reached' });
    expect(h.fake.sent).toHaveLength(3);
    expect(h.channel.health()).toMatchObject({ state: 'up', detail: '3/3 sent today' });
    h.clock.set('2027-03-01T23:00:01Z');
    expect(await h.channel.send(DUTCH, say('4'))).toMatchObject({ status: 'sent' });
    expect(h.logs.filter((l) => l.includes('daily cap reached'))).toHaveLength(1);
  });

  it('classifies send errors: not on WhatsApp → unreachable, anything else → retry', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    h.fake.failSends(new Error(`Evaluation failed: Error: wid error: invalid wid ${PHONE}`));
    expect(await h.channel.send(DUTCH, say('a'))).toMatchObject({ status: 'unreachable' });
    h.fake.failSends(new Error('Protocol error (Runtime.callFunctionOn): Target closed'));
    expect(await h.channel.send(DUTCH, say('b'))).toMatchObject({ status: 'retry' });
    expect(classifySendError(new Error('No LID for user'))).toMatchObject({ status: 'unreachable' });
    expect(classifySendError(new Error(`something ${PHONE}@c.us`)).reason).not.toContain(PHONE);
  });

  it('reports how many parts went out before a failure, and resumes from there', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    const long = Array.from({ length: 700 }, (_, i) => `Regel ${i} van de lange tekst.`).join('\n');
    await h.channel.send(DUTCH, say('eerst'));
    h.fake.sent.length = 0;
    const original = h.fake.sendMessage.bind(h.fake);
    let calls = 0;
    h.fake.sendMessage = async (chatId, text) => {
      if (++calls === 2) throw new Error('Execution context was destroyed');
      return original(chatId, text);
    };
    const first = await h.channel.send(DUTCH, say(long));
    expect(first).toMatchObject({ status: 'retry', partsSent: 1 });
    expect(await h.channel.send(DUTCH, say(long), { fromPart: 1 })).toMatchObject({ status: 'sent' });
    expect(h.fake.sent.map((s) => s.text).join('\n')).toBe(long);
  });
});

describe('whatsapp-web: connection', () => {
  it('shows the QR code in the terminal and on /whatsapp/qr until linked', async () => {
    const h = await setup({}, { ready: false });
    const server = createServer((req, res) => void whatsappQrRoute(h.channel).handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/whatsapp/qr`;
    expect(h.channel.health().state).toBe('starting');
    expect(await (await fetch(url)).text()).toContain('No code yet');
    h.fake.qr('2@secret-login-code');
    expect(h.channel.qr()).toBe('2@secret-login-code');
    await until(() => h.terminal.length > 0, 'the terminal QR code');
    expect(h.terminal[0]).toMatch(/[▀▄█]/);
    const page = await (await fetch(url)).text();
    expect(page).toContain('<svg');
    expect((await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403);
    h.fake.ready();
    expect(h.channel.qr()).toBeNull();
    expect(h.channel.health().state).toBe('up');
    expect(await (await fetch(url)).text()).toContain('already linked');
    expect(h.logs.join('\n')).not.toContain('secret-login-code');
  });

  it('keeps replies while disconnected, reconnects with backoff, and sends them once after ready', async () => {
    const h = await setup({ retry: { firstDelayMs: 1000, maxDelayMs: 4000 } });
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    h.fake.failInitialize = 3;
    h.fake.disconnect('NAVIGATION');
    expect(h.channel.health()).toMatchObject({ state: 'down', detail: 'disconnected: NAVIGATION' });

    const reply = say('Je antwoord');
    const first = await h.channel.send(DUTCH, reply);
    expect(first).toMatchObject({ status: 'retry' });
    expect(await h.channel.send(DUTCH, reply)).toMatchObject({ status: 'retry' }); // the caller retries: still kept once
    const reminder = await h.channel.send(DUTCH, say('Herinnering'), { proactive: { key: 'k', lang: 'nl', params: {} } });
    expect(reminder).toMatchObject({ status: 'retry' }); // not kept: the delivery queue retries it after its own checks
    await until(() => h.fake.initializeCalls === 5, 'four re-initialisations');
    // 1 s, 2 s, 4 s, 4 s: doubling, capped (the first three attempts fail).
    expect(h.clock.slept).toEqual([1000, 2000, 4000, 4000]);
    expect(h.fake.sent).toHaveLength(0);

    h.fake.ready();
    await until(() => h.fake.sent.length === 1, 'the kept reply');
    expect(h.fake.sent.map((s) => s.text)).toEqual(['Je antwoord']);
    // The caller's own retry now learns it was sent, without a second send.
    expect(await h.channel.send(DUTCH, reply)).toMatchObject({ status: 'sent' });
    expect(h.fake.sent).toHaveLength(1);
    expect(await h.channel.send(DUTCH, say('Herinnering'), { proactive: { key: 'k', lang: 'nl', params: {} } })).toMatchObject({ status: 'sent' });
    expect(h.fake.sent.map((s) => s.text)).toEqual(['Je antwoord', 'Herinnering']);
  });

  it('keeps the rest of a long reply when the connection drops part-way', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    const long = Array.from({ length: 700 }, (_, i) => `Regel ${i} van de lange tekst.`).join('\n');
    const original = h.fake.sendMessage.bind(h.fake);
    let calls = 0;
    h.fake.sendMessage = async (chatId, text) => {
      const sent = await original(chatId, text);
      if (++calls === 1) h.fake.disconnect('CONFLICT');
      return sent;
    };
    expect(await h.channel.send(DUTCH, say(long))).toMatchObject({ status: 'retry', partsSent: 1 });
    await reconnected(h);
    await until(() => h.fake.sent.length > 1 && h.fake.sent.map((s) => s.text).join('\n') === long, 'the rest of the reply');
    expect(await h.channel.send(DUTCH, say(long), { fromPart: 1 })).toMatchObject({ status: 'sent' });
    expect(h.fake.sent.map((s) => s.text).join('\n')).toBe(long);
  });

  it('a kept reply to a number that is not on WhatsApp marks it unreachable', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    await settle();
    h.fake.disconnect();
    await h.channel.send(DUTCH, say('x'));
    h.fake.failSends(new Error('Evaluation failed: Error: wid error: invalid wid'));
    await reconnected(h);
    await until(() => h.unreachable.length === 1, 'onUnreachable');
    expect(h.unreachable).toEqual([DUTCH]);
  });

  it('starts again with backoff when the first start fails, and stops cleanly', async () => {
    const clockless = await setup({ retry: { firstDelayMs: 10, maxDelayMs: 10 } }, { ready: false });
    await clockless.channel.stop();
    expect(clockless.channel.health().state).toBe('off');
    const h = await setup({ retry: { firstDelayMs: 10, maxDelayMs: 10 } }, { ready: false });
    h.fake.failInitialize = 2;
    await h.channel.stop();
    await h.channel.start();
    await until(() => h.fake.initializeCalls >= 3, 'three starts');
    h.fake.ready();
    expect(h.channel.health().state).toBe('up');
    await h.channel.stop();
    expect(h.channel.health().state).toBe('off');
    expect(h.fake.destroyCalls).toBeGreaterThan(0);
    // After stop, events from the session are not heard any more.
    h.fake.receive(DUTCH, 'late');
    await settle();
    expect(h.inbound).toHaveLength(0);
  });

  it('never writes a phone number to the logs', async () => {
    const h = await setup();
    h.fake.receive(DUTCH, 'Hoi');
    h.fake.receive(TURKISH, 'Merhaba', { type: 'ptt' });
    await settle();
    await h.channel.send(DUTCH, menu);
    await h.channel.send('31699999999@c.us', say('koud'));
    h.fake.failSends(new Error(`Evaluation failed: wid error: invalid wid ${PHONE}@c.us`));
    await h.channel.send(DUTCH, say('x'));
    h.fake.ack(`true_${DUTCH}_OUT1`, -1);
    h.fake.disconnect();
    await h.channel.send(DUTCH, say('y'));
    await reconnected(h);
    await until(() => h.fake.sent.length === 2, 'the kept reply');
    const all = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(5);
    for (const number of [PHONE, '905321234567', '31699999999']) expect(all).not.toContain(number);
    expect(all).toContain('wa_');
  });
});
