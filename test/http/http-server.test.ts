import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalChannel, type LocalChannel } from '../../src/bot/local/local.adapter.js';
import type { InboundMessage } from '../../src/core/messages.js';
import { createHttpServer, MAX_BODY_BYTES, type HealthReport, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../support/engine-harness.js';

let server: HttpServer;
let base: string;
let local: LocalChannel;
let received: InboundMessage[];
let report: HealthReport;

beforeEach(async () => {
  received = [];
  local = createLocalChannel({ logger: silentLogger, hasPerson: () => false });
  report = { status: 'ok', database: 'up', channels: [local.health()], uptimeSeconds: 1 };
  server = createHttpServer({
    logger: silentLogger,
    local,
    onInbound: async (m) => {
      received.push(m);
    },
    health: () => report,
    uiTexts: (lang) => ({ lang: lang.startsWith('ar') ? 'ar' : 'nl', dir: lang.startsWith('ar') ? 'rtl' : 'ltr', texts: { send: lang.startsWith('ar') ? 'إرسال' : 'Verstuur' } }),
    routes: [{ method: 'POST', path: '/telegram/hook', handler: (_req, res) => void res.writeHead(204).end() }],
    heartbeatMs: 50,
  });
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
});
afterEach(async () => {
  await server.close();
});

const post = (path: string, body: string, type = 'application/json') => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

describe('HTTP server', () => {
  it('serves the chat page, its script and style with a strict policy', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/chat.js">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`${base}/chat.js`)).status).toBe(200);
    expect((await fetch(`${base}/chat.css`)).headers.get('content-type')).toContain('text/css');
  });

  it('accepts a message with 202 and hands it to the core', async () => {
    const res = await post('/api/local/messages', JSON.stringify({ chatId: local.issue(), text: '/start' }));
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 10));
    expect(received.map((m) => m.content)).toEqual([{ kind: 'command', command: 'start', args: '' }]);
  });

  it('refuses bad JSON (400), wrong content type (415), a huge body (413), unknown routes (404), wrong methods (405)', async () => {
    expect((await post('/api/local/messages', '{not json')).status).toBe(400);
    expect((await post('/api/local/messages', JSON.stringify({ chatId: 'x' }))).status).toBe(400);
    expect((await post('/api/local/messages', 'chatId=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post('/api/local/messages', JSON.stringify({ chatId: local.issue(), text: 'x'.repeat(MAX_BODY_BYTES) }))).status).toBe(413);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/local/messages`)).status).toBe(405);
    expect(received).toHaveLength(0);
  });

  it('streams the transcript over server-sent events: history first, then live', async () => {
    const chatId = local.issue();
    await local.send(chatId, { text: 'eerste' });
    const events: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/api/local/events?chatId=${chatId}&after=0`, (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const line of chunk.split('\n')) if (line.startsWith('data: ')) events.push((JSON.parse(line.slice(6)) as { text: string }).text);
          if (events.length === 1) void local.send(chatId, { text: 'tweede' });
          if (events.length === 2) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (events.length === 2 ? resolve() : reject(e)));
      req.end();
    });
    expect(events).toEqual(['eerste', 'tweede']);
  });

  it('reports health as 200 when up and 503 when degraded', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    report = { ...report, status: 'degraded', database: 'down' };
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ database: 'down' });
  });

  it('serves the page words per language and mounts extra routes', async () => {
    expect(await (await fetch(`${base}/api/local/texts?lang=ar-EG`)).json()).toEqual({ lang: 'ar', dir: 'rtl', texts: { send: 'إرسال' } });
    expect((await post('/telegram/hook', '{}')).status).toBe(204);
  });

  it('close() ends open event streams so the process can exit', async () => {
    const res = await fetch(`${base}/api/local/events?chatId=${local.issue()}`);
    const reader = res.body?.getReader();
    await reader?.read();
    await server.close();
    let done = false;
    while (!done) done = (await reader?.read())?.done ?? true;
    expect(done).toBe(true);
    server = createHttpServer({ logger: silentLogger, onInbound: async () => {}, health: () => report });
    await server.listen(0, '127.0.0.1');
  });
});
