/**
 * Lockout after failed logins on an operator endpoint (queue dashboard, WhatsApp QR code,
 * the password of the local web chat), so a password cannot be guessed at network speed.
 *
 * - Per client address: the first PER_ADDRESS_FREE failures cost nothing; after that each
 *   failure locks the address for 1 s, 2 s, 4 s … up to 15 min. A successful login resets it.
 * - Overall: once OVERALL_FREE failures (from any address) fall within OVERALL_WINDOW_MS, every
 *   further failure locks the endpoint for everyone with the same backoff. This covers an
 *   attacker with many addresses (IPv6, a botnet); the cost is that the operator waits too.
 *
 * While locked, the caller answers 429 with Retry-After and does not look at the password at
 * all, so a lockout cannot be used to learn anything. Memory is bounded (MAX_ADDRESSES, least
 * recently failed forgotten first). Client addresses are never logged: a salted hash instead.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/ports.js';

export const PER_ADDRESS_FREE = 5;
export const OVERALL_FREE = 50;
export const OVERALL_WINDOW_MS = 10 * 60_000;
export const BASE_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 15 * 60_000;
const MAX_ADDRESSES = 10_000;
/** An address with no failure for this long starts again from zero. */
const FORGET_AFTER_MS = 24 * 60 * 60_000;

export type LockoutCheck = { locked: false } | { locked: true; retryAfterSeconds: number; scope: 'address' | 'overall' };

export interface LoginLockout {
  /** Whether `address` may try a password now. Call before checking the password. */
  check(address: string): LockoutCheck;
  /** A wrong password from `address`. */
  fail(address: string): void;
  /** A right password from `address`: its failures are forgotten (the overall count is not). */
  succeed(address: string): void;
}

export interface LoginLockoutOptions {
  clock: Pick<Clock, 'now'>;
  /** Names the endpoint in the log ("queue dashboard"). */
  endpoint: string;
  logger?: Logger;
}

interface AddressState {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

/** 1 s for the first failure over the free ones, doubling, at most 15 min. */
export const backoffMs = (over: number): number => Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(30, Math.max(0, over - 1)));

export function createLoginLockout(options: LoginLockoutOptions): LoginLockout {
  const { clock, endpoint, logger } = options;
  const now = (): number => clock.now().getTime();
  const addresses = new Map<string, AddressState>();
  let overallFailures: number[] = [];
  let overallLockedUntil = 0;
  // A salt per process: the hash names one client in the log without being reversible by
  // hashing all IPv4 addresses.
  const salt = randomBytes(16);
  const nameOf = (address: string): string => createHash('sha256').update(salt).update(address).digest('hex').slice(0, 12);

  function stateOf(address: string, at: number): AddressState | undefined {
    const state = addresses.get(address);
    if (state && at - state.lastFailure > FORGET_AFTER_MS) {
      addresses.delete(address);
      return undefined;
    }
    return state;
  }

  function check(address: string): LockoutCheck {
    const at = now();
    const waitFor = (until: number): number => Math.max(1, Math.ceil((until - at) / 1000));
    if (overallLockedUntil > at) return { locked: true, retryAfterSeconds: waitFor(overallLockedUntil), scope: 'overall' };
    const state = stateOf(address, at);
    if (state && state.lockedUntil > at) return { locked: true, retryAfterSeconds: waitFor(state.lockedUntil), scope: 'address' };
    return { locked: false };
  }

  function fail(address: string): void {
    const at = now();
    const state = stateOf(address, at) ?? { failures: 0, lastFailure: at, lockedUntil: 0 };
    state.failures += 1;
    state.lastFailure = at;
    // Re-inserted so that the first key is always the least recently failed.
    addresses.delete(address);
    addresses.set(address, state);
    if (addresses.size > MAX_ADDRESSES) addresses.delete(addresses.keys().next().value ?? '');
    if (state.failures >= PER_ADDRESS_FREE) {
      state.lockedUntil = at + backoffMs(state.failures - PER_ADDRESS_FREE + 1);
      logger?.warn({ endpoint, client: nameOf(address), failures: state.failures, retryAfterSeconds: Math.ceil((state.lockedUntil - at) / 1000) }, 'login locked out for this client');
    }

    overallFailures = overallFailures.filter((t) => at - t < OVERALL_WINDOW_MS);
    overallFailures.push(at);
    // The window never needs more entries than the threshold plus what backoff counts.
    if (overallFailures.length > OVERALL_FREE + 64) overallFailures.splice(0, overallFailures.length - OVERALL_FREE - 64);
    if (overallFailures.length >= OVERALL_FREE) {
      overallLockedUntil = at + backoffMs(overallFailures.length - OVERALL_FREE + 1);
      logger?.warn({ endpoint, failures: overallFailures.length, retryAfterSeconds: Math.ceil((overallLockedUntil - at) / 1000) }, 'login locked out for everyone');
    }
  }

  function succeed(address: string): void {
    addresses.delete(address);
  }

  return { check, fail, succeed };
}
