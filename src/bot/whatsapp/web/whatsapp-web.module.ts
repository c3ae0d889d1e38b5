/**
 * whatsapp-web.js as a channel module (channel 'whatsapp', a volunteer pilot). Its own pacer
 * (random gaps, a daily cap) stays inside the adapter: one browser session is one process.
 * The scheduler's budget matches that pace, so replies still go before proactive messages.
 */
import type { ChannelModule } from '../../channel-module.js';
import { createWhatsAppWebChannel, whatsappQrRoute } from './whatsapp-web.adapter.js';
import { createWwebjsTransport } from './whatsapp-web.transport.js';

export const whatsappWebModule: ChannelModule = {
  id: 'whatsapp-web',
  channel: 'whatsapp',
  enabled: (config, taken) => config.whatsappWeb.enabled && !taken.has('whatsapp'),
  create({ config, logger, clock, i18n, languages, store, onInbound, fakes }) {
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
    });
    const perSecond = 1000 / Math.max(250, minDelayMs);
    return {
      adapter,
      limits: { bot: { capacity: 1, perSecond }, chat: { capacity: 1, perSecond }, maxInFlight: 1 },
      start: adapter.start,
      stop: adapter.stop,
      health: adapter.health,
      routes: [whatsappQrRoute(adapter, { ...(qrPassword ? { password: qrPassword } : {}), logger, clock })],
    };
  },
};
