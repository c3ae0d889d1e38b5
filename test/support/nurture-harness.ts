/**
 * The nurturing engine as the bot runs it (planner, a real BullMQ queue and worker on a real
 * Redis, SQLite on disk, the real engine for the parent's button presses), with a recording
 * channel and a hand-moved clock. `runUntil` moves time forward the way the bot lives it:
 * a planner tick at least every few hours and exactly at every planned send time.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SendOutcome } from '../../src/core/errors.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import type { ChannelAdapter, Logger } from '../../src/core/ports.js';
import { deliveries, children, identities, memberships, people } from '../../src/db/schema.js';
import { seedMunicipalities, DEFAULT_MUNICIPALITIES_PATH } from '../../src/db/municipalities.repo.js';
import { createDeliveryWorker } from '../../src/jobs/deliver.worker.js';
import { createDeliveryQueues, type DeliveryQueues } from '../../src/jobs/delivery.queue.js';
import { loadReminderRules } from '../../src/jobs/nurture.config.js';
import type { PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { createPlanner, type Planner } from '../../src/jobs/planner.js';
import { createRedis } from '../../src/jobs/redis.js';
import { DEFAULT_POLICY, type SendPolicy } from '../../src/domain/send-window.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { createHarness, silentLogger, type Harness } from './engine-harness.js';
import { testRedisUrl } from './redis-server.js';
import { and, eq, inArray } from 'drizzle-orm';

export interface Delivered {
  chatId: string;
  at: Date;
  message: OutboundMessage;
}

/** Records every send with the (fake) time it happened; outcomes can be forced per call. */
export class TimedChannel {
  readonly name = 'local' as const;
  readonly log: Delivered[] = [];
  outcomes: SendOutcome[] = [];
  constructor(private readonly now: () => Date) {}
  async send(chatId: string, message: OutboundMessage): Promise<SendOutcome> {
    const forced = this.outcomes.shift();
    if (forced && forced.status !== 'sent') return forced;
    this.log.push({ chatId, at: this.now(), message });
    return { status: 'sent' };
  }
}

export interface ParentInput {
  chatId: string;
  language?: string;
  initiativeId?: number | null;
  children?: { year: number; month: number; expected?: boolean }[];
  newsletter?: boolean;
  joinedAt?: Date;
}

export interface NurtureHarness {
  h: Harness;
  channel: TimedChannel;
  planDeps: PlanPassDeps;
  planner: Planner;
  queues: DeliveryQueues;
  worker: Worker;
  /** The planner's Redis connection (tests wait on its status instead of sleeping). */
  producer: Redis;
  prefix: string;
  parent(input: ParentInput): { personId: number; childIds: number[] };
  /** One planner tick, then wait until the worker has finished everything it was given. */
  tick(): Promise<void>;
  runUntil(iso: string, stepMs?: number): Promise<void>;
  settle(timeoutMs?: number): Promise<void>;
  rows(personId?: number): (typeof deliveries.$inferSelect)[];
  close(): Promise<void>;
}

export const localTime = (d: Date, zone = 'Europe/Amsterdam'): string => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-LL-dd HH:mm');

export interface NurtureHarnessOptions {
  now: string;
  policy?: SendPolicy;
  logger?: Logger;
  rate?: number;
  /** Redis to use, e.g. a private server from startRedisServer(); default testRedisUrl(). */
  redisUrl?: string;
  /** The adapter the worker sends through, given the recording channel to wrap or ignore; default the recording channel. */
  adapter?: (recording: TimedChannel) => ChannelAdapter;
  /** Worker concurrency; default the worker's own (4). */
  concurrency?: number;
  /** false: the worker is built but not started (start it with `void n.worker.run()`). Default true. */
  runWorker?: boolean;
  /** The planner's enqueue window; default 0 (only what is due now). */
  enqueueAheadMs?: number;
  /**
   * Connections made as the bot makes them (src/jobs/redis.ts): the producer fails fast while
   * Redis is away instead of queueing commands. Default false: both wait for Redis.
   */
  productionRedis?: boolean;
}

