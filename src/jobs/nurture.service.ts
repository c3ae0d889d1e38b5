/**
 * Wires the nurturing engine: Redis connections, one delivery queue and worker per running
 * channel, and the planner. Redis missing at start is not fatal: the chat keeps working, one
 * clear message says what to install, and reminders wait in the database until Redis answers.
 */
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { i18n } from 'i18next';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { ChannelName } from '../core/messages.js';
import type { ChannelAdapter, Logger, Store } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import type { Db } from '../db/client.js';
import { DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../db/municipalities.repo.js';
import { createDeliveryWorker } from './deliver.worker.js';
import { createDeliveryQueues, type DeliveryQueues } from './delivery.queue.js';
import { loadReminderRules, PLAN_HORIZON_MS, sendPolicyOf } from './nurture.config.js';
import type { PlanPassDeps } from './plan-pass.js';
import { createNudgeRunner, type NudgeRunner } from './nudge.runner.js';
import { createPlanner, type Planner } from './planner.js';
import { createBroadcastRunner, type BroadcastRunner } from './broadcast.runner.js';
import { createRedis } from './redis.js';
import { startStaleSendingSweep } from './stale-sending.js';

export interface NurtureDeps {
  db: Db;
  config: Config;
  i18n: i18n;
  /**
   * Per running channel: the outbound scheduler's proactive path (one attempt, after the
   * replies) and the channel's overall rate, which bounds how fast BullMQ hands out jobs.
   */
  channels: Map<ChannelName, { adapter: ChannelAdapter; ratePerSecond: number }>;
  store: Store;
  clock: Clock;
  logger: Logger;
  /**
   * Which parts run in this process (`npm start -- --role …`, src/roles.ts); default all.
   * `planner`: the minutely tick, broadcasts, nudges and the look for rows of dead workers.
   * `workers`: the channels whose delivery workers run here. The queues (and the planner's
   * kick, which hands rows due now to them) are there in every process.
   */
  parts?: { planner: boolean; workers: ReadonlySet<ChannelName> };
}

export interface Nurture {
  readonly planDeps: PlanPassDeps;
  /** Available after start(); its tick runs only where the planner part runs, its kick everywhere. */
  planner?: Planner;
  /** Once and recurring coordinator nudges (available after start()); `run()` after a turn that triggered one. */
  nudges?: NudgeRunner;
  queues?: DeliveryQueues;
  /** Broadcasts: fan-out when due, progress, summary (available after start()); `tick()` after a turn that submitted, approved or resumed one. */
  broadcasts?: BroadcastRunner;
  start(): Promise<void>;
  stop(): Promise<void>;
  redisState(): 'up' | 'down' | 'off';
  /** One line per channel's delivery worker: 'down' when it stopped, closed or failed while the service runs (shown on /health). */
  workerState(): WorkerState[];
  bullQueues(): Queue[];
  bullWorkers(): Worker[];
}

export interface WorkerState {
  channel: ChannelName;
  state: 'up' | 'down';
}

const CLOSE_TIMEOUT_MS = 5_000;

export function createNurture(deps: NurtureDeps): Nurture {
  const { config, logger } = deps;
  const parts = deps.parts ?? { planner: true, workers: new Set(deps.channels.keys()) };
  const planDeps: PlanPassDeps = {
    db: deps.db,
    rules: loadReminderRules(config.nurture.rulesPath),
    clock: deps.clock,
    logger,
    policy: sendPolicyOf(config),
    defaultTimeZone: config.timeZone,
    horizonMs: PLAN_HORIZON_MS,
    outreachCooldownDays: config.nurture.outreachCooldownDays,
  };
  if (parts.planner) seedMunicipalities(deps.db, config.nurture.municipalitiesPath ?? DEFAULT_MUNICIPALITIES_PATH, deps.clock.now());
  const connections: Redis[] = [];
  let staleSweep: { stop(): Promise<void> } | undefined;
  const workers: ReturnType<typeof createDeliveryWorker>[] = [];
  /** Workers that stopped on their own: a closed or failed worker delivers nothing until a restart. */
  const tracks: { channel: ChannelName; worker: ReturnType<typeof createDeliveryWorker>; failed: boolean }[] = [];
  let stopping = false;

  const service: Nurture = {
    planDeps,
    async start() {
      // Each connection says once, clearly, when Redis cannot be reached (what to install, what to run).
      const url = config.nurture.redisUrl;
      const producer = createRedis(url, { role: 'producer', logger, name: 'ouderbrug-planner' });
      connections.push(producer);
      const channels = [...deps.channels.keys()];
      const queues = createDeliveryQueues(producer, config.nurture.redisPrefix, channels);
      service.queues = queues;
      // Rows a crashed process left half-sent go back to the queue (before this process's workers run), and again every few seconds.
      if (parts.planner) staleSweep = startStaleSendingSweep({ db: deps.db, queues, logger, now: () => deps.clock.now() });
      const workerConn = parts.workers.size ? createRedis(url, { role: 'worker', logger, name: 'ouderbrug-worker' }) : undefined;
      if (workerConn) connections.push(workerConn);
      for (const [name, { adapter, ratePerSecond }] of deps.channels) {
        if (!workerConn || !parts.workers.has(name)) continue;
        const worker = createDeliveryWorker({
          ...planDeps,
          connection: workerConn,
          prefix: config.nurture.redisPrefix,
          channel: name,
          adapter,
          i18n: deps.i18n,
          ratePerSecond,
          onUnreachable: (_personId, chatId) => deps.store.markUnreachable({ channel: name, chatId }),
        });
        workers.push(worker);
        const track = { channel: name, worker, failed: false };
        tracks.push(track);
        const fail = (why: string) => {
          if (stopping || track.failed) return;
          track.failed = true;
          logger.error({ channel: name, why }, 'delivery worker is down: reminders on this channel wait until a restart');
        };
        worker.on('closed', () => fail('closed'));
        // An error while the worker still runs is a retry (Redis away); one after it stopped is the end.
        worker.on('error', () => {
          if (!worker.isRunning()) fail('error');
        });
        worker
          .run()
          .then(() => fail('stopped'))
          .catch((err: unknown) => {
            logger.error({ err: describeError(err), channel: name }, 'delivery worker stopped');
            fail('failed');
          });
      }
      service.planner = createPlanner({ ...planDeps, queues, channels, rebuildThreads: config.nurture.rebuildThreads });
      await waitReady(producer, 2_000);
      if (!parts.planner) return;
      await service.planner.start();
      const kicker = service.planner;
      service.broadcasts = createBroadcastRunner({
        ...planDeps,
        queues,
        ratePerSecond: Object.fromEntries([...deps.channels].map(([name, c]) => [name, c.ratePerSecond])),
        kick: () => kicker.kick(),
        progress: { adapters: new Map([...deps.channels].map(([name, c]) => [name, c.adapter])), i18n: deps.i18n },
      });
      service.broadcasts.start();
      const planner = service.planner;
      service.nudges = createNudgeRunner({ db: deps.db, clock: deps.clock, logger, policy: planDeps.policy, defaultTimeZone: config.timeZone, kick: () => planner.kick() });
      await service.nudges.start();
    },
    async stop() {
      stopping = true;
      await staleSweep?.stop();
      await service.broadcasts?.stop();
      await service.nudges?.stop();
      await service.planner?.stop();
      // worker.close() waits for active jobs without a limit: bound it.
      await Promise.race([Promise.all(workers.map((w) => w.close())), new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref())]);
      await service.queues?.close().catch(() => undefined);
      for (const c of connections) c.disconnect();
    },
    redisState: () => (connections.length === 0 ? 'off' : connections.every((c) => c.status === 'ready') ? 'up' : 'down'),
    workerState: () => tracks.map((t) => ({ channel: t.channel, state: !stopping && (t.failed || !t.worker.isRunning()) ? 'down' : 'up' })),
    bullWorkers: () => [...workers],
    bullQueues: () => (service.queues ? [...deps.channels.keys()].map((c) => service.queues!.queue(c)) : []),
  };
  return service;
}

function waitReady(conn: Redis, ms: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    conn.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
