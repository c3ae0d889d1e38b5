/**
 * The local web chat's HTTP routes. Every one is `access: 'private'` (Host/Origin checked by the
 * server) and, with a password, behind HTTP Basic auth with a login lockout.
 *
 *   GET  /  · /chat.js · /chat.css              the page
 *   GET  /api/local/texts?lang=…               the page's own words
 *   POST /api/local/chats                      → 201 { chatId }: a new chat id, issued here
 *   GET  /api/local/chats/:id                  → 200 if the server still knows the id, else 404
 *   DELETE /api/local/chats/:id                → 204: transcript and id forgotten
 *   POST /api/local/messages { chatId, text | choice, languageHint }  → 202
 *   GET  /api/local/events?chatId=…&after=N    Server-Sent Events: the transcript, then live
 *
 * A chat id the server did not issue (or no longer knows) is 404 on every call, so nobody can
 * read or write a chat whose id they guessed or chose.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/dispatcher.js';
import type { InboundHandler, Logger } from '../core/ports.js';
import type { LocalChannel, LocalEvent } from '../bot/local/local.adapter.js';
import { CHAT_ID_PATTERN, toInbound } from '../bot/local/local.mapper.js';
import { createBasicAuth } from './basic-auth.js';
import { loadChatAssets, sendAsset } from './chat-page.js';
import { headerValue, HttpError, parseJson, readBody, sendJson, toSeq, type HttpRoute, type RouteHandler } from './http-kit.js';
import { createLoginLockout } from './login-lockout.js';

export const CHATS_PATH = '/api/local/chats';

export interface LocalChatRouteDeps {
  channel: LocalChannel;
  logger: Logger;
  onInbound: InboundHandler;
  uiTexts?: (lang: string) => { lang: string; dir: 'ltr' | 'rtl'; texts: Record<string, string> };
  /** Open event streams, so the server can end them on close(). */
  streams: Set<ServerResponse>;
  heartbeatMs: number;
  password?: string;
  clock: Pick<Clock, 'now'>;
}

export function localChatRoutes(deps: LocalChatRouteDeps): HttpRoute[] {
  const { channel, logger } = deps;
  const assets = loadChatAssets();
  const auth = deps.password
    ? createBasicAuth({ realm: 'Ouderbrug web chat', password: deps.password, lockout: createLoginLockout({ clock: deps.clock, endpoint: 'local chat', logger }) })
    : undefined;
  const guarded =
    (handler: RouteHandler): RouteHandler =>
    (req, res) =>
      !auth || auth(req, res) ? handler(req, res) : undefined;

  /** The chat id of the request, refused unless this server issued it and still knows it. */
  function knownChat(chatId: string): string {
    if (!CHAT_ID_PATTERN.test(chatId)) throw new HttpError(400, 'invalid_chat_id');
    if (!channel.knows(chatId)) throw new HttpError(404, 'unknown_chat');
    return chatId;
  }

  function chatOfPath(req: IncomingMessage): string {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let chatId: string;
    try {
      chatId = decodeURIComponent(path.slice(CHATS_PATH.length + 1));
    } catch {
      throw new HttpError(400, 'invalid_chat_id');
    }
    return knownChat(chatId);
  }

  function uiTexts(req: IncomingMessage, res: ServerResponse): void {
    const lang = new URL(req.url ?? '/', 'http://localhost').searchParams.get('lang') ?? '';
    if (!deps.uiTexts) throw new HttpError(404, 'not_found');
    sendJson(res, 200, deps.uiTexts(lang.slice(0, 35)));
  }

  async function postMessage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // JSON only: a cross-site form cannot send application/json without a CORS preflight.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'json_required');
    const message = toInbound(parseJson(await readBody(req)));
    if (!message) throw new HttpError(400, 'invalid_message');
    knownChat(message.address.chatId);
    sendJson(res, 202, { accepted: true });
    // Answer now; the bot's replies arrive on the event stream. The dispatcher already logs
    // handler failures, this catch only keeps a stray rejection from killing the process.
    channel.receive(message, deps.onInbound).catch((err: unknown) => logger.error({ err: describeError(err), channel: 'local' }, 'local inbound failed'));
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chatId = knownChat(url.searchParams.get('chatId') ?? '');
    // `Connection: close` so that ending the stream (close()) also frees the socket.
    // EventSource reconnects on its own with Last-Event-ID; the page's own reconnect uses `after`.
    const after = Math.max(toSeq(url.searchParams.get('after')), toSeq(headerValue(req.headers['last-event-id'])));

    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no', Connection: 'close' });
    res.write('retry: 2000\n\n');
    const write = (event: LocalEvent): void => void res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    // Replay and subscribe in the same tick: nothing can be sent in between, so no gap.
    for (const event of channel.history(chatId, after)) write(event);
    const unsubscribe = channel.subscribe(chatId, write);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs);
    deps.streams.add(res);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      deps.streams.delete(res);
    });
  }

  const routes: HttpRoute[] = [
    { method: 'GET', path: '/', handler: (_req, res) => sendAsset(res, assets.page) },
    { method: 'GET', path: '/chat.js', handler: (_req, res) => sendAsset(res, assets.script) },
    { method: 'GET', path: '/chat.css', handler: (_req, res) => sendAsset(res, assets.style) },
    { method: 'GET', path: '/api/local/texts', handler: uiTexts },
    { method: 'POST', path: CHATS_PATH, handler: (_req, res) => sendJson(res, 201, { chatId: channel.issue() }) },
    { method: 'GET', prefix: CHATS_PATH, handler: (req, res) => sendJson(res, 200, { chatId: chatOfPath(req) }) },
    {
      method: 'DELETE',
      prefix: CHATS_PATH,
      handler: (req, res) => {
        channel.forget(chatOfPath(req));
        res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      },
    },
    { method: 'POST', path: '/api/local/messages', handler: postMessage },
    { method: 'GET', path: '/api/local/events', handler: openEvents },
  ];
  return routes.map((r) => ({ ...r, access: 'private', handler: guarded(r.handler) }));
}
