/**
 * The local web chat's HTTP surface against the real server on 127.0.0.1: ids are capabilities
 * the server issues, foreign Host/Origin headers are refused, an optional password (HTTP Basic
 * with a lockout), and an erased person's transcript is cleared on the server and the page.
 */
import { get, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalChannel, type LocalChannel, type LocalEvent } from '../../src/bot/local/local.adapter.js';
import type { InboundMessage } from '../../src/core/messages.js';
import type { Logger } from '../../src/core/ports.js';
import { createHttpServer, type HttpServer, type HttpServerOptions } from '../../src/http/server.js';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Started {
  base: string;
  port: number;
  local: LocalChannel;
  inbound: InboundMessage[];
  persons: Set<string>;
}

/** A fake engine: `consent` stores a person for the chat, `erase` removes it; both answer. */
async function start(overrides: Partial<HttpServerOptions> = {}): Promise<Started> {
  const persons = new Set<string>();
  const inbound: InboundMessage[] = [];
  const local = createLocalChannel({ logger: silent, hasPerson: (chatId) => persons.has(chatId) });
  const server = createHttpServer({
    logger: silent,
    local,
    onInbound: async (m) => {
      inbound.push(m);
      const text = m.content.kind === 'text' ? m.content.text : '';
      if (text === 'consent') persons.add(m.address.chatId);
      if (text === 'erase') persons.delete(m.address.chatId);
      await local.send(m.address.chatId, { text: `echo ${text}` });
    },
    health: () => ({ status: 'ok', database: 'up', channels: [], uptimeSeconds: 1 }),
    routes: [{ method: 'POST', path: '/telegram/hook', handler: (_req, res) => void res.writeHead(204).end() }],
    ...overrides,
  });
  servers.push(server);
  const port = await server.listen(0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, port, local, inbound, persons };
}

async function newChat(base: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${base}/api/local/chats`, { method: 'POST', headers });
  expect(res.status).toBe(201);
  return ((await res.json()) as { chatId: string }).chatId;
}

const say = (base: string, chatId: string, text: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/local/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ chatId, text }) });

/** node:http, because fetch() does not let a caller set Host. */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
      res.destroy();
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Reads the event stream until `done` says so. */
function readEvents(url: string, done: (events: LocalEvent[]) => boolean): Promise<LocalEvent[]> {
  return new Promise((resolve, reject) => {
    const events: LocalEvent[] = [];
    const req = get(url, (res) => {
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const data = buffer.slice(0, cut).split('\n').find((l) => l.startsWith('data: '));
          buffer = buffer.slice(cut + 2);
          if (data) events.push(JSON.parse(data.slice(6)) as LocalEvent);
        }
        if (done(events)) {
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (err) => (done(events) ? resolve(events) : reject(err)));
    setTimeout(() => reject(new Error(`stream: timed out with ${JSON.stringify(events)}`)), 3_000).unref();
  });
}

describe('local chat: ids are issued by the server', () => {
  it('issues 128-bit base64url ids, never the same twice, and serves only those', async () => {
    const { base, inbound } = await start();
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => newChat(base)));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(5);
    const chatId = ids[0] ?? '';
    expect((await fetch(`${base}/api/local/chats/${chatId}`)).status).toBe(200);
    expect((await say(base, chatId, 'hoi')).status).toBe(202);
    await expect.poll(() => inbound.length).toBe(1);
    expect(inbound[0]?.address).toEqual({ channel: 'local', chatId });
  });

  it('refuses a chosen or guessed id, and an id another server issued, on every call', async () => {
    const { base, local, inbound } = await start();
    const other = await start();
    const foreign = await newChat(other.base);
    await other.local.send(foreign, { text: 'geheim' });
    for (const id of ['3f2c9a1e-7b4d-4c1a-9e8f-0a1b2c3d4e5f', 'AAAAAAAAAAAAAAAAAAAAAA', foreign]) {
      expect((await fetch(`${base}/api/local/chats/${id}`)).status).toBe(404);
      expect((await say(base, id, 'hoi')).status).toBe(404);
      expect((await fetch(`${base}/api/local/events?chatId=${id}&after=0`)).status).toBe(404);
      expect((await fetch(`${base}/api/local/chats/${id}`, { method: 'DELETE' })).status).toBe(404);
    }
    // The engine may still address a chat directly (e.g. a reply after a restart): that does not make it servable.
    await local.send('AAAAAAAAAAAAAAAAAAAAAA', { text: 'x' });
    expect((await fetch(`${base}/api/local/events?chatId=AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect(inbound).toHaveLength(0);
  });

  it('forgets a chat on DELETE: its transcript and its id', async () => {
    const { base, local } = await start();
    const chatId = await newChat(base);
    await local.send(chatId, { text: 'een' });
    expect((await fetch(`${base}/api/local/chats/${chatId}`, { method: 'DELETE' })).status).toBe(204);
    expect(local.history(chatId, 0)).toEqual([]);
    expect((await fetch(`${base}/api/local/chats/${chatId}`)).status).toBe(404);
  });
});

