/**
 * Telegram as a channel module. Limits (ADR 0005): Telegram documents them only loosely
 * (about 30 messages a second for bulk notifications, about 1 a second per chat with short
 * bursts, 20 a minute per group), so every message counts towards the bot's budget, which
 * stays just under 30 a second; a deployment that sees no 429 on replies can give replies
 * their own budget (TELEGRAM_REPLY_RATE_PER_SECOND).
 */
import type { ChannelModule } from '../channel-module.js';
import { createTelegramChannel } from './telegram.adapter.js';
import { commandMenus } from './telegram.commands.js';

export const telegramModule: ChannelModule = {
  id: 'telegram',
  channel: 'telegram',
  enabled: (config) => Boolean(config.telegram.token),
  create({ config, logger, i18n, languages, store, onInbound, media }) {
    const { token, apiRoot, webhookUrl, webhookSecret, limits } = config.telegram;
    const telegram = createTelegramChannel({
      token: token ?? '',
      apiRoot,
      webhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
      logger,
      onInbound,
      onUnreachable: (chatId) => store.markUnreachable({ channel: 'telegram', chatId }),
      commands: commandMenus(i18n, languages),
      defaultLanguage: config.defaultLanguage,
      ...(media ? { media } : {}),
    });
    return {
      adapter: telegram,
      limits: {
        // A bucket of 1 at N a second never puts more than N+1 requests into one sliding second.
        bot: { capacity: 1, perSecond: limits.perSecond },
        ...(limits.repliesPerSecond ? { replies: { capacity: 1, perSecond: limits.repliesPerSecond } } : {}),
        chat: { capacity: limits.chatBurst, perSecond: limits.chatPerSecond },
        group: { capacity: 3, perSecond: 20 / 60 },
        isGroup: (chatId) => chatId.startsWith('-'),
        maxInFlight: 16,
      },
      start: telegram.start,
      stop: telegram.stop,
      health: telegram.health,
      downloader: telegram.downloader,
      routes: telegram.webhook ? [{ method: 'POST', path: telegram.webhook.path, handler: telegram.webhook.handler }] : [],
    };
  },
};
