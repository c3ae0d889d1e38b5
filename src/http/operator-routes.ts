/**
 * Routes for operators (not parents, not messengers): the queue dashboard when
 * DASHBOARD_PASSWORD is set. Private: never to be exposed through a reverse proxy.
 */
import type { Config } from '../config.js';
import type { Logger } from '../core/ports.js';
import type { Nurture } from '../jobs/nurture.service.js';
import { createQueueDashboard, QUEUE_DASHBOARD_PATH } from './queue-dashboard.js';
import type { HttpRoute } from './server.js';

export function operatorRoutes({ config, logger, nurture }: { config: Config; logger: Logger; nurture?: Nurture }): HttpRoute[] {
  const password = config.nurture.dashboardPassword;
  if (!nurture || !password) return [];
  // The queues exist only after start(); the dashboard is built on the first request.
  let dashboard: ReturnType<typeof createQueueDashboard> | undefined;
  return [
    {
      method: 'ANY',
      prefix: QUEUE_DASHBOARD_PATH,
      access: 'private',
      handler: (req, res) => {
        dashboard ??= nurture.bullQueues().length ? createQueueDashboard({ queues: nurture.bullQueues(), password, logger }) : undefined;
        if (dashboard) return dashboard.handler(req, res);
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('queues are not running (is Redis reachable?)\n');
      },
    },
  ];
}
