/**
 * The queue dashboard: bull-board over the delivery queues, for operators, behind HTTP Basic
 * auth (any user name; the password is DASHBOARD_PASSWORD) with a login lockout (429 with
 * Retry-After after repeated wrong passwords; login-lockout.ts). Mount `handler` on the HTTP
 * server as a private prefix route: `{ method: 'ANY', prefix: basePath, access: 'private', handler }`.
 * Jobs carry only delivery ids (ARCHITECTURE.md), so the dashboard shows no personal data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/ports.js';
import { createBasicAuth } from './basic-auth.js';
import { createLoginLockout, type LoginLockout } from './login-lockout.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

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
  /** Default: a lockout of its own on the system clock. */
  lockout?: LoginLockout;
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
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
  const lockout = options.lockout ?? createLoginLockout({ clock: options.clock ?? systemClock, endpoint: 'queue dashboard', logger: options.logger });
  const allowed = createBasicAuth({ realm: 'Ouderbrug queues', password: options.password, lockout });

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Cache-Control', 'no-store');
    if (!allowed(req, res)) return;
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    app(req, res);
  };
  return { basePath: QUEUE_DASHBOARD_PATH, handler };
}
