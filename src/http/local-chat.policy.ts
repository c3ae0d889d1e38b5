/**
 * When the local web chat is served. It is a try-out for someone at the bot's own machine, not
 * a way in: with a messenger configured it is off unless LOCAL_CHAT_ENABLED=true, and on an
 * address other than loopback it needs LOCAL_CHAT_PASSWORD (config.ts refuses to start without).
 * Pure: app.ts asks it whether to mount the chat, config.ts asks it for the problem.
 */
import type { Config } from '../config.js';
import type { LocalChannel } from '../bot/local/local.adapter.js';

export type LocalChatConfig = Pick<Config, 'telegram' | 'whatsappCloud' | 'whatsappWeb' | 'http' | 'localChat'>;

export interface LocalChatPolicy {
  enabled: boolean;
  /** Why, in words for the start-up log. */
  reason: string;
  /** When set, every page and API call of the chat asks for it (HTTP Basic). */
  password?: string;
  /** A configuration that must not start (config.ts turns it into a ConfigError). */
  problem?: string;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export const isLoopbackHost = (host: string): boolean => /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(host.trim());

export function localChatPolicy(config: LocalChatConfig): LocalChatPolicy {
  const messengers = [config.telegram.token ? 'Telegram' : '', config.whatsappCloud ? 'WhatsApp Cloud API' : '', config.whatsappWeb.enabled ? 'WhatsApp Web' : ''].filter(Boolean);
  const { enabled, password } = config.localChat;
  if (enabled === false) return { enabled: false, reason: 'LOCAL_CHAT_ENABLED=false' };
  if (enabled === undefined && messengers.length > 0) {
    return { enabled: false, reason: `a messenger is configured (${messengers.join(', ')}); LOCAL_CHAT_ENABLED=true serves the local chat anyway` };
  }
  const reason = enabled ? 'LOCAL_CHAT_ENABLED=true' : 'no messenger is configured';
  if (!password && !isLoopbackHost(config.http.host)) {
    return {
      enabled: false,
      reason,
      problem: `LOCAL_CHAT_PASSWORD: required when the local web chat is served (${reason}) and HTTP_HOST (${config.http.host}) is not a loopback address; or set LOCAL_CHAT_ENABLED=false`,
    };
  }
  return { enabled: true, reason, ...(password ? { password } : {}) };
}

/** The createHttpServer options for the local chat: the channel only when the policy serves it. */
export function localChatOptions(config: LocalChatConfig, local: LocalChannel): { local?: LocalChannel; localChat: { reason: string; password?: string } } {
  const policy = localChatPolicy(config);
  const localChat = { reason: policy.reason, ...(policy.password ? { password: policy.password } : {}) };
  return policy.enabled ? { local, localChat } : { localChat };
}
