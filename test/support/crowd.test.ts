import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { children, memberships, people } from '../../src/db/schema.js';
import { startAppHarness, type AppHarness } from './app-harness.js';
import { p50, p95, p99, percentile, runCrowd } from './crowd.js';
import { startFakeBotApi, type FakeBotApi } from './fake-bot-api.js';

let h: AppHarness | undefined;
let bare: FakeBotApi | undefined;
afterEach(async () => {
  await h?.close();
  await bare?.close();
  h = undefined;
  bare = undefined;
});

describe('the crowd driver', () => {
  it('onboards 5 parents at once through the real app, every turn complete and in order', async () => {
    h = await startAppHarness();
    const init = createInitiative(
      h.app.db,
      { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' },
      'test',
    );
    const done: number[] = [];
    const r = await runCrowd({ api: h.api, parents: 5, code: 'regenboog', languages: ['nl', 'en', 'tr', 'ar', 'uk'], seed: 7, replyTimeoutMs: 10_000, onParentDone: (p) => done.push(p.chatId) });
    expect(r.stuck).toEqual([]);
    expect(r.finished).toBe(5);
    expect(done).toHaveLength(5);
    expect(r.orderViolations).toEqual([]);
    expect(r.unexpected).toBe(0);
    expect(r.tooMany).toBe(0);
    // Every parent message got an answer; every answer was counted.
    const turns = r.turnLatencies.length;
    expect(r.latencies).toHaveLength(turns);
    expect(turns).toBeGreaterThanOrEqual(5 * 8);
    const chats = Array.from({ length: 5 }, (_, i) => 880_000_001 + i);
    expect(r.totalMessages).toBe(chats.reduce((n, c) => n + h!.api.sent(c).length, 0));
    expect(r.lastFinishedMs).toBeLessThanOrEqual(r.durationMs);
    expect(p50(r.latencies)).toBeLessThanOrEqual(p99(r.latencies));
    // What the bot stored: five parents with a child, joined through the flyer's code.
    const stored = h.app.db.select().from(people).all();
    expect(stored).toHaveLength(5);
    expect(new Set(stored.map((p) => p.language))).toEqual(new Set(['nl', 'en', 'tr', 'ar', 'uk']));
    expect(stored.every((p) => p.heardFrom === 'flyer')).toBe(true);
    expect(h.app.db.select().from(memberships).all().filter((m) => m.initiativeId === init.id)).toHaveLength(5);
    expect(h.app.db.select().from(children).all()).toHaveLength(5);
    // Each parent's last message is the main menu.
    for (const c of chats) expect(JSON.stringify(h.api.sent(c).at(-1)?.reply_markup)).toContain('menu:');
  });

  it('records parents who get no answer as stuck instead of throwing', async () => {
    bare = await startFakeBotApi();
    const r = await runCrowd({ api: bare, parents: 3, code: 'x', replyTimeoutMs: 150, arrivalSpreadMs: 20 });
    expect(r.finished).toBe(0);
    expect(r.stuck.map((s) => [s.chatId, s.at])).toEqual([
      [880_000_001, 'start'],
      [880_000_002, 'start'],
      [880_000_003, 'start'],
    ]);
    expect(r.stuck[0]?.reason).toMatch(/no question within 150 ms/);
    expect(r.latencies).toEqual([]);
    expect(bare.pendingUpdates()).toBe(3);
  });

  it('drives 1,000 parents in seconds (event-driven, no polling)', async () => {
    bare = await startFakeBotApi();
    const bot = standInBot(bare);
    try {
      const started = performance.now();
      const r = await runCrowd({ api: bare, parents: 1000, code: 'x', replyTimeoutMs: 20_000 });
      const elapsed = performance.now() - started;
      expect(r.stuck).toEqual([]);
      expect(r.orderViolations).toEqual([]);
      expect(r.latencies.length).toBe(r.turnLatencies.length);
      expect(r.totalMessages).toBeGreaterThan(1000 * 12);
      expect(elapsed).toBeLessThan(30_000);
    } finally {
      await bot.stop();
    }
  }, 60_000);

  it('keeps proactive messages out of the turns when told how to recognise them', async () => {
    bare = await startFakeBotApi();
    const api = bare;
    // A reminder goes out in the middle of the turn that answers the child's birth month.
    const bot = standInBot(api, { reminder: 'Herinnering: de open ochtend is morgen' });
    try {
      const r = await runCrowd({ api, parents: 3, code: 'x', replyTimeoutMs: 5000, isProactive: (m) => m.plain?.startsWith('Herinnering') === true });
      expect(r.stuck).toEqual([]);
      expect(r.proactive).toBeGreaterThan(0);
      expect(r.orderViolations).toEqual([]);
      const without = await runCrowd({ api, parents: 3, code: 'x', replyTimeoutMs: 5000, firstChatId: 5000 });
      expect(without.orderViolations.join('\n')).toMatch(/expected \d, question last: .*Herinnering/);
    } finally {
      await bot.stop();
    }
  });

  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([p50(samples), p95(samples), p99(samples), percentile(samples, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

/**
 * A stand-in for the bot, for measuring the driver alone: long-polls the fake and answers each
 * onboarding step with the messages the real flow sends (texts, then the question's buttons).
 */
function standInBot(api: FakeBotApi, options: { reminder?: string } = {}): { stop(): Promise<void> } {
  const kb = (...values: string[]) => ({ inline_keyboard: values.map((v) => [{ text: v, callback_data: `1|${v}` }]) });
  const year = new Date().getFullYear();
  const q = {
    lang: kb('lang:nl', 'lang:en', 'lang:tr', 'lang:ar', 'lang:pl', 'lang:uk'),
    consent: kb('consent:yes', 'consent:more', 'consent:no'),
    name: kb('name:skip'),
    year: kb(...[0, 1, 2, 3, 4].map((i) => `y:${year - i}`), 'y:due', 'skip'),
    month: kb(...Array.from({ length: 12 }, (_, i) => `m:${i + 1}`)),
    more: kb('more:yes', 'more:no'),
    postcode: kb('pc:skip'),
    heard: kb('h:flyer', 'h:other'),
    menu: kb('menu:now', 'menu:help'),
  };
  const asked = new Map<number, keyof typeof q>();
  const answer = (chat: number, input: string): [string[], keyof typeof q] => {
    const at = asked.get(chat);
    if (input.startsWith('/start')) return [['welkom'], 'lang'];
    if (input.startsWith('lang:')) return [['intro'], 'consent'];
    if (input === 'consent:more') return [['details'], 'consent'];
    if (input === 'consent:yes') return [['dank je'], 'name'];
    if (at === 'name') return input === 'name:skip' ? [[], 'year'] : [['hoi'], 'year'];
    if (input.startsWith('y:')) return [[], 'month'];
    if (at === 'year' || input.startsWith('m:')) return [['genoteerd'], 'more'];
    if (input === 'more:no') return [[], 'postcode'];
    if (at === 'postcode') return [[], 'heard'];
    return [['klaar'], 'menu'];
  };
  // A few kept-alive sockets, as a bot has: 1,000 fresh connections at once overflow the listen backlog.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const call = (method: string, body: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const json = JSON.stringify(body);
      const req = http.request(new URL(`./bot${api.token}/${method}`, api.apiRoot), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: unknown }).result));
      });
      req.on('error', reject);
      req.end(json);
    });
  const chains = new Map<number, Promise<void>>();
  let running = true;
  const loop = (async () => {
    let offset = 0;
    while (running) {
      const updates = ((await call('getUpdates', { offset, timeout: 1, limit: 100 })) ?? []) as { update_id: number; message?: { chat: { id: number }; text: string }; callback_query?: { message: { chat: { id: number } }; data: string } }[];
      for (const u of updates) {
        offset = u.update_id + 1;
        const chat = u.message?.chat.id ?? u.callback_query?.message.chat.id ?? 0;
        const input = u.message?.text ?? (u.callback_query?.data ?? '').replace(/^1\|/, '');
        const [texts, next] = answer(chat, input);
        asked.set(chat, next);
        // One chat's messages in order; chats in parallel.
        const previous = chains.get(chat) ?? Promise.resolve();
        chains.set(
          chat,
          previous.then(async () => {
            for (const text of texts) await call('sendMessage', { chat_id: chat, text });
            if (next === 'more' && options.reminder) await call('sendMessage', { chat_id: chat, text: options.reminder });
            await call('sendMessage', { chat_id: chat, text: next, reply_markup: q[next] });
          }),
        );
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(chains.values());
      agent.destroy();
    },
  };
}
