/**
 * The WhatsApp Business Cloud API as a channel module (channel 'whatsapp'). Limits: the
 * throughput configured for the number (WHATSAPP_CLOUD_RATE_PER_SECOND, Meta's default tier is
 * 80/s), and Meta's pair rate per recipient: about one message per 6 s, with short bursts.
 */
import { recordChannelStatus } from '../../../db/deliveries.repo.js';
import { lastInboundAt, touchInbound } from '../../../db/identities.repo.js';
import type { ChannelModule } from '../../channel-module.js';
import { createWhatsAppCloudChannel } from './cloud.adapter.js';
import { loadTemplates } from './cloud.templates.js';

export const whatsappCloudModule: ChannelModule = {
  id: 'whatsapp-cloud',
  channel: 'whatsapp',
  enabled: (config, taken) => Boolean(config.whatsappCloud) && !taken.has('whatsapp'),
  create({ config, logger, clock, i18n, languages, db, store, onInbound }) {
    const cloud = config.whatsappCloud;
    if (!cloud) throw new Error('whatsapp-cloud module created without its configuration');
    const wa = (chatId: string) => ({ channel: 'whatsapp' as const, chatId });
    const adapter = createWhatsAppCloudChannel({
      config: cloud,
      i18n,
      languages: languages.map((l) => l.code),
      logger,
      clock,
      templates: loadTemplates(cloud.templatesPath),
      onInbound,
      onUnreachable: (chatId) => store.markUnreachable(wa(chatId)),
      lastInboundAt: (chatId) => lastInboundAt(db, wa(chatId)),
      onInboundSeen: (chatId, at) => void touchInbound(db, wa(chatId), at),
      onStatus: (messageId, status, at) => void recordChannelStatus(db, messageId, status, at),
    });
    // Both WhatsApp modules are channel 'whatsapp'; the official API is the one an organisation may use.
    if (config.whatsappWeb.enabled) logger.warn({}, 'WHATSAPP_WEB_ENABLED is ignored: the WhatsApp Cloud API is configured and wins (whatsapp-web.js is not started)');
    return {
      adapter,
      limits: {
        bot: { capacity: Math.max(1, Math.floor(cloud.ratePerSecond / 10)), perSecond: cloud.ratePerSecond },
        chat: { capacity: 10, perSecond: 1 / 6 },
        maxInFlight: 32,
      },
      health: adapter.health,
      routes: [
        { method: 'GET', path: adapter.webhook.path, handler: adapter.webhook.handler },
        { method: 'POST', path: adapter.webhook.path, handler: adapter.webhook.handler },
      ],
    };
  },
};
