/**
 * The one HTTP server (plain node:http): the local web chat, health, and routes that others
 * mount (the Telegram webhook). Whatever a client sends, the process must not crash: every
 * handler runs inside one try/catch that answers 500 and logs the error without the body.
 *
 * Routes: GET / · GET /chat.js · GET /chat.css · POST /api/local/messages ·
 *         GET /api/local/events (Server-Sent Events) · GET /health · plus `routes`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChannelHealth, InboundHandler, Logger } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import { CHAT_ID_PATTERN, toInbound } from '../bot/local/local.mapper.js';
import type { LocalChannel, LocalEvent } from '../bot/local/local.adapter.js';
import { loadChatAssets, RUNNING_PAGE, sendAsset } from './chat-page.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: 'up' | 'down';
  /** Redis holds the reminder queues: down means reminders wait (the chat works). */
  redis?: 'up' | 'down' | 'off';
  channels: ChannelHealth[];
  uptimeSeconds: number;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * `path` is matched exactly against the path (without the query string); `prefix` matches that
 * path and everything below it (`/admin/queues`, `/admin/queues/api/…`), for mounted apps.
 * Exact routes win over prefix routes. The method 'ANY' matches every method.
 */
export type HttpRoute = { method: string; handler: RouteHandler } & ({ path: string; prefix?: undefined } | { prefix: string; path?: undefined });

const matches = (r: HttpRoute, path: string): boolean =>
  r.path !== undefined ? r.path === path : path === r.prefix || path.startsWith(`${r.prefix.replace(/\/$/, '')}/`);

export interface HttpServerOptions {
  logger: Logger;
  /** The local web chat; without it `/` is a plain "running" page and the chat API is absent. */
  local?: LocalChannel;
  onInbound: InboundHandler;
  health: () => HealthReport;
  /** The web chat's own words (locales/<lang>/webchat.json) for a browser language. */
  uiTexts?: (lang: string) => { lang: string; dir: 'ltr' | 'rtl'; texts: Record<string, string> };
  routes?: HttpRoute[];
  /** Keeps proxies and browsers from dropping an idle event stream; tests shorten it. */
  heartbeatMs?: number;
}

export interface HttpServer {
  /** Resolves with the port actually bound (pass 0 for any free port). */
  listen(port: number, host: string): Promise<number>;
  /** Ends open event streams and idle keep-alive connections, then stops listening. */
  close(): Promise<void>;
  server: Server;
}

export const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger, local } = options;
  const streams = new Set<ServerResponse>();
  const routes: HttpRoute[] = [
    { method: 'GET', path: '/health', handler: (_req, res) => health(res) },
    ...(local ? localRoutes(local) : [{ method: 'GET', path: '/', handler: (_req: IncomingMessage, res: ServerResponse) => sendAsset(res, RUNNING_PAGE) }]),
    ...(options.routes ?? []),
  ];

  function localRoutes(channel: LocalChannel): HttpRoute[] {
    const assets = loadChatAssets();
    return [
      { method: 'GET', path: '/', handler: (_req, res) => sendAsset(res, assets.page) },
      { method: 'GET', path: '/chat.js', handler: (_req, res) => sendAsset(res, assets.script) },
      { method: 'GET', path: '/chat.css', handler: (_req, res) => sendAsset(res, assets.style) },
      { method: 'POST', path: '/api/local/messages', handler: (req, res) => postMessage(channel, req, res) },
      { method: 'GET', path: '/api/local/events', handler: (req, res) => openEvents(channel, req, res) },
      { method: 'GET', path: '/api/local/texts', handler: (req, res) => uiTexts(req, res) },
    ];
  }

  function uiTexts(req: IncomingMessage, res: ServerResponse): void {
    const lang = new URL(req.url ?? '/', 'http://localhost').searchParams.get('lang') ?? '';
    if (!options.uiTexts) throw new HttpError(404, 'not_found');
    sendJson(res, 200, options.uiTexts(lang.slice(0, 35)));
  }

  function health(res: ServerResponse): void {
    const report = options.health();
    sendJson(res, report.status === 'ok' ? 200 : 503, report);
  }

  async function postMessage(channel: LocalChannel, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // JSON only: a cross-site form cannot send application/json without a CORS preflight.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'json_required');
    const message = toInbound(parseJson(await readBody(req)));
    if (!message) throw new HttpError(400, 'invalid_message');
    channel.recordParent(message.address.chatId, message.content);
    sendJson(res, 202, { accepted: true });
    // Answer now; the bot's replies arrive on the event stream. The dispatcher already logs
    // handler failures, this catch only keeps a stray rejection from killing the process.
    Promise.resolve()
      .then(() => options.onInbound(message))
      .catch((err: unknown) => logger.error({ err: describeError(err), channel: 'local' }, 'local inbound failed'));
  }

  function openEvents(channel: LocalChannel, req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chatId = url.searchParams.get('chatId') ?? '';
    if (!CHAT_ID_PATTERN.test(chatId)) throw new HttpError(400, 'invalid_chat_id');
    // `Connection: close` so that ending the stream (close()) also frees the socket.
    // EventSource reconnects on its own with Last-Event-ID; the page's own reconnect uses `after`.
    const after = Math.max(toSeq(url.searchParams.get('after')), toSeq(headerValue(req.headers['last-event-id'])));

    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no', Connection: 'close' });
    res.write('retry: 2000\n\n');
    const write = (event: LocalEvent): void => void res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    // Replay and subscribe in the same tick: nothing can be sent in between, so no gap.
    for (const event of channel.history(chatId, after)) write(event);
    const unsubscribe = channel.subscribe(chatId, write);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
    streams.add(res);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // The page sets its own policy; everything else (JSON, events) needs no content at all.
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    try {
      const onPath = routes.filter((r) => matches(r, path)).sort((a, b) => Number(a.path === undefined) - Number(b.path === undefined));
      const route = onPath.find((r) => r.method === method || r.method === 'ANY');
      if (route) return await route.handler(req, res);
      if (onPath.length > 0) {
        res.setHeader('Allow', onPath.map((r) => r.method).join(', '));
        throw new HttpError(405, 'method_not_allowed');
      }
      throw new HttpError(404, 'not_found');
    } catch (err) {
      if (err instanceof HttpError) {
        // After a refused body the connection is not reused: the rest of the body is still coming.
        if (err.status === 413) res.setHeader('Connection', 'close');
        return void sendJson(res, err.status, { error: err.code });
      }
      // Path only: query strings carry chat ids and bodies carry what parents typed.
      logger.error({ err: describeError(err), method, path }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    }
  }

  const server = createServer((req, res) => void handle(req, res));

  function listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  function close(): Promise<void> {
    for (const res of streams) res.end();
    return new Promise((resolve, reject) => {
      server.close((err) => (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(err) : resolve()));
      server.closeIdleConnections();
      // A request still in flight (a slow webhook) gets a moment, then is cut so stop never hangs.
      setTimeout(() => server.closeAllConnections(), 3_000).unref();
    });
  }

  return { listen, close, server };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/** Reads at most MAX_BODY_BYTES; a bigger body is refused without buffering the rest. */
async function readBody(req: IncomingMessage): Promise<string> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge(req);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(req: IncomingMessage): HttpError {
  // Discard the rest instead of reading it into memory; the 413 is sent meanwhile.
  req.resume();
  return new HttpError(413, 'body_too_large');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json');
  }
}

function toSeq(value: string | undefined | null): number {
  const n = Number(value ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
