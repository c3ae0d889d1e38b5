/**
 * Rows left in `sending` (ADR 0004; issue 13: several worker processes): only a claim whose process
 * is gone is queued again, with a BullMQ job of its own; a live worker's claim is never touched, so
 * the planner may look at any time while other workers send. Real Redis, SQLite on disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { claimDelivery, DELIVERY_CLAIMER, FOREIGN_CLAIM_STALE_MS, insertDeliveries, markQueued } from '../../src/db/deliveries.repo.js';
import { createDeliveryQueues } from '../../src/jobs/delivery.queue.js';
import { sweepStaleSending } from '../../src/jobs/stale-sending.js';
import { seedInitiative, seedParents } from '../support/broadcast-seed.js';
import { silentLogger } from '../support/engine-harness.js';
import { testRedisUrl } from '../support/redis-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The pid of a process that has ended (so it is certainly not alive). */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(run.stdout.toString());
}

function rowsIn(db: Db, count: number): number[] {
  const now = new Date();
  const initiative = seedInitiative(db, 'stale');
  const [personId] = seedParents(db, initiative, [{ language: 'nl', channel: 'local', chatId: 'stale-chat' }], now);
  const ids = insertDeliveries(
    db,
    Array.from({ length: count }, (_, i) => ({
      key: `stale|p${personId}|c-|${i}`,
      personId: personId!,
      childId: null,
      ruleId: 'test-notice',
      channel: 'local' as const,
      kind: 'notice' as const,
      priority: 9,
      dueAt: now,
      sendAt: now,
      expiresAt: null,
      urgentFrom: null,
      payload: { key: 'nurture:lookAtSchools', params: {}, buttons: null },
    })),
    now,
  );
  markQueued(db, ids);
  return ids;
}

it('queues again only the rows whose claiming process is gone, each with a job of its own, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-stale-'));
  const db = openDatabase(join(dir, 'bot.db'));
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const prefix = `stale${Math.random().toString(36).slice(2, 10)}`;
  const queues = createDeliveryQueues(redis, prefix, ['local']);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => db.$client.close(), () => redis.disconnect(), () => queues.close());

  const [mine, deadHere, foreignFresh, foreignOld, unknown, untouched] = rowsIn(db, 6);
  for (const id of [mine, deadHere, foreignFresh, foreignOld, unknown]) expect(claimDelivery(db, id!)).toBe(true);
  const claim = db.$client.prepare('update deliveries set claimed_by = ?, claimed_at = ? where id = ?');
  const now = Date.now();
  claim.run(`${hostname()}:${deadPid()}:0badc0de`, now, deadHere); // a worker on this machine that was killed
  claim.run('other-host:4242:cafe0001', now - 60_000, foreignFresh); // another machine or container, a minute ago: trusted
  claim.run('other-host:4242:cafe0002', now - FOREIGN_CLAIM_STALE_MS - 1000, foreignOld); // … and long ago: taken for dead
  claim.run(null, null, unknown); // claimed before the claimer was recorded
  // `mine` keeps this process's claim: a live worker.
  expect(db.$client.prepare('select claimed_by from deliveries where id = ?').pluck().get(mine)).toBe(DELIVERY_CLAIMER);

  const requeued = await sweepStaleSending({ db, queues, logger: silentLogger }, new Date());
  expect(requeued.sort((a, b) => a - b)).toEqual([deadHere!, foreignOld!, unknown!].sort((a, b) => a - b));
  const status = (id: number) => db.$client.prepare('select status, last_error as lastError from deliveries where id = ?').get(id) as { status: string; lastError: string | null };
  for (const id of requeued) expect(status(id)).toEqual({ status: 'queued', lastError: 'uncertain: process stopped while sending' });
  expect(status(mine!).status).toBe('sending');
  expect(status(foreignFresh!).status).toBe('sending');
  expect(status(untouched!).status).toBe('queued');
  // A job of its own per uncertain row (the old `d<id>` may still be held by the dead worker's lock).
  const jobs = (await queues.queue('local').getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.id).sort();
  expect(jobs).toEqual(requeued.map((id) => `d${id}-u1`).sort());

  // A second look finds nothing: the rows are queued now, the live claims are still live.
  expect(await sweepStaleSending({ db, queues, logger: silentLogger }, new Date())).toEqual([]);
  // The next claim of an uncertain row is this process's, counted as a second attempt.
  expect(claimDelivery(db, deadHere!)).toBe(true);
  expect(db.$client.prepare('select attempts, claimed_by from deliveries where id = ?').get(deadHere)).toEqual({ attempts: 2, claimed_by: DELIVERY_CLAIMER });
});
