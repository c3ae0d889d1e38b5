/**
 * The whole bot as `npm start` builds it (createApp), talking real HTTP to a fake Telegram
 * Bot API on loopback, with SQLite on disk and JSON-line logs captured for inspection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Clock } from '../../src/core/clock.js';
import { startFakeBotApi, type FakeBotApi, type RecordedMessage } from './fake-bot-api.js';
import { testRedisUrl } from './redis-server.js';

export interface AppHarness {
  app: App;
  /** The HTTP port the app listens on. */
  port: number;
  api: FakeBotApi;
  config: Config;
  dbPath: string;
  logs: string[];
  /** Runs `act` (which queues updates) and returns what the bot sent to `chatId` in answer. */
  exchange(chatId: number, act: () => unknown): Promise<RecordedMessage[]>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startAppHarness(env: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<AppHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-e2e-'));
  const dbPath = join(dir, 'bot.db');
  const api = await startFakeBotApi();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  // The whole bot, reminders included: a real Redis, a key prefix of its own per harness.
  const redis = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: `e2e${Math.random().toString(36).slice(2, 10)}` };
  // Conversation tests type faster than any parent: a chat's flood limit is lifted unless a test sets it.
  const chatLimits = { TELEGRAM_CHAT_BURST: '100', TELEGRAM_CHAT_PER_SECOND: '100' };
  const config = loadConfig({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, DATABASE_PATH: dbPath, HTTP_PORT: '0', LOG_LEVEL: 'debug', ...chatLimits, ...redis, ...env });
  const boot = async () => {
    const app = createApp({ config, logger: createLogger('debug', sink), clock: options.clock });
    const port = await app.start();
    return { app, port };
  };
  const first = await boot();
  const h: AppHarness = {
    app: first.app,
    port: first.port,
    api,
    config,
    dbPath,
    logs,
    async exchange(chatId, act) {
      const before = api.sent(chatId).length;
      act();
      // Telegraf confirms a batch (next getUpdates offset) only after every handler finished.
      const deadline = Date.now() + 8000;
      while (api.pendingUpdates() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await h.app.dispatcher.idle();
      return api.sent(chatId).slice(before);
    },
    async restart() {
      await h.app.stop();
      const next = await boot();
      h.app = next.app;
      h.port = next.port;
    },
    async close() {
      await h.app.stop();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const texts = (messages: RecordedMessage[]): string => messages.map((m) => m.plain ?? '').join('\n---\n');

export function keyboard(messages: RecordedMessage[]): { label: string; data: string }[] {
  const out: { label: string; data: string }[] = [];
  for (const m of messages) {
    const markup = m.reply_markup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined;
    for (const row of markup?.inline_keyboard ?? []) for (const b of row) out.push({ label: b.text, data: b.callback_data ?? '' });
  }
  return out;
}

/** The callback data of the button whose label contains `label`. */
export function button(messages: RecordedMessage[], label: string): string {
  const found = keyboard(messages).find((b) => b.label.includes(label));
  if (!found) throw new Error(`no button "${label}" in ${JSON.stringify(keyboard(messages).map((b) => b.label))}`);
  return found.data;
}
