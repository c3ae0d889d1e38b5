/**
 * The Telegram channel's lifecycle: start() makes one connection attempt (getMe, command
 * menus, then polling or setWebhook) and returns whatever happens; a failure (network down,
 * bad token) leaves health() 'down' and retries with backoff in the background until stop().
 */
import type { Telegraf } from 'telegraf';
import type { ChannelHealth, Logger } from '../../core/ports.js';
import { classifyTelegramError, describeTelegramError as describe, errorCode } from './telegram.errors.js';

export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member'] as const;

export interface LifecycleOptions {
  logger: Logger;
  webhook?: { url: string; secret: string };
  commands: { language: string; commands: { command: string; description: string }[] }[];
  defaultLanguage: string;
  retry?: { firstDelayMs?: number; maxDelayMs?: number };
}

export function createLifecycle(bot: Telegraf, options: LifecycleOptions) {
  const { logger, webhook } = options;
  const firstDelay = options.retry?.firstDelayMs ?? 1000;
  const maxDelay = options.retry?.maxDelayMs ?? 60_000;
  let state: ChannelHealth = { name: 'telegram', state: 'off' };
  let stopping: AbortController | null = null;
  let loop: Promise<void> | null = null;
  let polling: Promise<void> | null = null;

  const setHealth = (next: ChannelHealth['state'], detail?: string): void => {
    state = { name: 'telegram', state: next, ...(detail ? { detail } : {}) };
  };

  /** getMe and the command menus; the caller then polls or sets the webhook. */
  async function connect(signal: AbortSignal): Promise<void> {
    const opts = { signal } as Parameters<typeof bot.telegram.callApi>[2];
    bot.botInfo = await bot.telegram.callApi('getMe', {}, opts);
    await registerCommands(bot, options, opts);
    if (webhook) {
      await bot.telegram.callApi('setWebhook', { url: webhook.url, secret_token: webhook.secret, allowed_updates: [...ALLOWED_UPDATES] }, opts);
    }
  }

  async function run(signal: AbortSignal, firstAttemptDone: () => void): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await connect(signal);
        if (signal.aborted) return;
        failures = 0;
        setHealth('up');
        logger.info({ mode: webhook ? 'webhook' : 'polling' }, 'telegram connected');
        firstAttemptDone();
        if (webhook) return;
        // launch() resolves only when polling stops; stop() awaits it through this loop.
        polling = bot.launch({ dropPendingUpdates: false, allowedUpdates: [...ALLOWED_UPDATES] });
        try {
          await polling;
        } finally {
          polling = null;
        }
        if (signal.aborted) return;
        throw new Error('polling ended unexpectedly');
      } catch (err) {
        if (signal.aborted) return;
        const delay = Math.min(maxDelay, firstDelay * 2 ** failures++);
        const reason = classifyTelegramError(err).reason;
        setHealth('down', `${reason}; retrying in ${Math.round(delay / 100) / 10}s`);
        logger.warn({ code: errorCode(err), reason, retryInMs: delay }, 'telegram connection failed');
        firstAttemptDone();
        await sleep(delay, signal);
      }
    }
  }

  async function stopPolling(launched: Promise<void>): Promise<void> {
    let settled = false;
    const done = launched
      .catch((err: unknown) => logger.warn({ error: describe(err) }, 'telegram polling ended with an error'))
      .finally(() => (settled = true));
    // bot.stop() throws "Bot is not running!" in the gap between launch() and the first
    // getUpdates (telegraf#2003), and after a restart it would stop the previous, finished
    // poller instead. Aborting twice is harmless, so keep asking until launch settles.
    while (!settled) {
      try {
        bot.stop('shutdown');
      } catch {
        // Not polling yet: try again shortly.
      }
      await Promise.race([done, sleep(20)]);
    }
  }

  return {
    health: (): ChannelHealth => state,
    async start(): Promise<void> {
      if (loop) return;
      stopping = new AbortController();
      setHealth('starting');
      let firstAttemptDone = (): void => undefined;
      const firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve));
      loop = run(stopping.signal, firstAttemptDone)
        .catch((err: unknown) => logger.error({ error: describe(err) }, 'telegram lifecycle failed'))
        .finally(firstAttemptDone);
      await firstAttempt;
    },
    async stop(): Promise<void> {
      if (!loop || !stopping) return;
      stopping.abort();
      if (polling) await stopPolling(polling);
      await loop;
      loop = null;
      stopping = null;
      setHealth('off');
    },
  };
}

async function registerCommands(bot: Telegraf, options: LifecycleOptions, opts: Parameters<typeof bot.telegram.callApi>[2]): Promise<void> {
  const fallback = options.commands.find((set) => set.language === options.defaultLanguage);
  const sets: { language_code?: string; commands: LifecycleOptions['commands'][number]['commands'] }[] = [
    ...(fallback ? [{ commands: fallback.commands }] : []),
    ...options.commands.map((set) => ({ language_code: set.language, commands: set.commands })),
  ];
  for (const set of sets) {
    try {
      await bot.telegram.callApi('setMyCommands', set, opts);
    } catch (err) {
      // A missing menu is cosmetic; the bot still works, so log and carry on.
      options.logger.warn({ method: 'setMyCommands', language: set.language_code ?? 'default', error: describe(err) }, 'telegram call failed');
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
