/**
 * Roles as processes (issue 13, item 2): the bot, the planner and two delivery workers, each its
 * own process (as `npm start -- --role …` builds them), on one SQLite file and one Redis, against
 * the fake Bot API with Telegram's flood limits on.
 *
 *   - a parent onboards through the bot process (Telegram updates);
 *   - the planner process, started after that, plans their reminder and 240 more for parents
 *     already in the database; the two worker processes deliver them, both of them, within the
 *     channel's limits (BullMQ's limiter in Redis and the send budget in SQLite are shared);
 *   - one worker is SIGKILLed in the middle of the batch: the other goes on, and the rows the
 *     killed one held in `sending` are queued again by the planner (ADR 0004: at-least-once for the
 *     message in flight), and the jobs it had fetched but not claimed yet (rows still `queued`)
 *     come back through BullMQ's stalled-job check. Every row ends `sent`; a message reached its
 *     parent twice only if its row was one of those uncertain ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { seedParents } from '../support/broadcast-seed.js';
import { startFakeBotApi, type FakeBotApi, type RecordedMessage } from '../support/fake-bot-api.js';
import { button, texts } from '../support/app-harness.js';
import { testRedisUrl } from '../support/redis-server.js';

const ROLE_SCRIPT = new URL('../support/role.process.ts', import.meta.url).pathname;
/** 10:00 in Amsterdam on a Tuesday: no quiet hours. A child born August 2024 is 31 months: "look at schools" is due. */
const CLOCK_AT = '2027-03-02T09:00:00Z';
const SEEDED = 240;
const FIRST_CHAT = 770_000_001;
const PARENT_CHAT = 770_500_001;
const KILL_AFTER = 70;
const RATE = 20;

let api: FakeBotApi | undefined;
let dir: string | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  api = undefined;
  dir = undefined;
});

interface RoleChild {
  child: ChildProcess;
  pid: number;
  /** Everything it logged (JSON lines on stderr). */
  logs(): string;
}

