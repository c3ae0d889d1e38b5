/**
 * Crash safety (issue 9): the bot runs in its own process (`npm start`'s createApp) against the
 * fake Bot API with Telegram's limits on; 50 parents are in the middle of onboarding (before and
 * after consent) when the process is SIGKILLed. A new process starts on the same database.
 * Every parent must get exactly one answer to their last message: committed replies come from
 * the outbox, updates not yet handled are redelivered by Telegram and answered then, and an
 * update that was handled is not answered twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { startFakeBotApi, type FakeBotApi, type RecordedMessage } from '../support/fake-bot-api.js';
import { testRedisUrl } from '../support/redis-server.js';

const BOT_SCRIPT = new URL('../support/bot.process.ts', import.meta.url).pathname;
const PARENTS = 50;
const FIRST_CHAT = 660_000_001;

let api: FakeBotApi | undefined;
let dir: string | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  api = undefined;
  dir = undefined;
});

function startBot(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', BOT_SCRIPT], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bot did not start: ${err.slice(-2000)}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`bot exited (${code}): ${err.slice(-2000)}`)));
  });
}

/** The callback values (without the version prefix) of a message's buttons. */
function values(m: RecordedMessage | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const rows = (m?.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined)?.inline_keyboard ?? [];
  for (const b of rows.flat()) if (b.callback_data) out.set(b.callback_data.slice(b.callback_data.indexOf('|') + 1), b.callback_data);
  return out;
}

/** What a parent does with a question: press or type; null at the menu (finished) or for anything else. */
function next(m: RecordedMessage, i: number): { press: string } | { text: string } | null {
  const v = values(m);
  const first = (prefix: string) => [...v.entries()].find(([k]) => k.startsWith(prefix))?.[1];
  if (first('menu:')) return null;
  if (v.has('lang:nl')) return { press: v.get('lang:nl')! };
  if (v.has('consent:yes')) return { press: v.get('consent:yes')! };
  if (v.has('name:skip')) return { text: `Ouder ${i}` };
  if (first('y:')) return { press: first('y:')! };
  if (first('m:')) return { press: first('m:')! };
  if (v.has('more:no')) return { press: v.get('more:no')! };
  if (v.has('pc:skip')) return { text: '1094' };
  if (first('h:')) return { press: v.get('h:flyer') ?? first('h:')! };
  return null;
}

describe('a bot killed while 50 parents are onboarding', () => {
  it('answers every parent exactly once after the restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ouderbrug-crash-'));
    const dbPath = join(dir, 'bot.db');
    const db = openDatabase(dbPath);
    createInitiative(db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'x@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test');
    db.$client.close();
    api = await startFakeBotApi({ limits: true });
    const env = {
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      DATABASE_PATH: dbPath,
      HTTP_PORT: '0',
      NURTURE_ENABLED: 'false',
      REDIS_URL: testRedisUrl(),
      LOG_LEVEL: 'warn',
    };
    const first = await startBot(env);

    // Each parent answers the question that ends each turn, until the kill.
    let killed = false;
    const lastAction = new Map<number, number>(); // chat → how many bot messages it had when it last acted
    const acted = new Map<number, number>(); // chat → actions taken
    const act = (chat: number, m: RecordedMessage) => {
      if (killed) return;
      const i = chat - FIRST_CHAT;
      const step = next(m, i);
      if (!step) return;
      lastAction.set(chat, api!.sent(chat).length);
      acted.set(chat, (acted.get(chat) ?? 0) + 1);
      if ('press' in step) api!.press(chat, step.press);
      else api!.sendText(chat, step.text);
    };
    const off = api.onSent((chatId, m) => {
      // Parents think for different times, so the crowd spreads over the steps of onboarding.
      if (values(m).size > 0) setTimeout(() => act(Number(chatId), m), ((Number(chatId) - FIRST_CHAT) % 7) * 60);
    });
    for (let i = 0; i < PARENTS; i++) {
      lastAction.set(FIRST_CHAT + i, 0);
      acted.set(FIRST_CHAT + i, 1);
      api.sendCommand(FIRST_CHAT + i, 'start', 'regenboog');
    }
    // Kill when the crowd is well under way: some parents before consent, some after.
    const total = () => Array.from({ length: PARENTS }, (_, i) => api!.sent(FIRST_CHAT + i).length).reduce((a, b) => a + b, 0);
    for (let t = 0; t < 600 && total() < PARENTS * 6; t++) await new Promise((r) => setTimeout(r, 50));
    killed = true;
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    off();
    const steps = [...acted.values()];
    console.log(`[crash] killed after ${total()} bot messages; parents had taken ${Math.min(...steps)}–${Math.max(...steps)} steps`);

    await startBot(env);
    // Wait until every parent has an answer to their last message and nothing more comes.
    const answered = () => [...lastAction].every(([chat, had]) => api!.sent(chat).slice(had).some((m) => values(m).size > 0));
    for (let t = 0; t < 900 && !answered(); t++) await new Promise((r) => setTimeout(r, 100));
    let quiet = total();
    for (;;) {
      await new Promise((r) => setTimeout(r, 2_000));
      if (total() === quiet) break;
      quiet = total();
    }

    const missing = [...lastAction].filter(([chat, had]) => !api!.sent(chat).slice(had).some((m) => values(m).size > 0)).map(([c]) => c);
    // One answer is one turn: the texts and exactly one question closing it.
    const twice = [...lastAction].filter(([chat, had]) => api!.sent(chat).slice(had).filter((m) => values(m).size > 0).length > 1).map(([c]) => c);
    console.log(`[crash] after restart: ${PARENTS - missing.length}/${PARENTS} answered, ${twice.length} answered twice, 429s ${api.stats().tooMany}`);
    expect(missing).toEqual([]);
    expect(twice).toEqual([]);
  }, 150_000);
});
