/**
 * Assembles the whole bot from its parts (used by main.ts and by the end-to-end tests, so
 * tests run exactly the production graph with fakes only at the edges). It reads as the list
 * of channel modules (src/bot/channels.ts): each gives an adapter, limits, start/stop, health
 * and routes, and gets one outbound scheduler, the only path to its messenger (ADR 0005).
 */
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { createDispatcher, type Dispatcher } from './core/dispatcher.js';
import { createEngine, type Engine } from './core/engine.js';
import { createAfterCommit, type AfterCommit } from './core/after-commit.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from './core/i18n.js';
import type { ChannelName } from './core/messages.js';
import { createOutboundScheduler, type OutboundScheduler } from './core/outbound/outbound.scheduler.js';
import type { ChannelAdapter, Logger, Store } from './core/ports.js';
import { createPreConsentMemory } from './core/pre-consent.memory.js';
import { renderText } from './core/render.js';
import { openDatabase, type Db } from './db/client.js';
import { createDirectory } from './db/initiatives.repo.js';
import { isTranslationConfigured } from './core/translate/provider.js';
import { createOutbox, newOutboxOwner } from './db/outbox.repo.js';
import { createSendBudget } from './db/send-budget.repo.js';
import { createStore } from './db/store.js';
import type { RunningChannel } from './bot/channel-module.js';
import { CHANNEL_MODULES } from './bot/channels.js';
import type { LocalChannel } from './bot/local/local.adapter.js';
import type { TelegramChannel } from './bot/telegram/telegram.adapter.js';
import type { WhatsAppCloudChannel } from './bot/whatsapp/cloud/cloud.adapter.js';
import type { WhatsAppWebChannel } from './bot/whatsapp/web/whatsapp-web.adapter.js';
import type { WhatsAppWebTransport } from './bot/whatsapp/web/whatsapp-web.transport.js';
import { createHttpServer, type HealthReport } from './http/server.js';
import { localChatOptions } from './http/local-chat.policy.js';
import { operatorRoutes } from './http/operator-routes.js';
import { createNurture, type Nurture } from './jobs/nurture.service.js';
import type { MediaLibrary } from './core/media.js';
import { createMediaStore, mediaDirFor, type MediaStore } from './core/media-store.js';
import { createMediaLibrary, mediaIds } from './db/media.repo.js';
import { createMediaFetcher, type MediaFetcher } from './jobs/media-fetch.js';
import { broadcastTranslateListener, createMachineDrafts, type BroadcastTranslator } from './jobs/broadcast-translate.js';
import { ALL_ROLES, deliveryChannels, type Roles } from './roles.js';
import { statsChartsListener } from './jobs/stats-charts.js';

/** How long a stop lets waiting replies go out before leaving them to the next start. */
const STOP_DRAIN_MS = 3_000;

export interface AppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Replaces whatsapp-web.js (WHATSAPP_WEB_ENABLED=true) with a fake session in tests. */
  whatsappWebTransport?: WhatsAppWebTransport;
  /**
   * The time the outbound schedulers pace by: the messengers' limits are physical seconds, so a
   * test that moves the domain clock (to next spring) still sends at real speed. Default: the system clock.
   */
  outboundClock?: Clock;
  /**
   * The parts this process runs (`npm start -- --role bot`, src/roles.ts); default all. With the
   * bot role alone the planner's tick, broadcasts and nudges run elsewhere (their loops pick up
   * what a turn committed) and only the web chat's and whatsapp-web.js's delivery workers run here.
   */
  roles?: Roles;
}

export interface App {
  db: Db;
  store: Store;
  engine: Engine;
  /** Listeners for committed turns (broadcast fan-out, translations, the queue kick). */
  afterCommit: AfterCommit;
  dispatcher: Dispatcher;
  local: LocalChannel;
  telegram?: TelegramChannel;
  /** The WhatsApp Business Cloud API channel (WHATSAPP_CLOUD_* set); it is channel 'whatsapp'. */
  whatsappCloud?: WhatsAppCloudChannel;
  /** The whatsapp-web.js pilot channel (WHATSAPP_WEB_ENABLED=true, no Cloud API); also channel 'whatsapp'. */
  whatsappWeb?: WhatsAppWebChannel;
  /** One outbound scheduler per running channel: the only path to each messenger. */
  outbound: Map<ChannelName, OutboundScheduler>;
  /** Reminders, events and newsletters (absent when NURTURE_ENABLED=false). */
  nurture?: Nurture;
  /** Stored voice notes, photos and files, and the fetcher that downloads what people sent. */
  media: { store: MediaStore; library: MediaLibrary; fetcher: MediaFetcher };
  /** Machine-translated broadcast drafts (absent unless LIBRETRANSLATE_URL is set; ADR 0009). */
  machineDrafts?: BroadcastTranslator;
  /** Starts the HTTP server and the channels; resolves with the HTTP port actually used. */
  start(): Promise<number>;
  stop(): Promise<void>;
  health(): HealthReport;
}

