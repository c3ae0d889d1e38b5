/**
 * whatsapp-web.js as a channel module (channel 'whatsapp', a volunteer pilot). Its own pacer
 * (random gaps, a daily cap) stays inside the adapter: one browser session is one process.
 * The scheduler sends one message at a time, so each gap goes to a waiting reply first.
 */
import { UNLIMITED } from '../../../core/outbound/channel-limits.js';
import type { ChannelModule } from '../../channel-module.js';
import { createWhatsAppWebChannel, whatsappQrRoute } from './whatsapp-web.adapter.js';
import { createSessionLock } from './whatsapp-web.session-lock.js';
import { createWwebjsTransport } from './whatsapp-web.transport.js';

export const whatsappWebModule: ChannelModule = {
  id: 'whatsapp-web',
  channel: 'whatsapp',
  // One browser session, in the process that runs the bot role; its delivery worker runs there too.
  processBound: true,
  enabled: (config, taken) => config.whatsappWeb.enabled && !taken.has('whatsapp'),
  create({ config, logger, clock, i18n, languages, store, onInbound, fakes, media }) {
    const { sessionDir, chromiumPath, minDelayMs, maxDelayMs, dailyCap, qrPassword } = config.whatsappWeb;
    const adapter = createWhatsAppWebChannel({
      transport: fakes?.whatsappWebTransport ?? createWwebjsTransport({ sessionDir, chromiumPath }),
      i18n,
      languages: languages.map((l) => l.code),
      logger,
      onInbound,
      onUnreachable: (chatId) => store.markUnreachable({ channel: 'whatsapp', chatId }),
      clock,
      minDelayMs,
      maxDelayMs,
      dailyCap,
      knownChat: (chatId) => store.findIdentity({ channel: 'whatsapp', chatId }) !== null,
      defaultLanguage: config.defaultLanguage,
      timeZone: config.timeZone,
      ...(media ? { media } : {}),
    });
    // A second process on the same session folder is refused at start (a fake phone in tests has no folder to guard).
    const lock = fakes?.whatsappWebTransport ? undefined : createSessionLock(sessionDir);
    return {
      adapter,
      // The adapter's pacer holds the real pace (random gaps on the injected clock, a daily cap);
      // one send at a time lets the scheduler pick replies before proactive messages for each gap.
      limits: { ...UNLIMITED, maxInFlight: 1 },
      async start() {
        lock?.acquire();
        await adapter.start();
      },
      async stop() {
        await adapter.stop();
        lock?.release();
      },
      health: adapter.health,
      downloader: adapter.downloader,
      routes: [whatsappQrRoute(adapter, { ...(qrPassword ? { password: qrPassword } : {}), logger, clock })],
    };
  },
};
