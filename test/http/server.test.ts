// Complements http-server.test.ts: failure paths, resuming streams, headers, and running without the local chat.
import { request, get, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpServer, MAX_BODY_BYTES, type HealthReport, type HttpServer, type HttpServerOptions } from '../../src/http/server.js';
import { createLocalChannel, type LocalChannel, type LocalEvent } from '../../src/bot/local/local.adapter.js';
import type { InboundMessage } from '../../src/core/messages.js';
import type { Logger } from '../../src/core/ports.js';

/** Issued afresh by each start(): the server serves only ids it issued. */
let chatId = '';
const okHealth: HealthReport = { status: 'ok', database: 'up', channels: [{ name: 'local', state: 'up' }], uptimeSeconds: 3 };

type LogFn = (obj: object, msg?: string) => void;

function fakeLogger() {
  return { debug: vi.fn<LogFn>(), info: vi.fn<LogFn>(), warn: vi.fn<LogFn>(), error: vi.fn<LogFn>() } satisfies Logger;
}

let running: HttpServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(overrides: Partial<HttpServerOptions> = {}): Promise<{ base: string; local: LocalChannel; inbound: InboundMessage[]; logger: ReturnType<typeof fakeLogger> }> {
  const logger = fakeLogger();
  const local = createLocalChannel({ logger, hasPerson: () => false });
  chatId = local.issue();
  const inbound: InboundMessage[] = [];
  running = createHttpServer({
    logger,
    local,
    onInbound: (m) => {
      inbound.push(m);
      return Promise.resolve();
    },
    health: () => okHealth,
    ...overrides,
  });
  const port = await running.listen(0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, local, inbound, logger };
}

const postJson = (base: string, body: unknown): Promise<Response> =>
  fetch(`${base}/api/local/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** A minimal Server-Sent Events reader that also shows comments (heartbeats). */
function openStream(url: string, headers: Record<string, string> = {}) {
  const events: LocalEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  let response: IncomingMessage | undefined;
  const waiters: (() => void)[] = [];
  const req = get(url, { headers }, (res) => {
    response = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as LocalEvent);
          if (line.startsWith(':')) comments.push(line);
        }
      }
      waiters.splice(0).forEach((w) => w());
    });
  });
  const ended = new Promise<void>((resolve) => req.on('response', (res) => res.on('end', resolve).on('close', resolve)));
  async function until(check: () => boolean, ms = 2_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('stream: timed out');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }
  return { events, comments, until, ended, close: () => req.destroy(), response: () => response };
}

describe('http server: local chat API', () => {
  it('answers before onInbound finishes, and logs its failure', async () => {
    let finish: () => void = () => undefined;
    const { base, logger } = await start({
      onInbound: () => new Promise<void>((_resolve, reject) => (finish = () => reject(new Error('engine down')))),
    });
    expect((await postJson(base, { chatId, text: 'hoi' })).status).toBe(202);
    finish();
    await vi.waitFor(() => expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ err: expect.objectContaining({ message: 'engine down' }) }), 'local inbound failed'));
  });

  it('refuses a chunked body over 64 KB, and close() does not wait for that connection', async () => {
    const { base, inbound } = await start();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${base}/api/local/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      for (let i = 0; i < MAX_BODY_BYTES / 8192 + 4; i++) req.write('x'.repeat(8192));
      req.end();
    });
    expect(status).toBe(413);
    expect(inbound).toHaveLength(0);
    // Still serving, and the refused connection does not hold up close().
    expect((await postJson(base, { chatId, text: 'hoi' })).status).toBe(202);
    const started = Date.now();
    await running?.close();
    running = undefined;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('http server: event stream', () => {
  it('replays history after N, then streams live messages and the parent’s own (with the button label)', async () => {
    const { base, local, inbound } = await start();
    await local.send(chatId, { text: 'een' });
    await local.send(chatId, { text: 'twee', choices: [[{ label: 'Ja', value: 'yes' }]], attachment: { filename: 'a.ics', mimeType: 'text/calendar', content: 'BEGIN' } });
    const first = local.history(chatId, 0)[0]?.seq ?? 0;

    const stream = openStream(`${base}/api/local/events?chatId=${chatId}&after=${first}`);
    await stream.until(() => stream.events.length === 1);
    expect(stream.response()?.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.events[0]).toEqual({ seq: first + 1, from: 'bot', text: 'twee', choices: [[{ label: 'Ja', value: 'yes' }]], attachment: { filename: 'a.ics', mimeType: 'text/calendar', content: 'BEGIN' } });

    expect((await postJson(base, { chatId, choice: 'yes', languageHint: 'nl' })).status).toBe(202);
    expect(inbound).toEqual([{ address: { channel: 'local', chatId }, content: { kind: 'choice', value: 'yes' }, languageHint: 'nl' }]);
    await local.send(chatId, { text: 'drie' });
    await stream.until(() => stream.events.length === 3);
    expect(stream.events.slice(1).map((e) => [e.from, e.text])).toEqual([['parent', 'Ja'], ['bot', 'drie']]);
    stream.close();
  });

  it('resumes from Last-Event-ID and sends heartbeats', async () => {
    const { base, local } = await start({ heartbeatMs: 30 });
    await local.send(chatId, { text: 'een' });
    await local.send(chatId, { text: 'twee' });
    const seen = local.history(chatId, 0)[0]?.seq ?? 0;
    const stream = openStream(`${base}/api/local/events?chatId=${chatId}&after=0`, { 'Last-Event-ID': String(seen) });
    await stream.until(() => stream.comments.length > 0 && stream.events.length === 1);
    expect(stream.events.map((e) => e.text)).toEqual(['twee']);
    expect(stream.comments[0]).toBe(': ping');
    stream.close();
  });

  it('refuses a missing or malformed chat id, and one the server did not issue', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/api/local/events`)).status).toBe(400);
    expect((await fetch(`${base}/api/local/events?chatId=${encodeURIComponent('<bad>')}`)).status).toBe(400);
    expect((await fetch(`${base}/api/local/events?chatId=3f2c9a1e-7b4d-4c1a-9e8f-0a1b2c3d4e5f`)).status).toBe(404);
  });

});

