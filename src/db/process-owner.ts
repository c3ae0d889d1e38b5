/**
 * Which process holds a row: `host:pid:random`. The outbox (a reply being sent) and the delivery
 * claim (a reminder being sent) name their process this way, so another process on the same machine
 * can tell a holder that is gone (its pid no longer exists, or it is our own pid from an earlier run)
 * from one that is alive, without a lease or a heartbeat.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const newProcessOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/**
 * Whether the named process may still be running. Another machine (or another container, which
 * has its own hostname) cannot be checked: its holder counts as alive, and the caller decides how
 * long to trust it.
 */
export function ownerMayBeAlive(other: string, self: string): boolean {
  const [host, pid] = other.split(':');
  if (host !== hostname() || !pid) return true;
  if (Number(pid) === process.pid) return other === self;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the owner names this machine (its pid can be checked). */
export const ownerIsLocal = (other: string): boolean => other.split(':')[0] === hostname();
