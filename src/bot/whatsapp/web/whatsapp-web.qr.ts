/**
 * The login QR code of the whatsapp-web.js session: printed in the terminal, and served as an
 * SVG on `GET /whatsapp/qr`. Whoever scans it links *their* WhatsApp account to the bot, so the
 * page is served only to a request straight from this machine (a loopback socket and no proxy
 * header of any kind), or to one that knows WHATSAPP_QR_PASSWORD (HTTP Basic, with a login
 * lockout). Never written to the JSON logs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import qrcode from 'qrcode';
import { systemClock, type Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/ports.js';
import { createBasicAuth, type BasicAuth } from '../../../http/basic-auth.js';
import { directFromLoopback } from '../../../http/host-guard.js';
import type { HttpRoute } from '../../../http/http-kit.js';
import { createLoginLockout } from '../../../http/login-lockout.js';

export const QR_PATH = '/whatsapp/qr';

/** A terminal rendering of the code (small: two rows per character). */
export function qrForTerminal(qr: string): Promise<string> {
  return qrcode.toString(qr, { type: 'terminal', small: true });
}

export interface QrSource {
  qr(): string | null;
  health(): { state: string };
}

export interface QrRouteOptions {
  /** WHATSAPP_QR_PASSWORD: lets the page be opened from elsewhere (e.g. through an SSH tunnel's proxy). */
  password?: string;
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
}

export function whatsappQrRoute(channel: QrSource, options: QrRouteOptions = {}): HttpRoute {
  const auth = options.password
    ? createBasicAuth({
        realm: 'Ouderbrug WhatsApp login',
        password: options.password,
        lockout: createLoginLockout({ clock: options.clock ?? systemClock, endpoint: 'whatsapp qr', logger: options.logger }),
      })
    : undefined;
  return { method: 'GET', path: QR_PATH, access: 'private', handler: (req, res) => serveQr(channel, auth, req, res) };
}

async function serveQr(channel: QrSource, auth: BasicAuth | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!directFromLoopback(req)) {
    if (auth) {
      if (!auth(req, res)) return;
    } else {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('The WhatsApp login code is shown on the bot machine only (http://localhost/whatsapp/qr), or with WHATSAPP_QR_PASSWORD.\n');
      return;
    }
  }
  const code = channel.qr();
  const state = channel.health().state;
  let body: string;
  if (code) {
    const svg = await qrcode.toString(code, { type: 'svg', margin: 2 });
    body = `<h1>Link the bot's WhatsApp</h1><p>On the bot's phone: WhatsApp → Linked devices → Link a device, and scan this code. It changes every few seconds; this page reloads itself.</p><div style="width:320px">${svg}</div>`;
  } else if (state === 'up') {
    body = '<h1>WhatsApp is already linked</h1><p>The bot is connected. To link another phone, stop the bot and remove the session folder (WHATSAPP_WEB_SESSION_DIR).</p>';
  } else {
    body = `<h1>No code yet</h1><p>WhatsApp Web is ${escape(state)}; the code appears here when it is ready to be scanned. This page reloads itself.</p>`;
  }
  const refresh = code || state !== 'up' ? '<meta http-equiv="refresh" content="5">' : '';
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ouderbrug · WhatsApp</title>${refresh}</head><body style="font-family:sans-serif;max-width:40em;margin:2em auto">${body}</body></html>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' }).end(page);
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
