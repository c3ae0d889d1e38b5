/**
 * The queue dashboard against a real Redis, mounted on the HTTP server as a prefix route:
 * Basic auth first, then bull-board's page and API.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const basic = (user: string, password: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

beforeAll(async () => {
  connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  queue = new Queue('deliver-telegram', { connection, prefix: `test-dashboard-${randomUUID().slice(0, 8)}` });
  // Delayed a day: nothing runs it, it just sits there to be listed.
  await queue.add('deliver', { deliveryId: 1 }, { jobId: 'd1', delay: 86_400_000 });
  const dashboard = createQueueDashboard({ queues: [queue], password: PASSWORD });
  server = createHttpServer({
    logger: silent,
    onInbound: () => Promise.resolve(),
    health: () => ({ status: 'ok', database: 'up', channels: [], uptimeSeconds: 1 }),
    routes: [{ method: 'ANY', prefix: dashboard.basePath, handler: dashboard.handler }],
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
});
