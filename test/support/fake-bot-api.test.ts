import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMessageMethod, parseTelegramHtml, postWebhook, startFakeBotApi } from './fake-bot-api.js';
import type { FakeBotApi, LimitsOption } from './fake-bot-api.js';

interface ApiReply {
  status: number;
  body: { ok: boolean; result?: unknown; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

let api: FakeBotApi;

beforeEach(async () => {
  api = await startFakeBotApi();
});
afterEach(async () => {
  await api.close();
});

async function call(method: string, payload: Record<string, unknown> = {}, token = api.token): Promise<ApiReply> {
  const res = await fetch(new URL(`./bot${token}/${method}`, api.apiRoot), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}

const CHAT = 31;
const send = (text: string, extra: Record<string, unknown> = {}): Promise<ApiReply> => call('sendMessage', { chat_id: CHAT, text, parse_mode: 'HTML', ...extra });
const keyboard = (callback_data: string, text = 'Ja'): Record<string, unknown> => ({ reply_markup: { inline_keyboard: [[{ text, callback_data }]] } });

describe('fake Bot API routing', () => {
  it('answers 401 for a wrong token and 404 for an unknown method', async () => {
    expect(await call('getMe', {}, '999:WRONG')).toEqual({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    expect(await call('sendTelepathy')).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
  });

  it('answers getMe with a bot user', async () => {
    const { body } = await call('getMe');
    expect(body.result).toMatchObject({ is_bot: true, username: api.botUsername });
  });
});

describe('fake sendMessage validation', () => {
  beforeEach(() => {
    api.sendText(CHAT, 'hallo');
  });

  it('accepts valid HTML and records the parsed text', async () => {
    const reply = await send('<b>Ouders</b> &amp; <i>kinderen</i> &lt;3 &#128512;');
    expect(reply.status).toBe(200);
    expect(api.plainTexts(CHAT)).toEqual(['Ouders & kinderen <3 😀']);
    expect(api.sent(CHAT)[0]).toMatchObject({ method: 'sendMessage', parse_mode: 'HTML', text: '<b>Ouders</b> &amp; <i>kinderen</i> &lt;3 &#128512;' });
  });

  it.each([
    ['<b>niet gesloten', /can't find end tag corresponding to start tag "b"/],
    ['a < b', /unsupported start tag at byte offset 2/],
    ['Tom & Jerry', /unsupported HTML entity at byte offset 4/],
    ['&nbsp;', /unsupported HTML entity/],
    ['<script>x</script>', /unsupported start tag "script"/],
    ['<b><i>x</b></i>', /unmatched end tag .* expected "<\/i>", found "<\/b>"/],
    ['x</b>', /unexpected end tag/],
    ['<span class="rood">x</span>', /unsupported start tag "span"/],
  ])('rejects %j with a parse error', async (text, description) => {
    const reply = await send(text);
    expect(reply.status).toBe(400);
    expect(reply.body.description).toMatch(/^Bad Request: can't parse entities: /);
    expect(reply.body.description).toMatch(description);
    expect(api.sent(CHAT)).toEqual([]);
  });

  it('accepts every tag Telegram allows', () => {
    const html = '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del><a href="https://x.nl">a</a><code>c</code><pre><code class="language-ts">p</code></pre><tg-spoiler>t</tg-spoiler><span class="tg-spoiler">p</span><blockquote expandable>q</blockquote>';
    expect(parseTelegramHtml(html)).toBe('bsieunskdacptpq');
  });

  it('limits text to 4096 UTF-16 code units after entity parsing', async () => {
    expect((await send('&amp;'.repeat(4096))).status).toBe(200);
    expect((await send('&amp;'.repeat(4097))).body.description).toBe('Bad Request: message is too long');
    expect((await send('😀'.repeat(2048))).status).toBe(200);
    expect((await send('😀'.repeat(2049))).status).toBe(400);
  });

  it('rejects empty text, also when only tags or whitespace remain', async () => {
    for (const text of ['', '<b></b>', '  \n ']) expect((await send(text)).body.description).toBe('Bad Request: message text is empty');
  });

  it('checks callback data is 1 to 64 bytes and button text is non-empty', async () => {
    expect((await send('kies', keyboard('x'.repeat(64)))).status).toBe(200);
    expect((await send('kies', keyboard('x'.repeat(65)))).body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect((await send('kies', keyboard('ع'.repeat(33)))).body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect((await send('kies', keyboard(''))).body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect((await send('kies', keyboard('ok', ''))).body.description).toBe('Bad Request: BUTTON_TEXT_INVALID');
    expect(api.lastKeyboard(CHAT)).toEqual([[{ label: 'Ja', data: 'x'.repeat(64) }]]);
  });

  it('refuses unknown chats (400) and blocked ones (403) until unblocked', async () => {
    expect((await call('sendMessage', { chat_id: 999, text: 'x' })).body.description).toBe('Bad Request: chat not found');
    api.block(CHAT);
    expect(await send('x')).toEqual({ status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } });
    api.unblock(CHAT);
    expect((await send('x')).status).toBe(200);
  });

  it('fails the next calls as told, then recovers', async () => {
    api.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 7', retry_after: 7 }, 2);
    expect((await send('a')).body).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    expect((await send('b')).status).toBe(429);
    expect((await send('c')).status).toBe(200);
    api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    expect((await send('d')).status).toBe(502);
    expect(api.requestsOf('sendMessage').map((p) => p.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('parses urlencoded and multipart bodies', async () => {
    const form = await fetch(new URL(`./bot${api.token}/sendMessage`, api.apiRoot), { method: 'POST', body: new URLSearchParams({ chat_id: String(CHAT), text: 'via form' }) });
    expect(form.status).toBe(200);
    const data = new FormData();
    data.set('chat_id', String(CHAT));
    data.set('document', new Blob(['a,b\n1,2\n']), 'export.csv');
    const multipart = await fetch(new URL(`./bot${api.token}/sendDocument`, api.apiRoot), { method: 'POST', body: data });
    expect(multipart.status).toBe(200);
    expect(api.sent(CHAT).map((m) => m.plain ?? m.document)).toEqual(['via form', { filename: 'export.csv', content: 'a,b\n1,2\n' }]);
  });
});

describe('fake updates and callbacks', () => {
  it('holds a long poll until an update arrives and honours offset and limit', async () => {
    const polling = call('getUpdates', { timeout: 30 });
    setTimeout(() => api.sendText(5, 'hoi'), 30);
    const first = (await polling).body.result as { update_id: number; message: { text: string } }[];
    expect(first.map((u) => u.message.text)).toEqual(['hoi']);
    api.sendText(5, 'twee');
    api.sendText(5, 'drie');
    const limited = (await call('getUpdates', { offset: (first[0]?.update_id ?? 0) + 1, limit: 1 })).body.result as { update_id: number }[];
    expect(limited).toHaveLength(1);
    expect(api.pendingUpdates()).toBe(2);
    await call('getUpdates', { offset: (limited[0]?.update_id ?? 0) + 1, timeout: 0 });
    expect(api.pendingUpdates()).toBe(1);
  });

  it('answers a waiting long poll promptly on close', async () => {
    const polling = call('getUpdates', { timeout: 50 });
    await api.waitForRequests('getUpdates', 1);
    const started = Date.now();
    await api.close();
    expect((await polling).body.result).toEqual([]);
    expect(Date.now() - started).toBeLessThan(500);
    api = await startFakeBotApi();
  });

  it('answers a callback query once; unknown or repeated ids are too old', async () => {
    const id = api.press(6, '1|ja');
    expect((await call('answerCallbackQuery', { callback_query_id: id })).status).toBe(200);
    expect((await call('answerCallbackQuery', { callback_query_id: id })).body.description).toMatch(/query is too old/);
    expect((await call('answerCallbackQuery', { callback_query_id: 'nope' })).status).toBe(400);
    expect(api.answeredCallbacks).toEqual([{ id }]);
  });

  it('validates and records setMyCommands per language', async () => {
    expect((await call('setMyCommands', { commands: [{ command: 'start', description: 'Begin' }] })).status).toBe(200);
    expect((await call('setMyCommands', { commands: [{ command: 'start', description: 'Start' }], language_code: 'en' })).status).toBe(200);
    expect((await call('setMyCommands', { commands: [{ command: 'Start', description: 'x' }] })).body.description).toBe('Bad Request: BOT_COMMAND_INVALID');
    expect((await call('setMyCommands', { commands: [{ command: 'help', description: '' }] })).body.description).toBe('Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
    expect((await call('setMyCommands', { commands: [{ command: 'help', description: 'x'.repeat(257) }] })).status).toBe(400);
    expect([...api.commands.keys()]).toEqual(['', 'en']);
  });

  it('wants an HTTPS webhook and then refuses getUpdates with 409', async () => {
    expect((await call('setWebhook', { url: 'http://insecure.example/hook' })).status).toBe(400);
    expect((await call('setWebhook', { url: 'https://bot.example/hook', secret_token: 'has space' })).status).toBe(400);
    expect((await call('setWebhook', { url: 'https://bot.example/hook', secret_token: 'ok_secret-1' })).status).toBe(200);
    expect(api.webhook()).toEqual({ url: 'https://bot.example/hook', secret: 'ok_secret-1' });
    expect((await call('getUpdates')).status).toBe(409);
    await call('deleteWebhook');
    expect((await call('getUpdates')).status).toBe(200);
  });

  it('posts a webhook update with the secret header', async () => {
    const seen: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers['x-telegram-bot-api-secret-token'] as string | undefined);
      res.writeHead(req.headers['x-telegram-bot-api-secret-token'] === 's' ? 200 : 403).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    expect(await postWebhook(url, { update_id: 1 }, 's')).toBe(200);
    expect(await postWebhook(url, { update_id: 2 })).toBe(403);
    expect(seen).toEqual(['s', undefined]);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('fake updates under load', () => {
  it('hands out a long queue in batches of at most 100, in order, none lost or repeated', async () => {
    const pushed: number[] = [];
    for (let i = 0; i < 250; i++) pushed.push(api.sendText(1000 + (i % 40), `m${i}`));
    const seen: number[] = [];
    let offset = 0;
    const sizes: number[] = [];
    for (let round = 0; round < 10 && seen.length < pushed.length + 30; round++) {
      const batch = (await call('getUpdates', { offset, limit: 100, timeout: 0 })).body.result as { update_id: number }[];
      sizes.push(batch.length);
      if (batch.length === 0) break;
      seen.push(...batch.map((u) => u.update_id));
      offset = (batch.at(-1)?.update_id ?? 0) + 1;
      // More parents write while the bot works through a batch.
      if (round === 0) for (let i = 0; i < 30; i++) pushed.push(api.sendText(2000 + i, `late${i}`));
    }
    expect(sizes).toEqual([100, 100, 80, 0]);
    expect(seen).toEqual(pushed);
    expect(api.pendingUpdates()).toBe(0);
  });

  it('a waiting long poll gets the first update at once, the next poll the rest', async () => {
    const polling = call('getUpdates', { timeout: 30, limit: 100 });
    await api.waitForRequests('getUpdates', 1);
    const ids = Array.from({ length: 150 }, (_, i) => api.sendText(3000 + i, 'hoi'));
    const first = (await polling).body.result as { update_id: number }[];
    expect(first.map((u) => u.update_id)).toEqual(ids.slice(0, 1));
    const next = (await call('getUpdates', { offset: ids[0]! + 1, limit: 100, timeout: 30 })).body.result as { update_id: number }[];
    expect(next.map((u) => u.update_id)).toEqual(ids.slice(1, 101));
  });
});

describe('fake Telegram flood limits', () => {
  let t = 0;
  const clock = (): number => t;
  const limited = async (limits: LimitsOption): Promise<void> => {
    await api.close();
    t = 0;
    api = await startFakeBotApi({ limits, now: clock });
  };
  const sendTo = (chat: number, text = 'x'): Promise<ApiReply> => call('sendMessage', { chat_id: chat, text });
  const chats = (n: number, from = 100): number[] => Array.from({ length: n }, (_, i) => from + i);

  it('are off by default: 100 messages to one chat in the same instant all arrive', async () => {
    await api.close();
    t = 0;
    api = await startFakeBotApi({ now: clock });
    api.sendText(CHAT, 'hallo');
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => send(`m${i}`)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(api.limits()).toBeNull();
    expect(api.stats()).toMatchObject({ messageRequests: 100, admitted: 100, delivered: 100, tooMany: 0, maxInAnyWindow: 100 });
  });

  it('admit 30 message calls in any sliding second, then answer 429 with retry_after, and deliver nothing refused', async () => {
    await limited(true);
    for (const c of chats(41)) api.sendText(c, 'hoi');
    const first = await Promise.all(chats(30).map((c) => sendTo(c)));
    expect(first.every((r) => r.status === 200)).toBe(true);
    t = 999;
    const refused = await sendTo(130);
    expect(refused).toEqual({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } });
    expect(api.sent(130)).toEqual([]);
    // The window slides: at 1000 ms the first 30 (all at 0 ms) have left it.
    t = 1000;
    expect((await sendTo(130)).status).toBe(200);
    t = 1500;
    for (const c of chats(9, 131)) expect((await sendTo(c)).status).toBe(200);
    expect((await sendTo(140)).status).toBe(200); // 11 in (500, 1500]
    expect(api.stats()).toMatchObject({ messageRequests: 42, tooMany: 1, admitted: 41, delivered: 41, maxInAnyWindow: 30, byMethod: { sendMessage: { requests: 42, tooMany: 1 } } });
  });

  it('a refused call costs no budget, and other methods are not counted', async () => {
    await limited({ perSecond: 2 });
    for (const c of chats(3)) api.sendText(c, 'hoi');
    await sendTo(100);
    await sendTo(101);
    t = 500;
    for (let i = 0; i < 5; i++) expect((await sendTo(102)).status).toBe(429);
    expect((await call('sendChatAction', { chat_id: 102, action: 'typing' })).status).toBe(200);
    expect((await call('getMe')).status).toBe(200);
    t = 1000;
    expect((await sendTo(102)).status).toBe(200);
    expect((await sendTo(100)).status).toBe(200);
    expect((await sendTo(101)).status).toBe(429);
  });

  it('give each private chat a bucket of 3 that refills at 1 per second', async () => {
    await limited(true);
    api.sendText(CHAT, 'hallo');
    for (let i = 0; i < 3; i++) expect((await send(`b${i}`)).status).toBe(200);
    const refused = await send('b3');
    expect(refused.body).toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    t = 999;
    expect((await send('b4')).status).toBe(429);
    t = 1000;
    expect((await send('b5')).status).toBe(200);
    expect((await send('b6')).status).toBe(429);
    t = 4000; // refilled to 3, not more
    for (let i = 0; i < 3; i++) expect((await send(`c${i}`)).status).toBe(200);
    expect((await send('c3')).status).toBe(429);
    expect(api.plainTexts(CHAT)).toEqual(['b0', 'b1', 'b2', 'b5', 'c0', 'c1', 'c2']);
    expect(api.deliveries(CHAT).map((d) => d.at)).toEqual([0, 0, 0, 1000, 4000, 4000, 4000]);
  });

  it('retry_after says how long a slow chat bucket needs', async () => {
    await limited({ perChat: { burst: 1, perSecond: 0.2 } });
    api.sendText(CHAT, 'hallo');
    expect((await send('a')).status).toBe(200);
    t = 1000;
    expect((await send('b')).body.parameters).toEqual({ retry_after: 4 });
    t = 5000;
    expect((await send('c')).status).toBe(200);
  });

  it('hold a group (negative chat id) to 20 per sliding minute', async () => {
    await limited(true);
    const group = -100123;
    api.sendText(group, 'hoi');
    for (let i = 0; i < 20; i++) {
      t = i * 1000;
      expect((await sendTo(group)).status).toBe(200);
    }
    t = 59_999;
    expect((await sendTo(group)).body).toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    t = 60_000;
    expect((await sendTo(group)).status).toBe(200);
  });

  it('can be switched on and off on a running fake; resetStats zeroes the counts', async () => {
    t = 0;
    api.sendText(CHAT, 'hallo');
    api.setLimits({ perSecond: 1 });
    expect(api.limits()).toEqual({ perSecond: 1, perChat: { burst: 3, perSecond: 1 }, perGroupPerMinute: 20 });
    expect((await send('a')).status).toBe(200);
    expect((await send('b')).status).toBe(429);
    api.resetStats();
    expect(api.stats()).toMatchObject({ requests: 0, tooMany: 0, maxInAnyWindow: 0 });
    api.setLimits(false);
    expect((await send('c')).status).toBe(200);
    expect(api.plainTexts(CHAT)).toEqual(['a', 'c']);
  });

  it('tell listeners of every delivered message at once', async () => {
    await limited({ perChat: { burst: 1 } });
    api.sendText(CHAT, 'hallo');
    const seen: [number, number, string | undefined][] = [];
    const off = api.onSent((chat, m, at) => seen.push([chat, at, m.plain]));
    await send('a');
    await send('refused');
    t = 1000;
    await send('b');
    off();
    await call('sendMessage', { chat_id: CHAT, text: 'unheard' });
    expect(seen).toEqual([
      [CHAT, 0, 'a'],
      [CHAT, 1000, 'b'],
    ]);
  });
});

describe('isMessageMethod', () => {
  it('counts what sends or edits a message, not chat actions or set-up', () => {
    for (const m of ['sendMessage', 'sendDocument', 'sendPhoto', 'sendVoice', 'sendAudio', 'sendMediaGroup', 'copyMessage', 'forwardMessage', 'forwardMessages', 'editMessageText', 'editMessageReplyMarkup']) expect(isMessageMethod(m), m).toBe(true);
    for (const m of ['sendChatAction', 'answerCallbackQuery', 'getUpdates', 'setMyCommands', 'getMe', 'deleteWebhook']) expect(isMessageMethod(m), m).toBe(false);
  });
});
