/**
 * The process `npm start -- --role …` runs (src/roles.ts). With the bot role it is the whole bot
 * as src/app.ts builds it, with only the parts of its roles; without it (planner, worker, or
 * both) it is the smaller graph below: no HTTP server, no engine, and channels that only send
 * (Telegram with its token but without polling or a webhook, the WhatsApp Cloud API), each behind
 * its outbound scheduler, so the send budget in SQLite is shared with the bot's replies (ADR 0005).
 */
import type { Config } from './config.js';
import { createApp } from './app.js';
import type { ChannelContext } from './bot/channel-module.js';
import { systemClock, type Clock } from './core/clock.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from './core/i18n.js';
import type { ChannelName } from './core/messages.js';
import { UNLIMITED } from './core/outbound/channel-limits.js';
import { createOutboundScheduler, type OutboundScheduler } from './core/outbound/outbound.scheduler.js';
import type { ChannelAdapter, Logger } from './core/ports.js';
import { renderText } from './core/render.js';
import { createMediaStore, mediaDirFor } from './core/media-store.js';
import { openDatabase, type Db } from './db/client.js';
import { createMediaLibrary } from './db/media.repo.js';
import { createOutboxRelay } from './db/outbox-relay.repo.js';
import { createOutbox, newOutboxOwner } from './db/outbox.repo.js';
import { createSendBudget } from './db/send-budget.repo.js';
import { createStore } from './db/store.js';
import { createNurture, type Nurture } from './jobs/nurture.service.js';
import { buildsChannel, channelModules, checkRoles, deliversChannel, describeRoles, type Roles } from './roles.js';

export interface RoleAppOptions {
  config: Config;
  logger: Logger;
  roles: Roles;
  /** The domain clock (tests move it); the outbound schedulers pace by `outboundClock` (physical seconds). */
  clock?: Clock;
  outboundClock?: Clock;
}

export interface RoleProcess {
  /** Reminders, broadcasts and nudges as far as they run here (absent: NURTURE_ENABLED=false). */
  nurture?: Nurture;
  /** Resolves with the HTTP port where the bot role serves, null for a process without it. */
  start(): Promise<number | null>;
  stop(): Promise<void>;
}

/** Checks the configuration against the roles (RoleError), then builds the process. */
export function createRoleApp(options: RoleAppOptions): RoleProcess {
  checkRoles(options.config, options.roles);
  if (!options.roles.has('bot')) return createBackgroundApp(options);
  const app = createApp(options);
  return { nurture: app.nurture, start: () => app.start(), stop: () => app.stop() };
}

export interface BackgroundApp extends RoleProcess {
  db: Db;
  nurture: Nurture;
  /** The channels this process sends on (proactive messages; replies a stopped bot left in the outbox are taken over too). */
  outbound: Map<ChannelName, OutboundScheduler>;
}

export function createBackgroundApp({ config, logger, roles, clock = systemClock, outboundClock = systemClock }: RoleAppOptions): BackgroundApp {
  if (roles.has('bot')) throw new Error('the bot role is built by createApp (src/app.ts)');
  const db = openDatabase(config.databasePath);
  const locales = loadLocales(config.localesDir ?? DEFAULT_LOCALES_DIR);
  const i18n = createI18n(locales);
  const owner = newOutboxOwner();
  const store = createStore(db, clock, { outboxOwner: owner, logger });
  const media = createMediaLibrary(db, createMediaStore(mediaDirFor(config.databasePath)));
  const budget = createSendBudget(db);
  const outbox = createOutbox(db, clock, owner);
  const busyNotice = (lang: string | undefined) => {
    const lng = lang ?? config.defaultLanguage;
    return { text: renderText(i18n, lng, { key: 'common:busy' }), lang: lng, dir: i18n.dir(lng) === 'rtl' ? ('rtl' as const) : ('ltr' as const) };
  };
  const nurtureRef: { current?: Nurture } = {};
  const ctx: ChannelContext = {
    config,
    logger,
    clock,
    i18n,
    languages: locales.languages,
    db,
    store,
    media,
    // Updates reach the bot role only (polling, webhooks): nothing here receives them.
    onInbound: () => {
      logger.warn({}, 'an update reached a process without the bot role: ignored');
      return Promise.resolve();
    },
    onDeliveriesDue: () => void nurtureRef.current?.planner?.kick(),
  };

  const outbound = new Map<ChannelName, OutboundScheduler>();
  const channels = new Map<ChannelName, { adapter: ChannelAdapter; ratePerSecond: number }>();
  const workers = new Set<ChannelName>();
  for (const [name, module] of channelModules(config)) {
    if (!buildsChannel(roles, module)) {
      // The web chat and whatsapp-web.js live in the bot's process. The planner still plans and
      // queues for them (the bot's delivery worker sends); a broadcast's progress goes through the outbox.
      if (roles.has('planner')) channels.set(name, { adapter: createOutboxRelay(db, clock, name), ratePerSecond: UNLIMITED.bot.perSecond });
      else logger.info({ channel: name, module: module.id }, 'this channel is sent by the bot role (one process holds it), not by this worker');
      continue;
    }
    // Never started: no polling, no webhook. Sending needs only the configuration.
    const channel = module.create(ctx);
    const scheduler = createOutboundScheduler({ channel: name, adapter: channel.adapter, limits: channel.limits, budget, outbox, clock: outboundClock, logger, busyNotice, maxReplyAgeMs: config.replyMaxAgeMs });
    outbound.set(name, scheduler);
    channels.set(name, { adapter: scheduler.proactive, ratePerSecond: channel.limits.bot.perSecond });
    if (deliversChannel(roles, module)) workers.add(name);
  }

  const nurture = createNurture({ db, config, i18n, channels, store, clock, logger, parts: { planner: roles.has('planner'), workers } });
  nurtureRef.current = nurture;

  let stopped = false;
  return {
    db,
    nurture,
    outbound,
    async start() {
      for (const o of outbound.values()) o.start();
      await nurture.start();
      logger.info({ roles: describeRoles(roles), channels: [...channels.keys()], workers: [...workers] }, 'ouderbrug started');
      return null;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await nurture.stop();
      for (const o of outbound.values()) await o.stop();
      db.$client.close();
      logger.info({ roles: describeRoles(roles) }, 'ouderbrug stopped');
    },
  };
}
