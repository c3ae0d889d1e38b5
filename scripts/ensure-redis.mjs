// Runs before `npm start`: reminders and broadcasts need Redis. When REDIS_URL is unset and
// nothing answers on 127.0.0.1:6379, it starts the system redis-server in the background with
// its data (AOF, fsync every second) in ./data/redis. Without redis-server it prints how to
// install it and lets the bot start anyway: the web chat works without Redis, reminders wait.
// Plain Node, no dependencies: a raw "PING" over TCP is enough to see whether Redis is there.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { delimiter, join, resolve } from 'node:path';

const HOST = '127.0.0.1';
const PORT = 6379;
const HINT =
  `Redis is not reachable at redis://${HOST}:${PORT}. Install it (Debian/Ubuntu: sudo apt install redis-server; ` +
  'macOS: brew install redis), start it with `redis-server`, or set REDIS_URL. ' +
  'The bot starts anyway: the web chat works, reminders wait until Redis is there.';

/** Resolves with Redis's first reply line ("+PONG", "-NOAUTH …"), or null when nothing answers. */
function ping(timeoutMs = 500) {
  return new Promise((done) => {
    const socket = connect({ host: HOST, port: PORT });
    let reply = '';
    const finish = (value) => {
      socket.destroy();
      done(value);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.once('error', () => finish(null));
    socket.once('close', () => finish(reply.split('\r\n')[0] || null));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.split('\r\n')[0]);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return null;
}

async function waitForPong(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await ping()) === '+PONG') return true;
    await sleep(100);
  }
  return false;
}

async function main() {
  if (process.env.REDIS_URL) return;
  const reply = await ping();
  if (reply === '+PONG') return;
  if (reply !== null) {
    process.stderr.write(`Something on ${HOST}:${PORT} answered "${reply}" instead of PONG; set REDIS_URL (with its password) to use it.\n`);
    return;
  }
  const binary = findOnPath('redis-server');
  if (!binary) {
    process.stderr.write(`${HINT}\n`);
    return;
  }
  const dir = resolve('data', 'redis');
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(PORT), '--bind', HOST, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'), '--logfile', join(dir, 'redis.log')];
  const started = spawnSync(binary, args, { stdio: 'inherit' });
  if (started.status === 0 && (await waitForPong(5000))) {
    process.stderr.write(`Started redis-server on ${HOST}:${PORT} (data in ${dir}; stop it with: redis-cli shutdown).\n`);
    return;
  }
  process.stderr.write(`redis-server did not start; see ${join(dir, 'redis.log')}. ${HINT}\n`);
}

await main();
