/**
 * Redis connections for BullMQ, made in one place so every process behaves the same when Redis
 * is missing or goes away (ARCHITECTURE.md: Redis holds work, not facts; the bot keeps serving
 * chats while reminders wait).
 *
 * - Workers get `maxRetriesPerRequest: null` (BullMQ refuses a Worker connection without it) and
 *   queue commands until Redis is back; producers get `enableOfflineQueue: false` so an add fails
 *   fast instead of hanging a chat turn (LIBRARIES.md §3).
 * - Both reconnect forever with capped backoff, and never crash on an `error` event.
 * - Logs: one clear install hint the first time Redis cannot be reached, then one line per outage
 *   (not one per retry) and "redis reachable" when it is back. Passwords never reach a log line.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../core/ports.js';

export type RedisRole = 'worker' | 'producer';

export interface CreateRedisOptions {
  role: RedisRole;
  logger: Logger;
  /** Shown in logs and as the Redis CLIENT name, e.g. "delivery-worker". */
  name?: string;
}

const RETRY_STEP_MS = 500;
const RETRY_MAX_MS = 5_000;

/** Reconnect forever: 0.5 s, 1 s, 1.5 s … capped at 5 s. */
export function redisRetryDelay(attempt: number): number {
  return Math.min(attempt * RETRY_STEP_MS, RETRY_MAX_MS);
}

/** The URL with its password (in the userinfo or a `?password=` parameter) replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.href;
  } catch {
    // Not a URL we can parse: blank anything that looks like credentials.
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@').replace(/password=[^&]*/i, 'password=***');
  }
}

/** The one message an operator needs when Redis is not there. */
export function redisUnreachableHint(url: string): string {
  return (
    `Redis is not reachable at ${redactRedisUrl(url)}. ` +
    'Install it (Debian/Ubuntu: sudo apt install redis-server; macOS: brew install redis), ' +
    'start it with `redis-server`, or set REDIS_URL. The chat keeps working; reminders wait until Redis is back.'
  );
}

function roleOptions(role: RedisRole): RedisOptions {
  return role === 'worker' ? { maxRetriesPerRequest: null } : { enableOfflineQueue: false };
}

/** A long-lived connection for BullMQ; see the header for the worker/producer difference. */
export function createRedis(url: string, opts: CreateRedisOptions): Redis {
  const client = new Redis(url, {
    ...roleOptions(opts.role),
    retryStrategy: redisRetryDelay,
    ...(opts.name ? { connectionName: opts.name } : {}),
  });
  watchConnection(client, url, opts);
  return client;
}

/** Logs the connection's life: once per outage, never per retry, never crashing. */
function watchConnection(client: Redis, url: string, opts: CreateRedisOptions): void {
  const context = { redis: opts.name ?? opts.role, url: redactRedisUrl(url) };
  let hinted = false;
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    const detail = { ...context, code: errorCode(err) };
    if (!hinted) opts.logger.error(detail, redisUnreachableHint(url));
    else opts.logger.warn(detail, 'redis unreachable again; retrying in the background');
    hinted = true;
  });
  client.on('ready', () => {
    if (down) opts.logger.info(context, 'redis reachable');
    else opts.logger.debug(context, 'redis connected');
    down = false;
  });
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True when Redis answers PING within `timeoutMs`; one short connection, no retries, always closed. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = client
    .connect()
    .then(() => client.ping())
    .then((reply) => reply === 'PONG')
    .catch(() => false);
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
