/**
 * One role of the bot in its own process, as `npm start -- --role <roles>` builds it
 * (createRoleApp), for the roles test (test/e2e/roles.test.ts), which starts several of these
 * against one database and one Redis and SIGKILLs one of them.
 *
 * Run it as ONE process: `node --import tsx test/support/role.process.ts <roles>` (under `npx tsx`
 * the app would run in a grandchild that a SIGKILL to our pid does not reach). Configuration comes
 * from the environment exactly as in production (src/config.ts), and one more pair for tests:
 *   CLOCK_AT, CLOCK_FROM  the domain clock reads CLOCK_AT (ISO) at the real moment CLOCK_FROM (ms)
 *                         and runs on from there, the same in every process of the test
 *   STALL_MS              BullMQ's recovery of a dead worker's jobs in seconds instead of 30–60 s
 *                         (test/support/bullmq-stall.ts)
 * Prints "ready <pid>" on stdout once started. Stops on SIGTERM, when stdin closes (the test went
 * away) or after 3 minutes at the latest.
 */
import type { Clock } from '../../src/core/clock.js';
import { systemClock } from '../../src/core/clock.js';
import { createRoleApp } from '../../src/app.roles.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { parseRoles } from '../../src/roles.js';
import { shortenStallRecovery } from './bullmq-stall.js';

const roles = parseRoles(process.argv[2]);
const at = process.env.CLOCK_AT;
const offset = at ? new Date(at).getTime() - Number(process.env.CLOCK_FROM ?? Date.now()) : 0;
const clock: Clock = { now: () => new Date(Date.now() + offset), sleep: systemClock.sleep };

// Logs (JSON lines, ids only) on stderr, so stdout carries only "ready".
const app = createRoleApp({ config: loadConfig(), logger: createLogger(process.env.LOG_LEVEL ?? 'info', process.stderr), roles, clock });
await app.start();
const stallMs = Number(process.env.STALL_MS ?? 0);
if (stallMs > 0) for (const worker of app.nurture?.bullWorkers() ?? []) shortenStallRecovery(worker, stallMs);
process.stdout.write(`ready ${process.pid}\n`);
let stopping = false;
const bye = () => {
  if (stopping) return;
  stopping = true;
  void app.stop().finally(() => process.exit(0));
};
process.once('SIGTERM', bye);
process.stdin.on('end', bye);
process.stdin.resume();
setTimeout(bye, 180_000).unref();
