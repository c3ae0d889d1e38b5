/**
 * The one HTTP server (plain node:http): the local web chat, health, and routes that others
 * mount (the Telegram webhook). Whatever a client sends, the process must not crash: every
 * handler runs inside one try/catch that answers 500 and logs the error without the body.
 *
 * Routes: GET /health (detail only to this machine) · the local chat (local-chat.routes.ts) or a plain page at / · plus
 * `routes`. Routes marked `access: 'private'` (all of the server's own) answer 403 to a Host or
 * Origin that does not name this server (host-guard.ts: DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import type { ChannelHealth, InboundHandler, Logger } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import type { LocalChannel } from '../bot/local/local.adapter.js';
import { RUNNING_PAGE, sendAsset } from './chat-page.js';
import { createHostGuard, directFromLoopback, type HostGuard } from './host-guard.js';
import { HttpError, sendJson, type HttpRoute } from './http-kit.js';
import { localChatRoutes } from './local-chat.routes.js';

export { MAX_BODY_BYTES, type HttpRoute, type RouteHandler } from './http-kit.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: 'up' | 'down';
  /** Redis holds the reminder queues: down means reminders wait (the chat works). */
  redis?: 'up' | 'down' | 'off';
  /** The delivery worker per channel (src/jobs/nurture.service.ts): a down worker sends no reminders. */
  workers?: { channel: string; state: 'up' | 'down' }[];
  channels: ChannelHealth[];
  uptimeSeconds: number;
}

const matches = (r: HttpRoute, path: string): boolean =>
  r.path !== undefined ? r.path === path : path === r.prefix || path.startsWith(`${r.prefix.replace(/\/$/, '')}/`);

export interface HttpServerOptions {
  logger: Logger;
  /** The local web chat; without it `/` is a plain "running" page and the chat API is absent. */
  local?: LocalChannel;
  /** Why the local chat is on or off (logged at start), and its password if it has one. */
  localChat?: { reason: string; password?: string };
  onInbound: InboundHandler;
  health: () => HealthReport;
  /** The web chat's own words (locales/<lang>/webchat.json) for a browser language. */
  uiTexts?: (lang: string) => { lang: string; dir: 'ltr' | 'rtl'; texts: Record<string, string> };
  routes?: HttpRoute[];
  /** Keeps proxies and browsers from dropping an idle event stream; tests shorten it. */
  heartbeatMs?: number;
  /** For the login lockout of the local chat's password; tests move it. */
  clock?: Pick<Clock, 'now'>;
}

export interface HttpServer {
  /** Resolves with the port actually bound (pass 0 for any free port). */
  listen(port: number, host: string): Promise<number>;
  /** Ends open event streams and idle keep-alive connections, then stops listening. */
  close(): Promise<void>;
  server: Server;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger, local } = options;
  const streams = new Set<ServerResponse>();
  // Replaced at listen(), when the address is known; until then only loopback names pass.
  let hostGuard: HostGuard = createHostGuard('127.0.0.1');
  const own: HttpRoute[] = [
    { method: 'GET', path: '/health', handler: (req, res) => health(req, res) },
    ...(local
      ? localChatRoutes({
          channel: local,
          logger,
          onInbound: options.onInbound,
          uiTexts: options.uiTexts,
          streams,
          heartbeatMs: options.heartbeatMs ?? 15_000,
          password: options.localChat?.password,
          clock: options.clock ?? systemClock,
        })
      : [{ method: 'GET', path: '/', handler: (_req: IncomingMessage, res: ServerResponse) => sendAsset(res, RUNNING_PAGE) }]),
  ];
  const routes: HttpRoute[] = [...own.map((r): HttpRoute => ({ ...r, access: 'private' })), ...(options.routes ?? [])];

  /** The status code for anyone; the detail (channels, Redis, uptime) only straight from this machine. */
  function health(req: IncomingMessage, res: ServerResponse): void {
    const report = options.health();
    sendJson(res, report.status === 'ok' ? 200 : 503, directFromLoopback(req) ? report : { status: report.status });
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
      if (route?.access === 'private' && !hostGuard(req)) throw new HttpError(403, 'foreign_host');
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
        hostGuard = createHostGuard(host);
        if (options.localChat) logger.info({ localChat: local ? 'on' : 'off', reason: options.localChat.reason, password: Boolean(options.localChat.password) }, 'local web chat');
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
