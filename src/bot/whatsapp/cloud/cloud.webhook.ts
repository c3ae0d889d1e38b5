/**
 * The Cloud API webhook (one path, two methods):
 *   GET  — Meta's verification handshake: `hub.mode=subscribe` and the configured
 *          `hub.verify_token` → echo `hub.challenge`; anything else → 403.
 *   POST — the raw body (at most 1 MB) must carry `X-Hub-Signature-256: sha256=<hex>`, the
 *          HMAC-SHA256 of exactly those bytes with the app secret (compared in constant time).
 *          Unsigned or wrongly signed → 401 and nothing is read. Otherwise 200 at once (Meta
 *          retries slow webhooks), then the events are handed to `onEvents`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../core/ports.js';
import { describeError } from '../../../core/dispatcher.js';

export const WEBHOOK_PATH = '/whatsapp/webhook';
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface CloudWebhookOptions {
  appSecret: string;
  verifyToken: string;
  logger: Logger;
  /** Called after the 200 went out, with the verified, parsed body. */
  onBody(body: unknown): void | Promise<void>;
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createCloudWebhook(options: CloudWebhookOptions): WebhookHandler {
  const { logger } = options;
  return async (req, res) => {
    if (req.method === 'GET') return verify(req, res, options.verifyToken, logger);
    if (req.method !== 'POST') return answer(res, 405, 'method not allowed', { Allow: 'GET, POST' });
    const raw = await readRaw(req);
    if (raw === null) return answer(res, 413, 'body too large', { Connection: 'close' });
    if (!signatureValid(raw, headerOf(req, 'x-hub-signature-256'), options.appSecret)) {
      logger.warn({ path: WEBHOOK_PATH, signed: headerOf(req, 'x-hub-signature-256') !== undefined, bytes: raw.length }, 'whatsapp webhook refused: bad or missing signature');
      return answer(res, 401, 'invalid signature');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      return answer(res, 400, 'invalid json');
    }
    answer(res, 200, 'ok');
    try {
      await options.onBody(body);
    } catch (err) {
      logger.error({ err: describeError(err), path: WEBHOOK_PATH }, 'whatsapp webhook processing failed');
    }
  };
}

function verify(req: IncomingMessage, res: ServerResponse, verifyToken: string, logger: Logger): void {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const challenge = query.get('hub.challenge') ?? '';
  if (query.get('hub.mode') === 'subscribe' && sameSecret(query.get('hub.verify_token') ?? '', verifyToken) && challenge && challenge.length <= 256) {
    logger.info({ path: WEBHOOK_PATH }, 'whatsapp webhook verified by Meta');
    return answer(res, 200, challenge);
  }
  logger.warn({ path: WEBHOOK_PATH, mode: query.get('hub.mode')?.slice(0, 20) ?? null }, 'whatsapp webhook verification refused');
  answer(res, 403, 'forbidden');
}

export function signatureValid(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Constant time whatever the lengths: both sides hashed to 32 bytes first. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}

/** The exact bytes (the signature covers them); null past the limit, the rest drained unread. */
function readRaw(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_WEBHOOK_BYTES) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_WEBHOOK_BYTES) return void chunks.push(chunk);
      // Keep the socket alive for the 413 and let the rest flow away unread.
      req.off('data', onData);
      req.resume();
      resolve(null);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size <= MAX_WEBHOOK_BYTES ? Buffer.concat(chunks) : null));
    req.once('error', reject);
  });
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
