/**
 * Assembles the whole bot from its parts (used by main.ts and by the end-to-end tests, so
 * tests run exactly the production graph with fakes only at the edges).
 */
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { createDispatcher, type Dispatcher } from './core/dispatcher.js';
import { createEngine, type Engine } from './core/engine.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from './core/i18n.js';
import type { ChannelName } from './core/messages.js';
import type { ChannelAdapter, Logger, Store } from './core/ports.js';
import { createPreConsentMemory } from './core/pre-consent.memory.js';
import { openDatabase, type Db } from './db/client.js';
import { createDirectory } from './db/initiatives.repo.js';
import { createStore } from './db/store.js';
import { createLocalChannel, type LocalChannel } from './bot/local/local.adapter.js';
import { createTelegramChannel, type TelegramChannel } from './bot/telegram/telegram.adapter.js';
import { commandMenus } from './bot/telegram/telegram.commands.js';
import { createWhatsAppCloudChannel, type WhatsAppCloudChannel } from './bot/whatsapp/cloud/cloud.adapter.js';
import { loadTemplates } from './bot/whatsapp/cloud/cloud.templates.js';
import { createWhatsAppWebChannel, whatsappQrRoute, type WhatsAppWebChannel } from './bot/whatsapp/web/whatsapp-web.adapter.js';
import { createWwebjsTransport, type WhatsAppWebTransport } from './bot/whatsapp/web/whatsapp-web.transport.js';
import { recordChannelStatus } from './db/deliveries.repo.js';
import { lastInboundAt, touchInbound } from './db/identities.repo.js';
import { createHttpServer, type HealthReport } from './http/server.js';
import { localChatOptions } from './http/local-chat.policy.js';
import { createNurture, type Nurture } from './jobs/nurture.service.js';
import { createQueueDashboard } from './http/queue-dashboard.js';
import type { HttpRoute } from './http/server.js';

export interface AppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Replaces whatsapp-web.js (WHATSAPP_WEB_ENABLED=true) with a fake session in tests. */
  whatsappWebTransport?: WhatsAppWebTransport;
}

export interface App {
  db: Db;
  store: Store;
  engine: Engine;
  dispatcher: Dispatcher;
  local: LocalChannel;
  telegram?: TelegramChannel;
  /** The WhatsApp Business Cloud API channel (WHATSAPP_CLOUD_* set); it is channel 'whatsapp'. */
  whatsappCloud?: WhatsAppCloudChannel;
  /** The whatsapp-web.js pilot channel (WHATSAPP_WEB_ENABLED=true, no Cloud API); also channel 'whatsapp'. */
  whatsappWeb?: WhatsAppWebChannel;
  /** Reminders, events and newsletters (absent when NURTURE_ENABLED=false). */
  nurture?: Nurture;
  /** Starts the HTTP server and the channels; resolves with the HTTP port actually used. */
  start(): Promise<number>;
  stop(): Promise<void>;
  health(): HealthReport;
}

