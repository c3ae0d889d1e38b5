/**
 * A private, throw-away `redis-server` for tests (ARCHITECTURE.md: real Redis, no mocks).
 * It runs from PATH on a free loopback port in a fresh temp dir with persistence off, so
 * `restart()` really loses every key: the "Redis lost everything" case the planner must survive.
 * `testRedisUrl()` is what ordinary tests use: REDIS_URL if set, else the run-wide server that
 * test/support/global-setup.ts starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run-wide private redis-server; absent when REDIS_URL was set or none could start. */
    redisUrl?: string;
  }
}

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (no save) and waits until the process has exited. */
  stop(): Promise<void>;
  /**
   * Stops (if running) and starts again on the same port with no data: simulates a crash without
   * persistence. Also brings back a server after `stop()`, to end a simulated outage.
   */
  restart(): Promise<void>;
  flushAll(): Promise<void>;
}

export const REDIS_INSTALL_HINT =
  'Tests need redis-server on PATH. Install it (Debian/Ubuntu: sudo apt install redis-server; macOS: brew install redis) or set REDIS_URL.';

/** REDIS_URL when set, else the run-wide private server's URL. */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL || inject('redisUrl');
  if (!url) throw new Error(`No Redis for this test run. ${REDIS_INSTALL_HINT}`);
  return url;
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await spawnRedis(port, dir);
    } catch (err) {
      // Another process may have taken the port between freePort() and the spawn.
      if (attempt >= 5 || isMissingBinary(err)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  let current: ChildProcess = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopProcess(current);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopProcess(current);
      mkdirSync(dir, { recursive: true });
      current = await spawnRedis(port, dir);
    },
    async flushAll() {
      const reply = await redisCommand(port, ['FLUSHALL']);
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
  };
}

export function isMissingBinary(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err) => fail(Object.assign(new Error(`${err.message}. ${REDIS_INSTALL_HINT}`), { code: (err as NodeJS.ErrnoException).code })));
    child.once('exit', (code) => fail(new Error(`redis-server on port ${port} exited (${code}) before answering:\n${output}`)));
    const deadline = Date.now() + 10_000;
    const poll = setInterval(() => {
      redisCommand(port, ['PING'], 200).then(
        (reply) => {
          if (reply !== '+PONG') return;
          clearInterval(poll);
          child.removeAllListeners('exit');
          child.removeAllListeners('error');
          resolve(child);
        },
        () => {
          if (Date.now() > deadline) fail(new Error(`redis-server on port ${port} did not answer PING:\n${output}`));
        },
      );
    }, 50);
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // With --save "" and --appendonly no, SIGTERM is SHUTDOWN NOSAVE: nothing is written.
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one command over a raw socket and resolves with the first reply line, e.g. "+PONG". */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let buffer = '';
    const done = (err: Error | undefined, line?: string) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error('redis command timed out')));
    socket.once('error', (err) => done(err));
    socket.once('close', () => done(new Error('connection closed without a reply')));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const end = buffer.indexOf('\r\n');
      if (end >= 0) done(undefined, buffer.slice(0, end));
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
