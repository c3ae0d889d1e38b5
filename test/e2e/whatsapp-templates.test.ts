/**
 * The WhatsApp Cloud API outside the 24-hour window, the whole bot: planner, broadcast runner and
 * BullMQ worker on a real Redis, the signed webhook, the fake Graph API, SQLite on disk, a fixed
 * clock. The templates are the shipped ones, as if Meta had approved the Turkish ones and the
 * stand-ins (today only nl and en are approved, and no stand-in: see README, WhatsApp).
 *
 *   a Turkish parent outside the window gets the Turkish template (a reminder);
 *   a broadcast outside the window: the stand-in, row 'held'; the parent replies → the full
 *   broadcast, row 'sent';
 *   WhatsApp reports the window closed later (131047 in a failed status): the template follows
 *   once, also when the webhook comes twice; another failed status is recorded with its reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadTemplates, OPEN_HELD } from '../../src/bot/whatsapp/cloud/cloud.templates.js';
import { loadConfig } from '../../src/config.js';
import { createBroadcast, setVersion } from '../../src/db/broadcasts.repo.js';
import { claimDelivery, getDelivery, holdDelivery, insertDeliveries } from '../../src/db/deliveries.repo.js';
import { broadcastKey } from '../../src/jobs/broadcast.runner.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { children, deliveries, identities, memberships, people } from '../../src/db/schema.js';
import { silentLogger } from '../support/engine-harness.js';
import { fixedClock } from '../support/clock.js';
import { inbound, postWebhook, startFakeGraphApi, statusEvent, webhookBody, type FakeGraphApi } from '../support/fake-graph-api.js';
import { testRedisUrl } from '../support/redis-server.js';

const SECRET = 'e2e-app-secret';
const CHAT = '905321234567';
const NOW = new Date('2027-03-01T10:00:00Z');
const DAY = 24 * 3600_000;

let app: App;
let api: FakeGraphApi;
let dir: string;
let url: string;
let personId: number;
let initiativeId: number;
const clock = fixedClock(NOW);

type Sent = Record<string, unknown>;
const templateOf = (m: Sent | undefined) => m?.template as { name: string; language: { code: string }; components?: { type: string; parameters: { text?: string; payload?: string }[] }[] } | undefined;
const textOf = (m: Sent): string => (m.type === 'text' ? (m.text as { body: string }).body : m.type === 'interactive' ? (m.interactive as { body: { text: string } }).body.text : '');

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rowsOf = () => app.db.select().from(deliveries).where(eq(deliveries.personId, personId)).all();
const post = (value: Parameters<typeof webhookBody>[1]) => postWebhook(url, webhookBody(api.phoneNumberId, value), SECRET);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wa-tpl-e2e-'));
  api = await startFakeGraphApi();
  // The shipped file, with Turkish and the stand-ins approved (as Meta would after the submission).
  const templates = loadTemplates();
  for (const t of Object.values(templates)) {
    for (const [lang, e] of Object.entries(t.languages)) if (['nl', 'en', 'tr'].includes(lang)) Object.assign(e, { approved: true, review: 'native' });
  }
  const templatesPath = join(dir, 'whatsapp-templates.json');
  writeFileSync(templatesPath, JSON.stringify({ version: 2, templates }));
  const config = loadConfig({
    DATABASE_PATH: join(dir, 'bot.db'),
    HTTP_PORT: '0',
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: `watpl${Date.now()}`,
    WHATSAPP_CLOUD_TOKEN: api.token,
    WHATSAPP_CLOUD_PHONE_NUMBER_ID: api.phoneNumberId,
    WHATSAPP_CLOUD_APP_SECRET: SECRET,
    WHATSAPP_CLOUD_VERIFY_TOKEN: 'verify',
    WHATSAPP_CLOUD_BASE_URL: api.baseUrl,
    WHATSAPP_CLOUD_TEMPLATES_PATH: templatesPath,
  });
  app = createApp({ config, logger: silentLogger, clock });
  const port = await app.start();
  url = `http://127.0.0.1:${port}/whatsapp/webhook`;
  initiativeId = createInitiative(app.db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test').id;
  // A Turkish parent who last wrote three days ago, with a child of 2 years and 1 month.
  personId = app.db.insert(people).values({ language: 'tr', createdAt: NOW }).returning({ id: people.id }).get().id;
  app.db.insert(identities).values({ personId, channel: 'whatsapp', chatId: CHAT, lastInboundAt: new Date(NOW.getTime() - 3 * DAY), createdAt: NOW }).run();
  app.db.insert(memberships).values({ personId, initiativeId, role: 'parent', createdAt: NOW }).run();
  app.db.insert(children).values({ personId, birthYear: 2025, birthMonth: 2, expected: false, createdAt: NOW }).run();
});

afterAll(async () => {
  await app?.stop();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('WhatsApp Cloud outside the 24-hour window', () => {
  it('a Turkish parent who last wrote three days ago gets the reminder as the Turkish template, filled in Turkish', async () => {
    const report = await app.nurture!.planner!.tick();
    expect(report?.enqueued).toBe(1);
    await until(() => api.sent(CHAT).length === 1, 'the reminder');
    const t = templateOf(api.sent(CHAT)[0]);
    expect(t).toMatchObject({ name: 'ouderbrug_toddler_groups', language: { code: 'tr' } });
    // {{1}}: the line naming the child, in Turkish.
    expect(t!.components![0]!.parameters.map((p) => p.text)).toEqual([expect.stringMatching(/^Çocuğunuz hakkında \(Şubat 2025\)/)]);
    await until(() => rowsOf().some((r) => r.status === 'sent'), 'the row sent');
    expect(rowsOf().map((r) => [r.ruleId, r.status])).toEqual([['toddler-groups', 'sent']]);
  });

  it('a broadcast: the stand-in goes out and the row waits as held; the parent replies and the full broadcast follows, the row is sent', async () => {
    const b = createBroadcast(app.db, { initiativeId, authorId: null, audience: {}, sendAt: NOW, status: 'scheduled', now: NOW });
    setVersion(app.db, b, 'nl', { text: 'Zaterdag drinken we koffie op het schoolplein. Iedereen is welkom!' });
    setVersion(app.db, b, 'tr', { text: 'Cumartesi okul bahçesinde kahve içiyoruz. Herkes davetli!' });
    const before = api.sent(CHAT).length;
    await until(() => api.sent(CHAT).length === before + 1, 'the stand-in');
    const standIn = api.sent(CHAT).at(-1)!;
    expect(templateOf(standIn)).toEqual({
      name: 'ouderbrug_message_waiting',
      language: { code: 'tr' },
      components: [
        { type: 'body', parameters: [{ type: 'text', text: 'Samen naar De Regenboog' }] },
        { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: OPEN_HELD }] },
      ],
    });
    const row = () => rowsOf().find((r) => r.kind === 'broadcast' && r.ruleId === `b${b}`)!;
    await until(() => row()?.status === 'held', 'the row held');
    expect(row()).toMatchObject({ status: 'held', lastError: expect.stringMatching(/^held: no template of its own; sent ouderbrug_message_waiting \(tr\)/) });
    // The broadcast's words never went to WhatsApp outside the window.
    expect(JSON.stringify(api.sent(CHAT))).not.toContain('kahve');

    // The parent writes back: the bot answers, and the full broadcast follows inside the window.
    clock.advance(60_000);
    await post({ messages: [inbound.text(CHAT, 'wamid.e2e.reply', 'Tamam', clock.now())] });
    await until(() => api.sent(CHAT).some((m) => textOf(m).includes('kahve')), 'the full broadcast');
    await until(() => row().status === 'sent', 'the row sent');
    const full = api.sent(CHAT).find((m) => textOf(m).includes('kahve'))!;
    expect(full.type).not.toBe('template');
    expect(textOf(full)).toContain('Cumartesi okul bahçesinde kahve içiyoruz. Herkes davetli!');
    expect(row()).toMatchObject({ status: 'sent', externalId: expect.stringMatching(/^wamid\./) });
    // Sent once: a second message from the parent releases nothing more.
    const count = api.sent(CHAT).filter((m) => textOf(m).includes('kahve')).length;
    await post({ messages: [inbound.text(CHAT, 'wamid.e2e.again', 'Teşekkürler', clock.now())] });
    await app.dispatcher.idle();
    await new Promise((r) => setTimeout(r, 300));
    expect(api.sent(CHAT).filter((m) => textOf(m).includes('kahve'))).toHaveLength(count);
  });

  it('131047 reported later in a failed status: the template follows once, also when the webhook comes again', async () => {
    // Inside the window (the parent just wrote), so the broadcast goes out free-form and is "sent".
    const b = createBroadcast(app.db, { initiativeId, authorId: null, audience: {}, sendAt: clock.now(), status: 'scheduled', now: clock.now() });
    setVersion(app.db, b, 'nl', { text: 'De inloopochtend is verplaatst naar dinsdag.' });
    setVersion(app.db, b, 'tr', { text: 'Açık sabah salı gününe taşındı.' });
    const row = () => rowsOf().find((r) => r.ruleId === `b${b}`);
    await until(() => row()?.status === 'sent', 'the broadcast sent inside the window');
    const wamid = row()!.externalId!;
    expect(api.sent(CHAT).find((m) => textOf(m).includes('salı gününe'))).toBeDefined();
    const templatesBefore = api.sent(CHAT).filter((m) => m.type === 'template').length;

    // WhatsApp accepted it but the window had closed on its side.
    const failed = { ...statusEvent(wamid, 'failed', clock.now(), CHAT), errors: [{ code: 131047, title: 'Re-engagement message' }] };
    expect((await post({ statuses: [failed] })).status).toBe(200);
    await until(() => api.sent(CHAT).filter((m) => m.type === 'template').length === templatesBefore + 1, 'the template after 131047');
    await until(() => row()!.status === 'held', 'the row held behind the stand-in');
    expect(templateOf(api.sent(CHAT).filter((m) => m.type === 'template').at(-1))?.name).toBe('ouderbrug_message_waiting');
    // The row now belongs to the stand-in's message id: the old id's webhooks find nothing to redo.
    expect(row()).toMatchObject({ status: 'held', channelStatus: null });
    expect(row()!.externalId).not.toBe(wamid);
    // Meta redelivers the same webhook: nothing more goes out.
    await post({ statuses: [failed] });
    await app.nurture!.planner!.kick();
    await new Promise((r) => setTimeout(r, 500));
    expect(api.sent(CHAT).filter((m) => m.type === 'template')).toHaveLength(templatesBefore + 1);

    // The parent taps "Mesajı oku": the broadcast follows (no turn of its own), the row is sent.
    clock.advance(60_000);
    await post({ messages: [inbound.quickReply(CHAT, 'wamid.e2e.tap', OPEN_HELD, 'Mesajı oku', clock.now())] });
    await until(() => row()!.status === 'sent', 'the row sent after the tap');
    expect(api.sent(CHAT).filter((m) => textOf(m).includes('salı gününe'))).toHaveLength(2);
  });

  it('another failure in a status webhook is recorded on the row with its reason', async () => {
    // The broadcast of the previous test, sent after the tap: WhatsApp now reports it undelivered.
    const row = () => rowsOf().filter((r) => r.kind === 'broadcast' && r.status === 'sent').at(-1)!;
    const { id, externalId } = row();
    await post({ statuses: [{ ...statusEvent(externalId!, 'failed', clock.now(), CHAT), errors: [{ code: 131049, title: 'Message not delivered to maintain healthy ecosystem engagement' }] }] });
    await until(() => getDelivery(app.db, id)!.status === 'failed', 'the row failed');
    expect(getDelivery(app.db, id)).toMatchObject({ status: 'failed', channelStatus: 'failed', lastError: 'failed after sending: whatsapp 131049: Message not delivered to maintain healthy ecosystem engagement' });
  });

  it('a message released by the reply goes out at once, also in the quiet hours and past the cap: the parent asked for it', async () => {
    clock.set(new Date('2027-03-02T20:30:00Z')); // 21:30 in Amsterdam (quiet from 20:00); three messages this week already
    const b = createBroadcast(app.db, { initiativeId, authorId: null, audience: {}, sendAt: null, status: 'sending', now: clock.now() });
    setVersion(app.db, b, 'nl', { text: 'Morgen is de school dicht.' });
    setVersion(app.db, b, 'tr', { text: 'Yarın okul kapalı.' });
    const later = new Date(clock.now().getTime() + DAY);
    const [id] = insertDeliveries(app.db, [{ key: broadcastKey(b, personId), personId, childId: null, ruleId: `b${b}`, channel: 'whatsapp', kind: 'broadcast', priority: 6, dueAt: later, sendAt: later, expiresAt: new Date(later.getTime() + 7 * DAY), urgentFrom: null, payload: { key: 'broadcast:body', params: {}, buttons: null, broadcastId: b, initiativeId } }], clock.now());
    expect(claimDelivery(app.db, id!)).toBe(true);
    holdDelivery(app.db, id!, clock.now(), undefined, 'no template of its own; sent ouderbrug_message_waiting (tr)');
    await post({ messages: [inbound.text(CHAT, 'wamid.e2e.night', 'İyi akşamlar', clock.now())] });
    // The chat's own pace (WhatsApp's pair rate, about one message per 6 s after a burst) applies: this chat had many already.
    await until(() => getDelivery(app.db, id!)!.status === 'sent', 'the released message sent', 45_000);
    expect(api.sent(CHAT).some((m) => textOf(m).includes('Yarın okul kapalı.'))).toBe(true);
  }, 60_000);
});
