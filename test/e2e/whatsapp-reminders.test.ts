/**
 * Reminders reach WhatsApp parents too: the whole bot with the planner and a BullMQ worker on
 * a real Redis, the whatsapp-web.js channel on a fake session, and a fixed clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { deliveries } from '../../src/db/schema.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { silentLogger } from '../support/engine-harness.js';
import { FakeWwebClient } from '../bot/whatsapp/fake-wweb-client.js';
import { fixedClock } from '../support/clock.js';
import { testRedisUrl } from '../support/redis-server.js';

const CHAT = '905321234567@c.us';
let app: App;
let fake: FakeWwebClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wa-rem-'));
  const clock = fixedClock('2027-03-01T10:00:00Z');
  fake = new FakeWwebClient(() => clock.now().getTime());
  const config = loadConfig({ DATABASE_PATH: join(dir, 'bot.db'), HTTP_PORT: '0', WHATSAPP_WEB_ENABLED: 'true', REDIS_URL: testRedisUrl(), REDIS_PREFIX: `wa${Date.now()}` });
  app = createApp({ config, logger: silentLogger, clock, whatsappWebTransport: fake });
  await app.start();
  fake.ready();
  createInitiative(app.db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test');
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function say(text: string): Promise<string> {
  const before = fake.sentTo(CHAT).length;
  fake.receive(CHAT, text);
  await app.dispatcher.idle();
  return fake.sentTo(CHAT).slice(before).map((s) => s.text).join('\n');
}

it('a Turkish parent who onboarded on WhatsApp gets the due reminder there, in Turkish, once', async () => {
  await say('Merhaba');
  await say('1'); // Türkçe
  await say('1'); // consent
  await say('Ayşe');
  await say('2025');
  await say('şubat');
  await say('hayır devam');
  await say('1094');
  await say('1'); // the initiative
  await say('3');
  const before = fake.sentTo(CHAT).length;
  const report = await app.nurture!.planner!.tick();
  expect(report?.enqueued).toBe(1); // toddler groups (a child of 2 years and 1 month)
  const end = Date.now() + 10_000;
  while (fake.sentTo(CHAT).length === before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const reminder = fake.sentTo(CHAT).slice(before);
  expect(reminder).toHaveLength(1);
  expect(reminder[0]!.text).toContain('peuteropvang');
  expect(reminder[0]!.text).not.toMatch(/Je kind|Your child/);
  while (app.db.select().from(deliveries).get()?.status !== 'sent' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(app.db.select().from(deliveries).all().map((d) => [d.ruleId, d.channel, d.status])).toEqual([['toddler-groups', 'whatsapp', 'sent']]);
  await app.nurture!.planner!.tick();
  expect(fake.sentTo(CHAT).length).toBe(before + 1);
});
