/**
 * One BullMQ queue per channel ("deliver-telegram", …), because BullMQ's rate limiter is per
 * queue and each messenger has its own limits. A job carries only the delivery id; its job
 * id is `d<id>`, so adding the same delivery twice while it waits is a no-op.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChannelName } from '../core/messages.js';
import type { QueueItem } from '../db/deliveries.repo.js';

export interface DeliveryJobData {
  deliveryId: number;
}

export const queueName = (channel: ChannelName): string => `deliver-${channel}`;
export const jobIdOf = (deliveryId: number): string => `d${deliveryId}`;

/** Jobs per addBulk call, and how many such calls are in flight at once (a broadcast adds 100,000 in one go). */
const ADD_CHUNK = 1000;
const ADD_LANES = 2;

/** Retries for network trouble and 5xx; 429 waits do not count as attempts. */
export const JOB_ATTEMPTS = 5;

export interface DeliveryQueues {
  queue(channel: ChannelName): Queue<DeliveryJobData>;
  /**
   * Adds jobs (delayed until each send time); existing job ids are ignored by BullMQ. `jobId`
   * names them otherwise (default `d<id>`): a row queued again while BullMQ still holds its old job
   * (active under a dead worker's lock) gets a job of its own; the claim keeps it to one send.
   */
  add(items: QueueItem[], now: Date, jobId?: (item: QueueItem) => string): Promise<void>;
  /** Jobs BullMQ still holds for a channel (waiting, delayed, active, prioritized). */
  pending(channel: ChannelName): Promise<number>;
  remove(channel: ChannelName, deliveryIds: number[]): Promise<void>;
  /**
   * Makes sure each item has a live job: adds missing ones and replaces jobs that BullMQ has
   * finished with (failed after stalls, completed) while the row still says "queued", because
   * BullMQ silently ignores an add whose id it still holds. Returns how many were (re)added.
   */
  ensure(items: QueueItem[], now: Date): Promise<number>;
  close(): Promise<void>;
}

export function createDeliveryQueues(connection: Redis, prefix: string, channels: readonly ChannelName[]): DeliveryQueues {
  const queues = new Map<ChannelName, Queue<DeliveryJobData>>();
  for (const c of channels) {
    const q = new Queue<DeliveryJobData>(queueName(c), { connection, prefix });
    // Errors (Redis gone) surface on the calls; the event is only to keep the process alive.
    q.on('error', () => undefined);
    queues.set(c, q);
  }
  const queue = (c: ChannelName) => {
    const q = queues.get(c);
    if (!q) throw new Error(`no delivery queue for channel ${c}`);
    return q;
  };
  return {
    queue,
    async add(items, now, jobId = (it) => jobIdOf(it.id)) {
      const byChannel = new Map<ChannelName, QueueItem[]>();
      for (const it of items) {
        const list = byChannel.get(it.channel);
        if (list) list.push(it);
        else byChannel.set(it.channel, [it]);
      }
      // Chunks of 1,000 jobs, a few in flight at once (ioredis pipelines them on one connection).
      const chunks: { q: Queue<DeliveryJobData>; list: QueueItem[] }[] = [];
      for (const [channel, list] of byChannel) for (let i = 0; i < list.length; i += ADD_CHUNK) chunks.push({ q: queue(channel), list: list.slice(i, i + ADD_CHUNK) });
      let next = 0;
      const lane = async (): Promise<void> => {
        for (let c = chunks[next++]; c; c = chunks[next++]) {
          const { q, list: chunk } = c;
          await q.addBulk(
            chunk.map((it) => ({
              name: 'deliver',
              data: { deliveryId: it.id },
              opts: {
                jobId: jobId(it),
                delay: Math.max(0, it.sendAt.getTime() - now.getTime()),
                attempts: JOB_ATTEMPTS,
                backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
                removeOnComplete: true,
                removeOnFail: { count: 1000 },
              },
            })),
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(ADD_LANES, chunks.length) }, lane));
    },
    async pending(channel) {
      const counts = await queue(channel).getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async ensure(items, now) {
      const missing: QueueItem[] = [];
      for (const it of items) {
        const job = await queue(it.channel).getJob(jobIdOf(it.id));
        if (!job) {
          missing.push(it);
          continue;
        }
        const state = await job.getState();
        if (state === 'failed' || state === 'completed' || state === 'unknown') {
          await job.remove().catch(() => undefined);
          missing.push(it);
        }
      }
      await this.add(missing, now);
      return missing.length;
    },
    async remove(channel, ids) {
      const q = queue(channel);
      for (const id of ids) await q.remove(jobIdOf(id)).catch(() => 0);
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
