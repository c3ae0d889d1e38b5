/**
 * Test-only: BullMQ hands the jobs of a dead worker to another one when their lock runs out
 * (30 s) at the next stalled check (every 30 s). Tests that SIGKILL a worker shorten both, so the
 * same recovery takes seconds: the lock to 4 × `ms`, renewed and checked every `ms`.
 */
import type { Worker } from 'bullmq';

export function shortenStallRecovery(worker: Worker, ms: number): void {
  // BullMQ reads these from worker.opts on every moveToActive and stalled check; the lock
  // manager copies them when it is made, so it is made again.
  const w = worker as unknown as { opts: { lockDuration: number; lockRenewTime: number; stalledInterval: number }; createLockManager(): void };
  w.opts.lockDuration = 4 * ms;
  w.opts.lockRenewTime = ms;
  w.opts.stalledInterval = ms;
  w.createLockManager();
}
