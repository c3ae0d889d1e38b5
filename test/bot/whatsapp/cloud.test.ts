import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { createWhatsAppCloudChannel, inboundRef, OPEN_HELD, type WhatsAppCloudChannel, type WhatsAppCloudOptions } from '../../../src/bot/whatsapp/cloud/cloud.adapter.js';
import { cutTitle, interactiveFor, tailWithin, templateParam } from '../../../src/bot/whatsapp/cloud/cloud.api.js';
import { classifyGraphError, PAIR_RATE_WAIT_MS, THROUGHPUT_WAIT_MS } from '../../../src/bot/whatsapp/cloud/cloud.errors.js';
import { DEFAULT_TEMPLATES_PATH, loadTemplates, parseTemplates, templateFor, type WhatsAppTemplates } from '../../../src/bot/whatsapp/cloud/cloud.templates.js';
import { WEBHOOK_PATH } from '../../../src/bot/whatsapp/cloud/cloud.webhook.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import type { InboundMessage, OutboundMessage } from '../../../src/core/messages.js';
import { renderReply, renderText } from '../../../src/core/render.js';
import { bodyOf, deliveryReply, hasChildButtons, templateAbout } from '../../../src/domain/delivery-message.js';
import type { DeliveryPayload } from '../../../src/domain/nurture.types.js';
import type { Logger, SendOptions } from '../../../src/core/ports.js';
import { openDatabase, type Db } from '../../../src/db/client.js';
import { finishDelivery, getDelivery, insertDeliveries, recordChannelStatus } from '../../../src/db/deliveries.repo.js';
import { lastInboundAt, touchInbound } from '../../../src/db/identities.repo.js';
import { identities, people } from '../../../src/db/schema.js';
import { parseReminderRules } from '../../../src/domain/reminder-rules.js';
import { createHttpServer } from '../../../src/http/server.js';
import { DEFAULT_RULES_PATH } from '../../../src/jobs/nurture.config.js';
import { fixedClock } from '../../support/clock.js';
import { inbound, postWebhook, startFakeGraphApi, statusEvent, webhookBody, type FakeGraphApi } from '../../support/fake-graph-api.js';

const SECRET = 'app-secret-for-tests';
const VERIFY = 'verify-me-please';
const PHONE = '31612345678';
const TURKISH = '905321234567';
const NOW = new Date('2027-03-01T10:00:00Z');
const HOUR = 3600_000;
const SRC_JOBS = fileURLToPath(new URL('../../../src/jobs', import.meta.url));
const SRC_EFFECTS = fileURLToPath(new URL('../../../src/db/effects.apply.ts', import.meta.url));

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);

interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

