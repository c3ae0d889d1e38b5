/**
 * A messenger is one module: how to build its adapter from the configuration, its limits,
 * start/stop, health and HTTP routes. app.ts walks the list in src/bot/channels.ts, so adding a
 * messenger is one folder and one line there (plus its name in CHANNEL_INFO, src/core/messages.ts).
 */
import type { i18n } from 'i18next';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { MediaDownloader, MediaLibrary } from '../core/media.js';
import type { ChannelName } from '../core/messages.js';
import type { ChannelLimits } from '../core/outbound/channel-limits.js';
import type { ChannelAdapter, ChannelHealth, InboundHandler, Logger, Store } from '../core/ports.js';
import type { LanguageInfo } from '../flows/flow.types.js';
import type { Db } from '../db/client.js';
import type { HttpRoute } from '../http/server.js';
import type { WhatsAppWebTransport } from './whatsapp/web/whatsapp-web.transport.js';

export interface ChannelContext {
  config: Config;
  logger: Logger;
  clock: Clock;
  i18n: i18n;
  languages: LanguageInfo[];
  db: Db;
  store: Store;
  /** Inbound messages go here (the dispatcher). */
  onInbound: InboundHandler;
  /** Stored voice notes, photos and files, for sending them (OutboundMessage.media). */
  media?: MediaLibrary;
  /** Delivery rows the channel made due now (held ones released, a closed window to retry): queue them at once. */
  onDeliveriesDue?(): void;
  /** Test doubles for what cannot run here (a phone for whatsapp-web.js). */
  fakes?: { whatsappWebTransport?: WhatsAppWebTransport };
}

export interface RunningChannel<A extends ChannelAdapter = ChannelAdapter> {
  /** I/O only; the outbound scheduler is the only caller of `send`. */
  adapter: A;
  limits: ChannelLimits;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  health(): ChannelHealth;
  routes?: HttpRoute[];
  /** Fetches files people sent on this messenger (absent: it has none, e.g. the web chat). */
  downloader?: MediaDownloader;
}

export interface ChannelModule {
  /** For logs: "telegram", "whatsapp-cloud", … */
  id: string;
  channel: ChannelName;
  /**
   * The messenger lives inside one process: the web chat's conversations are in memory, and
   * whatsapp-web.js is one browser session. Such a channel runs only where the bot role runs,
   * its delivery worker too (`npm start -- --role …`, src/roles.ts). Absent: any process can send
   * with the configuration alone (Telegram, the WhatsApp Cloud API).
   */
  processBound?: true;
  /** Whether it runs with this configuration; `taken` holds the channels started before it. */
  enabled(config: Config, taken: ReadonlySet<ChannelName>): boolean;
  create(ctx: ChannelContext): RunningChannel;
}
