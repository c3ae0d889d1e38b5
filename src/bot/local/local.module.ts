/**
 * The local web chat as a channel module. It is always created (a parent who tried the bot
 * locally keeps their profile), but its pages and API are served only as the policy in
 * src/http/local-chat.policy.ts allows; there is no messenger behind it, so no real limits.
 */
import { UNLIMITED } from '../../core/outbound/channel-limits.js';
import { renderText } from '../../core/render.js';
import type { ChannelModule, RunningChannel } from '../channel-module.js';
import { createLocalChannel, type LocalChannel } from './local.adapter.js';

export const localModule: ChannelModule & { create(ctx: Parameters<ChannelModule['create']>[0]): RunningChannel<LocalChannel> } = {
  id: 'local',
  channel: 'local',
  // The browser reads its messages from this process's memory.
  processBound: true,
  enabled: () => true,
  create({ logger, store, i18n, config }) {
    const adapter = createLocalChannel({
      logger,
      hasPerson: (chatId) => store.findIdentity({ channel: 'local', chatId }) !== null,
      // Text only: a voice note, photo or file shows as a line saying where to hear or see it.
      mediaNote: (type, lang) => renderText(i18n, lang ?? config.defaultLanguage, { key: `media:webchat.${type}` }),
    });
    return { adapter, limits: UNLIMITED, health: adapter.health };
  },
};
