/**
 * The outbox on SQLite (OutboxPort): committed replies waiting for their channel's outbound
 * scheduler. Rows carry an owner and a lease, so only one process sends a row, and a process
 * that died leaves its rows to the next one: at once when its pid is gone from this host,
 * otherwise when the lease runs out.
 */
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { OutboundMessage } from '../core/messages.js';
import type { OutboxPort, PendingReply } from '../core/outbound/outbox-port.js';
import type { Db } from './client.js';
import { markUnreachable } from './identities.repo.js';
import { newProcessOwner, ownerMayBeAlive } from './process-owner.js';
import { outbox } from './schema.js';

/** Replies before consent older than this are deleted at start: nobody waits for them any more. */
const PRE_CONSENT_KEEP_MS = 60 * 60 * 1000;
const CLEAN_EVERY_MS = 60 * 60 * 1000;

export const newOutboxOwner = newProcessOwner;

export function createOutbox(db: Db, clock: Clock, owner: string): OutboxPort {
  const sqlite = db.$client;
  const owners = sqlite.prepare<[string], { owner: string | null }>(`SELECT DISTINCT owner FROM outbox WHERE status = 'pending' AND channel = ?`);
  const claim = sqlite.prepare<[string, number, string, string, number, string], PendingRow>(
    `UPDATE outbox SET owner = ?, lease_until = ?
     WHERE status = 'pending' AND channel = ? AND ((owner IS NOT ? AND (lease_until IS NULL OR lease_until < ?)) OR owner = ?)
     RETURNING id, channel, chat_id, message, created_at, attempts, parts_sent`,
  );
  let lastCleanMs = -Infinity;
  const clean = sqlite.prepare<[number]>(`DELETE FROM outbox WHERE person_id IS NULL AND created_at < ?`);
  // Redeliveries come within minutes; a week of update ids is plenty.
  const forgetUpdates = sqlite.prepare<[number]>(`DELETE FROM processed_updates WHERE at < ?`);

  // Another machine: trust its lease.
  const alive = (other: string): boolean => ownerMayBeAlive(other, owner);

  return {
    owner,
    claimOrphans(channel, nowMs, leaseMs) {
      // Housekeeping for every channel at once, so at most once an hour (not every 10 s per channel).
      if (nowMs - lastCleanMs >= CLEAN_EVERY_MS) {
        lastCleanMs = nowMs;
        clean.run(nowMs - PRE_CONSENT_KEEP_MS);
        forgetUpdates.run(nowMs - 7 * 24 * 3600 * 1000);
      }
      const dead = owners
        .all(channel)
        .map((r) => r.owner)
        .filter((o): o is string => o !== null && o !== owner && !alive(o));
      const taken: PendingRow[] = [];
      const tx = sqlite.transaction(() => {
        // Rows whose lease ran out (never our own: those are in memory), then rows of dead owners.
        taken.push(...claim.all(owner, nowMs + leaseMs, channel, owner, nowMs, '\u0000'));
        for (const d of dead) taken.push(...claim.all(owner, nowMs + leaseMs, channel, owner, 0, d));
      });
      tx.immediate();
      const t = clock.now().getTime();
      return taken.sort((a, b) => a.id - b.id).map((r) => toPending(r, t));
    },
    renew(ids, untilMs) {
      for (let i = 0; i < ids.length; i += 500) db.update(outbox).set({ leaseUntil: new Date(untilMs), owner }).where(inArray(outbox.id, ids.slice(i, i + 500))).run();
    },
    release(ids) {
      for (let i = 0; i < ids.length; i += 500)
        db.update(outbox)
          .set({ leaseUntil: null, owner: null })
          .where(and(inArray(outbox.id, ids.slice(i, i + 500)), eq(outbox.owner, owner)))
          .run();
    },
    noteAttempt(id, attempts, partsSent, error) {
      db.update(outbox).set({ attempts, partsSent, lastError: error.slice(0, 200) }).where(eq(outbox.id, id)).run();
    },
    finish(id, end, atMs, error) {
      // Before consent nothing is kept: the row existed only to survive a crash. Nor is a message
      // holding a one-time secret (an invite token): only the token's hash is stored.
      const gone = db
        .delete(outbox)
        .where(and(eq(outbox.id, id), or(isNull(outbox.personId), sql`json_extract(${outbox.message}, '$.secret') = 1`)))
        .run().changes;
      if (gone) return;
      db.update(outbox)
        .set({ status: end, sentAt: end === 'sent' ? new Date(atMs) : null, lastError: error ? error.slice(0, 200) : end === 'expired' ? 'expired' : null, owner: null, leaseUntil: null })
        .where(eq(outbox.id, id))
        .run();
    },
    markUnreachable(address) {
      markUnreachable(db, address, clock.now());
    },
  };
}

interface PendingRow {
  id: number;
  channel: string;
  chat_id: string;
  message: string;
  created_at: number;
  attempts: number;
  parts_sent: number;
}

function toPending(r: PendingRow, nowMs: number): PendingReply {
  return {
    id: r.id,
    address: { channel: r.channel as PendingReply['address']['channel'], chatId: r.chat_id },
    message: JSON.parse(r.message) as OutboundMessage,
    ageMs: Math.max(0, nowMs - r.created_at),
    attempts: r.attempts,
    partsSent: r.parts_sent,
  };
}
