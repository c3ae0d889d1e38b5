/**
 * The outbox as the outbound scheduler sees it: replies committed with their turn, waiting to
 * be delivered. The database is the queue; memory only holds what this process is sending.
 */
import type { Address, OutboundMessage } from '../messages.js';

export interface PendingReply {
  id: number;
  address: Address;
  message: OutboundMessage;
  /** How long ago it was committed, by the clock that committed it. */
  ageMs: number;
  attempts: number;
  partsSent: number;
}

export type ReplyEnd = 'sent' | 'failed' | 'expired' | 'unreachable';

export interface OutboxPort {
  /** This process's name on the rows it holds (host, pid and a random part). */
  readonly owner: string;
  /**
   * Takes over pending replies of this channel whose owner is gone (its lease ran out, or its
   * process is not running on this host), oldest first.
   */
  claimOrphans(channel: Address['channel'], nowMs: number, leaseMs: number): PendingReply[];
  /** Extends the lease on rows this process still holds. */
  renew(ids: number[], untilMs: number): void;
  /** Gives the rows back (a graceful stop): the next process takes them at once. */
  release(ids: number[]): void;
  /** Records a failed attempt that will be tried again. */
  noteAttempt(id: number, attempts: number, partsSent: number, error: string): void;
  /** The reply's end. A reply from before consent is deleted instead: no trace is kept. */
  finish(id: number, end: ReplyEnd, atMs: number, error?: string): void;
  markUnreachable(address: Address): void;
}

export const OUTBOX_LEASE_MS = 30_000;