interface Harness {
  api: FakeGraphApi;
  channel: WhatsAppCloudChannel;
  db: Db;
  clock: ReturnType<typeof fixedClock>;
  url: string;
  inbound: InboundMessage[];
  statuses: { id: string; status: string; code?: number }[];
  unreachable: string[];
  logs: LogLine[];
  /** A consented person with a WhatsApp identity; returns the person id. */
  person(chatId?: string, lastInbound?: Date | null): number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function recordingLogger(logs: LogLine[]): Logger {
  const at = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj: obj as Record<string, unknown>, ...(msg ? { msg } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function setup(overrides: Partial<WhatsAppCloudOptions> = {}): Promise<Harness> {
  const api = await startFakeGraphApi();
  cleanups.push(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wa-cloud-'));
  const db = openDatabase(join(dir, 'bot.db'));
  cleanups.push(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const clock = fixedClock(NOW);
  const logs: LogLine[] = [];
  const logger = recordingLogger(logs);
  const h: Omit<Harness, 'channel' | 'url' | 'person'> = { api, db, clock, inbound: [], statuses: [], unreachable: [], logs };
  const wa = (chatId: string) => ({ channel: 'whatsapp' as const, chatId });
  const channel = createWhatsAppCloudChannel({
    config: { token: api.token, phoneNumberId: api.phoneNumberId, appSecret: SECRET, verifyToken: VERIFY, apiVersion: api.apiVersion, baseUrl: api.baseUrl, ratePerSecond: 80 },
    i18n,
    languages: locales.languages.map((l) => l.code),
    logger,
    clock,
    onInbound: async (m) => void h.inbound.push(m),
    onUnreachable: (chatId) => void h.unreachable.push(chatId),
    lastInboundAt: (chatId) => lastInboundAt(db, wa(chatId)),
    onInboundSeen: (chatId, at) => void touchInbound(db, wa(chatId), at),
    onStatus: (id, status, at, code) => {
      h.statuses.push({ id, status, ...(code !== undefined ? { code } : {}) });
      recordChannelStatus(db, id, status, at);
    },
    templates: loadTemplates(),
    timeoutMs: 2_000,
    ...overrides,
  });
  const server = createHttpServer({
    logger,
    onInbound: async () => undefined,
    health: () => ({ status: 'ok', database: 'up', channels: [channel.health()], uptimeSeconds: 0 }),
    routes: [
      { method: 'GET', path: channel.webhook.path, handler: channel.webhook.handler },
      { method: 'POST', path: channel.webhook.path, handler: channel.webhook.handler },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  const person = (chatId = PHONE, last: Date | null = null): number => {
    const p = db.insert(people).values({ language: 'nl' }).returning({ id: people.id }).get();
    db.insert(identities).values({ personId: p.id, channel: 'whatsapp', chatId, lastInboundAt: last }).run();
    return p.id;
  };
  return { ...h, channel, url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`, person };
}

const post = (h: Harness, value: Parameters<typeof webhookBody>[1], signature?: string | null) => postWebhook(h.url, webhookBody(h.api.phoneNumberId, value), SECRET, signature);
const channelStatusOf = (db: Db, id: number): string | null =>
  (db.$client.prepare('select channel_status from deliveries where id = ?').pluck().get(id) as string | null | undefined) ?? null;
const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await settle(5);
  }
}

const rsvp = (): OutboundMessage => ({
  text: 'Je bent welkom bij: <b>Inloopochtend</b>\nKom je ook?',
  lang: 'nl',
  choices: [[{ label: 'Ik kom', value: 'ev:7:yes' }, { label: 'Misschien', value: 'ev:7:maybe' }, { label: 'Ik kom niet', value: 'ev:7:no' }]],
});
const deadline14 = (lang = 'nl'): SendOptions => ({ proactive: { key: 'nurture:deadline14', lang, params: { about: 'Over je kind (maart 2024):', left: 'Nog 14 dagen!', deadline: 'donderdag 4 maart 2027', name: 'Samen naar De Regenboog' } } });
const registration = (): OutboundMessage => ({
  text: 'Nog 2 weken! De laatste dag om aan te melden is donderdag 4 maart 2027.',
  lang: 'nl',
  choices: [[{ label: 'Ik heb mijn kind aangemeld', value: 'reg:3:done' }], [{ label: 'Help mij', value: 'reg:3:help' }]],
});

describe('WhatsApp Cloud webhook: signature and verification', () => {
  it('accepts a correctly signed POST and dispatches its message', async () => {
    const h = await setup();
    const res = await post(h, { messages: [inbound.text(PHONE, 'wamid.IN1', 'hallo', NOW)] });
    expect(res.status).toBe(200);
    await waitUntil(() => h.inbound.length === 1);
    expect(h.inbound[0]).toEqual({ address: { channel: 'whatsapp', chatId: PHONE }, content: { kind: 'text', text: 'hallo' }, externalId: inboundRef('wamid.IN1'), languageHint: 'nl' });
    expect(h.inbound[0]?.externalId).not.toContain('IN1');
  });

  it.each([
    ['a wrong signature', 'sha256=' + '0'.repeat(64)],
    ['a signature made with another secret', 'other'],
    ['a malformed header', 'sha1=abc'],
    ['no signature at all', null],
  ])('refuses %s with 401 and processes nothing', async (_name, signature) => {
    const h = await setup();
    const body = webhookBody(h.api.phoneNumberId, { messages: [inbound.text(PHONE, 'wamid.BAD', 'STOP', NOW)], statuses: [statusEvent('wamid.X', 'read', NOW)] });
    const sig = signature === 'other' ? (await import('../../support/fake-graph-api.js')).signBody(JSON.stringify(body), 'not-the-secret') : signature;
    const res = await postWebhook(h.url, body, SECRET, sig);
    expect(res.status).toBe(401);
    await settle();
    expect(h.inbound).toEqual([]);
    expect(h.statuses).toEqual([]);
    expect(lastInboundAt(h.db, { channel: 'whatsapp', chatId: PHONE })).toBeNull();
  });

  it('refuses a body that was changed after signing', async () => {
    const h = await setup();
    const raw = JSON.stringify(webhookBody(h.api.phoneNumberId, { messages: [inbound.text(PHONE, 'wamid.T', 'hallo', NOW)] }));
    const { signBody } = await import('../../support/fake-graph-api.js');
    const res = await postWebhook(h.url, raw.replace('hallo', 'STOP!'), SECRET, signBody(raw, SECRET));
    expect(res.status).toBe(401);
    await settle();
    expect(h.inbound).toEqual([]);
  });

  it('refuses bodies over 1 MB with 413', async () => {
    const h = await setup();
    const res = await post(h, { messages: [inbound.text(PHONE, 'wamid.BIG', 'x'.repeat(1_100_000), NOW)] });
    expect(res.status).toBe(413);
    expect(h.inbound).toEqual([]);
  });

  it('answers Meta\'s verification handshake with the challenge, and 403 for a wrong token', async () => {
    const h = await setup();
    const ok = await fetch(`${h.url}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${h.url}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('1158201444');
    const noMode = await fetch(`${h.url}?hub.verify_token=${VERIFY}&hub.challenge=1`);
    expect(noMode.status).toBe(403);
  });
});

describe('WhatsApp Cloud webhook: inbound messages', () => {
  it('maps text, reply buttons, list rows, template quick replies, voice and media', async () => {
    const h = await setup();
    await post(h, {
      messages: [
        inbound.text(TURKISH, 'wamid.1', 'Merhaba', NOW),
        inbound.button(PHONE, 'wamid.2', 'ev:7:yes', 'Ik kom', NOW),
        inbound.list(PHONE, 'wamid.3', 'lang:tr', 'Türkçe', NOW),
        inbound.quickReply(PHONE, 'wamid.4', 'reg:3:done', 'Ik heb mijn kind aangemeld', NOW),
        inbound.voice(PHONE, 'wamid.5', NOW),
        inbound.of('image', PHONE, 'wamid.6', NOW),
        inbound.of('document', PHONE, 'wamid.7', NOW),
        inbound.of('sticker', PHONE, 'wamid.8', NOW),
        inbound.of('location', PHONE, 'wamid.9', NOW),
        inbound.text(PHONE, 'wamid.10', 'stop!!', NOW),
        inbound.of('reaction', PHONE, 'wamid.11', NOW),
      ],
    });
    await waitUntil(() => h.inbound.length === 10);
    expect(h.inbound.map((m) => [m.externalId, m.content])).toEqual([
      [inboundRef('wamid.1'), { kind: 'text', text: 'Merhaba' }],
      [inboundRef('wamid.2'), { kind: 'choice', value: 'ev:7:yes' }],
      [inboundRef('wamid.3'), { kind: 'choice', value: 'lang:tr' }],
      [inboundRef('wamid.4'), { kind: 'choice', value: 'reg:3:done' }],
      [inboundRef('wamid.5'), { kind: 'media', media: { type: 'voice', ref: 'media-voice', mimeType: 'audio/ogg; codecs=opus' } }],
      [inboundRef('wamid.6'), { kind: 'media', media: { type: 'photo', ref: 'media-x' } }],
      [inboundRef('wamid.7'), { kind: 'media', media: { type: 'document', ref: 'media-x' } }],
      [inboundRef('wamid.8'), { kind: 'unsupported', what: 'sticker' }],
      [inboundRef('wamid.9'), { kind: 'unsupported', what: 'location' }],
      [inboundRef('wamid.10'), { kind: 'command', command: 'stop', args: '' }],
    ]);
    expect(h.inbound[0]!.languageHint).toBe('tr');
  });

  it('maps a photo with caption, a named PDF and a quoted reply (context.id = the wamid we sent)', async () => {
    const h = await setup();
    await post(h, {
      messages: [
        inbound.image(PHONE, 'wamid.p', NOW, { id: 'media-photo', mime_type: 'image/jpeg', sha256: 'x', caption: 'Flyer' }),
        inbound.document(PHONE, 'wamid.d', NOW, { id: 'media-pdf', mime_type: 'application/pdf', sha256: 'x', filename: 'flyer.pdf' }),
        inbound.reply(PHONE, 'wamid.r', 'Morgen om 9 uur', 'wamid.TEST000042', NOW),
        { ...inbound.text(PHONE, 'wamid.f', 'doorgestuurd', NOW), context: { forwarded: true } },
        { ...inbound.voice(PHONE, 'wamid.v', NOW), context: { from: '3197000000000', id: 'wamid.TEST000043' } },
        inbound.of('video', PHONE, 'wamid.x', NOW),
      ],
    });
    await waitUntil(() => h.inbound.length === 6);
    expect(h.inbound.map((m) => m.content)).toEqual([
      { kind: 'media', media: { type: 'photo', ref: 'media-photo', mimeType: 'image/jpeg' }, caption: 'Flyer' },
      { kind: 'media', media: { type: 'document', ref: 'media-pdf', mimeType: 'application/pdf', filename: 'flyer.pdf' } },
      { kind: 'text', text: 'Morgen om 9 uur', replyTo: 'wamid.TEST000042' },
      { kind: 'text', text: 'doorgestuurd' },
      { kind: 'media', media: { type: 'voice', ref: 'media-voice', mimeType: 'audio/ogg; codecs=opus' }, replyTo: 'wamid.TEST000043' },
      { kind: 'unsupported', what: 'video' },
    ]);
  });

  it('maps a typed number or label to the choice last offered to that chat', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    await h.channel.send(PHONE, { text: 'Kies', lang: 'nl', choices: [[{ label: 'Ik kom', value: 'ev:7:yes' }], [{ label: 'Ik kom niet', value: 'ev:7:no' }]] });
    await post(h, { messages: [inbound.text(PHONE, 'wamid.a', '2', NOW), inbound.text(PHONE, 'wamid.b', 'ik kom', NOW)] });
    await waitUntil(() => h.inbound.length === 2);
    expect(h.inbound.map((m) => m.content)).toEqual([
      { kind: 'choice', value: 'ev:7:no' },
      { kind: 'choice', value: 'ev:7:yes' },
    ]);
  });

  it('records the time of the parent\'s message for the 24-hour window, never backwards', async () => {
    const h = await setup();
    h.person(PHONE, null);
    const earlier = new Date(NOW.getTime() - 2 * HOUR);
    await post(h, { messages: [inbound.text(PHONE, 'wamid.w1', 'hoi', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    expect(lastInboundAt(h.db, { channel: 'whatsapp', chatId: PHONE })?.getTime()).toBe(NOW.getTime());
    // A redelivered older message does not move it back.
    await post(h, { messages: [inbound.text(PHONE, 'wamid.w0', 'eerder', earlier)] });
    await waitUntil(() => h.inbound.length === 2);
    expect(lastInboundAt(h.db, { channel: 'whatsapp', chatId: PHONE })?.getTime()).toBe(NOW.getTime());
  });

  it('ignores changes for another phone number of the business account', async () => {
    const h = await setup();
    await postWebhook(h.url, webhookBody('999999999', { messages: [inbound.text(PHONE, 'wamid.o', 'hoi', NOW)] }), SECRET);
    await settle();
    expect(h.inbound).toEqual([]);
  });

  it('never logs a phone number', async () => {
    const h = await setup();
    await post(h, { messages: [inbound.text(PHONE, 'wamid.p', 'hoi', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    h.api.failNext({ status: 400, code: 131026, message: `(#131026) Message undeliverable to +${PHONE}` });
    await h.channel.send(PHONE, { text: 'Hallo', lang: 'nl' });
    await h.channel.send('31600000000', { text: 'Hallo', lang: 'nl' }, deadline14('so'));
    await postWebhook(h.url, webhookBody(h.api.phoneNumberId, {}), SECRET, null);
    const logged = JSON.stringify(h.logs);
    expect(logged).not.toContain(PHONE);
    expect(logged).not.toContain('31600000000');
    expect(logged).toContain('wa_');
  });
});

describe('WhatsApp Cloud: the 24-hour window', () => {
  it('sends free-form (interactive) inside the window', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - 23 * HOUR));
    const outcome = await h.channel.send(PHONE, rsvp(), { proactive: { key: 'nurture:eventInvite', lang: 'nl', params: { title: 'Inloopochtend', when: 'maandag', place: 'Hoofdweg 1' } } });
    expect(outcome).toEqual({ status: 'sent', externalId: expect.stringMatching(/^wamid\./) });
    const [sent] = h.api.sent(PHONE);
    expect(sent?.type).toBe('interactive');
  });

  it('opens the window from a message seen by the webhook, before the person is stored', async () => {
    const h = await setup();
    await post(h, { messages: [inbound.text(PHONE, 'wamid.new', 'hallo', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    expect(await h.channel.send(PHONE, { text: 'Welkom!', lang: 'nl' })).toMatchObject({ status: 'sent' });
    expect(h.api.sent(PHONE)[0]).toMatchObject({ type: 'text', text: { body: 'Welkom!' } });
  });

  it('sends the approved template outside the window, with its name, language and parameters in order', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - 25 * HOUR));
    const outcome = await h.channel.send(PHONE, registration(), deadline14('en'));
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(h.api.sent(PHONE)).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: PHONE,
        type: 'template',
        template: {
          name: 'ouderbrug_deadline_reminder',
          language: { code: 'en' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: 'Over je kind (maart 2024):' }, { type: 'text', text: 'Nog 14 dagen!' }, { type: 'text', text: 'donderdag 4 maart 2027' }] },
            { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'reg:3:done' }] },
            { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'reg:3:help' }] },
          ],
        },
      },
    ]);
  });

  it('fills several parameters in the configured order and flattens them the way WhatsApp requires', async () => {
    const h = await setup();
    h.person(PHONE, null);
    await h.channel.send(PHONE, rsvp(), { proactive: { key: 'nurture:eventInvite', lang: 'nl', params: { place: 'Hoofdweg 1\nAmsterdam', when: 'maandag 1 maart 09:00', title: 'Open &amp; ochtend', school: 'x' } } });
    const template = h.api.sent(PHONE)[0]?.template as { name: string; components: { parameters: { text?: string }[] }[] };
    expect(template.name).toBe('ouderbrug_event_invite');
    expect(template.components[0]!.parameters.map((p) => p.text)).toEqual(['Open & ochtend', 'maandag 1 maart 09:00', 'Hoofdweg 1 Amsterdam']);
    expect(templateParam('')).toBe('–');
    expect([...templateParam('a'.repeat(5000))].length).toBe(1000);
  });

  it('does not send a message without an approved template for its key or language, and says why', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - 3 * 24 * HOUR));
    const noLanguage = await h.channel.send(PHONE, registration(), deadline14('tr'));
    // Turkish is a draft (not approved) and the stand-in is not approved yet either (see cloud-templates.test.ts).
    expect(noLanguage).toEqual({ status: 'invalid', reason: expect.stringMatching(/^no approved template for nurture:deadline14 in tr \(its template is not approved in tr; the stand-in ouderbrug_message_waiting is not approved/) });
    const noKey = await h.channel.send(PHONE, { text: 'x', lang: 'nl' }, { proactive: { key: 'nurture:somethingNew', lang: 'nl', params: {} } });
    expect(noKey).toEqual({ status: 'invalid', reason: expect.stringMatching(/^no approved template for nurture:somethingNew in nl \(no template of its own;/) });
    expect(h.api.requests).toEqual([]);
    const warnings = h.logs.filter((l) => l.level === 'warn' && l.msg?.includes('no approved WhatsApp template'));
    expect(warnings.map((w) => [w.obj.key, w.obj.lang])).toEqual([
      ['nurture:deadline14', 'tr'],
      ['nurture:somethingNew', 'nl'],
    ]);
  });

  it('records "no template" on the delivery row, where `schedule` shows it to the coordinator', async () => {
    const h = await setup();
    const personId = h.person(PHONE, null);
    const [id] = insertDeliveries(h.db, [{ key: 'deadline-14|p1|c-|x', personId, childId: null, ruleId: 'deadline-14', channel: 'whatsapp', kind: 'reminder', priority: 8, dueAt: NOW, sendAt: NOW, expiresAt: null, urgentFrom: null, payload: { key: 'nurture:deadline14', params: {}, buttons: 'registration' } }], NOW);
    const outcome = await h.channel.send(PHONE, registration(), deadline14('pl'));
    if (outcome.status !== 'invalid') throw new Error('expected invalid');
    // What the delivery worker does with a second "invalid" (see deliver.worker.ts).
    finishDelivery(h.db, id!, 'failed', NOW, `invalid: ${outcome.reason}`);
    expect(getDelivery(h.db, id!)).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/^invalid: no approved template for nurture:deadline14 in pl \(/) });
  });

  it('treats a reply outside the window like a message without a template: not sent', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - 30 * HOUR));
    expect(await h.channel.send(PHONE, { text: 'Hallo', lang: 'nl' })).toMatchObject({ status: 'invalid', reason: expect.stringContaining('24-hour window') });
    expect(h.api.requests).toEqual([]);
  });

  it('falls back to the template when WhatsApp says the window has closed (131047)', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - 2 * HOUR));
    h.api.failNext({ status: 400, code: 131047, message: 'Re-engagement message' });
    expect(await h.channel.send(PHONE, registration(), deadline14('nl'))).toMatchObject({ status: 'sent' });
    const sent = h.api.sent(PHONE);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'template', template: { name: 'ouderbrug_deadline_reminder', language: { code: 'nl' } } });
  });

  /** A deadline reminder for siblings, built and rendered as the delivery worker does. */
  function siblingsReminder(lang: string): { message: OutboundMessage; options: SendOptions } {
    const payload: DeliveryPayload = {
      key: 'nurture:deadline14',
      params: { deadline: { date: '2027-03-04' } },
      buttons: 'registration',
      childId: 3,
      children: [{ id: 3, year: 2024, month: 3 }, { id: 4, year: 2025, month: 6 }],
      nameChildren: true,
      countdown: '2027-03-04',
    };
    const look = { initiative: null, event: null, newsletterText: null, now: NOW, timeZone: 'Europe/Amsterdam' };
    const reply = deliveryReply(payload, look);
    const about = templateAbout(payload, look)!;
    const params = { ...bodyOf(reply).params, about };
    const rendered = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, renderText(i18n, lang, { key: 'common:plain', params: { value: v } })]));
    return { message: renderReply(i18n, lang, reply), options: { proactive: { key: payload.key, lang, params: rendered, ...(hasChildButtons(payload) ? { perChild: true } : {}) } } };
  }

  it('sends a message for siblings outside the window as the "Bekijk" template with the line naming the children, and the full message with a button per child when the parent taps it', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - 3 * 24 * HOUR));
    const { message, options } = siblingsReminder('nl');
    expect(message.text.split('\n')[0]).toBe('Over je kinderen (maart 2024 en juni 2025):');
    expect(message.choices!.flat()).toHaveLength(3);
    expect(await h.channel.send(PHONE, message, options)).toMatchObject({ status: 'sent' });
    const [template] = h.api.sent(PHONE);
    expect(template).toMatchObject({
      type: 'template',
      template: {
        name: 'ouderbrug_deadline_reminder_children',
        language: { code: 'nl' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'Over je kinderen (maart 2024 en juni 2025):' }, { type: 'text', text: expect.stringMatching(/3 dagen/) }, { type: 'text', text: expect.stringMatching(/4 maart 2027/) }] },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: OPEN_HELD }] },
        ],
      },
    });
    // The parent taps "Bekijk": the window is open, the full message follows with its buttons; the bot itself sees nothing.
    await post(h, { messages: [inbound.quickReply(PHONE, 'wamid.open', OPEN_HELD, 'Bekijk', NOW)] });
    await waitUntil(() => h.api.sent(PHONE).length >= 2);
    await settle();
    const full = h.api.sent(PHONE).slice(1);
    expect(full.map((m) => m.type)).toEqual(['interactive']);
    const interactive = full[0]!.interactive as { body: { text: string }; action: { buttons?: unknown[]; sections?: { rows: { id: string }[] }[] } };
    expect(interactive.body.text).toContain('Over je kinderen (maart 2024 en juni 2025):');
    expect(JSON.stringify(interactive.action)).toContain('reg:3:done');
    expect(JSON.stringify(interactive.action)).toContain('reg:4:done');
    expect(h.inbound).toEqual([]);
    // Answered once: a second tap is an ordinary (old) button for the bot.
    await post(h, { messages: [inbound.quickReply(PHONE, 'wamid.open2', OPEN_HELD, 'Bekijk', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    expect(h.api.sent(PHONE)).toHaveLength(2);
  });

  it('sends the held message for siblings also when the parent answers with something else, and lets the bot answer that too', async () => {
    const h = await setup();
    h.person(PHONE, null);
    const { message, options } = siblingsReminder('en');
    await h.channel.send(PHONE, message, options);
    const template = h.api.sent(PHONE)[0]?.template as { name: string; components: { parameters: { text?: string }[] }[] };
    expect(template.name).toBe('ouderbrug_deadline_reminder_children');
    expect(template.components[0]!.parameters.map((p) => p.text)).toEqual(['About your children (March 2024 and June 2025):', '3 days to go!', 'Thursday, March 4, 2027']);
    await post(h, { messages: [inbound.text(PHONE, 'wamid.hi', 'hello', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    expect(h.inbound[0]!.content).toEqual({ kind: 'text', text: 'hello' });
    expect(h.api.sent(PHONE).map((m) => m.type)).toEqual(['template', 'interactive']);
  });

  it('does not send a message for siblings outside the window when its template has no per-child variant', async () => {
    const templates = loadTemplates();
    const { perChild: _dropped, ...plain } = templates['nurture:deadline14']!;
    const h = await setup({ templates: { ...templates, 'nurture:deadline14': plain } });
    h.person(PHONE, null);
    const { message, options } = siblingsReminder('nl');
    // Without its variant the message would need the stand-in (cloud-templates.test.ts), which is not approved here.
    expect(await h.channel.send(PHONE, message, options)).toEqual({ status: 'invalid', reason: expect.stringContaining('no approved template for nurture:deadline14 in nl (no variant for a button per child;') });
    expect(h.api.requests).toEqual([]);
  });

  it('closes the window 24 hours after the parent\'s last message', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    await h.channel.send(PHONE, { text: 'Hallo', lang: 'nl' }, deadline14('nl'));
    h.clock.advance(24 * HOUR);
    await h.channel.send(PHONE, registration(), deadline14('nl'));
    expect(h.api.sent(PHONE).map((m) => m.type)).toEqual(['text', 'template']);
  });
});

describe('WhatsApp Cloud: status webhooks', () => {
  async function sentDelivery(h: Harness, personId: number, key: string): Promise<{ id: number; wamid: string }> {
    const [id] = insertDeliveries(h.db, [{ key, personId, childId: null, ruleId: 'keep-warm', channel: 'whatsapp', kind: 'reminder', priority: 1, dueAt: NOW, sendAt: NOW, expiresAt: null, urgentFrom: null, payload: { key: 'nurture:keepWarm', params: {}, buttons: null } }], NOW);
    const outcome = await h.channel.send(PHONE, { text: 'Hoe gaat het?', lang: 'nl' }, { proactive: { key: 'nurture:keepWarm', lang: 'nl', params: { name: 'Samen' } } });
    if (outcome.status !== 'sent' || !outcome.externalId) throw new Error('not sent');
    finishDelivery(h.db, id!, 'sent', NOW, undefined, outcome.externalId);
    return { id: id!, wamid: outcome.externalId };
  }

  it('moves a delivery row sent → delivered → read, never backwards', async () => {
    const h = await setup();
    const personId = h.person(PHONE, new Date(NOW.getTime() - HOUR));
    const { id, wamid } = await sentDelivery(h, personId, 'k1');
    const at = (min: number) => new Date(NOW.getTime() + min * 60_000);
    await post(h, { statuses: [statusEvent(wamid, 'sent', at(1))] });
    await waitUntil(() => channelStatusOf(h.db, id) === 'sent');
    await post(h, { statuses: [statusEvent(wamid, 'delivered', at(2))] });
    await waitUntil(() => channelStatusOf(h.db, id) === 'delivered');
    await post(h, { statuses: [statusEvent(wamid, 'read', at(3)), statusEvent(wamid, 'delivered', at(4))] });
    await waitUntil(() => h.statuses.length === 4);
    const row = h.db.$client.prepare('select channel_status, channel_status_at from deliveries where id = ?').get(id) as { channel_status: string; channel_status_at: number };
    expect(row).toEqual({ channel_status: 'read', channel_status_at: at(3).getTime() });
  });

  it('records a failed status with its error code and reports an undeliverable number', async () => {
    const h = await setup();
    const personId = h.person(PHONE, new Date(NOW.getTime() - HOUR));
    const { id, wamid } = await sentDelivery(h, personId, 'k2');
    await post(h, { statuses: [statusEvent(wamid, 'failed', NOW, PHONE, 131026)] });
    await waitUntil(() => channelStatusOf(h.db, id) === 'failed');
    expect(h.statuses).toEqual([{ id: wamid, status: 'failed', code: 131026 }]);
    expect(h.unreachable).toEqual([PHONE]);
  });
});

describe('WhatsApp Cloud: errors', () => {
  const send = async (h: Harness) => h.channel.send(PHONE, { text: 'Hallo', lang: 'nl' });

  it.each([
    ['throughput 130429', { status: 400, code: 130429 }, { status: 'wait', retryAfterMs: THROUGHPUT_WAIT_MS }],
    ['pair rate 131056', { status: 400, code: 131056 }, { status: 'wait', retryAfterMs: PAIR_RATE_WAIT_MS }],
    ['HTTP 429 with Retry-After', { status: 429, code: 80007, retryAfter: 30 }, { status: 'wait', retryAfterMs: 30_000 }],
    ['a server error', { status: 500, code: 1 }, { status: 'retry' }],
    ['Meta\'s temporary trouble', { status: 503, code: 133004 }, { status: 'retry' }],
    ['undeliverable 131026', { status: 400, code: 131026 }, { status: 'unreachable' }],
    ['an invalid parameter', { status: 400, code: 100 }, { status: 'invalid' }],
  ])('%s', async (_name, failure, expected) => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    h.api.failNext(failure);
    expect(await send(h)).toMatchObject(expected);
  });

  it('reports template errors (132000 range) with the reason, loudly', async () => {
    const h = await setup();
    h.person(PHONE, null);
    h.api.failNext({ status: 400, code: 132001, message: '(#132001) Template name does not exist in the translation' });
    const outcome = await h.channel.send(PHONE, registration(), deadline14('nl'));
    expect(outcome).toEqual({ status: 'invalid', reason: 'template: whatsapp 132001: (#132001) Template name does not exist in the translation' });
    expect(h.logs.some((l) => l.level === 'error' && l.obj.template === 'ouderbrug_deadline_reminder' && l.obj.key === 'nurture:deadline14')).toBe(true);
  });

  it('logs a refused access token loudly and reports the channel down until a send works again', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    h.api.failNext({ status: 401, code: 190, message: 'Error validating access token' });
    expect(await send(h)).toMatchObject({ status: 'invalid', reason: expect.stringContaining('token') });
    expect(h.logs.some((l) => l.level === 'error' && l.msg?.includes('WHATSAPP_CLOUD_TOKEN'))).toBe(true);
    expect(h.channel.health()).toMatchObject({ name: 'whatsapp', state: 'down' });
    await send(h);
    expect(h.channel.health()).toMatchObject({ state: 'up' });
  });

  it('retries on network trouble', async () => {
    const h = await setup({ config: { token: 't', phoneNumberId: '1', appSecret: SECRET, verifyToken: VERIFY, apiVersion: 'v21.0', baseUrl: 'http://127.0.0.1:1', ratePerSecond: 80 } });
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    expect(await send(h)).toMatchObject({ status: 'retry', reason: expect.stringContaining('network') });
  });

  it('resumes a long message at the part that failed', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    const long = Array.from({ length: 700 }, (_, i) => `Zin nummer ${i}.`).join(' ');
    const parts = Math.ceil(long.length / 4096);
    expect(parts).toBeGreaterThan(1);
    // The second part hits the pair rate.
    h.api.failNext({ status: 400, code: 131056 }, 1, 1);
    const outcome = await h.channel.send(PHONE, { text: long, lang: 'nl' });
    expect(outcome).toMatchObject({ status: 'wait', partsSent: 1 });
    expect(await h.channel.send(PHONE, { text: long, lang: 'nl' }, { fromPart: 1 })).toMatchObject({ status: 'sent' });
    const bodies = h.api.sent(PHONE).map((m) => (m.text as { body: string }).body);
    expect(bodies.join(' ').replace(/\s+/g, ' ')).toBe(long);
  });

  it('classifies Graph API answers without a message id', () => {
    expect(classifyGraphError(200, {}).outcome.status).toBe('retry');
    expect(classifyGraphError(403, { error: { code: 10, message: 'Permission denied' } })).toMatchObject({ tokenRejected: true, outcome: { status: 'invalid' } });
    expect(classifyGraphError(400, { error: { code: 131047, message: 'Re-engagement message' } })).toMatchObject({ templateNeeded: true });
  });
});