describe('local chat: Host and Origin', () => {
  it('refuses a foreign Host or Origin on the page, the API and /health; a webhook still works', async () => {
    const { base, port } = await start();
    const chatId = await newChat(base);
    const foreign: Record<string, string>[] = [{ Host: `rebind.example:${port}` }, { Host: `localhost:${port + 1}` }, { Host: `127.0.0.1:${port}`, Origin: 'http://rebind.example' }, { Host: `127.0.0.1:${port}`, Origin: 'null' }];
    for (const headers of foreign) {
      expect(await raw(`${base}/`, { headers })).toBe(403);
      expect(await raw(`${base}/health`, { headers })).toBe(403);
      expect(await raw(`${base}/api/local/chats`, { method: 'POST', headers })).toBe(403);
      expect(await raw(`${base}/api/local/events?chatId=${chatId}`, { headers })).toBe(403);
      expect(await raw(`${base}/api/local/messages`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId, text: 'hoi' }) })).toBe(403);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
      expect(await raw(`${base}/api/local/chats/${chatId}`, { headers: { Host: host, Origin: `http://${host}` } })).toBe(200);
    }
    // Webhooks arrive through a proxy under the public name; they check their own secret.
    expect(await raw(`${base}/telegram/hook`, { method: 'POST', headers: { Host: 'bot.example.org', 'X-Forwarded-For': '203.0.113.9' }, body: '{}' })).toBe(204);
  });
});

describe('local chat: password', () => {
  it('asks for LOCAL_CHAT_PASSWORD on the page and every API call, with a lockout', async () => {
    let now = Date.UTC(2027, 0, 4);
    const password = 'local chat password';
    const { base } = await start({ localChat: { reason: 'test', password }, clock: { now: () => new Date(now) } });
    const auth = (p: string) => ({ Authorization: `Basic ${Buffer.from(`ouder:${p}`).toString('base64')}` });
    for (const path of ['/', '/chat.js', '/api/local/texts?lang=nl']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Ouderbrug web chat"');
    }
    expect((await fetch(`${base}/api/local/chats`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: auth(password) })).status).toBe(200);
    const chatId = await newChat(base, auth(password));
    expect((await say(base, chatId, 'hoi')).status).toBe(401);
    expect((await say(base, chatId, 'hoi', auth(password))).status).toBe(202);
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/`, { headers: auth('guess') })).status).toBe(401);
    const locked = await fetch(`${base}/`, { headers: auth(password) });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('1');
    now += 1_000;
    expect((await fetch(`${base}/`, { headers: auth(password) })).status).toBe(200);
  });
});

describe('local chat: /delete', () => {
  it('clears the transcript on the server and tells the open page, once the person is erased', async () => {
    const { base, local, persons } = await start();
    const chatId = await newChat(base);
    expect((await say(base, chatId, 'consent')).status).toBe(202);
    await expect.poll(() => persons.has(chatId)).toBe(true);
    await expect.poll(() => local.history(chatId, 0).length).toBe(2);
    const seen = local.history(chatId, 0).at(-1)?.seq ?? 0;

    // An open page: it sees the erase reply, then the notice that clears everything.
    const page = readEvents(`${base}/api/local/events?chatId=${chatId}&after=${seen}`, (events) => events.some((e) => e.from === 'system'));
    await new Promise((r) => setTimeout(r, 50));
    expect((await say(base, chatId, 'erase')).status).toBe(202);
    const live = await page;
    expect(live.map((e) => [e.from, e.text])).toEqual([
      ['parent', 'erase'],
      ['bot', 'echo erase'],
      ['system', ''],
    ]);
    expect(live.at(-1)?.notice).toBe('erased');

    // A reload gets only the notice: nothing of the conversation is served any more.
    const reloaded = await readEvents(`${base}/api/local/events?chatId=${chatId}&after=0`, (events) => events.length > 0);
    expect(reloaded).toEqual([expect.objectContaining({ from: 'system', notice: 'erased' })]);
    expect(JSON.stringify(local.history(chatId, 0))).not.toContain('consent');

    // The chat goes on: a new /start starts a new transcript after the notice.
    expect((await say(base, chatId, 'again')).status).toBe(202);
    await expect.poll(() => local.history(chatId, 0).map((e) => e.text)).toEqual(['', 'again', 'echo again']);
  });

  it('leaves a chat alone that never had a person', async () => {
    const { base, local } = await start();
    const chatId = await newChat(base);
    expect((await say(base, chatId, 'erase')).status).toBe(202);
    await expect.poll(() => local.history(chatId, 0).map((e) => e.from)).toEqual(['parent', 'bot']);
  });
});

describe('/health', () => {
  it('gives the detail straight from this machine, and only the status through a proxy', async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: 'ok', database: 'up', channels: [] });
    const proxied = await fetch(`${base}/health`, { headers: { 'X-Real-IP': '203.0.113.9' } });
    expect(proxied.status).toBe(200);
    expect(await proxied.json()).toEqual({ status: 'ok' });
  });
});
