/**
 * A message from a process without the bot role to a channel that lives in the bot's process
 * (the web chat here; whatsapp-web.js alike): an outbox row without owner, which the bot's
 * outbound scheduler takes over and sends like a reply (issue 13; the planner role's broadcast
 * progress and summary go this way).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { systemClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/db/client.js';
import { createOutboxRelay } from '../../src/db/outbox-relay.repo.js';
import { seedInitiative, seedParents } from '../support/broadcast-seed.js';
import { silentLogger } from '../support/engine-harness.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it("is sent by the bot's scheduler for that channel, once, and kept like a reply", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-relay-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'bot.db');
  // The planner's side: its own connection to the file.
  const planner = openDatabase(dbPath);
  cleanups.push(() => planner.$client.close());
  const [personId] = seedParents(planner, seedInitiative(planner, 'relay'), [{ language: 'nl', channel: 'local', chatId: 'web-author' }], new Date());
  const relay = createOutboxRelay(planner, systemClock, 'local');
  expect(relay.edit).toBeUndefined(); // no edits: a message at the start and one at the end
  expect(await relay.send('web-author', { text: 'Je bericht gaat nu naar <b>12</b> ouders.', lang: 'nl' })).toEqual({ status: 'sent' });

  // The bot (web chat only) takes it over at start, as every 10 s.
  const app = createApp({ config: loadConfig({ DATABASE_PATH: dbPath, HTTP_PORT: '0', NURTURE_ENABLED: 'false' }), logger: silentLogger });
  cleanups.push(() => app.stop());
  await app.start();
  await app.dispatcher.idle();
  const deadline = Date.now() + 5_000;
  while (!app.local.history('web-author', 0).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(app.local.history('web-author', 0).map((e) => [e.from, e.text])).toEqual([['bot', 'Je bericht gaat nu naar <b>12</b> ouders.']]);
  const row = planner.$client.prepare('select person_id as personId, status, owner from outbox').all();
  expect(row).toEqual([{ personId, status: 'sent', owner: null }]);
});
