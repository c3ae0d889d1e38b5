/**
 * WhatsApp templates in every language and the template-then-full pattern, at the adapter: the
 * templates file (ten languages, Meta's limits), which template goes out outside the 24-hour
 * window (`planTemplate`), the stand-in ("a message from your initiative; reply to read it")
 * that holds the full message, the 132005 check before sending, and a closed window reported
 * later (131047 in a failed status). The real Graph API client talks HTTP to the fake Graph API.
 * The end-to-end flow (queue, delivery rows, release on reply) is in test/e2e/whatsapp-templates.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWhatsAppCloudChannel, OPEN_HELD, type WhatsAppCloudChannel } from '../../../src/bot/whatsapp/cloud/cloud.adapter.js';
import { loadTemplates, parseTemplates, planTemplate, standInFor, TEMPLATE_LIMITS, fill, type TemplateRequest, type WhatsAppTemplates } from '../../../src/bot/whatsapp/cloud/cloud.templates.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import type { InboundMessage, OutboundMessage } from '../../../src/core/messages.js';
import type { SendOptions } from '../../../src/core/ports.js';
import { openDatabase, type Db } from '../../../src/db/client.js';
import { expireHeld, getDelivery, hasHeld, HELD_MAX_MS, holdDelivery, insertDeliveries, releaseHeld, claimDelivery, RELEASED_NOTE } from '../../../src/db/deliveries.repo.js';
import { lastInboundAt, touchInbound } from '../../../src/db/identities.repo.js';
import { identities, people } from '../../../src/db/schema.js';
import { createHttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../support/engine-harness.js';
import { fixedClock } from '../../support/clock.js';
import { inbound, postWebhook, startFakeGraphApi, statusEvent, webhookBody, type FakeGraphApi } from '../../support/fake-graph-api.js';

const SECRET = 'app-secret-for-tests';
const PHONE = '905321234567';
const NOW = new Date('2027-03-01T10:00:00Z');
const HOUR = 3600_000;
const LANGUAGES = ['nl', 'en', 'ar', 'bg', 'pl', 'pt', 'so', 'ti', 'tr', 'uk'];
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
const shipped = loadTemplates();

/** The shipped templates as if Meta had approved them in these languages (and a native speaker checked them). */
function approvedIn(langs: string[], templates: WhatsAppTemplates = shipped): WhatsAppTemplates {
  const copy = structuredClone(templates);
  for (const t of Object.values(copy)) for (const [lang, entry] of Object.entries(t.languages)) if (langs.includes(lang)) Object.assign(entry, { approved: true, review: 'native' });
  return copy;
}

