import { readFileSync } from 'node:fs';
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

  it('reads the planner threads for a rebuild: unset is automatic, 1–8 is taken, anything else refused', () => {
    expect(loadConfig({}).nurture.rebuildThreads).toBeUndefined();
    expect(loadConfig({ PLANNER_REBUILD_THREADS: '' }).nurture.rebuildThreads).toBeUndefined();
    expect(loadConfig({ PLANNER_REBUILD_THREADS: '2' }).nurture.rebuildThreads).toBe(2);
    for (const bad of ['0', '9', 'two', '1.5']) expect(() => loadConfig({ PLANNER_REBUILD_THREADS: bad })).toThrow(/PLANNER_REBUILD_THREADS/);
  });

  it('requires a webhook secret with a webhook URL', () => {
    expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ', TELEGRAM_WEBHOOK_URL: 'https://example.org/tg' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });

  it('reads the reminder settings with safe defaults, and refuses nonsense', () => {
    const c = loadConfig({});
    expect(c.nurture).toMatchObject({ enabled: true, redisUrl: 'redis://127.0.0.1:6379', redisPrefix: 'ouderbrug', quietHours: { start: '20:00', end: '08:30' }, cap: { max: 3, days: 7 } });
    expect(c.telegram.limits).toEqual({ perSecond: 28, repliesPerSecond: undefined, chatBurst: 2, chatPerSecond: 1 });
    expect(c.replyMaxAgeMs).toBe(600_000);
    expect(c.nurture.dashboardPassword).toBeUndefined();
    const custom = loadConfig({ QUIET_HOURS: '21:00-07:30', FREQUENCY_CAP: '2/5', REDIS_URL: 'redis://:secret@redis:6380/2' });
    expect(custom.nurture).toMatchObject({ quietHours: { start: '21:00', end: '07:30' }, cap: { max: 2, days: 5 } });
    try {
      loadConfig({ QUIET_HOURS: '8-20', FREQUENCY_CAP: 'lots', REDIS_URL: 'localhost', TELEGRAM_RATE_PER_SECOND: '100', DASHBOARD_PASSWORD: 'short' });
      expect.unreachable('should have thrown');
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      for (const key of ['QUIET_HOURS', 'FREQUENCY_CAP', 'REDIS_URL', 'TELEGRAM_RATE_PER_SECOND', 'DASHBOARD_PASSWORD']) expect(problems).toContain(key);
    }
  });

  it('documents every key it reads in .env.example', () => {
    const source = readFileSync('src/config.ts', 'utf8');
    const keys = [...source.matchAll(/^\s{4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    const example = readFileSync('.env.example', 'utf8');
    expect(keys.length).toBeGreaterThan(15);
    for (const key of keys) expect(example).toMatch(new RegExp(`^${key}=`, 'm'));
  });
});
