/**
 * `npm start -- --role bot|planner|worker` (issue 13, item 2): which parts each role runs, the
 * configurations refused with what to change, and the command line itself. Processes of several
 * roles together are in test/e2e/roles.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createBackgroundApp } from '../src/app.roles.js';
import { localModule } from '../src/bot/local/local.module.js';
import { telegramModule } from '../src/bot/telegram/telegram.module.js';
import { whatsappCloudModule } from '../src/bot/whatsapp/cloud/cloud.module.js';
import { SESSION_LOCK_FILE } from '../src/bot/whatsapp/web/whatsapp-web.session-lock.js';
import { whatsappWebModule } from '../src/bot/whatsapp/web/whatsapp-web.module.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { insertDeliveries } from '../src/db/deliveries.repo.js';
import { ALL_ROLES, checkRoles, deliversChannel, parseRoles, RoleError, type Role } from '../src/roles.js';
import { seedInitiative, seedParents } from './support/broadcast-seed.js';
import { fixedClock } from './support/clock.js';
import { silentLogger } from './support/engine-harness.js';
import { startFakeBotApi, type FakeBotApi } from './support/fake-bot-api.js';
import { testRedisUrl } from './support/redis-server.js';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-role-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const roles = (...r: Role[]) => new Set<Role>(r);
/** 10:00 in Amsterdam: no quiet hours. */
const AT = '2026-12-01T09:00:00Z';

