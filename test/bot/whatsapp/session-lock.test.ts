/**
 * One whatsapp-web.js session per process (issue 13): the lock in the session folder refuses a
 * second live process with what to do, and takes over the lock of a process that is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createSessionLock, SESSION_LOCK_FILE, SessionInUseError } from '../../../src/bot/whatsapp/web/whatsapp-web.session-lock.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const sessionDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wweb-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'session');
};
function liveProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

it('is taken by the first process and refused to a second one that is alive, with what to do', () => {
  const dir = sessionDir();
  const other = liveProcess();
  const theirs = createSessionLock(dir, `${hostname()}:${other.pid}:00000001`);
  theirs.acquire();
  const ours = createSessionLock(dir);
  let refused: unknown;
  try {
    ours.acquire();
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(SessionInUseError);
  const message = (refused as Error).message;
  expect(message).toContain(`process ${other.pid} on ${hostname()}`);
  expect(message).toContain('WHATSAPP_WEB_ENABLED=true only for the one process that runs the bot role');
  // Released by its holder, it is free again.
  theirs.release();
  ours.acquire();
  ours.acquire(); // taking it again in the same process is fine
  expect(readFileSync(join(dir, SESSION_LOCK_FILE), 'utf8')).not.toContain(String(other.pid));
  ours.release();
});

it('takes over the lock of a process that is gone, or of an earlier run with our pid', () => {
  const dir = sessionDir();
  const gone = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
  createSessionLock(dir, `${hostname()}:${gone}:00000002`).acquire();
  const ours = createSessionLock(dir, `${hostname()}:${process.pid}:aaaaaaaa`);
  ours.acquire();
  // A restart inside a container often gets the same pid: the random part tells the runs apart.
  createSessionLock(dir, `${hostname()}:${process.pid}:bbbbbbbb`).acquire();
  expect(readFileSync(join(dir, SESSION_LOCK_FILE), 'utf8')).toBe(`${hostname()}:${process.pid}:bbbbbbbb`);
  // A release by a process that no longer holds it changes nothing.
  ours.release();
  expect(readFileSync(join(dir, SESSION_LOCK_FILE), 'utf8')).toBe(`${hostname()}:${process.pid}:bbbbbbbb`);
});

it('refuses a holder on another machine or container (it cannot be checked) and names the file to delete', () => {
  const dir = sessionDir();
  createSessionLock(dir, 'elsewhere:123:cafe').acquire();
  expect(() => createSessionLock(dir).acquire()).toThrow(join(dir, SESSION_LOCK_FILE));
  writeFileSync(join(dir, SESSION_LOCK_FILE), '');
  // An empty (half-written) lock is no holder.
  createSessionLock(dir).acquire();
});