export async function createNurtureHarness(opts: NurtureHarnessOptions): Promise<NurtureHarness> {
  const h = createHarness(opts.now);
  const logger = opts.logger ?? silentLogger;
  seedMunicipalities(h.db, DEFAULT_MUNICIPALITIES_PATH, h.clock.now());
  const channel = new TimedChannel(() => h.clock.now());
  const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
  const planDeps: PlanPassDeps = {
    db: h.db,
    rules: loadReminderRules(),
    clock: h.clock,
    logger,
    policy: opts.policy ?? DEFAULT_POLICY,
    defaultTimeZone: 'Europe/Amsterdam',
    horizonMs: 24 * 3600_000,
  };
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const url = opts.redisUrl ?? testRedisUrl();
  const producer = opts.productionRedis ? createRedis(url, { role: 'producer', logger }) : new Redis(url, { maxRetriesPerRequest: null });
  const workerConn = opts.productionRedis ? createRedis(url, { role: 'worker', logger }) : new Redis(url, { maxRetriesPerRequest: null });
  // A fail-fast producer refuses commands until it is connected.
  if (opts.productionRedis && producer.status !== 'ready') await new Promise((resolve) => producer.once('ready', resolve));
  const queues = createDeliveryQueues(producer, prefix, ['local']);
  const worker = createDeliveryWorker({
    ...planDeps,
    connection: workerConn,
    prefix,
    channel: 'local',
    adapter: opts.adapter ? opts.adapter(channel) : channel,
    i18n,
    ratePerSecond: opts.rate ?? 100,
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    onUnreachable: (_p, chatId) => h.db.update(identities).set({ unreachableAt: h.clock.now() }).where(eq(identities.chatId, chatId)).run(),
  });
  if (opts.runWorker !== false) void worker.run();
  const planner = createPlanner({ ...planDeps, queues, channels: ['local'], enqueueAheadMs: opts.enqueueAheadMs ?? 0 });

  const pending = () =>
    h.db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(inArray(deliveries.status, ['queued', 'sending']))
      .all().length;

  const nh: NurtureHarness = {
    h,
    channel,
    planDeps,
    planner,
    queues,
    worker,
    producer,
    prefix,
    parent(input) {
      const now = input.joinedAt ?? h.clock.now();
      const p = h.db
        .insert(people)
        .values({ language: input.language ?? 'nl', newsletter: input.newsletter ?? false, createdAt: now })
        .returning({ id: people.id })
        .get();
      h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId: input.chatId, createdAt: now }).run();
      if (input.initiativeId) h.db.insert(memberships).values({ personId: p.id, initiativeId: input.initiativeId, role: 'parent', createdAt: now }).run();
      const childIds = (input.children ?? []).map(
        (c) =>
          h.db
            .insert(children)
            .values({ personId: p.id, birthYear: c.year, birthMonth: c.month, expected: c.expected ?? false, createdAt: now })
            .returning({ id: children.id })
            .get().id,
      );
      return { personId: p.id, childIds };
    },
    async settle(timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (pending() > 0) {
        if (Date.now() > until) throw new Error(`deliveries still pending after ${timeoutMs} ms: ${pending()}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async tick() {
      await planner.tick();
      await nh.settle();
    },
    async runUntil(iso, stepMs = 6 * 3600_000) {
      const target = new Date(iso).getTime();
      while (h.clock.now().getTime() < target) {
        await nh.tick();
        const now = h.clock.now().getTime();
        const next = h.db.$client
          .prepare("select min(send_at) from deliveries where status = 'planned' and send_at > ?")
          .pluck()
          .get(now) as number | null;
        h.clock.set(new Date(Math.min(now + stepMs, next ?? Infinity, target)));
      }
      await nh.tick();
    },
    rows(personId) {
      const q = h.db.select().from(deliveries);
      return (personId ? q.where(and(eq(deliveries.personId, personId))) : q).orderBy(deliveries.sendAt, deliveries.id).all();
    },
    async close() {
      await planner.stop();
      await worker.close();
      await Promise.all(['local'].map((c) => queues.queue(c as 'local').obliterate({ force: true }).catch(() => undefined)));
      await queues.close();
      producer.disconnect();
      workerConn.disconnect();
      h.close();
    },
  };
  return nh;
}

/**
 * A year-long story in steps of at most 30 days, keeping every row of the person as last seen
 * (rows are purged 90 days after they ended, so looking only at the end loses them). `n` and
 * `personId` are read when called, so this can be set up before the harness exists.
 */
export function sentLog(
  harness: () => NurtureHarness,
  person: () => number,
): { all(): (typeof deliveries.$inferSelect)[]; sent(): (typeof deliveries.$inferSelect)[]; run(iso: string): Promise<void> } {
  const seen = new Map<number, typeof deliveries.$inferSelect>();
  const all = () => {
    for (const r of harness().rows(person())) seen.set(r.id, r);
    return [...seen.values()].sort((x, y) => x.id - y.id);
  };
  const sent = () => all().filter((r) => r.status === 'sent');
  const run = async (iso: string) => {
    const n = harness();
    const end = new Date(iso).getTime();
    for (let t = n.h.clock.now().getTime() + 30 * 86_400_000; t < end; t += 30 * 86_400_000) {
      await n.runUntil(new Date(t).toISOString());
      all();
    }
    await n.runUntil(iso);
    all();
  };
  return { all, sent, run };
}
