/**
 * The queue dashboard: bull-board over the delivery queues, for operators, behind HTTP Basic
 * auth (any user name; the password is DASHBOARD_PASSWORD). Mount `handler` on the HTTP
 * server as a prefix route: `{ method: 'ANY', prefix: basePath, handler }`. Jobs carry only
 * delivery ids (ARCHITECTURE.md), so the dashboard shows no personal data.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const REALM = 'Basic realm="Ouderbrug queues"';

/** The UI loads its own scripts and styles (inline style attributes too); nothing from elsewhere. */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface QueueDashboardOptions {
  queues: readonly Queue[];
  /** Required: the dashboard can retry, promote and remove jobs. */
  password: string;
}

export interface QueueDashboard {
  basePath: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createQueueDashboard(options: QueueDashboardOptions): QueueDashboard {
  if (options.password === '') throw new Error('the queue dashboard needs a password (DASHBOARD_PASSWORD)');
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Ouderbrug queues' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(QUEUE_DASHBOARD_PATH, serverAdapter.getRouter() as express.Router);
  const allowed = passwordCheck(options.password);

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Cache-Control', 'no-store');
    if (!allowed(req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': REALM, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Authentication required.\n');
      return;
    }
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    app(req, res);
  };
  return { basePath: QUEUE_DASHBOARD_PATH, handler };
}

/** Compares SHA-256 digests (always 32 bytes) in constant time, so neither length nor content leaks. */
function passwordCheck(password: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(password, 'utf8').digest();
  return (header) => {
    const given = basicPassword(header);
    if (given === null) return false;
    return timingSafeEqual(createHash('sha256').update(given, 'utf8').digest(), expected);
  };
}

/** The password of an `Authorization: Basic base64(user:password)` header; the user name is ignored. */
function basicPassword(header: string | undefined): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}