/** Effects that may write a notice due now (to staff or to a parent): handed to the queue right after the turn. */
const NOTICE_EFFECTS: ReadonlySet<string> = new Set(['broadcast', 'nudge', 'relay', 'rsvp', 'helpRequest', 'interest']);
const BROADCAST_RUN_OPS: ReadonlySet<string> = new Set(['submit', 'approve', 'resume', 'pause', 'cancel']);

export function createApp({ config, logger, clock = systemClock, whatsappWebTransport, outboundClock = systemClock, roles = ALL_ROLES }: AppOptions): App {
  if (!roles.has('bot')) throw new Error('createApp runs the bot role; src/app.roles.ts builds the others');
  const startedAt = clock.now().getTime();
  const db = openDatabase(config.databasePath);
  const locales = loadLocales(config.localesDir ?? DEFAULT_LOCALES_DIR);
  const i18n = createI18n(locales);
  const owner = newOutboxOwner();
  const store = createStore(db, clock, { outboxOwner: owner, logger });
  const outbound = new Map<ChannelName, OutboundScheduler>();

  // After a committed turn: notices it wrote go to the queue at once (see src/core/after-commit.ts).
  const afterCommit = createAfterCommit(logger);
  const directory = createDirectory(db, { broadcasts: { translationAvailable: isTranslationConfigured(config), defaultTimeZone: config.timeZone } });
  const engine = createEngine({
    afterCommit,
    store,
    directory,
    outbound,
    i18n,
    languages: locales.languages,
    memory: createPreConsentMemory(clock),
    clock,
    logger,
    defaultLanguage: config.defaultLanguage,
    timeZone: config.timeZone,
    localChatLinking: config.localChatLinking,
    ...(config.telegram.username ? { botUsername: config.telegram.username } : {}),
  });
  const dispatcher = createDispatcher(engine.handle, logger, () => Promise.all([...outbound.values()].map((o) => o.idle())).then(() => undefined));

  // The channel modules, in order; the first enabled module of a channel wins.
  // A channel that makes delivery rows due now (WhatsApp: held messages released by the parent's reply) hands them to the queue at once.
  const queueKick: { run(): void } = { run: () => undefined };
  // Voice notes, photos and files people sent: bytes in <data dir>/media/<id>, rows in `media`.
  const mediaStore = createMediaStore(mediaDirFor(config.databasePath));
  const media = createMediaLibrary(db, mediaStore);
  const ctx = { config, logger, clock, i18n, languages: locales.languages, db, store, media, onInbound: dispatcher.dispatch, onDeliveriesDue: () => queueKick.run(), fakes: { whatsappWebTransport } };
  const running = new Map<ChannelName, { id: string; channel: RunningChannel }>();
  for (const module of CHANNEL_MODULES) {
    if (!module.enabled(config, new Set(running.keys()))) continue;
    running.set(module.channel, { id: module.id, channel: module.create(ctx) });
  }
  const budget = createSendBudget(db);
  const outbox = createOutbox(db, clock, owner);
  const busyNotice = (lang: string | undefined) => {
    const lng = lang ?? config.defaultLanguage;
    return { text: renderText(i18n, lng, { key: 'common:busy' }), lang: lng, dir: i18n.dir(lng) === 'rtl' ? ('rtl' as const) : ('ltr' as const) };
  };
  for (const [name, { channel }] of running) {
    outbound.set(name, createOutboundScheduler({ channel: name, adapter: channel.adapter, limits: channel.limits, budget, outbox, clock: outboundClock, logger, busyNotice, maxReplyAgeMs: config.replyMaxAgeMs }));
  }
  const adapterOf = <A extends ChannelAdapter>(id: string): A | undefined => [...running.values()].find((r) => r.id === id)?.channel.adapter as A | undefined;
  const local = adapterOf<LocalChannel>('local') as LocalChannel;

  const nurture = config.nurture.enabled
    ? createNurture({
        db,
        config,
        i18n,
        channels: new Map([...outbound].map(([name, o]) => [name, { adapter: o.proactive, ratePerSecond: running.get(name)?.channel.limits.bot.perSecond ?? 25 }])),
        store,
        clock,
        logger,
        parts: { planner: roles.has('planner'), workers: deliveryChannels(roles, running) },
      })
    : undefined;

  afterCommit.on(({ effects }) => {
    if (nurture?.planner && effects.some((e) => NOTICE_EFFECTS.has(e.type))) void nurture.planner.kick();
  });
  // A broadcast submitted, approved or resumed goes out at once (not at the runner's next look); a pause or cancel shows in its progress.
  afterCommit.on(async ({ effects }) => {
    if (nurture?.broadcasts && effects.some((e) => e.type === 'broadcast' && BROADCAST_RUN_OPS.has(e.command.op))) await nurture.broadcasts.tick();
  });
  // A turn that kept a voice note, photo or file (a broadcast version) left a pending media row: fetch it now.
  const mediaFetcher = createMediaFetcher({
    db,
    store: mediaStore,
    downloaders: new Map([...running].flatMap(([name, r]) => (r.channel.downloader ? [[name, r.channel.downloader] as const] : []))),
    clock,
    logger,
  });
  afterCommit.on(({ effects }) => {
    if (effects.some((e) => e.type === 'broadcast' || e.type === 'nudge')) mediaFetcher.kick();
  });
  queueKick.run = () => void nurture?.planner?.kick();
  // /stats: the figures went out as text in the turn; the three charts follow as photos (src/jobs/stats-charts.ts).
  if (directory.stats) afterCommit.on(statsChartsListener({ db, reads: directory.stats, i18n, languages: locales.languages, store: mediaStore, outbound, outboxOwner: owner, clock, logger }));
  // A nudge triggered in the chat: its run broadcast is fanned out now, not at the next minute.
  afterCommit.on(async ({ effects }) => {
    if (nurture?.nudges && effects.some((e) => e.type === 'nudge' && e.command.op === 'trigger')) await nurture.nudges.run();
  });

  // Machine-translated drafts of a broadcast (off by default): after a committed requestDrafts.
  const machineDrafts = createMachineDrafts(config, {
    db,
    clock,
    logger,
    languageName: (code) => locales.languages.find((l) => l.code === code)?.endonym,
    kick: () => nurture?.planner?.kick(),
  });
  if (machineDrafts) afterCommit.on(broadcastTranslateListener(machineDrafts));

  const health = (): HealthReport => {
    const database = store.ping() ? 'up' : 'down';
    const channelHealth = [...running.values()].map((r) => r.channel.health());
    const redis = nurture ? nurture.redisState() : 'off';
    const workers = nurture ? nurture.workerState() : [];
    const ok = database === 'up' && channelHealth.every((c) => c.state === 'up') && redis !== 'down' && workers.every((w) => w.state === 'up');
    return { status: ok ? 'ok' : 'degraded', database, redis, workers, channels: channelHealth, uptimeSeconds: Math.round((clock.now().getTime() - startedAt) / 1000) };
  };

  const http = createHttpServer({
    logger,
    ...localChatOptions(config, local),
    onInbound: dispatcher.dispatch,
    health,
    uiTexts: (browserLang) => {
      const wanted = browserLang.toLowerCase().split(/[-_]/)[0] ?? '';
      const lang = locales.languages.some((l) => l.code === wanted) ? wanted : config.defaultLanguage;
      const texts = (i18n.getResourceBundle(lang, 'webchat') ?? {}) as Record<string, string>;
      return { lang, dir: i18n.dir(lang) === 'rtl' ? 'rtl' : 'ltr', texts };
    },
    routes: [...[...running.values()].flatMap((r) => r.channel.routes ?? []), ...operatorRoutes({ config, logger, nurture })],
  });

  let stopped = false;
  return {
    db,
    store,
    engine,
    afterCommit,
    dispatcher,
    local,
    telegram: adapterOf<TelegramChannel>('telegram'),
    whatsappCloud: adapterOf<WhatsAppCloudChannel>('whatsapp-cloud'),
    whatsappWeb: adapterOf<WhatsAppWebChannel>('whatsapp-web'),
    outbound,
    nurture,
    media: { store: mediaStore, library: media, fetcher: mediaFetcher },
    machineDrafts,
    health,
    async start() {
      const port = await http.listen(config.http.port, config.http.host);
      // Replies committed before a stop or a crash are taken over first.
      for (const o of outbound.values()) o.start();
      for (const { channel } of running.values()) await channel.start?.();
      // Files whose rows are gone (a crash between erasure and removal) go; pending ones are fetched.
      const swept = mediaStore.sweep(mediaIds(db));
      if (swept) logger.info({ files: swept }, 'media files without a row removed');
      mediaFetcher.kick();
      if (nurture) await nurture.start();
      logger.info({ port, channels: [...running.values()].map((r) => r.id) }, 'ouderbrug started');
      return port;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Each step is timed: a stop that hangs says where (SIGTERM gives it 10 s in main.ts).
      const step = async (name: string, run: () => Promise<unknown>): Promise<void> => {
        const t = Date.now();
        await run();
        if (Date.now() - t > 1_000) logger.warn({ step: name, ms: Date.now() - t }, 'a step of stopping was slow');
      };
      if (nurture) await step('nurture', () => nurture.stop());
      mediaFetcher.stop();
      await step('media', () => Promise.race([mediaFetcher.idle(), new Promise((r) => setTimeout(r, STOP_DRAIN_MS).unref())]));
      for (const [name, { channel }] of running) if (channel.stop) await step(`channel ${name}`, () => channel.stop!());
      await step('http', () => http.close());
      await step('turns', () => dispatcher.turnsDone());
      // Replies still waiting stay in the outbox; the next start sends them.
      await step('drain', () => Promise.race([dispatcher.idle(), new Promise((r) => setTimeout(r, STOP_DRAIN_MS).unref())]));
      for (const o of outbound.values()) await step(`outbound ${o.channel}`, () => o.stop());
      db.$client.close();
      logger.info({}, 'ouderbrug stopped');
    },
  };
}
