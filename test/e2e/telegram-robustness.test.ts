/** Faults and hostile input through telegraf over HTTP: the bot stays up and answers kindly. */
import { afterEach, describe, expect, it } from 'vitest';
import { identities, outbox, people } from '../../src/db/schema.js';
import { postWebhook } from '../support/fake-bot-api.js';
import { button, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function consented(app: AppHarness, chat: number) {
  let out = await app.exchange(chat, () => app.api.sendCommand(chat, 'start'));
  out = await app.exchange(chat, () => app.api.press(chat, button(out, 'Nederlands')));
  return app.exchange(chat, () => app.api.press(chat, button(out, 'Ja, dat is goed')));
}

describe('Telegram: failures are classified', () => {
  it('a parent who blocked the bot is marked unreachable and the bot keeps running', async () => {
    h = await startAppHarness();
    const a = h;
    await consented(a, 701);
    a.api.block(701);
    await a.exchange(701, () => a.api.sendText(701, 'Sara'));
    expect(a.app.db.select().from(identities).all()[0]?.unreachableAt).toBeInstanceOf(Date);
    expect(a.app.db.select().from(outbox).all().some((o) => o.status === 'unreachable')).toBe(true);
    // Somebody else is still served.
    const out = await a.exchange(702, () => a.api.sendCommand(702, 'start'));
    expect(texts(out)).toContain('Welkom');
    // Coming back with /start turns messages on again and clears "unreachable".
    a.api.unblock(701);
    await a.exchange(701, () => a.api.sendCommand(701, 'stop'));
    await a.exchange(701, () => a.api.sendCommand(701, 'start'));
    expect(a.app.db.select().from(identities).all().find((i) => i.chatId === '701')?.unreachableAt).toBeNull();
  });

  it('a 429 waits retry_after and then delivers; a 500 is retried', async () => {
    h = await startAppHarness();
    const a = h;
    a.api.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 });
    const started = Date.now();
    let out = await a.exchange(703, () => a.api.sendCommand(703, 'start'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(texts(out)).toContain('Welkom');
    a.api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    out = await a.exchange(703, () => a.api.press(703, button(out, 'Nederlands')));
    expect(texts(out)).toContain('Eerst even over je gegevens');
    expect(a.logs.some((l) => l.includes('reply not delivered yet; it stays in the outbox') && l.includes('"outcome":"wait"'))).toBe(true);
    expect(a.logs.some((l) => l.includes('reply not delivered yet; it stays in the outbox') && l.includes('"outcome":"retry"'))).toBe(true);
  });

  it('a 400 is logged as a bug and the conversation continues', async () => {
    h = await startAppHarness();
    const a = h;
    await consented(a, 704);
    a.api.failNext('sendMessage', { error_code: 400, description: 'Bad Request: something odd' });
    await a.exchange(704, () => a.api.sendText(704, 'Bram'));
    expect(a.logs.some((l) => l.includes('message refused (bug)'))).toBe(true);
    const out = await a.exchange(704, () => a.api.sendText(704, 'hoi'));
    expect(out.length).toBeGreaterThan(0);
  });
});

describe('Telegram: hostile input', () => {
  it('survives markup, huge texts, media, edits, stale buttons and garbage, and answers each', async () => {
    h = await startAppHarness();
    const a = h;
    const chat = 801;
    let out = await a.exchange(chat, () => a.api.sendCommand(chat, 'start', '<script>alert(1)</script>&%00'));
    expect(texts(out)).toContain('Deze link ken ik niet');
    out = await a.exchange(chat, () => a.api.press(chat, button(out, 'Nederlands')));
    out = await a.exchange(chat, () => a.api.press(chat, button(out, 'Ja, dat is goed')));

    out = await a.exchange(chat, () => a.api.sendText(chat, 'x'.repeat(10_000)));
    expect(texts(out)).toContain('te lang');
    out = await a.exchange(chat, () => a.api.sendText(chat, '<b>Ben & <script>'));
    expect(texts(out)).toContain('Leuk je te ontmoeten, <b>Ben & <script>!');
    expect(a.app.db.select().from(people).all()[0]?.displayName).toBe('<b>Ben & <script>');

    const base = { message_id: 99, date: 1, chat: { id: chat, type: 'private' }, from: { id: chat, is_bot: false, first_name: 'X' } };
    const weird: unknown[] = [
      { message: { ...base, sticker: { file_id: 's', file_unique_id: 's', type: 'regular', width: 1, height: 1, is_animated: false, is_video: false } } },
      { message: { ...base, photo: [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }] } },
      { message: { ...base, voice: { file_id: 'v', file_unique_id: 'v', duration: 1 } } },
      { edited_message: { ...base, edit_date: 2, text: 'veranderd' } },
      { message: { ...base, text: '🎉👶🏽🏫' } },
    ];
    for (const update of weird) {
      out = await a.exchange(chat, () => a.api.pushUpdate(update));
      expect(out.length, JSON.stringify(update).slice(0, 60)).toBeGreaterThan(0);
    }
    out = await a.exchange(chat, () => a.api.press(chat, '0|old-version'));
    expect(texts(out)).toContain('oud bericht');
    out = await a.exchange(chat, () => a.api.press(chat, '1|y:1899'));
    expect(texts(out)).toContain('oud bericht');

    // Updates no handler expects, or that are malformed, are ignored without a crash.
    for (const raw of [{}, { message: null }, { message: { chat: {} } }, { callback_query: { id: 'zz' } }, { message: { ...base, chat: { id: -100, type: 'group' }, text: 'hi' } }]) {
      await a.exchange(chat, () => a.api.pushUpdate(raw));
    }
    out = await a.exchange(chat, () => a.api.sendCommand(chat, 'help'));
    expect(texts(out)).toContain('Zo werkt Ouderbrug');
    expect(a.app.health().status).toBe('ok');
  });

  it('keeps personal data out of the logs', async () => {
    h = await startAppHarness();
    const a = h;
    const out = await consented(a, 802);
    await a.exchange(802, () => a.api.sendText(802, 'Geheimenaam'));
    await a.exchange(802, () => a.api.sendText(802, '04-2025'));
    expect(out.length).toBeGreaterThan(0);
    const all = a.logs.join('\n');
    expect(a.logs.length).toBeGreaterThan(1);
    for (const secret of ['Geheimenaam', '04-2025', '"802"', ':802']) expect(all).not.toContain(secret);
  });
});