interface H {
  api: FakeGraphApi;
  channel: WhatsAppCloudChannel;
  db: Db;
  clock: ReturnType<typeof fixedClock>;
  url: string;
  inbound: InboundMessage[];
  statuses: { id: string; status: string; code?: number; title?: string }[];
  released: string[];
  person(lastInbound: Date | null, language?: string): number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(templates: WhatsAppTemplates, holdsInStorage = 0, storage?: { hasHeld(): boolean }): Promise<H> {
  const api = await startFakeGraphApi();
  cleanups.push(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wa-tpl-'));
  const db = openDatabase(join(dir, 'bot.db'));
  cleanups.push(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const clock = fixedClock(NOW);
  const wa = (chatId: string) => ({ channel: 'whatsapp' as const, chatId });
  const h: Omit<H, 'channel' | 'url' | 'person'> = { api, db, clock, inbound: [], statuses: [], released: [] };
  let held = holdsInStorage;
  const channel = createWhatsAppCloudChannel({
    config: { token: api.token, phoneNumberId: api.phoneNumberId, appSecret: SECRET, verifyToken: 'v', apiVersion: api.apiVersion, baseUrl: api.baseUrl, ratePerSecond: 80 },
    i18n,
    languages: LANGUAGES,
    logger: silentLogger,
    clock,
    onInbound: async (m) => void h.inbound.push(m),
    lastInboundAt: (chatId) => lastInboundAt(db, wa(chatId)),
    onInboundSeen: (chatId, at) => void touchInbound(db, wa(chatId), at),
    onStatus: (id, status, _at, code, title) => void h.statuses.push({ id, status, ...(code !== undefined ? { code } : {}), ...(title ? { title } : {}) }),
    releaseHeld: (chatId) => {
      h.released.push(chatId);
      const n = held;
      held = 0;
      return n;
    },
    ...(storage ? { hasHeld: () => storage.hasHeld() } : {}),
    templates,
    timeoutMs: 2_000,
  });
  const server = createHttpServer({
    logger: silentLogger,
    onInbound: async () => undefined,
    health: () => ({ status: 'ok', database: 'up', channels: [], uptimeSeconds: 0 }),
    routes: [{ method: 'POST', path: channel.webhook.path, handler: channel.webhook.handler }],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  const person = (last: Date | null, language = 'tr'): number => {
    const p = db.insert(people).values({ language }).returning({ id: people.id }).get();
    db.insert(identities).values({ personId: p.id, channel: 'whatsapp', chatId: PHONE, lastInboundAt: last }).run();
    return p.id;
  };
  return { ...h, channel, url: `http://127.0.0.1:${port}${channel.webhook.path}`, person };
}

async function waitUntil(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const post = (h: H, value: Parameters<typeof webhookBody>[1]) => postWebhook(h.url, webhookBody(h.api.phoneNumberId, value), SECRET);
const templateOf = (body: Record<string, unknown> | undefined) => body?.template as { name: string; language: { code: string }; components?: { type: string; parameters: { text?: string; payload?: string }[] }[] } | undefined;
const bodyTexts = (body: Record<string, unknown> | undefined): (string | undefined)[] => templateOf(body)?.components?.find((c) => c.type === 'body')?.parameters.map((p) => p.text) ?? [];

const registration = (lang = 'tr'): OutboundMessage => ({
  text: 'x',
  lang,
  choices: [[{ label: 'Çocuğumu kaydettim', value: 'reg:3:done' }], [{ label: 'Yardım istiyorum', value: 'reg:3:help' }]],
});
const deadline14 = (lang = 'tr'): SendOptions => ({
  proactive: { key: 'nurture:deadline14', lang, params: { about: 'Çocuğunuz hakkında (Mart 2024):', left: 'Son 14 gün!', deadline: '4 Mart 2027 Perşembe' }, initiative: 'Samen naar De Regenboog' },
});
const broadcast = (lang = 'tr', fallbackLang?: string): { message: OutboundMessage; options: SendOptions } => ({
  message: { text: 'Cumartesi okul bahçesinde kahve içiyoruz. Herkes davetli!', lang },
  options: { proactive: { key: 'broadcast:body', lang, params: { text: 'Cumartesi okul bahçesinde kahve içiyoruz. Herkes davetli!' }, initiative: 'Samen naar De Regenboog', ...(fallbackLang ? { fallbackLang } : {}) } },
});

describe('the templates file', () => {
  it('has every template in all ten languages with a body, samples and buttons within Meta\'s limits; only nl and en are approved, the rest are drafts', () => {
    expect(Object.keys(shipped).length).toBeGreaterThanOrEqual(30);
    for (const [key, t] of Object.entries(shipped)) {
      expect(Object.keys(t.languages).sort(), key).toEqual([...LANGUAGES].sort());
      expect(['UTILITY', 'MARKETING'], key).toContain(t.category);
      expect(t.why.length, `${key}: why this category`).toBeGreaterThan(10);
      for (const [lang, e] of Object.entries(t.languages)) {
        const at = `${key} ${lang}`;
        expect(e.samples, at).toHaveLength(t.params.length);
        expect(fill(e.body, e.samples).length, at).toBeLessThanOrEqual(TEMPLATE_LIMITS.body);
        expect(fill(e.body, e.samples), at).not.toMatch(/\{\{/);
        for (const b of e.buttons) expect(b.length, `${at}: ${b}`).toBeLessThanOrEqual(TEMPLATE_LIMITS.buttonText);
        expect(e.buttons.length > 0, at).toBe(t.quickReplies || t.waiting);
        // Today Meta approved nl and en only; the stand-ins are new and must be submitted first.
        expect(e.approved, at).toBe(!t.waiting && (lang === 'nl' || lang === 'en'));
        expect(e.review, at).toBe(lang === 'nl' || lang === 'en' ? 'native' : 'draft');
      }
    }
    expect(shipped['nurture:deadline14']!.languages.tr).toMatchObject({ code: 'tr', body: expect.stringContaining('{{3}} gününün sonuna kadar'), buttons: ['Çocuğumu kaydettim', 'Yardım istiyorum'] });
    expect(shipped['nurture:deadline14']!.languages.pt!.code).toBe('pt_PT');
    expect(shipped['nurture:phaseChange.p0']!.languages.nl!.body).toContain('Typ dan STOP.');
  });

  it('stands in for every message with free text: broadcasts, relay notices, and the relayed answer gets "an answer is waiting"', () => {
    expect(standInFor(shipped, 'broadcast:body')?.[1].name).toBe('ouderbrug_message_waiting');
    expect(standInFor(shipped, 'relay:notice.offer')?.[1].name).toBe('ouderbrug_message_waiting');
    expect(standInFor(shipped, 'relay:notice.answer')?.[1]).toMatchObject({ name: 'ouderbrug_answer_waiting', category: 'UTILITY' });
    expect(shipped['whatsapp:messageWaiting']).toMatchObject({ category: 'MARKETING', params: ['name'], waiting: true });
    expect(shipped['whatsapp:messageWaiting']!.languages.nl).toMatchObject({ body: 'Er is een nieuw bericht van {{1}} voor je. Wil je het lezen? Tik dan op de knop.', buttons: ['Lees het bericht'] });
  });

  it('refuses a draft marked approved, a body that starts or ends with a variable, a wrong number of samples and a button over 25 characters', () => {
    const entry = { code: 'tr', approved: true, review: 'draft', body: '{{1}} merhaba', samples: [], buttons: ['Bu düğmenin yazısı çok ama çok uzun'] };
    const bad = { version: 2, templates: { 'nurture:x': { name: 'ouderbrug_x', category: 'UTILITY', why: 'test', params: ['name'], quickReplies: true, languages: { tr: entry } } } };
    let message = '';
    try {
      parseTemplates(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('templates.nurture:x.languages.tr.buttons.0');
    expect(message).toContain('starts with a variable');
    expect(message).toContain('1 samples needed');
    expect(message).toContain('a draft must be checked by a native speaker');
    const ends = structuredClone(bad);
    Object.assign(ends.templates['nurture:x'].languages.tr, { approved: false, body: 'Merhaba {{1}}', samples: ['Ayşe'], buttons: ['Tamam'] });
    expect(() => parseTemplates(ends)).toThrow(/ends with a variable/);
  });
});

describe('planTemplate: what goes out outside the window', () => {
  const req = (over: Partial<TemplateRequest> = {}): TemplateRequest => ({ key: 'nurture:deadline14', lang: 'tr', params: deadline14().proactive!.params, choices: ['reg:3:done', 'reg:3:help'], initiative: 'Samen naar De Regenboog', ...over });

  it('the message\'s own template in the reader\'s language once it is approved', () => {
    expect(planTemplate(approvedIn(['tr']), req())).toMatchObject({ kind: 'own', name: 'ouderbrug_deadline_reminder', languageCode: 'tr', quickReplies: ['reg:3:done', 'reg:3:help'] });
  });

  it('else the stand-in: in the reader\'s language, else their second language, else Dutch; never another language\'s full template', () => {
    const why = 'its template is not approved in tr';
    expect(planTemplate(approvedIn(['nl', 'en', 'tr']), req({ key: 'broadcast:body' }))).toMatchObject({ kind: 'waiting', name: 'ouderbrug_message_waiting', lang: 'tr', bodyParams: ['Samen naar De Regenboog'], quickReplies: [OPEN_HELD] });
    expect(planTemplate(approvedIn(['nl', 'en']), req())).toMatchObject({ kind: 'waiting', lang: 'nl', why });
    expect(planTemplate(approvedIn(['nl', 'en']), req({ fallbackLang: 'en' }))).toMatchObject({ kind: 'waiting', lang: 'en', languageCode: 'en', button: 'Read the message' });
    expect(planTemplate(approvedIn(['nl']), req({ key: 'relay:notice.answer' }))).toMatchObject({ kind: 'waiting', name: 'ouderbrug_answer_waiting', lang: 'nl' });
    expect(planTemplate(shipped, req())).toEqual({ kind: 'none', reason: expect.stringMatching(/^no approved template for nurture:deadline14 in tr \(its template is not approved in tr; the stand-in ouderbrug_message_waiting is not approved in tr, nl\)$/) });
  });

  it('checks the filled-in length before sending (132005): too long for its template → the stand-in', () => {
    const templates = approvedIn(['nl', 'en', 'tr']);
    const fits = 'Bu ay kahve sabahı var. '.repeat(20);
    const long = 'Bu ay kahve sabahı var. '.repeat(60);
    const newsletter = (text: string) => req({ key: 'nurture:newsletter', params: { name: 'Samen naar De Regenboog', text }, choices: [] });
    const ok = planTemplate(templates, newsletter(fits));
    expect(ok).toMatchObject({ kind: 'own', name: 'ouderbrug_newsletter' });
    expect(ok.kind === 'own' && ok.length).toBe(fill(templates['nurture:newsletter']!.languages.tr!.body, ['Samen naar De Regenboog', fits.trim()]).length);
    const plan = planTemplate(templates, newsletter(long));
    expect(plan).toMatchObject({ kind: 'waiting', name: 'ouderbrug_message_waiting', lang: 'tr', why: expect.stringMatching(/^too long: 14\d\d characters filled in, WhatsApp allows 1024 \(132005\)$/) });
  });

  it('a missing parameter, or answers that do not match the template\'s buttons, also get the stand-in (never a refusal from Meta)', () => {
    const templates = approvedIn(['nl', 'en', 'tr']);
    expect(planTemplate(templates, req({ params: { about: 'x', left: 'y' } }))).toMatchObject({ kind: 'waiting', why: 'parameter deadline missing' });
    expect(planTemplate(templates, req({ choices: ['a', 'b', 'c'] }))).toMatchObject({ kind: 'waiting', why: '3 answers, its template has 2 buttons' });
  });
});

describe('the stand-in at the adapter', () => {
  it('a Turkish parent outside the window gets the Turkish template, filled in Turkish', async () => {
    const h = await setup(approvedIn(['nl', 'en', 'tr']));
    h.person(new Date(NOW.getTime() - 26 * HOUR));
    expect(await h.channel.send(PHONE, registration(), deadline14())).toEqual({ status: 'sent', externalId: expect.stringMatching(/^wamid\./) });
    const [sent] = h.api.sent(PHONE);
    expect(templateOf(sent)).toMatchObject({ name: 'ouderbrug_deadline_reminder', language: { code: 'tr' } });
    expect(bodyTexts(sent)).toEqual(['Çocuğunuz hakkında (Mart 2024):', 'Son 14 gün!', '4 Mart 2027 Perşembe']);
  });

  it('a broadcast outside the window: the stand-in with the initiative\'s name and one button; the outcome says the message is held', async () => {
    const h = await setup(approvedIn(['nl', 'en', 'tr']));
    h.person(new Date(NOW.getTime() - 3 * 24 * HOUR));
    const { message, options } = broadcast();
    const outcome = await h.channel.send(PHONE, message, options);
    expect(outcome).toEqual({ status: 'sent', externalId: expect.stringMatching(/^wamid\./), held: true, reason: 'no template of its own; sent ouderbrug_message_waiting (tr)' });
    const [sent] = h.api.sent(PHONE);
    expect(templateOf(sent)).toEqual({
      name: 'ouderbrug_message_waiting',
      language: { code: 'tr' },
      components: [
        { type: 'body', parameters: [{ type: 'text', text: 'Samen naar De Regenboog' }] },
        { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: OPEN_HELD }] },
      ],
    });
    // The broadcast's text never reaches WhatsApp outside the window.
    expect(JSON.stringify(h.api.requests.map((r) => r.body))).not.toContain('kahve');
  });

  it('the stand-in in Dutch when the reader\'s language has none approved, in English when they chose English', async () => {
    const h = await setup(approvedIn(['nl', 'en']));
    h.person(null);
    await h.channel.send(PHONE, broadcast('tr').message, broadcast('tr').options);
    await h.channel.send(PHONE, broadcast('tr').message, broadcast('tr', 'en').options);
    expect(h.api.sent(PHONE).map((m) => [templateOf(m)?.name, templateOf(m)?.language.code])).toEqual([
      ['ouderbrug_message_waiting', 'nl'],
      ['ouderbrug_message_waiting', 'en'],
    ]);
  });

  it('one stand-in at a time: while one waits for the reply, the next message joins it without a second template', async () => {
    let waiting = false;
    const h = await setup(approvedIn(['nl', 'en', 'tr']), 0, { hasHeld: () => waiting });
    h.person(null);
    expect(await h.channel.send(PHONE, broadcast().message, broadcast().options)).toMatchObject({ status: 'sent', held: true, externalId: expect.any(String) });
    waiting = true;
    expect(await h.channel.send(PHONE, broadcast().message, broadcast().options)).toEqual({ status: 'sent', held: true, reason: 'no template of its own; joins the stand-in already waiting' });
    // A message with an approved template of its own still goes out as that template.
    await h.channel.send(PHONE, registration(), deadline14());
    expect(h.api.sent(PHONE).map((m) => templateOf(m)?.name)).toEqual(['ouderbrug_message_waiting', 'ouderbrug_deadline_reminder']);
  });

  it('tapping the stand-in\'s button releases what is held and is not a turn; typed text is a turn, then releases', async () => {
    const h = await setup(approvedIn(['nl', 'en', 'tr']), 1);
    h.person(null);
    await h.channel.send(PHONE, broadcast().message, broadcast().options);
    await post(h, { messages: [inbound.quickReply(PHONE, 'wamid.tap', OPEN_HELD, 'Mesajı oku', NOW)] });
    await waitUntil(() => h.released.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.inbound).toEqual([]);
    // Nothing waits any more: a second tap is answered as an old button.
    await post(h, { messages: [inbound.quickReply(PHONE, 'wamid.tap2', OPEN_HELD, 'Mesajı oku', NOW)] });
    await waitUntil(() => h.inbound.length === 1);
    expect(h.inbound[0]!.content).toEqual({ kind: 'stale_choice' });
    // "1" typed back means the button too.
    await h.channel.send(PHONE, broadcast().message, broadcast().options);
    await post(h, { messages: [inbound.text(PHONE, 'wamid.one', '1', NOW)] });
    await waitUntil(() => h.released.length === 3);
    // Any other message is the parent's own turn first.
    await post(h, { messages: [inbound.text(PHONE, 'wamid.hi', 'Merhaba', NOW)] });
    await waitUntil(() => h.released.length === 4);
    expect(h.inbound.at(-1)!.content).toEqual({ kind: 'text', text: 'Merhaba' });
  });

  it('132005 checked before sending: a newsletter too long for its template goes out as the stand-in, WhatsApp never refuses it', async () => {
    const h = await setup(approvedIn(['nl', 'en', 'tr']));
    h.person(null);
    const text = 'Bu ay kahve sabahı var. '.repeat(60);
    const outcome = await h.channel.send(PHONE, { text, lang: 'tr' }, { proactive: { key: 'nurture:newsletter', lang: 'tr', params: { name: 'Samen naar De Regenboog', text }, initiative: 'Samen naar De Regenboog' } });
    expect(outcome).toMatchObject({ status: 'sent', held: true, reason: expect.stringContaining('(132005)') });
    expect(h.api.requests.map((r) => templateOf(r.body)?.name)).toEqual(['ouderbrug_message_waiting']);
  });

  it('132005 from WhatsApp anyway (it measured differently): the stand-in follows at once', async () => {
    const h = await setup(approvedIn(['nl', 'en', 'tr']));
    h.person(null);
    h.api.failNext({ status: 400, code: 132005, message: '(#132005) Translated text too long' });
    const outcome = await h.channel.send(PHONE, registration(), deadline14());
    expect(outcome).toMatchObject({ status: 'sent', held: true, reason: expect.stringContaining('132005') });
    expect(h.api.requests.map((r) => templateOf(r.body)?.name)).toEqual(['ouderbrug_deadline_reminder', 'ouderbrug_message_waiting']);
  });

  it('131047 in a failed status webhook: the chat is outside the window until the parent writes again', async () => {
    const h = await setup(approvedIn(['nl', 'en', 'tr']));
    h.person(new Date(NOW.getTime() - 2 * HOUR));
    const first = await h.channel.send(PHONE, registration(), deadline14());
    expect(h.api.sent(PHONE)[0]?.type).toBe('interactive');
    await post(h, { statuses: [{ ...statusEvent((first as { externalId: string }).externalId, 'failed', NOW, PHONE), errors: [{ code: 131047, title: 'Re-engagement message' }] }] });
    await waitUntil(() => h.statuses.length === 1);
    expect(h.statuses[0]).toEqual({ id: (first as { externalId: string }).externalId, status: 'failed', code: 131047, title: 'Re-engagement message' });
    await h.channel.send(PHONE, registration(), deadline14());
    expect(templateOf(h.api.sent(PHONE)[1])?.name).toBe('ouderbrug_deadline_reminder');
    h.clock.advance(60_000);
    await post(h, { messages: [inbound.text(PHONE, 'wamid.back', 'Merhaba', h.clock.now())] });
    await waitUntil(() => h.inbound.length === 1);
    await h.channel.send(PHONE, registration(), deadline14());
    expect(h.api.sent(PHONE)[2]?.type).toBe('interactive');
  });
});

describe('held rows in storage', () => {
  function heldRow(db: Db, personId: number, key: string, expiresAt: Date | null, at: Date): number {
    const [id] = insertDeliveries(db, [{ key, personId, childId: null, ruleId: 'b1', channel: 'whatsapp', kind: 'broadcast', priority: 6, dueAt: at, sendAt: at, expiresAt, urgentFrom: null, payload: { key: 'broadcast:body', params: {}, buttons: null, broadcastId: 1 } }], at);
    claimDelivery(db, id!);
    holdDelivery(db, id!, at, 'wamid.HELD', 'no template of its own; sent ouderbrug_message_waiting (tr)');
    return id!;
  }

  it('a reply releases them (planned, due now, past the cap); one past its expiry or 14 days old expires and is counted', async () => {
    const h = await setup(shipped);
    const personId = h.person(null);
    const a = heldRow(h.db, personId, 'b1|a', null, NOW);
    const b = heldRow(h.db, personId, 'b1|b', new Date(NOW.getTime() + 2 * 24 * HOUR), NOW);
    const c = heldRow(h.db, personId, 'b1|c', null, new Date(NOW.getTime() - HELD_MAX_MS + HOUR));
    expect(getDelivery(h.db, a)).toMatchObject({ status: 'held', externalId: 'wamid.HELD', sentAt: NOW, lastError: expect.stringMatching(/^held: no template of its own/) });
    const later = new Date(NOW.getTime() + 3 * 24 * HOUR);
    expect(releaseHeld(h.db, { channel: 'whatsapp', chatId: PHONE }, later)).toEqual([a]);
    expect(getDelivery(h.db, a)).toMatchObject({ status: 'planned', sendAt: later, urgentFrom: later, lastError: RELEASED_NOTE });
    expect(getDelivery(h.db, b)).toMatchObject({ status: 'expired' });
    expect(getDelivery(h.db, c)).toMatchObject({ status: 'expired', lastError: 'expired: held behind a stand-in, the parent did not reply' });
    expect(releaseHeld(h.db, { channel: 'whatsapp', chatId: '31600000000' }, later)).toEqual([]);
    const d = heldRow(h.db, personId, 'b1|d', null, later);
    expect(hasHeld(h.db, { channel: 'whatsapp', chatId: PHONE }, later)).toBe(true);
    expect(hasHeld(h.db, { channel: 'whatsapp', chatId: PHONE }, new Date(later.getTime() + HELD_MAX_MS))).toBe(false);
    expect(hasHeld(h.db, { channel: 'whatsapp', chatId: '31600000000' }, later)).toBe(false);
    expect(expireHeld(h.db, new Date(later.getTime() + HELD_MAX_MS - 1))).toBe(0);
    expect(expireHeld(h.db, new Date(later.getTime() + HELD_MAX_MS))).toBe(1);
    expect(getDelivery(h.db, d)!.status).toBe('expired');
  });
});
