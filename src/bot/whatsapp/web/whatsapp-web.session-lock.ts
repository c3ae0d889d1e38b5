/**
 * One whatsapp-web.js session is one browser on one profile folder, in one process. A second
 * process on the same folder (`npm start` twice, two bot roles, a bot role beside `npm start`)
 * would start a second browser on the same login and the two would fight over it. The process that
 * starts the session first writes its name (`host:pid:random`) into a lock file in the session
 * folder; any other process is refused at start, with what to do instead. A lock whose process is
 * gone (killed, crashed) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newProcessOwner, ownerMayBeAlive } from '../../../db/process-owner.js';

export const SESSION_LOCK_FILE = 'ouderbrug-session.lock';

export class SessionInUseError extends Error {
  constructor(dir: string, holder: string) {
    const [host, pid] = holder.split(':');
    super(
      `whatsapp-web.js: the session in ${dir} is already used by process ${pid ?? '?'} on ${host ?? '?'}. One WhatsApp Web session is one browser in one ` +
        'process: set WHATSAPP_WEB_ENABLED=true only for the one process that runs the bot role (`npm start -- --role bot`, or `npm start` without a role); ' +
        `worker and planner roles never start it. If that process is gone (it ran on another machine or in another container), delete ${join(dir, SESSION_LOCK_FILE)}.`,
    );
    this.name = 'SessionInUseError';
  }
}

export interface SessionLock {
  /** Takes the session for this process, or throws SessionInUseError. */
  acquire(): void;
  /** Gives it back (only when this process holds it). */
  release(): void;
}

export function createSessionLock(dir: string, self: string = newProcessOwner()): SessionLock {
  const path = join(dir, SESSION_LOCK_FILE);
  const holder = (): string => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    acquire() {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          writeFileSync(path, self, { flag: 'wx', mode: 0o600 });
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const other = holder();
        if (other === self) return;
        if (other && ownerMayBeAlive(other, self)) throw new SessionInUseError(dir, other);
        // Left by a process that is gone (or half written): take it over. Of two processes doing this at once, one wins the next `wx`.
        rmSync(path, { force: true });
      }
      throw new SessionInUseError(dir, holder());
    },
    release() {
      if (holder() === self) rmSync(path, { force: true });
    },
  };
}