describe('Telegram: webhook mode', () => {
  it('accepts updates with the secret token and refuses others with 403', async () => {
    h = await startAppHarness({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/hook', TELEGRAM_WEBHOOK_SECRET: 'secret-token-1234567890' });
    const a = h;
    const port = a.port;
    expect(a.api.webhook()).toMatchObject({ url: 'https://bot.example.org/telegram/hook', secret: 'secret-token-1234567890' });
    const url = `http://127.0.0.1:${port}/telegram/hook`;
    const update = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 901, type: 'private' }, from: { id: 901, is_bot: false, first_name: 'W' }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] } };
    a.api.sendText(901, 'hello'); // makes the chat known to the fake (the queued update is never polled)
    expect(await postWebhook(url, update, 'wrong-secret-000000000')).toBe(403);
    expect(await postWebhook(url, update)).toBe(403);
    expect(await postWebhook(url, update, 'secret-token-1234567890')).toBe(200);
    await a.app.dispatcher.idle();
    expect(a.api.plainTexts(901).join()).toContain('Welkom');
    // A redelivery of the same update (Telegram retries when it saw no 2xx) is handled once.
    expect(await postWebhook(url, update, 'secret-token-1234567890')).toBe(200);
    await a.app.dispatcher.idle();
    expect(a.api.plainTexts(901).filter((t) => t.includes('Welkom'))).toHaveLength(1);
  });
});
