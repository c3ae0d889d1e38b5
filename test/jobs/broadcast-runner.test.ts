/**
 * The broadcast runner's messages to the author, against recording adapters: on a messenger that
 * edits (Telegram) one progress message, edited at most every 5 s and only when it changed,
 * ending as the summary; on one that cannot (WhatsApp) one message at the start and one at the
 * end. Also: the runner fires a due broadcast by itself, and a broadcast with no author (the CLI)
 * gets no messages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { SendOutcome } from '../../src/core/errors.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import type { ChannelName, OutboundMessage } from '../../src/core/messages.js';
import type { ChannelAdapter, Logger } from '../../src/core/ports.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { runBroadcastCommand, type BroadcastActor } from '../../src/db/broadcast.effects.js';
import { getBroadcast } from '../../src/db/broadcasts.repo.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { createBroadcastRunner } from '../../src/jobs/broadcast.runner.js';
import { fixedClock } from '../support/clock.js';
import { seedInitiative, seedParents } from '../support/broadcast-seed.js';

const NOW = new Date('2026-12-07T10:00:00Z');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
const clock = fixedClock(NOW);
let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bcr-'));
  db = openDatabase(join(dir, 'bot.db'));
  clock.set(NOW);
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Recorded {
  op: 'send' | 'edit';
  chatId: string;
  externalId: string;
  text: string;
  buttons: string[];
}

function recordingAdapter(name: ChannelName, canEdit: boolean): ChannelAdapter & { log: Recorded[] } {
  const log: Recorded[] = [];
  let next = 1;
  const record = (op: Recorded['op'], chatId: string, externalId: string, m: OutboundMessage): SendOutcome => {
    log.push({ op, chatId, externalId, text: m.text, buttons: (m.choices ?? []).flat().map((c) => c.value) });
    return { status: 'sent', externalId };
  };
  const adapter: ChannelAdapter & { log: Recorded[] } = {
    name,
    log,
    send: async (chatId, m) => record('send', chatId, String(next++), m),
  };
  if (canEdit) adapter.edit = async (chatId, externalId, m) => record('edit', chatId, externalId, m);
  return adapter;
}

function world(channel: ChannelName): { author: number; id: number; parents: number[] } {
  const ini = seedInitiative(db, 'a', 'Samen naar De Regenboog');
  const [author] = seedParents(db, ini, [{ language: 'nl', role: 'ambassador', channel, chatId: '777' }], NOW);
  const parents = seedParents(db, ini, Array.from({ length: 12 }, () => ({ language: 'nl' })), NOW);
  const actor: BroadcastActor = { personId: author! };
  const run = (c: Parameters<typeof runBroadcastCommand>[2]) => db.transaction((tx) => runBroadcastCommand(tx, actor, c, clock.now()));
  const made = run({ op: 'create', initiativeId: ini, draftKey: 'k' });
  if (!made.ok) throw new Error('refused');
  run({ op: 'version', broadcastId: made.broadcastId, lang: 'nl', text: 'Hallo' });
  run({ op: 'submit', broadcastId: made.broadcastId });
  return { author: author!, id: made.broadcastId, parents };
}

const markSent = (id: number, n: number) =>
  db.$client.prepare(`update deliveries set status = 'sent', sent_at = ? where id in (select id from deliveries where rule_id = ? and status = 'planned' limit ?)`).run(clock.now().getTime(), `b${id}`, n);

it('Telegram: one progress message, edited at most every 5 s and only when it changed, ending as the summary', async () => {
  const telegram = recordingAdapter('telegram', true);
  const runner = createBroadcastRunner({ db, clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', progress: { adapters: new Map([['telegram', telegram]]), i18n } });
  const { id } = world('telegram');
  await runner.tick();
  expect(getBroadcast(db, id)?.status).toBe('sending');
  expect(telegram.log).toHaveLength(1);
  expect(telegram.log[0]).toMatchObject({ op: 'send', chatId: '777', buttons: [`bc:pause:${id}`, `bc:cancel:${id}`] });
  expect(telegram.log[0]!.text).toContain(`Bericht ${id} wordt verstuurd.`);
  expect(telegram.log[0]!.text).toContain('Wacht nog: 12');

  markSent(id, 6);
  clock.advance(2000);
  await runner.tick();
  expect(telegram.log).toHaveLength(1); // < 5 s: no edit yet
  clock.advance(4000);
  await runner.tick();
  expect(telegram.log).toHaveLength(2);
  expect(telegram.log[1]).toMatchObject({ op: 'edit', externalId: '1' });
  expect(telegram.log[1]!.text).toContain('Verstuurd: 6');
  expect(telegram.log[1]!.text).toContain('Klaar rond');
  clock.advance(6000);
  await runner.tick();
  expect(telegram.log).toHaveLength(2); // nothing changed: no edit

  // Paused: the message says so and offers "Verder".
  db.transaction((tx) => runBroadcastCommand(tx, { cli: true }, { op: 'pause', broadcastId: id }, clock.now()));
  clock.advance(6000);
  await runner.tick();
  expect(telegram.log.at(-1)!.text).toContain(`Bericht ${id} staat op pauze.`);
  expect(telegram.log.at(-1)!.buttons).toEqual([`bc:resume:${id}`, `bc:cancel:${id}`]);
  db.transaction((tx) => runBroadcastCommand(tx, { cli: true }, { op: 'resume', broadcastId: id }, clock.now()));

  markSent(id, 6);
  clock.advance(6000);
  await runner.tick();
  const last = telegram.log.at(-1)!;
  expect(telegram.log.filter((r) => r.op === 'send')).toHaveLength(1);
  expect(last).toMatchObject({ op: 'edit', externalId: '1', buttons: [] });
  expect(last.text).toContain(`Bericht ${id} is klaar.`);
  expect(last.text).toContain('Afgeleverd: 12');
});

it('WhatsApp (cannot edit): one message at the start, one at the end; small counts shown as "minder dan 5"', async () => {
  const whatsapp = recordingAdapter('whatsapp', false);
  const runner = createBroadcastRunner({ db, clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', progress: { adapters: new Map([['whatsapp', whatsapp]]), i18n } });
  const { id } = world('whatsapp');
  await runner.tick();
  expect(whatsapp.log).toHaveLength(1);
  expect(whatsapp.log[0]!.text).toContain('Je krijgt nog een bericht als het klaar is.');
  markSent(id, 10);
  db.$client.prepare("update deliveries set status = 'failed', last_error = 'invalid: Bad Request' where rule_id = ? and status = 'planned'").run(`b${id}`);
  for (let i = 0; i < 3; i++) {
    clock.advance(6000);
    await runner.tick();
  }
  expect(whatsapp.log.map((r) => r.op)).toEqual(['send', 'send']);
  const end = whatsapp.log[1]!.text;
  expect(end).toContain(`Bericht ${id} is klaar.`);
  expect(end).toContain('Afgeleverd: 10');
  expect(end).toContain('Niet gelukt: minder dan 5');
  expect(end).toContain('geweigerd door de chat-app: minder dan 5');
});

it('a broadcast from the CLI (no author) is sent and summarised without messages to anyone', async () => {
  const telegram = recordingAdapter('telegram', true);
  const runner = createBroadcastRunner({ db, clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', progress: { adapters: new Map([['telegram', telegram]]), i18n } });
  const ini = seedInitiative(db, 'c');
  seedParents(db, ini, [{ language: 'nl' }], NOW);
  const cli: BroadcastActor = { cli: true };
  const made = db.transaction((tx) => runBroadcastCommand(tx, cli, { op: 'create', initiativeId: ini, draftKey: 'c' }, NOW));
  if (!made.ok) throw new Error('refused');
  db.transaction((tx) => runBroadcastCommand(tx, cli, { op: 'version', broadcastId: made.broadcastId, lang: 'nl', text: 'Hoi' }, NOW));
  db.transaction((tx) => runBroadcastCommand(tx, cli, { op: 'submit', broadcastId: made.broadcastId }, NOW));
  await runner.tick();
  markSent(made.broadcastId, 1);
  await runner.tick();
  expect(getBroadcast(db, made.broadcastId)?.summary?.delivered).toBe(1);
  expect(telegram.log).toEqual([]);
});
