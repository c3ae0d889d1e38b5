/**
 * GET /whatsapp/qr over real HTTP: served to a request straight from this machine, refused
 * behind any proxy header, or served to whoever knows WHATSAPP_QR_PASSWORD (with the lockout).
 */
import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { whatsappQrRoute } from '../../src/bot/whatsapp/web/whatsapp-web.qr.js';
import { PROXY_HEADERS } from '../../src/http/host-guard.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import type { Logger } from '../../src/core/ports.js';

const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const source = { qr: () => '2@login-code', health: () => ({ state: 'starting' }) };
const PASSWORD = 'a qr password of some length';
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof whatsappQrRoute>[1] = {}): Promise<string> {
  server = createHttpServer({ logger: silentLogger, onInbound: () => Promise.resolve(), health: () => ({ status: 'ok', database: 'up', channels: [], uptimeSeconds: 1 }), routes: [whatsappQrRoute(source, options)] });
  return `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/whatsapp/qr`;
}

function qr(url: string, headers: Record<string, string> = {}): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

const basic = (password: string) => ({ Authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });
const proxyHeaders = [...PROXY_HEADERS, 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-server', 'X-Forwarded-Port', 'x-forwarded-anything'];

describe('/whatsapp/qr', () => {
  it('is served on a plain loopback request', async () => {
    const url = await start();
    const res = await qr(url);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<svg');
  });

  it.each(proxyHeaders)('is refused behind a proxy that sets %s', async (name) => {
    const url = await start();
    const res = await qr(url, { [name]: name === 'forwarded' ? 'for=203.0.113.9' : name === 'via' ? '1.1 proxy' : '203.0.113.9' });
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('<svg');
  });

  it('is refused with a foreign Host (DNS rebinding), even from loopback', async () => {
    const url = await start();
    expect((await qr(url, { Host: 'rebind.example' })).status).toBe(403);
    expect((await qr(url, { Origin: 'http://rebind.example' })).status).toBe(403);
  });

  it('with WHATSAPP_QR_PASSWORD: served behind a proxy to whoever knows it, with a lockout', async () => {
    let now = Date.UTC(2027, 0, 4);
    const url = await start({ password: PASSWORD, clock: { now: () => new Date(now) } });
    const proxied = { 'x-real-ip': '203.0.113.9' };
    expect((await qr(url, proxied)).status).toBe(401);
    const ok = await qr(url, { ...proxied, ...basic(PASSWORD) });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<svg');
    for (let i = 0; i < 5; i++) expect((await qr(url, { ...proxied, ...basic('guess') })).status).toBe(401);
    // Locked: the right password is not even looked at.
    expect((await qr(url, { ...proxied, ...basic(PASSWORD) })).status).toBe(429);
    now += 1_000;
    expect((await qr(url, { ...proxied, ...basic(PASSWORD) })).status).toBe(200);
    // Straight from this machine it needs no password.
    expect((await qr(url)).status).toBe(200);
  });
});
