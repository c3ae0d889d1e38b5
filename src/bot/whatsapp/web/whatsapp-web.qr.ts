/**
 * The login QR code of the whatsapp-web.js session: printed in the terminal, and served as an
 * SVG on `GET /whatsapp/qr` (loopback only: whoever scans it links *their* WhatsApp account
 * to the bot, so the page must not be on the internet). Never written to the JSON logs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import qrcode from 'qrcode';
import type { HttpRoute } from '../../../http/server.js';

export const QR_PATH = '/whatsapp/qr';

/** A terminal rendering of the code (small: two rows per character). */
export function qrForTerminal(qr: string): Promise<string> {
  return qrcode.toString(qr, { type: 'terminal', small: true });
}

export interface QrSource {
  qr(): string | null;
  health(): { state: string };
}

export function whatsappQrRoute(channel: QrSource): HttpRoute {
  return { method: 'GET', path: QR_PATH, handler: (req, res) => serveQr(channel, req, res) };
}

async function serveQr(channel: QrSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!fromLoopback(req)) {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('The WhatsApp login code is shown on the bot machine only (http://localhost/whatsapp/qr).\n');
    return;
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

/** Directly from this machine, not relayed by a proxy (a proxy on the same host is loopback too). */
function fromLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  const loopback = address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
  return loopback && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