describe('--role', () => {
  it('is one role, several comma-separated, or none (everything, as `npm start` always did)', () => {
    expect([...parseRoles('worker')]).toEqual(['worker']);
    expect([...parseRoles('planner, worker')]).toEqual(['planner', 'worker']);
    expect(parseRoles(undefined)).toBe(ALL_ROLES);
    expect([...ALL_ROLES]).toEqual(['bot', 'planner', 'worker']);
    expect(() => parseRoles('bots')).toThrow('unknown role "bots": use bot, planner, worker');
    expect(() => parseRoles('')).toThrow(RoleError);
  });

  it('refuses a role that cannot work with the configuration, saying what to change', () => {
    const token = { TELEGRAM_BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ' };
    expect(() => checkRoles(loadConfig({}), roles('worker'))).toThrow(/worker role sends on Telegram \(TELEGRAM_BOT_TOKEN\) and the WhatsApp Cloud API/);
    // whatsapp-web.js alone: still nothing a worker process may send.
    expect(() => checkRoles(loadConfig({ WHATSAPP_WEB_ENABLED: 'true' }), roles('worker'))).toThrow(/sent by the bot role itself/);
    expect(() => checkRoles(loadConfig({ ...token, NURTURE_ENABLED: 'false' }), roles('planner', 'worker'))).toThrow(/NURTURE_ENABLED=false .* the planner and worker role has nothing to do/);
    expect(() => checkRoles(loadConfig({ ...token, WHATSAPP_WEB_ENABLED: 'true' }), roles('worker'))).not.toThrow();
    expect(() => checkRoles(loadConfig({ NURTURE_ENABLED: 'false' }), roles('bot'))).not.toThrow();
    expect(() => checkRoles(loadConfig({}), ALL_ROLES)).not.toThrow();
  });

  it('runs each delivery worker in one role: the web chat and whatsapp-web.js with the bot (they live in its process), Telegram and the Cloud API with the worker', () => {
    const where = (module: typeof localModule | typeof telegramModule) => (['bot', 'planner', 'worker'] as const).filter((r) => deliversChannel(roles(r), module));
    expect(where(localModule)).toEqual(['bot']);
    expect(where(whatsappWebModule)).toEqual(['bot']);
    expect(where(telegramModule)).toEqual(['worker']);
    expect(where(whatsappCloudModule)).toEqual(['worker']);
    // Everything in one process, as before.
    for (const m of [localModule, whatsappWebModule, telegramModule, whatsappCloudModule]) expect(deliversChannel(ALL_ROLES, m)).toBe(true);
  });
});

describe('a process with some of the roles (real Redis, SQLite on disk, the fake Bot API)', () => {
  async function world(): Promise<{ api: FakeBotApi; env: Record<string, string>; dbPath: string }> {
    const dir = tempDir();
    const dbPath = join(dir, 'bot.db');
    const db = openDatabase(dbPath);
    const initiative = seedInitiative(db, 'rollen');
    // A parent with reminders due at 10:00 on 1 December 2026 (a child of 2 years and 4 months: look at schools, toddler groups).
    seedParents(db, initiative, [{ language: 'nl', channel: 'telegram', chatId: '880001', children: [{ year: 2024, month: 8 }] }], new Date(AT));
    db.$client.close();
    const api = await startFakeBotApi();
    cleanups.push(() => api.close());
    const env = { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, DATABASE_PATH: dbPath, HTTP_PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: `role${Math.random().toString(36).slice(2, 10)}` };
    return { api, env, dbPath };
  }
  const deliveriesIn = (dbPath: string): number => {
    const db = openDatabase(dbPath);
    const n = db.$client.prepare('select count(*) from deliveries').pluck().get() as number;
    db.$client.close();
    return n;
  };

  it('the bot role: replies and the web chat, no planning; its kick hands a notice due now to the queue; only the web chat has a delivery worker here', async () => {
    const { api, env, dbPath } = await world();
    const app = createApp({ config: loadConfig(env), logger: silentLogger, roles: roles('bot') });
    cleanups.push(() => app.stop());
    await app.start();
    expect(app.nurture?.workerState()).toEqual([{ channel: 'local', state: 'up' }]);
    expect(app.nurture?.broadcasts).toBeUndefined();
    expect(app.nurture?.nudges).toBeUndefined();
    expect(deliveriesIn(dbPath)).toBe(0); // the planner did not tick
    // Telegram still receives here (polling) and answers.
    await api.waitForRequests('getUpdates', 1, 5_000);
    // A notice a turn wrote (here: written directly), due now: the kick queues it without a planning pass.
    const personId = app.db.$client.prepare("select person_id from identities where chat_id = '880001'").pluck().get() as number;
    const now = new Date();
    insertDeliveries(app.db, [{ key: `notice|p${personId}|c-|1`, personId, childId: null, ruleId: 'test-notice', channel: 'telegram', kind: 'notice', priority: 9, dueAt: now, sendAt: now, expiresAt: null, urgentFrom: null, payload: { key: 'nurture:lookAtSchools', params: {}, buttons: null } }], now);
    expect(await app.nurture?.planner?.kick()).toBe(1);
    expect(await app.nurture?.queues?.pending('telegram')).toBe(1);
    expect(app.db.$client.prepare('select status from deliveries').pluck().get()).toBe('queued');
  });

  it('the worker role: Telegram without polling (send only), its delivery worker, nothing planned; whatsapp-web.js is left to the bot', async () => {
    const { api, env, dbPath } = await world();
    const app = createBackgroundApp({ config: loadConfig({ ...env, WHATSAPP_WEB_ENABLED: 'true' }), logger: silentLogger, roles: roles('worker') });
    cleanups.push(() => app.stop());
    await app.start();
    expect([...app.outbound.keys()]).toEqual(['telegram']);
    expect(app.nurture.workerState()).toEqual([{ channel: 'telegram', state: 'up' }]);
    expect(app.nurture.planner).toBeDefined();
    expect(app.nurture.broadcasts).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(deliveriesIn(dbPath)).toBe(0);
    expect(api.requestsOf('getUpdates')).toHaveLength(0);
    expect(api.requestsOf('getMe')).toHaveLength(0);
  });

  it('the planner role: plans and queues at start for every channel (the web chat too), sends nothing itself, receives nothing', async () => {
    const { api, env, dbPath } = await world();
    const app = createBackgroundApp({ config: loadConfig(env), logger: silentLogger, roles: roles('planner'), clock: fixedClock(AT) });
    cleanups.push(() => app.stop());
    await app.start();
    expect(app.nurture.workerState()).toEqual([]);
    expect(app.nurture.bullQueues().map((q) => q.name).sort()).toEqual(['deliver-local', 'deliver-telegram']);
    expect(app.nurture.broadcasts).toBeDefined();
    expect(app.nurture.nudges).toBeDefined();
    // The first full rebuild runs beside the start's tick; the next tick hands its rows to the queue.
    await app.nurture.planner?.rebuild();
    await app.nurture.planner?.tick();
    expect(deliveriesIn(dbPath)).toBe(2);
    expect(await app.nurture.queues?.pending('telegram')).toBe(2);
    expect(api.requestsOf('getUpdates')).toHaveLength(0);
    expect(api.requestsOf('sendMessage')).toHaveLength(0);
  });
});

describe('npm start -- --role … (src/main.ts)', () => {
  function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
  }

  it('refuses an unknown role and a role with nothing to do, at once and in words', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'bot.db'), HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: '', NURTURE_ENABLED: 'true' };
    const [unknown, worker] = await Promise.all([run(['--role', 'plannr'], env), run(['--role', 'worker'], env)]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('unknown role "plannr": use bot, planner, worker');
    expect(worker.code).toBe(1);
    expect(worker.output).toContain('Cannot run the worker role');
    expect(worker.output).toContain('the local web chat and whatsapp-web.js are sent by the bot role itself');
  }, 30_000);

  it('refuses a second whatsapp-web.js session: a bot role beside a live process that holds the session stops with what to do, before any browser starts', async () => {
    const dir = tempDir();
    const sessionDir = join(dir, 'whatsapp-session');
    mkdirSync(sessionDir, { recursive: true });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    cleanups.push(() => holder.kill('SIGKILL'));
    writeFileSync(join(sessionDir, SESSION_LOCK_FILE), `${hostname()}:${holder.pid}:12345678`);
    const env = { DATABASE_PATH: join(dir, 'bot.db'), HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: '', NURTURE_ENABLED: 'false', WHATSAPP_WEB_ENABLED: 'true', WHATSAPP_WEB_SESSION_DIR: sessionDir, WHATSAPP_WEB_CHROMIUM_PATH: '/nonexistent/chromium' };
    const bot = await run(['--role', 'bot'], env);
    expect(bot.code).toBe(1);
    expect(bot.output).toContain('start failed');
    expect(bot.output).toContain(`already used by process ${holder.pid}`);
    expect(bot.output).not.toContain('ouderbrug started');
  }, 30_000);
});