describe('http server: headers, modes and failures', () => {
  it('sets nosniff everywhere, and a page policy without inline script or style', async () => {
    const { base } = await start();
    const page = await fetch(`${base}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    for (const path of ['/', '/chat.js', '/health', '/nope']) {
      expect((await fetch(`${base}${path}`)).headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const missing = await fetch(`${base}/nope`);
    expect(missing.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await missing.json()).toEqual({ error: 'not_found' });
  });

  it('without a local channel shows a plain page and no chat API', async () => {
    const { base } = await start({ local: undefined });
    expect(await (await fetch(`${base}/`)).text()).toContain('Ouderbrug is running');
    expect((await postJson(base, { chatId, text: 'hoi' })).status).toBe(404);
    expect((await fetch(`${base}/chat.js`)).status).toBe(404);
  });

  it('mounts extra routes by exact path', async () => {
    const { base } = await start({
      routes: [{ method: 'POST', path: '/telegram/hook-secret', handler: (_req, res) => void res.writeHead(204).end() }],
    });
    const hook = await fetch(`${base}/telegram/hook-secret`, { method: 'POST', body: '{}' });
    expect(hook.status).toBe(204);
    expect(hook.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${base}/telegram/hook-secret/x`, { method: 'POST' })).status).toBe(404);
  });

  it('turns a throwing handler into a logged 500 and keeps serving', async () => {
    const { base, logger } = await start({
      routes: [{ method: 'GET', path: '/boom', handler: () => Promise.reject(new Error('kaboom')) }],
      health: () => {
        throw new Error('health broke');
      },
    });
    const boom = await fetch(`${base}/boom?chatId=${chatId}`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: 'internal_error' });
    expect((await fetch(`${base}/health`)).status).toBe(500);
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ method: 'GET', path: '/boom' }), 'http request failed');
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain(chatId);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
