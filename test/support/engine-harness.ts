/**
 * The real engine, store, flows and locales on a SQLite file, with a recording channel in
 * place of a messenger. For conversation tests that do not need a messenger's wire format.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../src/core/engine.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import type { SendOutcome } from '../../src/core/errors.js';
import type { ChannelName, InboundContent, OutboundMessage } from '../../src/core/messages.js';
import type { ChannelAdapter, Logger } from '../../src/core/ports.js';
import { UNLIMITED } from '../../src/core/outbound/channel-limits.js';
import { systemClock } from '../../src/core/clock.js';
import { createOutboundScheduler, type OutboundScheduler } from '../../src/core/outbound/outbound.scheduler.js';
import { createOutbox, newOutboxOwner } from '../../src/db/outbox.repo.js';
import { createSendBudget } from '../../src/db/send-budget.repo.js';
import { createPreConsentMemory } from '../../src/core/pre-consent.memory.js';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createDirectory, createInitiative, type NewInitiative } from '../../src/db/initiatives.repo.js';
import { createStore } from '../../src/db/store.js';
import { fixedClock } from './clock.js';

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class RecordingChannel implements ChannelAdapter {
  constructor(readonly name: ChannelName = 'local') {}
  readonly sent = new Map<string, OutboundMessage[]>();
  nextOutcomes: SendOutcome[] = [];
  async send(chatId: string, message: OutboundMessage): Promise<SendOutcome> {
    const forced = this.nextOutcomes.shift();
    if (forced && forced.status !== 'sent') return forced;
    const list = this.sent.get(chatId) ?? [];
    list.push(message);
    this.sent.set(chatId, list);
    return { status: 'sent' };
  }
}

export interface Harness {
  db: Db;
  dir: string;
  dbPath: string;
  engine: Engine;
  /** The local web chat's channel (what `say` talks through). */
  channel: RecordingChannel;
  /** A recording channel per messenger. */
  channels: Map<ChannelName, RecordingChannel>;
  clock: ReturnType<typeof fixedClock>;
  /** Sends input as the parent of `chatId` and returns the plain texts of the bot's answers. */
  say(chatId: string, content: InboundContent | string, hint?: string): Promise<OutboundMessage[]>;
  /** `say` on another messenger ("/link 123456" becomes the command a mapper would make). */
  sayOn(channel: ChannelName, chatId: string, content: InboundContent | string, hint?: string): Promise<OutboundMessage[]>;
  initiative(input?: Partial<NewInitiative>): ReturnType<typeof createInitiative>;
  /** Starts the schedulers as a restarted process would: they take over replies left pending. */
  takeOver(): Promise<void>;
  /** Resolves when every committed reply has been through its channel's outbound scheduler. */
  delivered(): Promise<void>;
  reopen(): void;
  close(): void;
}

export function plain(messages: OutboundMessage[]): string {
  return messages.map((m) => miniHtmlToPlain(m.text)).join('\n---\n');
}

export function buttons(messages: OutboundMessage[]): { label: string; value: string }[] {
  return messages.flatMap((m) => m.choices?.flat() ?? []);
}

export function createHarness(now = '2026-11-22T10:00:00Z', opts: { drawLinkCode?: () => string; localChatLinking?: boolean; botUsername?: string } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-'));
  const dbPath = join(dir, 'test.db');
  const clock = fixedClock(now);
  const locales = loadLocales(DEFAULT_LOCALES_DIR);
  const i18n = createI18n(locales);
  const channels = new Map<ChannelName, RecordingChannel>((['local', 'telegram', 'whatsapp'] as const).map((name) => [name, new RecordingChannel(name)]));
  const channel = channels.get('local') ?? new RecordingChannel();
  let memory = createPreConsentMemory(clock);
  let db = openDatabase(dbPath);
  let outbound = new Map<ChannelName, OutboundScheduler>();
  const build = () => {
    const owner = newOutboxOwner();
    const budget = createSendBudget(db);
    const outbox = createOutbox(db, clock, owner);
    // The production outbound path, without limits: one scheduler per recording channel.
    outbound = new Map(
      [...channels].map(([name, adapter]) => [
        name,
        createOutboundScheduler({
          channel: name,
          adapter,
          limits: UNLIMITED,
          budget,
          outbox,
          // Paced by real time, as in the app: the domain clock below stays where the test put it.
          clock: systemClock,
          logger: silentLogger,
          busyNotice: (lang) => ({ text: `busy:${lang ?? 'nl'}` }),
          maxReplyAgeMs: 10 * 60_000,
        }),
      ]),
    );
    return createEngine({
      store: createStore(db, clock, { outboxOwner: owner, logger: silentLogger }),
      directory: createDirectory(db),
      outbound,
      i18n,
      languages: locales.languages,
      memory,
      clock,
      logger: silentLogger,
      defaultLanguage: 'nl',
      timeZone: 'Europe/Amsterdam',
      ...(opts.drawLinkCode ? { drawLinkCode: opts.drawLinkCode } : {}),
      ...(opts.localChatLinking ? { localChatLinking: true } : {}),
      ...(opts.botUsername ? { botUsername: opts.botUsername } : {}),
    });
  };
  const h: Harness = {
    db,
    dir,
    dbPath,
    engine: build(),
    channel,
    channels,
    clock,
    say(chatId, content, hint) {
      return h.sayOn('local', chatId, content, hint);
    },
    async sayOn(name, chatId, content, hint) {
      const recorder = channels.get(name) ?? channel;
      const before = recorder.sent.get(chatId)?.length ?? 0;
      const c: InboundContent =
        typeof content === 'string'
          ? content.startsWith('/')
            ? { kind: 'command', command: content.slice(1).split(' ')[0] ?? '', args: content.split(' ').slice(1).join(' ') }
            : { kind: 'text', text: content }
          : content;
      await h.engine.handle({ address: { channel: name, chatId }, content: c, ...(hint ? { languageHint: hint } : {}) });
      await h.delivered();
      return (recorder.sent.get(chatId) ?? []).slice(before);
    },
    async takeOver() {
      for (const o of outbound.values()) o.start();
      await h.delivered();
    },
    async delivered() {
      await Promise.all([...outbound.values()].map((o) => o.idle()));
    },
    initiative(input = {}) {
      return createInitiative(
        db,
        { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'info@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], ...input },
        'test',
      );
    },
    reopen() {
      db.$client.close();
      db = openDatabase(dbPath);
      memory = createPreConsentMemory(clock); // a restart forgets everything not stored
      h.db = db;
      h.engine = build();
    },
    close() {
      for (const o of outbound.values()) void o.stop();
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const pick = (value: string): InboundContent => ({ kind: 'choice', value });
