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
        // A bucket of C at N a second never puts more than N+C requests into one sliding second.
        // C = 1 plus 10 ms of tokens: a send that wakes a few milliseconds late (timers, the event
        // loop) keeps what accrued meanwhile, so the budget is used to ≥ 95 % and 28/s stays under
        // Telegram's 30 (28 + 1.28). With a bucket of exactly 1 a broadcast ran at 92 %.
        bot: { capacity: botCapacity(limits.perSecond), perSecond: limits.perSecond },
        ...(limits.repliesPerSecond ? { replies: { capacity: botCapacity(limits.repliesPerSecond), perSecond: limits.repliesPerSecond } } : {}),
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

/** The bot bucket's size: one message plus 10 ms of refill (see the limits above). */
export const botCapacity = (perSecond: number): number => 1 + perSecond / 100;