describe('WhatsApp Cloud: interactive messages within WhatsApp\'s limits', () => {
  const choices = (n: number, label = (i: number) => `Keuze ${i}`) => [Array.from({ length: n }, (_, i) => ({ label: label(i + 1), value: `c:${i + 1}` }))];

  it('sends up to 3 choices as reply buttons with titles cut to 20 characters', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    await h.channel.send(PHONE, registration());
    const [sent] = h.api.sent(PHONE);
    expect(sent).toMatchObject({ type: 'interactive', interactive: { type: 'button', body: { text: 'Nog 2 weken! De laatste dag om aan te melden is donderdag 4 maart 2027.' } } });
    const buttons = ((sent!.interactive as { action: { buttons: { reply: { id: string; title: string } }[] } }).action.buttons).map((b) => b.reply);
    expect(buttons).toEqual([
      { id: 'reg:3:done', title: 'Ik heb mijn kind…' },
      { id: 'reg:3:help', title: 'Help mij' },
    ]);
    for (const b of buttons) expect([...b.title].length).toBeLessThanOrEqual(20);
  });

  it('sends 4 to 10 choices as a list of at most 10 rows, the full label as description when cut', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    await h.channel.send(PHONE, { text: '<b>Kies een taal</b>', lang: 'nl', choices: choices(10, (i) => (i === 10 ? 'Een heel lange keuze die niet past' : `Taal ${i}`)) });
    const [sent] = h.api.sent(PHONE);
    const interactive = sent!.interactive as { type: string; body: { text: string }; action: { button: string; sections: { rows: { id: string; title: string; description?: string }[] }[] } };
    expect(interactive.type).toBe('list');
    expect(interactive.body.text).toBe('*Kies een taal*');
    const rows = interactive.action.sections[0]!.rows;
    expect(rows).toHaveLength(10);
    expect(rows[9]).toEqual({ id: 'c:10', title: 'Een heel lange keuze…', description: 'Een heel lange keuze die niet past' });
    expect([...interactive.action.button].length).toBeLessThanOrEqual(20);
  });

  it('keeps a link in the body as "label: url": alone as plain text, with answers above the reply buttons', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    const url = 'https://www.schoolwijzernijmegen.nl/';
    const link = { label: 'Bekijk de pagina van de gemeente', value: 'link:0', url };
    await h.channel.send(PHONE, { text: 'De datum is nog niet bekend.', lang: 'nl', choices: [[link]] });
    await h.channel.send(PHONE, { text: 'Kom je?', lang: 'nl', choices: [...choices(2), [link]] });
    const [alone, withButtons] = h.api.sent(PHONE);
    expect(alone).toMatchObject({ type: 'text', text: { body: `De datum is nog niet bekend.\n\nBekijk de pagina van de gemeente: ${url}` } });
    const interactive = withButtons!.interactive as { type: string; body: { text: string }; action: { buttons: { reply: { id: string } }[] } };
    expect(interactive.type).toBe('button');
    expect(interactive.body.text).toBe(`Kom je?\n\nBekijk de pagina van de gemeente: ${url}`);
    expect(interactive.action.buttons.map((b) => b.reply.id)).toEqual(['c:1', 'c:2']);
  });

  it('falls back to the numbered text for more than 10 choices, and accepts the number typed back', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    await h.channel.send(PHONE, { text: 'Kies', lang: 'nl', choices: choices(12) });
    const [sent] = h.api.sent(PHONE);
    expect(sent?.type).toBe('text');
    const body = (sent!.text as { body: string }).body;
    expect(body).toContain('1. Keuze 1\n');
    expect(body).toContain('12. Keuze 12');
    expect(body).toContain('Antwoord met het nummer');
    await post(h, { messages: [inbound.text(PHONE, 'wamid.n', '11', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    expect(h.inbound[0]!.content).toEqual({ kind: 'choice', value: 'c:11' });
  });

  it('sends a long text before the buttons so the button body stays within 1024 characters', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    const text = `${Array.from({ length: 120 }, (_, i) => `Zin ${i} van de uitleg.`).join(' ')}\n\nKom je ook?`;
    expect(await h.channel.send(PHONE, { text, lang: 'nl', choices: choices(2) })).toMatchObject({ status: 'sent' });
    const sent = h.api.sent(PHONE);
    expect(sent.map((m) => m.type)).toEqual(['text', 'interactive']);
    expect((sent[1]!.interactive as { body: { text: string } }).body.text).toBe('Kom je ook?');
    expect((sent[0]!.text as { body: string }).body).toBe(text.replace('\n\nKom je ook?', ''));
    // Without a paragraph break: the longest end within 1024 characters, cut between words.
    const flat = Array.from({ length: 120 }, (_, i) => `Zin ${i} van de uitleg.`).join(' ');
    await h.channel.send(PHONE, { text: flat, lang: 'nl', choices: choices(2) });
    const [head, buttons] = h.api.sent(PHONE).slice(2);
    const body = (buttons!.interactive as { body: { text: string } }).body.text;
    expect(body.length).toBeLessThanOrEqual(1024);
    expect(body.length).toBeGreaterThan(1000);
    expect(`${(head!.text as { body: string }).body} ${body}`).toBe(flat);
  });

  it('sends a calendar file as a document after the text', async () => {
    const h = await setup();
    h.person(PHONE, new Date(NOW.getTime() - HOUR));
    const outcome = await h.channel.send(PHONE, { text: 'Hier is de afspraak.', lang: 'nl', attachment: { filename: 'afspraak.ics', mimeType: 'text/calendar', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' } });
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(h.api.requests.map((r) => r.path.split('/').pop())).toEqual(['messages', 'media', 'messages']);
    expect(h.api.sent(PHONE)[1]).toMatchObject({ type: 'document', document: { id: expect.stringMatching(/^media-/), filename: 'afspraak.ics' } });
  });

  it('builds nothing interactive for duplicate values, an empty body or too many choices', () => {
    const flat = (labels: string[]) => labels.map((label, i) => ({ n: i + 1, label, value: `v${i}` }));
    expect(interactiveFor('', flat(['a', 'b']), 'Kies')).toBeNull();
    expect(interactiveFor('x', flat(Array.from({ length: 11 }, (_, i) => `k${i}`)), 'Kies')).toBeNull();
    expect(interactiveFor('x', [{ n: 1, label: 'a', value: 'v' }, { n: 2, label: 'b', value: 'v' }], 'Kies')).toBeNull();
    // Titles that become equal once cut: a list instead of buttons.
    expect(interactiveFor('x', flat(['Dit is een hele lange keuze A', 'Dit is een hele lange keuze B']), 'Kies')).toMatchObject({ type: 'list' });
    expect(cutTitle('Ja, we hebben een plek', 20)).toBe('Ja, we hebben een…');
    expect(cutTitle('Kort', 20)).toBe('Kort');
    expect(tailWithin('kort', 10)).toEqual({ head: '', tail: 'kort' });
    expect(tailWithin('Eerste alinea.\n\nKom je?', 12)).toEqual({ head: 'Eerste alinea.', tail: 'Kom je?' });
    expect(tailWithin('een twee drie vier', 10)).toEqual({ head: 'een twee', tail: 'drie vier' });
  });
});

describe('WhatsApp templates file', () => {
  /**
   * Every message key the code can send on its own, read from where it is sent: the reminder
   * rules (a phase rule's key gets .p0 … .p5) and the notices the jobs and the effects insert
   * (retention, a registration day not published, a place free). A new notice key in those files
   * fails this test until it has a template. Messages with free text (broadcast:, relay:) go out
   * behind a stand-in instead (cloud-templates.test.ts).
   */
  /** Keys of messages about children (they may carry the line naming them) and of those with a button per child. */
  const aboutKeys = new Set<string>();
  const perChildKeys = new Set<string>();

  function proactiveKeys(): Map<string, boolean> {
    const rules = parseReminderRules(JSON.parse(readFileSync(DEFAULT_RULES_PATH, 'utf8')));
    const keys = new Map<string, boolean>();
    for (const r of rules) {
      const messages = typeof r.message === 'string' ? (r.trigger.type === 'phase' ? [0, 1, 2, 3, 4, 5].map((n) => `${r.message as string}.p${n}`) : [r.message]) : Object.values(r.message);
      for (const m of messages) keys.set(m, Boolean(r.buttons));
      const aboutChildren = r.trigger.type === 'childAge' || r.trigger.type === 'registration' || r.trigger.type === 'keepWarm';
      for (const m of messages) if (aboutChildren) aboutKeys.add(m);
      for (const m of messages) if (aboutChildren && hasChildButtons({ key: m, params: {}, buttons: r.buttons ?? null, children: [{ id: 1, year: 2024, month: 1 }, { id: 2, year: 2025, month: 1 }] })) perChildKeys.add(m);
    }
    const effects = readdirSync(join(SRC_EFFECTS, '..')).filter((f) => f.endsWith('.effects.ts')).map((f) => join(SRC_EFFECTS, '..', f));
    const sources = [...readdirSync(SRC_JOBS).filter((f) => f.endsWith('.ts')).map((f) => join(SRC_JOBS, f)), SRC_EFFECTS, ...effects];
    for (const file of sources) {
      const source = readFileSync(file, 'utf8');
      for (const [, key] of source.matchAll(/'((?:nurture|help):[A-Za-z0-9.]+)'/g)) {
        if (/^nurture:(button|about|age|left|list|frame)\b/.test(key!)) continue;
        // The payload's buttons: the first `buttons:` after the key (null: none; 'retention': a set).
        const buttons = /buttons: ([^,}\s]+)/.exec(source.slice(source.indexOf(`'${key!}'`)))?.[1];
        keys.set(key!, keys.get(key!) ?? (buttons !== undefined && buttons.startsWith("'")));
      }
    }
    return keys;
  }

  it('has a template in Dutch and English for every message the code sends on its own, with its parameters in the order of the text', () => {
    const templates = loadTemplates(DEFAULT_TEMPLATES_PATH);
    const keys = proactiveKeys();
    expect([...keys.keys()]).toEqual(expect.arrayContaining(['nurture:deadline14', 'nurture:phaseChange.p0', 'nurture:phaseChange.p5', 'nurture:retention.notice', 'nurture:retention.noticeExpected', 'nurture:missingDate.cohorts', 'nurture:missingDate.rounds', 'nurture:eventPromoted']));
    for (const [key, hasButtons] of keys) {
      const template = templates[key];
      expect(template, `${key}: no template`).toBeDefined();
      for (const lang of ['nl', 'en']) {
        expect(templateFor(templates, key, lang), `${key} ${lang}`).not.toBeNull();
        // {{1}} is the line naming the children (for a message about children), then the text's
        // own placeholders, each once, in the order they appear.
        const placeholders = [...String(i18n.getFixedT(lang)(key)).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]);
        expect(template!.params, `${key} ${lang}: params`).toEqual([...(aboutKeys.has(key) ? ['about'] : []), ...placeholders]);
      }
      expect(template!.quickReplies, `${key}: quick replies`).toBe(hasButtons);
      expect(template!.perChild !== undefined, `${key}: a variant for a button per child`).toBe(perChildKeys.has(key));
    }
    expect([...aboutKeys]).toEqual(expect.arrayContaining(['nurture:deadline14', 'nurture:birthCheck', 'nurture:keepWarm', 'nurture:settlingIn']));
    expect([...perChildKeys]).toEqual(expect.arrayContaining(['nurture:deadline14', 'nurture:birthCheck', 'nurture:placementCheck']));
    expect(perChildKeys.has('nurture:birthCongrats')).toBe(false);
    expect(templates['nurture:deadline14']!.name).toBe('ouderbrug_deadline_reminder');
    const names = Object.values(templates).flatMap((t) => [t.name, ...(t.perChild ? [t.perChild] : [])]);
    expect(new Set(names).size, 'template names are unique').toBe(names.length);
  });

  it('lists every problem of a bad file', () => {
    const bad = { version: 2, templates: { 'nurture:x': { name: 'Bad Name', category: 'UTILITY', why: 'x', languages: { nl: 'dutch!' } } } } as unknown;
    expect(() => parseTemplates(bad)).toThrow(/templates\.nurture:x\.name[\s\S]*templates\.nurture:x\.languages\.nl/);
    expect(() => parseTemplates({ version: 1, templates: {} })).toThrow(/version/);
    const nl = { code: 'nl', approved: true, review: 'native', body: 'Hallo {{1}}, tot straks.', samples: ['Ayşe'] };
    const ok: WhatsAppTemplates = parseTemplates({ version: 2, templates: { 'nurture:x': { name: 'ok_name', category: 'UTILITY', why: 'x', params: ['name'], languages: { nl } } } });
    expect(ok['nurture:x']).toEqual({ name: 'ok_name', category: 'UTILITY', why: 'x', params: ['name'], quickReplies: false, waiting: false, covers: [], languages: { nl: { ...nl, buttons: [] } } });
  });
});

describe('WhatsApp Cloud wired in the app', () => {
  async function startApp(env: Record<string, string> = {}) {
    const api = await startFakeGraphApi();
    const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wa-app-'));
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({
      DATABASE_PATH: join(dir, 'bot.db'),
      HTTP_PORT: '0',
      NURTURE_ENABLED: 'false',
      WHATSAPP_CLOUD_TOKEN: api.token,
      WHATSAPP_CLOUD_PHONE_NUMBER_ID: api.phoneNumberId,
      WHATSAPP_CLOUD_APP_SECRET: SECRET,
      WHATSAPP_CLOUD_VERIFY_TOKEN: VERIFY,
      WHATSAPP_CLOUD_BASE_URL: api.baseUrl,
      ...env,
    });
    const app = createApp({ config, logger: createLogger('debug', sink) });
    const port = await app.start();
    cleanups.push(async () => {
      await app.stop();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { api, app, port, logs, url: `http://127.0.0.1:${port}${WEBHOOK_PATH}` };
  }

  it('answers a parent who writes on WhatsApp, through the signed webhook, and reports its health', async () => {
    const { api, app, port, logs, url } = await startApp();
    expect(app.whatsappCloud).toBeDefined();
    const verified = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=42`);
    expect(await verified.text()).toBe('42');
    expect((await postWebhook(url, webhookBody(api.phoneNumberId, { messages: [inbound.text(TURKISH, 'wamid.app1', 'Merhaba', new Date())] }), SECRET)).status).toBe(200);
    await waitUntil(() => api.sent(TURKISH).length >= 1, 8000);
    await app.dispatcher.idle();
    const first = api.sent(TURKISH).at(-1)!;
    expect(['interactive', 'text']).toContain(first.type);
    // The parent answers with the first option the bot offered (a button or the number 1).
    const offered = first.type === 'interactive' ? (first.interactive as { type: string; action: { buttons?: { reply: { id: string; title: string } }[]; sections?: { rows: { id: string; title: string }[] }[] } }) : null;
    const pick = offered?.action.buttons?.[0]?.reply ?? offered?.action.sections?.[0]?.rows[0];
    const answer = pick ? inbound.button(TURKISH, 'wamid.app2', pick.id, pick.title, new Date()) : inbound.text(TURKISH, 'wamid.app2', '1', new Date());
    const before = api.sent(TURKISH).length;
    await postWebhook(url, webhookBody(api.phoneNumberId, { messages: [answer] }), SECRET);
    await waitUntil(() => api.sent(TURKISH).length > before, 8000);
    const unsigned = await postWebhook(url, webhookBody(api.phoneNumberId, { messages: [inbound.text(TURKISH, 'wamid.app3', 'STOP', new Date())] }), SECRET, null);
    expect(unsigned.status).toBe(401);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { channels: { name: string; state: string }[] };
    expect(health.channels).toContainEqual(expect.objectContaining({ name: 'whatsapp', state: 'up' }));
    expect(logs.join('\n')).not.toContain(TURKISH);
  });

  it('says that whatsapp-web.js is not started when the Cloud API is configured too', async () => {
    const { logs } = await startApp({ WHATSAPP_WEB_ENABLED: 'true' });
    expect(logs.some((l) => l.includes('Cloud API is configured and wins'))).toBe(true);
  });
});
