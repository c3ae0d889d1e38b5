/**
 * Redis plumbing against a real redis-server: ping, reconnect after a restart, outage logging
 * without secrets, and the test server's own data loss.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { createRedis, pingRedis, redactRedisUrl, redisRetryDelay } from '../../src/jobs/redis.js';
import { startRedisServer, testRedisUrl, type RedisServer } from '../support/redis-server.js';

interface LogRecord {
  obj: object;
  msg: string | undefined;
}

function recordingLogger() {
  const logs = { debug: [] as LogRecord[], info: [] as LogRecord[], warn: [] as LogRecord[], error: [] as LogRecord[] };
  const logger: Logger = {
    debug: (obj, msg) => logs.debug.push({ obj, msg }),
    info: (obj, msg) => logs.info.push({ obj, msg }),
    warn: (obj, msg) => logs.warn.push({ obj, msg }),
    error: (obj, msg) => logs.error.push({ obj, msg }),
  };
  return { logger, logs };
}

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const clients: Redis[] = [];
function track(client: Redis): Redis {
  clients.push(client);
  return client;
}

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('redactRedisUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactRedisUrl('redis://:hunter2@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
    expect(redactRedisUrl('redis://bot:hunter2@redis.example:6380/2')).toBe('redis://bot:***@redis.example:6380/2');
    expect(redactRedisUrl('rediss://h:6379?password=hunter2&db=1')).toBe('rediss://h:6379?password=***&db=1');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('still hides a password in a string that is not a valid URL', () => {
    expect(redactRedisUrl('redis://u:hunter2@bad host:x')).not.toContain('hunter2');
  });
});

describe('redisRetryDelay', () => {
  it('backs off and caps at 5 s', () => {
    expect([1, 2, 4, 10, 1000].map(redisRetryDelay)).toEqual([500, 1000, 2000, 5000, 5000]);
  });
});

describe('pingRedis', () => {
  it('is true for the test Redis', async () => {
    expect(await pingRedis(testRedisUrl())).toBe(true);
  });

  it('is false on a closed port, well within the timeout', async () => {
    const started = Date.now();
    expect(await pingRedis(`redis://127.0.0.1:${await closedPort()}`, 1000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives up after the timeout when the peer never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const started = Date.now();
      expect(await pingRedis(`redis://127.0.0.1:${port}`, 300)).toBe(false);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('createRedis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('keeps a worker connection through a server restart, logging the outage once', async () => {
    const { logger, logs } = recordingLogger();
    const client = track(createRedis(server.url, { role: 'worker', logger, name: 'test-worker' }));
    let errors = 0;
    client.on('error', () => errors++);
    expect(await client.set('k', 'v')).toBe('OK');

    await server.stop();
    await waitFor(() => errors >= 2);
    await server.restart();

    // The same client, no new connection made by us: the command waits for the reconnect.
    expect(await client.get('k')).toBeNull();
    expect(await client.set('k', 'again')).toBe('OK');
    expect(logs.error).toHaveLength(1);
    expect(logs.error[0]?.msg).toContain('Redis is not reachable');
    expect(logs.info.map((r) => r.msg)).toEqual(['redis reachable']);

    // A second outage: one short warning (the install hint is not repeated), then reachable again.
    const before = errors;
    await server.stop();
    await waitFor(() => errors >= before + 2);
    await server.restart();
    expect(await client.ping()).toBe('PONG');
    expect(logs.error).toHaveLength(1);
    expect(logs.warn.map((r) => r.msg)).toEqual(['redis unreachable again; retrying in the background']);
    expect(logs.info.map((r) => r.msg)).toEqual(['redis reachable', 'redis reachable']);
  });

  it('logs "not reachable" exactly once per outage, with the password hidden', async () => {
    const { logger, logs } = recordingLogger();
    const url = `redis://:hunter2@127.0.0.1:${await closedPort()}`;
    const client = track(createRedis(url, { role: 'worker', logger }));
    let errors = 0;
    client.on('error', () => errors++);
    await waitFor(() => errors >= 3);

    expect(logs.error).toHaveLength(1);
    const message = logs.error[0]?.msg ?? '';
    expect(message).toContain('Redis is not reachable at redis://:***@127.0.0.1:');
    expect(message).toContain('sudo apt install redis-server');
    expect(message).toContain('REDIS_URL');
    expect(logs.warn).toHaveLength(0);
    expect(JSON.stringify(logs)).not.toContain('hunter2');
  });

  it('lets a producer fail fast while Redis is down', async () => {
    const { logger } = recordingLogger();
    const client = track(createRedis(`redis://127.0.0.1:${await closedPort()}`, { role: 'producer', logger }));
    const started = Date.now();
    await expect(client.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('startRedisServer', () => {
  it('restart() loses every key and flushAll() empties the server', async () => {
    const server = await startRedisServer();
    const { logger } = recordingLogger();
    const client = track(createRedis(server.url, { role: 'worker', logger }));
    try {
      await client.set('before', '1');
      await server.restart();
      expect(await client.get('before')).toBeNull();

      await client.set('again', '1');
      await server.flushAll();
      expect(await client.dbsize()).toBe(0);
      expect(await pingRedis(server.url)).toBe(true);
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(await pingRedis(server.url, 300)).toBe(false);
  });
});
