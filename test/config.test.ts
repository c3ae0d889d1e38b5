import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('config', () => {
  it('has working defaults with an empty environment (local web chat only)', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ databasePath: './data/ouderbrug.db', http: { port: 3000 }, defaultLanguage: 'nl', timeZone: 'Europe/Amsterdam', logLevel: 'info' });
    expect(c.telegram.token).toBeUndefined();
    expect(c.telegram.apiRoot).toBe('https://api.telegram.org');
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ HTTP_PORT: 'abc', BOT_TIMEZONE: 'Mars/Olympus', TELEGRAM_BOT_TOKEN: 'nope', TELEGRAM_WEBHOOK_URL: 'https://example.org/tg', LOG_LEVEL: 'loud' });
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const key of ['HTTP_PORT', 'BOT_TIMEZONE', 'TELEGRAM_BOT_TOKEN', 'LOG_LEVEL']) expect(problems).toContain(key);
    }
  });

  it('requires a webhook secret with a webhook URL', () => {
    expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ', TELEGRAM_WEBHOOK_URL: 'https://example.org/tg' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });
});
