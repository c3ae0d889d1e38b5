/**
 * The whole bot in its own process, as `npm start` runs it (createApp + start), for the crash
 * test (test/e2e/telegram-crash.test.ts): the test SIGKILLs it mid-onboarding and starts it again.
 * Configuration comes from the environment exactly as in production (src/config.ts).
 *
 * Run it as ONE process: `node --import tsx test/support/bot.process.ts` (under `npx tsx` the bot
 * would run in a grandchild that a SIGKILL to our pid does not reach).
 * Prints "ready" on stdout once started. Exits when stdin closes or after 3 minutes at the latest.
 */
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const app = createApp({ config: loadConfig(), logger: createLogger('warn', process.stderr) });
await app.start();
process.stdout.write('ready\n');
const bye = () => void app.stop().finally(() => process.exit(0));
process.stdin.on('end', bye);
process.stdin.resume();
setTimeout(bye, 180_000).unref();