function startRole(roles: string, env: Record<string, string>): Promise<RoleChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', ROLE_SCRIPT, roles], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${roles} did not start: ${err.slice(-2000)}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ child, pid: child.pid ?? -1, logs: () => err });
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`${roles} exited (${code ?? signal}) before it was ready: ${err.slice(-2000)}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Does `act` and returns what the bot sent to the chat in answer (it answers in another process: wait until it is quiet). */
async function exchange(chat: number, act: () => unknown): Promise<RecordedMessage[]> {
  const before = api!.sent(chat).length;
  act();
  await until(() => api!.sent(chat).length > before, 20_000, `an answer in chat ${chat}`);
  let seen = api!.sent(chat).length;
  for (;;) {
    await sleep(300);
    if (api!.sent(chat).length === seen) break;
    seen = api!.sent(chat).length;
  }
  return api!.sent(chat).slice(before);
}

it('bot, planner and two workers as processes: the parent onboards, every reminder arrives once, a killed worker loses nothing', async () => {
  const startedAt = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-roles-'));
  const dbPath = join(dir, 'bot.db');
  const clockFrom = Date.now();
  const now = new Date(CLOCK_AT);
  const db = openDatabase(dbPath);
  const initiative = createInitiative(
    db,
    { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'x@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' },
    'test',
  ).id;
  seedParents(
    db,
    initiative,
    Array.from({ length: SEEDED }, (_, i) => ({ language: 'nl', channel: 'telegram' as const, chatId: String(FIRST_CHAT + i), children: [{ year: 2024, month: 8 }] })),
    now,
  );
  db.$client.close();

  // Telegram's 30 a second for the bot; a chat's limit lifted (the parent types faster than any parent; reminders are one per chat).
  api = await startFakeBotApi({ limits: { perChat: { burst: 100, perSecond: 100 } } });
  for (let i = 0; i < SEEDED; i++) api.meet(FIRST_CHAT + i);
  const env = {
    TELEGRAM_BOT_TOKEN: api.token,
    TELEGRAM_API_ROOT: api.apiRoot,
    DATABASE_PATH: dbPath,
    HTTP_PORT: '0',
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: `roles${Math.random().toString(36).slice(2, 10)}`,
    LOG_LEVEL: 'info',
    // The channel's rate, below the fake's 30 so that a sum of two budgets (2 × 20) would show.
    TELEGRAM_RATE_PER_SECOND: String(RATE),
    TELEGRAM_CHAT_BURST: '100',
    TELEGRAM_CHAT_PER_SECOND: '100',
    CLOCK_AT,
    CLOCK_FROM: String(clockFrom),
    // BullMQ's recovery of the jobs the killed worker had fetched but not yet claimed (rows still `queued`): seconds, not 30–60 s.
    STALL_MS: '1000',
  };
  const [bot, workerA, workerB] = await Promise.all([startRole('bot', env), startRole('worker', env), startRole('worker', env)]);

  // A parent onboards through the bot process.
  const chat = PARENT_CHAT;
  let out = await exchange(chat, () => api!.sendCommand(chat, 'start', 'regenboog', { languageCode: 'nl' }));
  out = await exchange(chat, () => api!.press(chat, button(out, 'Nederlands')));
  out = await exchange(chat, () => api!.press(chat, button(out, 'Ja, dat is goed')));
  out = await exchange(chat, () => api!.sendText(chat, 'Fatima'));
  out = await exchange(chat, () => api!.sendText(chat, 'augustus 2024'));
  out = await exchange(chat, () => api!.press(chat, button(out, 'Nee, verder')));
  out = await exchange(chat, () => api!.sendText(chat, '1094'));
  if (texts(out).includes('Samen naar De Regenboog') && !texts(out).includes('Gehoord')) {
    out = await exchange(chat, () => api!.press(chat, button(out, 'Samen naar De Regenboog')));
  }
  out = await exchange(chat, () => api!.press(chat, button(out, 'Consultatiebureau')));
  const afterOnboarding = api.sent(chat).length;
  const check = openDatabase(dbPath);
  const parentId = check.$client.prepare("select person_id from identities where channel = 'telegram' and chat_id = ?").pluck().get(String(chat)) as number | undefined;
  expect(parentId, 'the onboarded parent is in the database').toBeDefined();
  api.resetStats();

  // Nothing is planned until the planner runs: the bot and the workers do not plan.
  expect(check.$client.prepare('select count(*) from deliveries').pluck().get()).toBe(0);

  // The planner plans at its start; the workers deliver. One worker is killed in the middle of the batch.
  const reminders = () => Array.from({ length: SEEDED }, (_, i) => api!.sent(FIRST_CHAT + i).length).reduce((a, b) => a + b, 0);
  const holding = check.$client.prepare("select count(*) from deliveries where status = 'sending' and claimed_by like ?").pluck();
  const planner = await startRole('planner', env);
  const total = SEEDED + 1;
  // Once the batch is under way, at a moment worker A holds a claimed row (waiting for its token, or on the wire).
  await until(() => reminders() >= KILL_AFTER && (holding.get(`%:${workerA.pid}:%`) as number) > 0, 60_000, 'the batch to be under way').catch((err: Error) => {
    const counts = check.$client.prepare('select status, count(*) as n from deliveries group by status').all();
    throw new Error(`${err.message}: ${reminders()} reminders arrived, rows ${JSON.stringify(counts)}\nplanner: ${planner.logs().slice(-2000)}\nworker A: ${workerA.logs().slice(-2000)}`);
  });
  workerA.child.kill('SIGKILL');
  const killedAt = reminders();
  const rows = () =>
    check.$client.prepare('select id, person_id as personId, status, attempts, claimed_by as claimedBy from deliveries order by id').all() as {
      id: number;
      personId: number;
      status: string;
      attempts: number;
      claimedBy: string | null;
    }[];
  await until(() => rows().length === total && rows().every((r) => r.status === 'sent'), 60_000, 'every reminder to be sent').catch((err: Error) => {
    const left = rows().filter((r) => r.status !== 'sent');
    const detail = check.$client.prepare(`select id, status, attempts, claimed_by, last_error from deliveries where status != 'sent'`).all();
    throw new Error(`${err.message}: ${rows().length} rows, not sent ${JSON.stringify(detail.slice(0, 10))} (${left.length})\nplanner: ${planner.logs().slice(-3000)}\nworker B: ${workerB.logs().slice(-3000)}`);
  });
  // Late duplicates would show here: the killed worker's old jobs come back after BullMQ's stalled check, and must do nothing.
  await sleep(1_000);

  const all = rows();
  const chatOf = new Map<number, number>(check.$client.prepare("select person_id, chat_id from identities where channel = 'telegram'").raw().all().map((r) => [(r as [number, string])[0], Number((r as [number, string])[1])]));
  const received = (r: { personId: number }) => {
    const c = chatOf.get(r.personId)!;
    return c === chat ? api!.sent(c).length - afterOnboarding : api!.sent(c).length;
  };
  const uncertain = all.filter((r) => r.attempts > 1);
  const duplicates = all.reduce((n, r) => n + Math.max(0, received(r) - 1), 0);
  const by = (pid: number) => all.filter((r) => r.claimedBy?.split(':')[1] === String(pid)).length;
  const stats = api.stats();
  console.log(
    `[roles] ${total} reminders; worker A sent ${by(workerA.pid)} before its SIGKILL at ${killedAt}, worker B ${by(workerB.pid)}; ` +
      `uncertain (queued again) ${uncertain.length}, duplicates ${duplicates}; max in any second ${stats.maxInAnyWindow}, 429s ${stats.tooMany}; ${Date.now() - startedAt} ms`,
  );

  // The parent who onboarded through the bot got their reminder.
  expect(all.filter((r) => r.personId === parentId)).toHaveLength(1);
  expect(texts(api.sent(chat).slice(afterOnboarding))).toContain('scholen');
  // Both workers delivered (BullMQ spread the jobs over the two processes)…
  expect(by(workerA.pid)).toBeGreaterThan(0);
  expect(by(workerB.pid)).toBeGreaterThan(0);
  // …within the one budget of the channel, shared by both (and the bot): about RATE in any second, never the sum of two, not one 429.
  expect(stats.tooMany).toBe(0);
  expect(stats.maxInAnyWindow).toBeLessThan(1.5 * RATE);
  // The kill left rows in `sending`; the planner queued them again (and said so), and they went out.
  expect(uncertain.length).toBeGreaterThan(0);
  expect(planner.logs()).toContain('deliveries left in \\"sending\\" by a stopped process');
  // Exactly once, but for the killed worker's message in flight (at-least-once: at most one more).
  for (const r of all.filter((r) => r.attempts === 1)) expect(received(r), `delivery ${r.id}`).toBe(1);
  for (const r of uncertain) expect([1, 2], `uncertain delivery ${r.id}`).toContain(received(r));
  expect(duplicates).toBeLessThanOrEqual(uncertain.length);
  // The bot never ran a delivery worker for Telegram, nor the planner.
  expect(by(bot.pid)).toBe(0);
  expect(by(planner.pid)).toBe(0);
  check.$client.close();

  for (const c of [bot, workerB, planner]) c.child.kill('SIGTERM');
  await Promise.all([bot, workerB, planner].map((c) => (c.child.exitCode !== null ? Promise.resolve() : new Promise((r) => c.child.once('exit', r)))));
}, 180_000);
