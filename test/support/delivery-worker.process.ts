/**
 * A delivery worker in its own process, for the crash test (test/jobs/delivery-faults.test.ts):
 * the real `createDeliveryWorker` on the real database file and Redis, with a channel adapter
 * that POSTs every message to a loopback "sink" the test runs, so the test can SIGKILL this
 * process mid-batch and count what really went out.
 *
 * Run it as ONE process: `node --import tsx test/support/delivery-worker.process.ts`. Under
 * `npx tsx …` the worker runs in a grandchild (npm exec → tsx cli → node), and a SIGKILL to the
 * pid the test holds would leave the worker running.
 *
 * Environment:
 *   DB_PATH      SQLite file (already migrated and filled by the test)
 *   REDIS_URL    Redis the test uses
 *   PREFIX       BullMQ prefix of the test
 *   SINK_PORT    loopback port of the sink: POST / with {"chatId","text"} answers 200
 *   NOW          the test's fake "now" (ISO), so send times and quiet hours agree with the test
 *   RATE         messages per second (default 100)
 *   STALL_MS     optional: shortens BullMQ's lock (4×) and stalled-check interval (1×) to this,
 *                so jobs a killed process held are released in seconds instead of 30–60 s
 *
 * Prints "ready" on stdout once the worker runs. Exits on SIGTERM (closing the worker), when
 * stdin closes (the test process went away) or after 2 minutes at the latest.
 */
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import type { SendOutcome } from '../../src/core/errors.js';
import type { ChannelAdapter, Logger } from '../../src/core/ports.js';
import { openDatabase } from '../../src/db/client.js';
import { identities } from '../../src/db/schema.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { createDeliveryWorker } from '../../src/jobs/deliver.worker.js';
import { loadReminderRules } from '../../src/jobs/nurture.config.js';
import { createRedis } from '../../src/jobs/redis.js';
import { fixedClock } from './clock.js';
import { eq } from 'drizzle-orm';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`delivery-worker.process: ${name} is not set`);
  return value;
}

const logger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error: (obj, msg) => process.stderr.write(`${msg ?? ''} ${JSON.stringify(obj)}\n`),
};

const db = openDatabase(env('DB_PATH'));
const clock = fixedClock(env('NOW'));
const sink = `http://127.0.0.1:${env('SINK_PORT')}/`;

const adapter: ChannelAdapter = {
  name: 'local',
  async send(chatId, message): Promise<SendOutcome> {
    try {
      const res = await fetch(sink, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId, text: message.text }) });
      await res.arrayBuffer();
      return res.ok ? { status: 'sent' } : { status: 'retry', reason: `sink ${res.status}` };
    } catch (err) {
      return { status: 'retry', reason: `sink unreachable: ${err instanceof Error ? err.message : String(err)}` };
    }
  },
};

const connection = createRedis(env('REDIS_URL'), { role: 'worker', logger, name: 'test-delivery-worker' });
const worker = createDeliveryWorker({
  db,
  rules: loadReminderRules(),
  clock,
  logger,
  policy: DEFAULT_POLICY,
  defaultTimeZone: 'Europe/Amsterdam',
  horizonMs: 24 * 3600_000,
  connection,
  prefix: env('PREFIX'),
  channel: 'local',
  adapter,
  i18n: createI18n(loadLocales(DEFAULT_LOCALES_DIR)),
  ratePerSecond: Number(process.env.RATE ?? 100),
  onUnreachable: (_personId, chatId) => db.update(identities).set({ unreachableAt: clock.now() }).where(eq(identities.chatId, chatId)).run(),
});

const stallMs = Number(process.env.STALL_MS ?? 0);
if (stallMs > 0) {
  // BullMQ reads these from worker.opts on every moveToActive and stalled check; the lock
  // manager copies them when it is made, so it is made again. Test-only: it stands in for the
  // 30–60 s a restarted bot waits before BullMQ hands a dead process's jobs to a new worker.
  const w = worker as unknown as { opts: { lockDuration: number; lockRenewTime: number; stalledInterval: number }; createLockManager(): void };
  w.opts.lockDuration = 4 * stallMs;
  w.opts.lockRenewTime = stallMs;
  w.opts.stalledInterval = stallMs;
  w.createLockManager();
}

let closing = false;
async function shutdown(code: number): Promise<never> {
  if (!closing) {
    closing = true;
    await Promise.race([worker.close(), new Promise((r) => setTimeout(r, 3_000))]);
    connection.disconnect();
    db.$client.close();
  }
  process.exit(code);
}

process.once('SIGTERM', () => void shutdown(0));
process.stdin.on('end', () => void shutdown(0));
process.stdin.resume();
setTimeout(() => void shutdown(2), 120_000).unref();

worker.run().catch((err: unknown) => {
  logger.error({ err: err instanceof Error ? err.message : String(err) }, 'worker stopped');
  void shutdown(1);
});
process.stdout.write('ready\n');
