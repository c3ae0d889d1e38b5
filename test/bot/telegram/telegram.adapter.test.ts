import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelegramChannel } from '../../../src/bot/telegram/telegram.adapter.js';
import type { TelegramChannel, TelegramChannelOptions } from '../../../src/bot/telegram/telegram.adapter.js';
import type { InboundMessage } from '../../../src/core/messages.js';
import type { Logger } from '../../../src/core/ports.js';
import { parseTelegramHtml, postWebhook, startFakeBotApi } from '../../support/fake-bot-api.js';
import type { FakeBotApi } from '../../support/fake-bot-api.js';

const CHAT = 4242;
const COMMANDS: TelegramChannelOptions['commands'] = [
  { language: 'nl', commands: [{ command: 'start', description: 'Beginnen' }, { command: 'hulp', description: 'Hulp' }] },
  { language: 'en', commands: [{ command: 'start', description: 'Start' }, { command: 'hulp', description: 'Help' }] },
];

interface LogLine {
  level: string;
  obj: object;
  msg?: string;
}

interface Harness {
  api: FakeBotApi;
  channel: TelegramChannel;
  inbound: InboundMessage[];
  unreachable: string[];
  logs: LogLine[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Channel before fake: a poller whose server vanished would back off for seconds.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function recordingLogger(logs: LogLine[]): Logger {
  const at = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj, ...(msg ? { msg } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function setup(overrides: Partial<TelegramChannelOptions> = {}): Promise<Harness> {
  const api = await startFakeBotApi();
  cleanups.push(() => api.close());
  const inbound: InboundMessage[] = [];
  const unreachable: string[] = [];
  const logs: LogLine[] = [];
  const channel = createTelegramChannel({
    token: api.token,
    apiRoot: api.apiRoot,
    logger: recordingLogger(logs),
    onInbound: async (message) => void inbound.push(message),
    onUnreachable: (chatId) => void unreachable.push(chatId),
    commands: COMMANDS,
    defaultLanguage: 'nl',
    retry: { firstDelayMs: 20, maxDelayMs: 100 },
    ...overrides,
  });
  cleanups.push(() => channel.stop());
  return { api, channel, inbound, unreachable, logs };
}

const waitFor = <T>(check: () => T): Promise<T> => vi.waitFor(check, { timeout: 3000, interval: 10 });
const contents = (h: Harness): unknown[] => h.inbound.map((m) => m.content);

describe('telegram adapter: polling', () => {
  it('delivers text, commands and button presses, answering every callback', async () => {
    const h = await setup();
    await h.channel.start();
    expect(h.channel.health()).toEqual({ name: 'telegram', state: 'up' });

    h.api.sendText(CHAT, 'Hallo', { languageCode: 'nl' });
    h.api.sendCommand(CHAT, 'Start@OuderbrugTestBot', 'code42');
    await waitFor(() => expect(h.inbound).toHaveLength(2));
    expect(h.inbound[0]).toMatchObject({ address: { channel: 'telegram', chatId: String(CHAT) }, content: { kind: 'text', text: 'Hallo' }, languageHint: 'nl' });
    expect(h.inbound[1]?.content).toEqual({ kind: 'command', command: 'start', args: 'code42' });

    await h.channel.send(String(CHAT), { text: 'Kies', choices: [[{ label: 'Ja', value: 'yes' }]] });
    const data = h.api.lastKeyboard(CHAT)?.[0]?.[0]?.data ?? '';
    h.api.press(CHAT, data);
    h.api.press(CHAT, '0|from-an-old-version');
    h.api.press(CHAT, 'garbage');
    await waitFor(() => expect(h.inbound).toHaveLength(5));
    expect(contents(h).slice(2)).toEqual([{ kind: 'choice', value: 'yes' }, { kind: 'stale_choice' }, { kind: 'stale_choice' }]);
    expect(h.api.answeredCallbacks).toHaveLength(3);
  });

  it('survives malformed updates and a failing handler, and keeps going', async () => {
    let calls = 0;
    const h = await setup({
      onInbound: async (message) => {
        if (++calls === 1) throw new Error('engine exploded');
        h.inbound.push(message);
      },
    });
    const exitCode = process.exitCode;
    await h.channel.start();
    h.api.pushUpdate({ message: 'garbage' });
    h.api.pushUpdate({ message: { chat: { id: 'x', type: 'private' }, text: 7 } });
    h.api.pushUpdate({ callback_query: 'garbage' });
    h.api.pushUpdate({ callback_query: { id: 'unknown-id', data: '1|x' } });
    h.api.pushUpdate({ channel_post: { message_id: 1, date: 0, chat: { id: -1, type: 'channel' }, text: 'x' } });
    h.api.sendText(CHAT, 'eerste');
    h.api.sendText(CHAT, 'tweede');
    await waitFor(() => expect(contents(h)).toEqual([{ kind: 'text', text: 'tweede' }]));
    expect(h.logs.some((l) => l.msg === 'inbound handler failed')).toBe(true);
    expect(h.channel.health().state).toBe('up');
    expect(process.exitCode).toBe(exitCode);
  });

  it('logs every update it drops with its id and kind only (no text, no chat id)', async () => {
    const h = await setup();
    await h.channel.start();
    h.api.pushUpdate({ message: { message_id: 1, date: 0, chat: { id: CHAT, type: 'private' }, new_chat_title: 'geheim bericht' } });
    h.api.pushUpdate({ message: { message_id: 2, date: 0, chat: { id: -100888, type: 'group' }, text: 'groepsbericht' } });
    h.api.sendText(CHAT, 'daarna');
    await waitFor(() => expect(contents(h)).toEqual([{ kind: 'text', text: 'daarna' }]));
    const dropped = h.logs.filter((l) => l.msg === 'telegram update dropped');
    expect(dropped.map((l) => l.level)).toEqual(['info', 'info']);
    expect(dropped.map((l) => (l.obj as { kind: string }).kind)).toEqual(['message', 'message']);
    expect(dropped.map((l) => (l.obj as { reason: string }).reason)).toEqual(['service message', 'not a private chat']);
    for (const l of dropped) {
      expect(typeof (l.obj as { updateId: unknown }).updateId).toBe('number');
      expect(JSON.stringify(l.obj)).not.toMatch(new RegExp(`geheim|groepsbericht|100888|${CHAT}`));
    }
  });

  it('reports a person who blocks the bot as unreachable', async () => {
    const h = await setup();
    await h.channel.start();
    h.api.sendText(CHAT, 'hoi');
    h.api.block(CHAT);
    await waitFor(() => expect(h.unreachable).toEqual([String(CHAT)]));
  });

  it('registers the command menu: default language without code, then per language', async () => {
    const h = await setup();
    await h.channel.start();
    expect([...h.api.commands.entries()]).toEqual([
      ['', COMMANDS[0]?.commands],
      ['nl', COMMANDS[0]?.commands],
      ['en', COMMANDS[1]?.commands],
    ]);
  });

  it('treats a rejected command menu as cosmetic', async () => {
    const h = await setup({ commands: [{ language: 'nl', commands: [{ command: 'Start!', description: 'x' }] }] });
    await h.channel.start();
    expect(h.channel.health().state).toBe('up');
    expect(h.logs.some((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('BOT_COMMAND_INVALID'))).toBe(true);
  });

  it('starts and stops cleanly, syncing the offset so nothing is handled twice', async () => {
    const h = await setup();
    await h.channel.start();
    h.api.sendText(CHAT, 'een');
    await waitFor(() => expect(h.inbound).toHaveLength(1));
    const started = Date.now();
    await h.channel.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(h.channel.health()).toEqual({ name: 'telegram', state: 'off' });
    expect(h.api.pendingUpdates()).toBe(0);
    expect(h.api.requestsOf('getUpdates').at(-1)).toMatchObject({ limit: 1 });
    await h.channel.stop();
  });

  it('can stop right after start, while launch is still on its way', async () => {
    const h = await setup();
    await h.channel.start();
    await h.channel.stop();
    expect(h.channel.health().state).toBe('off');
  });

  it('can be started and stopped again, quickly in a row', async () => {
    const h = await setup();
    for (let round = 0; round < 3; round++) {
      await h.channel.start();
      await h.channel.stop();
    }
    await h.channel.start();
    h.api.sendText(CHAT, 'nog steeds daar');
    await waitFor(() => expect(h.inbound).toHaveLength(1));
  });

  it('does not crash on a bad token: health is down and it keeps retrying', async () => {
    const h = await setup({ token: '999:WRONG' });
    await h.channel.start();
    expect(h.channel.health()).toMatchObject({ state: 'down', detail: expect.stringContaining('telegram 401: Unauthorized') });
    await waitFor(() => expect(h.logs.filter((l) => l.msg === 'telegram connection failed').length).toBeGreaterThanOrEqual(3));
    await h.channel.stop();
    expect(h.channel.health().state).toBe('off');
  });

  it('recovers once Telegram answers again', async () => {
    const h = await setup();
    h.api.failNext('getMe', { error_code: 502, description: 'Bad Gateway' }, 2);
    await h.channel.start();
    expect(h.channel.health()).toMatchObject({ state: 'down', detail: expect.stringContaining('502') });
    await waitFor(() => expect(h.channel.health().state).toBe('up'));
    h.api.sendText(CHAT, 'weer daar');
    await waitFor(() => expect(h.inbound).toHaveLength(1));
  });

  it('works with an apiRoot without trailing slash', async () => {
    const h = await setup();
    const channel = createTelegramChannel({ token: h.api.token, apiRoot: h.api.apiRoot.replace(/\/$/, ''), logger: recordingLogger([]), onInbound: async () => undefined, commands: [], defaultLanguage: 'nl' });
    h.api.sendText(CHAT, 'hoi');
    expect(await channel.send(String(CHAT), { text: 'ok' })).toMatchObject({ status: 'sent' });
  });
});

describe('telegram adapter: send', () => {
  async function ready(): Promise<Harness> {
    const h = await setup();
    h.api.sendText(CHAT, 'hoi');
    return h;
  }

  it('sends HTML without link previews and returns the message id', async () => {
    const h = await ready();
    expect(await h.channel.send(String(CHAT), { text: '<b>Welkom</b> &amp; fijn dat je er bent: https://ouderbrug.nl' })).toEqual({ status: 'sent', externalId: '2' });
    expect(h.api.requestsOf('sendMessage')[0]).toMatchObject({ parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
    expect(h.api.plainTexts(CHAT)).toEqual(['Welkom & fijn dat je er bent: https://ouderbrug.nl']);
  });

  it('splits 10,000 characters into valid chunks with the keyboard on the last one', async () => {
    const h = await ready();
    const paragraph = (n: number): string => `<b>Stap ${n}</b>\n${'Samen naar een gemengde buurtschool, met &lt;ouders&gt; &amp; kinderen. '.repeat(8)}`;
    const text = Array.from({ length: 22 }, (_, n) => paragraph(n)).join('\n\n');
    expect(parseTelegramHtml(text).length).toBeGreaterThan(10_000);
    const outcome = await h.channel.send(String(CHAT), { text, choices: [[{ label: 'Verder', value: 'next' }, { label: 'Stop', value: 'stop' }]] });
    expect(outcome.status).toBe('sent');
    const sent = h.api.sent(CHAT);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const message of sent) expect(message.plain?.length).toBeLessThanOrEqual(4096);
    expect(sent.map((m) => m.reply_markup !== undefined)).toEqual([...sent.slice(1).map(() => false), true]);
    expect(h.api.lastKeyboard(CHAT)).toEqual([[{ label: 'Verder', data: '1|next' }, { label: 'Stop', data: '1|stop' }]]);
    expect(sent.map((m) => m.plain).join('').replace(/\s+/g, '')).toBe(parseTelegramHtml(text).replace(/\s+/g, ''));
  });

  it('a failure after some parts reports them, and a retry resumes at the failed part (no duplicates)', async () => {
    const h = await ready();
    const text = Array.from({ length: 3 }, (_, n) => `Deel ${n} ${'x'.repeat(3000)}`).join('\n\n');
    h.api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 1, 1);
    const first = await h.channel.send(String(CHAT), { text });
    expect(first).toMatchObject({ status: 'retry', partsSent: 1 });
    const again = await h.channel.send(String(CHAT), { text }, { fromPart: 1 });
    expect(again.status).toBe('sent');
    expect(h.api.plainTexts(CHAT).map((t) => t.slice(0, 6))).toEqual(['Deel 0', 'Deel 1', 'Deel 2']);
  });

  it('sends an attachment as a document after the text', async () => {
    const h = await ready();
    const outcome = await h.channel.send(String(CHAT), { text: 'Je gegevens:', attachment: { filename: 'mijn-gegevens.json', mimeType: 'application/json', content: '{"taal":"nl"}' } });
    expect(outcome).toEqual({ status: 'sent', externalId: '3' });
    expect(h.api.sent(CHAT).map((m) => m.method)).toEqual(['sendMessage', 'sendDocument']);
    expect(h.api.sent(CHAT)[1]?.document).toEqual({ filename: 'mijn-gegevens.json', content: '{"taal":"nl"}' });
  });

  it('classifies a blocked person (403) and an unknown chat (400 chat not found) as unreachable', async () => {
    const h = await ready();
    h.api.block(CHAT);
    expect(await h.channel.send(String(CHAT), { text: 'x' })).toEqual({ status: 'unreachable', reason: 'telegram 403: Forbidden: bot was blocked by the user' });
    expect(await h.channel.send('777', { text: 'x' })).toEqual({ status: 'unreachable', reason: 'telegram 400: Bad Request: chat not found' });
  });

  it('classifies 429 as wait with retry_after in ms, 400 as invalid and 5xx as retry', async () => {
    const h = await ready();
    h.api.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 7', retry_after: 7 });
    expect(await h.channel.send(String(CHAT), { text: 'x' })).toEqual({ status: 'wait', retryAfterMs: 7000, reason: 'telegram 429: Too Many Requests: retry after 7' });
    h.api.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    expect(await h.channel.send(String(CHAT), { text: 'x' })).toMatchObject({ status: 'retry', reason: expect.stringContaining('telegram 500') });
    expect(await h.channel.send(String(CHAT), { text: 'a < b' })).toMatchObject({ status: 'invalid', reason: expect.stringContaining("can't parse entities") });
  });

  it('sends a link choice as a url button, next to answer buttons; Telegram refuses a url it cannot open', async () => {
    const h = await ready();
    const choices = [[{ label: 'Ik heb mijn kind aangemeld', value: 'reg:1:done' }], [{ label: 'Bekijk de pagina van de gemeente', value: 'link:0', url: 'https://www.amsterdam.nl/onderwijs/basisonderwijs/' }]];
    expect(await h.channel.send(String(CHAT), { text: 'Zoek de datum op', choices })).toMatchObject({ status: 'sent' });
    expect(h.api.lastKeyboard(CHAT)).toEqual([
      [{ label: 'Ik heb mijn kind aangemeld', data: '1|reg:1:done' }],
      [{ label: 'Bekijk de pagina van de gemeente', data: undefined, url: 'https://www.amsterdam.nl/onderwijs/basisonderwijs/' }],
    ]);
    // The fake checks url buttons as Telegram does (http, https and tg only).
    const refused = await h.channel.send(String(CHAT), { text: 'x', choices: [[{ label: 'x', value: 'link:0', url: 'javascript:alert(1)' }]] });
    expect(refused).toMatchObject({ status: 'invalid', reason: expect.stringContaining('BUTTON_URL_INVALID') });
  });

  it('refuses an over-long callback value before sending anything', async () => {
    const h = await ready();
    const outcome = await h.channel.send(String(CHAT), { text: 'Kies', choices: [[{ label: 'x', value: 'v'.repeat(63) }]] });
    expect(outcome).toMatchObject({ status: 'invalid', reason: expect.stringContaining('65 bytes') });
    expect(h.api.sent(CHAT)).toEqual([]);
  });

  it('classifies a network that is down as retry, without throwing', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const logs: LogLine[] = [];
    const channel = createTelegramChannel({ token: '1:x', apiRoot: `http://127.0.0.1:${port}/`, logger: recordingLogger(logs), onInbound: async () => undefined, commands: [], defaultLanguage: 'nl' });
    expect(await channel.send('1', { text: 'x' })).toEqual({ status: 'retry', reason: 'network: ECONNREFUSED' });
    await channel.start();
    expect(channel.health()).toMatchObject({ state: 'down', detail: expect.stringContaining('ECONNREFUSED') });
    await channel.stop();
  });

  it('logs failures without chat ids or message text', async () => {
    const h = await ready();
    h.api.block(CHAT);
    await h.channel.send(String(CHAT), { text: 'Geheim bericht voor Fatima' });
    const logged = JSON.stringify(h.logs);
    expect(logged).toContain('"outcome":"unreachable"');
    expect(logged).not.toContain(String(CHAT));
    expect(logged).not.toContain('Fatima');
  });
});

describe('telegram adapter: webhook', () => {
  const SECRET = 'webhook_secret-123';

  async function webhookSetup(): Promise<Harness & { url: string }> {
    const h = await setup({ webhook: { url: 'https://bot.ouderbrug.test/telegram/hook', secret: SECRET } });
    const hook = h.channel.webhook;
    if (!hook) throw new Error('webhook mode should expose a handler');
    expect(hook.path).toBe('/telegram/hook');
    const server = http.createServer((req, res) => void hook.handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    return { ...h, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${hook.path}` };
  }

  const update = (updateId: number, text: string): unknown => ({
    update_id: updateId,
    message: { message_id: 1, date: 0, chat: { id: CHAT, type: 'private', first_name: 'A' }, from: { id: CHAT, is_bot: false, first_name: 'A' }, text },
  });

  it('sets the webhook with its secret and delivers updates that carry it', async () => {
    const h = await webhookSetup();
    await h.channel.start();
    expect(h.channel.health().state).toBe('up');
    expect(h.api.webhook()).toEqual({ url: 'https://bot.ouderbrug.test/telegram/hook', secret: SECRET });
    expect(h.api.requestsOf('getUpdates')).toEqual([]);
    expect(await postWebhook(h.url, update(1, 'via webhook'), SECRET)).toBe(200);
    expect(contents(h)).toEqual([{ kind: 'text', text: 'via webhook' }]);
  });

  it('answers 403 to a wrong or missing secret and delivers nothing', async () => {
    const h = await webhookSetup();
    await h.channel.start();
    expect(await postWebhook(h.url, update(2, 'nep'), 'wrong')).toBe(403);
    expect(await postWebhook(h.url, update(3, 'nep'))).toBe(403);
    expect(h.inbound).toEqual([]);
  });
});
