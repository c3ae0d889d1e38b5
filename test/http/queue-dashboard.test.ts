/**
 * The queue dashboard against a real Redis, mounted on the HTTP server as a prefix route:
 * Basic auth first (with a login lockout on an injected clock), then bull-board's page and API.
 */
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { createQueueDashboard } from '../../src/http/queue-dashboard.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { testRedisUrl } from '../support/redis-server.js';

const PASSWORD = 'correct horse battery staple';
const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let connection: Redis;
let queue: Queue;
let server: HttpServer;
let base: string;
let nowMs = Date.UTC(2027, 0, 4, 9);
const clock = { now: () => new Date(nowMs) };
// A day later every test starts without earlier failures (the lockout forgets after a day).
beforeEach(() => {
  nowMs += 86_400_000;
});

const basic = (user: string, password: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

beforeAll(async () => {
  connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  queue = new Queue('deliver-telegram', { connection, prefix: `test-dashboard-${randomUUID().slice(0, 8)}` });
  // Delayed a day: nothing runs it, it just sits there to be listed.
  await queue.add('deliver', { deliveryId: 1 }, { jobId: 'd1', delay: 86_400_000 });
  const dashboard = createQueueDashboard({ queues: [queue], password: PASSWORD, clock });
  server = createHttpServer({
    logger: silent,
    onInbound: () => Promise.resolve(),
    health: () => ({ status: 'ok', database: 'up', channels: [], uptimeSeconds: 1 }),
    routes: [{ method: 'ANY', prefix: dashboard.basePath, access: 'private', handler: dashboard.handler }],
  });
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await server?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await connection?.quit();
});

describe('queue dashboard', () => {
  it('asks for a password without one', async () => {
    const res = await fetch(`${base}/admin/queues`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Ouderbrug queues"');
    const api = await fetch(`${base}/admin/queues/api/queues`);
    expect(api.status).toBe(401);
  });

  it('refuses a wrong password, a password of a different length and a malformed header', async () => {
    for (const headers of [basic('admin', 'wrong'), basic('admin', `${PASSWORD}x`), basic('', ''), { Authorization: 'Bearer abc' }, { Authorization: `Basic ${Buffer.from(PASSWORD).toString('base64')}` }]) {
      const res = await fetch(`${base}/admin/queues/api/queues`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Ouderbrug queues"');
    }
  });

  it('serves the page and the API with the right password (any user name)', async () => {
    const page = await fetch(`${base}/admin/queues`, { headers: basic('ops', PASSWORD) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<div id="root">');

    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: basic('', PASSWORD) });
    expect(api.status).toBe(200);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(body.queues.map((q) => q.name)).toEqual(['deliver-telegram']);
    expect(body.queues[0]?.counts.delayed).toBe(1);
  });

  it('leaves the other routes alone: exact routes still match, a look-alike path is not the dashboard', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const lookalike = await fetch(`${base}/admin/queuesx`, { headers: basic('ops', PASSWORD) });
    expect(lookalike.status).toBe(404);
    expect(await lookalike.json()).toEqual({ error: 'not_found' });
  });

  it('locks a client out after 5 wrong passwords: 1 s, 2 s, 4 s…, without looking at the password, until a right one', async () => {
    const wrong = () => fetch(`${base}/admin/queues/api/queues`, { headers: basic('admin', 'wrong') });
    const right = () => fetch(`${base}/admin/queues/api/queues`, { headers: basic('admin', PASSWORD) });
    for (let i = 0; i < 5; i++) expect((await wrong()).status).toBe(401);
    // Locked for 1 s: even the right password gets 429 (it is not checked at all).
    const locked = await right();
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('1');
    expect(locked.headers.get('www-authenticate')).toBeNull();
    nowMs += 1_000;
    expect((await wrong()).status).toBe(401);
    expect((await wrong()).headers.get('retry-after')).toBe('2');
    nowMs += 2_000;
    expect((await wrong()).status).toBe(401);
    expect((await wrong()).headers.get('retry-after')).toBe('4');
    nowMs += 4_000;
    // A right password resets the client: the next wrong one is a plain 401 again.
    expect((await right()).status).toBe(200);
    expect((await wrong()).status).toBe(401);
    expect((await wrong()).status).toBe(401);
  });

  it('a request without credentials asks for them and costs nothing', async () => {
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: basic('ops', PASSWORD) })).status).toBe(200);
  });

  it('refuses a foreign Host or Origin before asking for a password (DNS rebinding)', async () => {
    const port = new URL(base).port;
    const foreign: Record<string, string>[] = [{ Host: `evil.example:${port}` }, { Host: `127.0.0.1:${port}`, Origin: 'http://evil.example' }];
    for (const headers of foreign) {
      const res = await rawGet(`${base}/admin/queues/api/queues`, { ...headers, ...basic('ops', PASSWORD) });
      expect(res).toBe(403);
    }
  });
});

/** fetch() does not let a caller set Host; node:http does. */
function rawGet(url: string, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
}