export function createApp({ config, logger, clock = systemClock, whatsappWebTransport }: AppOptions): App {
  const startedAt = clock.now().getTime();
  const db = openDatabase(config.databasePath);
  const locales = loadLocales(config.localesDir ?? DEFAULT_LOCALES_DIR);
  const i18n = createI18n(locales);
  const store = createStore(db, clock);
  const channels = new Map<ChannelName, ChannelAdapter>();

  const local = createLocalChannel({ logger, hasPerson: (chatId) => store.findIdentity({ channel: 'local', chatId }) !== null });
  channels.set('local', local);

  const engine = createEngine({
    store,
    directory: createDirectory(db),
    // The engine reads this map at send time, so channels added below are seen.
    channels,
    i18n,
    languages: locales.languages,
    memory: createPreConsentMemory(clock),
    clock,
    logger,
    defaultLanguage: config.defaultLanguage,
    timeZone: config.timeZone,
  });
  const dispatcher = createDispatcher(engine.handle, logger);

  let telegram: TelegramChannel | undefined;
  if (config.telegram.token) {
    telegram = createTelegramChannel({
      token: config.telegram.token,
      apiRoot: config.telegram.apiRoot,
      webhook: config.telegram.webhookUrl && config.telegram.webhookSecret ? { url: config.telegram.webhookUrl, secret: config.telegram.webhookSecret } : undefined,
      logger,
      onInbound: dispatcher.dispatch,
      onUnreachable: (chatId) => store.markUnreachable({ channel: 'telegram', chatId }),
      commands: commandMenus(i18n, locales.languages),
      defaultLanguage: config.defaultLanguage,
    });
    channels.set('telegram', telegram);
  }

  let whatsappCloud: WhatsAppCloudChannel | undefined;
  if (config.whatsappCloud) {
    const wa = (chatId: string) => ({ channel: 'whatsapp' as const, chatId });
    whatsappCloud = createWhatsAppCloudChannel({
      config: config.whatsappCloud,
      i18n,
      languages: locales.languages.map((l) => l.code),
      logger,
      clock,
      templates: loadTemplates(config.whatsappCloud.templatesPath),
      onInbound: dispatcher.dispatch,
      onUnreachable: (chatId) => store.markUnreachable(wa(chatId)),
      lastInboundAt: (chatId) => lastInboundAt(db, wa(chatId)),
      onInboundSeen: (chatId, at) => void touchInbound(db, wa(chatId), at),
      onStatus: (messageId, status, at) => void recordChannelStatus(db, messageId, status, at),
    });
    channels.set('whatsapp', whatsappCloud);
    // Both are channel 'whatsapp'; the official API is the one an organisation may use.
    if (config.whatsappWeb.enabled) logger.warn({}, 'WHATSAPP_WEB_ENABLED is ignored: the WhatsApp Cloud API is configured and wins (whatsapp-web.js is not started)');
  }

  let whatsappWeb: WhatsAppWebChannel | undefined;
  if (config.whatsappWeb.enabled && !whatsappCloud) {
    const { sessionDir, chromiumPath, minDelayMs, maxDelayMs, dailyCap } = config.whatsappWeb;
    whatsappWeb = createWhatsAppWebChannel({
      transport: whatsappWebTransport ?? createWwebjsTransport({ sessionDir, chromiumPath }),
      i18n,
      languages: locales.languages.map((l) => l.code),
      logger,
      onInbound: dispatcher.dispatch,
      onUnreachable: (chatId) => store.markUnreachable({ channel: 'whatsapp', chatId }),
      clock,
      minDelayMs,
      maxDelayMs,
      dailyCap,
      knownChat: (chatId) => store.findIdentity({ channel: 'whatsapp', chatId }) !== null,
      defaultLanguage: config.defaultLanguage,
      timeZone: config.timeZone,
    });
    channels.set('whatsapp', whatsappWeb);
  }

  const nurture = config.nurture.enabled ? createNurture({ db, config, i18n, channels, store, clock, logger }) : undefined;

  const health = (): HealthReport => {
    const database = store.ping() ? 'up' : 'down';
    const channelHealth = [local.health(), ...(telegram ? [telegram.health()] : []), ...(whatsappCloud ? [whatsappCloud.health()] : []), ...(whatsappWeb ? [whatsappWeb.health()] : [])];
    const redis = nurture ? nurture.redisState() : 'off';
    const ok = database === 'up' && channelHealth.every((c) => c.state === 'up') && redis !== 'down';
    return { status: ok ? 'ok' : 'degraded', database, redis, channels: channelHealth, uptimeSeconds: Math.round((clock.now().getTime() - startedAt) / 1000) };
  };

  const routes: HttpRoute[] = telegram?.webhook ? [{ method: 'POST', path: telegram.webhook.path, handler: telegram.webhook.handler }] : [];
  if (whatsappWeb) routes.push(whatsappQrRoute(whatsappWeb, { password: config.whatsappWeb.qrPassword, logger }));
  if (whatsappCloud) routes.push({ method: 'GET', path: whatsappCloud.webhook.path, handler: whatsappCloud.webhook.handler }, { method: 'POST', path: whatsappCloud.webhook.path, handler: whatsappCloud.webhook.handler });
  const dashboardPassword = config.nurture.dashboardPassword;
  if (nurture && dashboardPassword) {
    // The queues exist only after start(); the dashboard is built on the first request.
    let dashboard: ReturnType<typeof createQueueDashboard> | undefined;
    routes.push({
      method: 'ANY',
      prefix: '/admin/queues',
      access: 'private',
      handler: (req, res) => {
        dashboard ??= nurture.bullQueues().length ? createQueueDashboard({ queues: nurture.bullQueues(), password: dashboardPassword, logger }) : undefined;
        if (dashboard) return dashboard.handler(req, res);
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('queues are not running (is Redis reachable?)\n');
      },
    });
  }

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
    routes,
  });

  let stopped = false;
  return {
    db,
    store,
    engine,
    dispatcher,
    local,
    telegram,
    whatsappCloud,
    whatsappWeb,
    nurture,
    health,
    async start() {
      const port = await http.listen(config.http.port, config.http.host);
      await engine.resendPending();
      if (telegram) await telegram.start();
      if (whatsappWeb) await whatsappWeb.start();
      if (nurture) await nurture.start();
      logger.info({ port, telegram: telegram ? (config.telegram.webhookUrl ? 'webhook' : 'polling') : 'off' }, 'ouderbrug started');
      return port;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (nurture) await nurture.stop();
      if (telegram) await telegram.stop();
      if (whatsappWeb) await whatsappWeb.stop();
      await http.close();
      await dispatcher.idle();
      db.$client.close();
      logger.info({}, 'ouderbrug stopped');
    },
  };
}
