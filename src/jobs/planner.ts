/**
 * The planner: every minute (node-cron, no overlapping runs) and once at start it
 *   1. runs a planning pass (new delivery rows; a duplicate run inserts nothing),
 *   2. enqueues the rows due within the next minutes (job id = `d<delivery id>`),
 *   3. rebuilds the queue from the database when Redis holds fewer jobs than there are
 *      queued rows (Redis lost its data, or an add failed half-way).
 * Redis being away never loses anything: rows stay `planned` and the next tick tries again.
 */
import { createTask, type ScheduledTask } from 'node-cron';
import type { ChannelName } from '../core/messages.js';
import type { Logger } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import { countQueued, markQueued, plannedDue, queuedItems } from '../db/deliveries.repo.js';
import type { DeliveryQueues } from './delivery.queue.js';
import { planPass, type PlanPassDeps, type PlanReport } from './plan-pass.js';
import { retentionPass } from './retention.js';

/** The retention job (notices, erasures, old rows) runs at most this often. */
export const RETENTION_EVERY_MS = 3600_000;
import { missingDatesPass } from './missing-dates.pass.js';
import { relayEscalationPass } from './relay.escalation.js';

/** Rows due within this window are handed to BullMQ as delayed jobs. */
export const ENQUEUE_AHEAD_MS = 2 * 60_000;

export interface PlannerDeps extends PlanPassDeps {
  queues: DeliveryQueues;
  channels: readonly ChannelName[];
  logger: Logger;
  /** Defaults to ENQUEUE_AHEAD_MS; tests with a hand-moved clock use 0 (only what is due now). */
  enqueueAheadMs?: number;
}

export interface TickReport {
  plan: PlanReport;
  enqueued: number;
  rebuilt: number;
}

export interface Planner {
  tick(): Promise<TickReport | null>;
  /**
   * Hands rows that are due now to the queue without a planning pass (a notice written by a
   * turn: a relayed question or answer, an approval request). Cheap; runs coalesced, never
   * beside a tick. Resolves with the number enqueued (0 when Redis is away: the tick retries).
   */
  kick(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createPlanner(deps: PlannerDeps): Planner {
  let task: ScheduledTask | null = null;
  let running: Promise<TickReport | null> | null = null;
  let redisDown = false;
  const knownKeys = new Set<string>();

  let lastRetention = -Infinity;

  async function runTick(): Promise<TickReport | null> {
    const now = deps.clock.now();
    if (now.getTime() - lastRetention >= RETENTION_EVERY_MS || now.getTime() < lastRetention) {
      lastRetention = now.getTime();
      try {
        retentionPass(deps, now);
      } catch (err) {
        deps.logger.error({ err: describeError(err) }, 'retention pass failed');
      }
    }
    const plan = planPass({ ...deps, knownKeys }, { now });
    try {
      missingDatesPass(deps.db, now, deps.defaultTimeZone);
    } catch (err) {
      // The notices are asked again next tick (their unique key keeps them one per coordinator and month).
      deps.logger.error({ err: describeError(err) }, 'missing-dates pass failed');
    }
    try {
      // Parents' questions unanswered for 24 h move to the next tier (notices enqueued below).
      relayEscalationPass(deps.db, now, deps.logger);
    } catch (err) {
      deps.logger.error({ err: describeError(err) }, 'relay escalation pass failed');
    }
    let enqueued = 0;
    let rebuilt = 0;
    try {
      const due = plannedDue(deps.db, new Date(now.getTime() + (deps.enqueueAheadMs ?? ENQUEUE_AHEAD_MS) + 1));
      if (due.length) {
        await deps.queues.add(due, now);
        markQueued(deps.db, due.map((d) => d.id));
        enqueued = due.length;
      }
      rebuilt = await rebuildIfLost(now);
      if (redisDown) deps.logger.info({}, 'planner reaches redis again');
      redisDown = false;
    } catch (err) {
      // Rows stay planned/queued in the database; the next tick enqueues them.
      if (!redisDown) deps.logger.error({ err: describeError(err) }, 'planner cannot enqueue; will retry every minute');
      redisDown = true;
    }
    if (plan.planned.length || enqueued || rebuilt) {
      deps.logger.info({ people: plan.people, planned: plan.planned.length, enqueued, rebuilt, ms: plan.ms }, 'planner tick');
    }
    return { plan, enqueued, rebuilt };
  }

  async function rebuildIfLost(now: Date): Promise<number> {
    let rebuilt = 0;
    for (const channel of deps.channels) {
      const rows = countQueued(deps.db, channel);
      if (rows === 0) continue;
      const jobs = await deps.queues.pending(channel);
      if (jobs >= rows) continue;
      const items = queuedItems(deps.db).filter((q) => q.channel === channel);
      const added = await deps.queues.ensure(items, now);
      rebuilt += added;
      deps.logger.warn({ channel, rows, jobs, added }, 'queue had fewer jobs than the database: rebuilt from the database');
    }
    return rebuilt;
  }

  let kicking: Promise<number> | null = null;
  let kickAgain = false;

  async function enqueueDueNow(): Promise<number> {
    const now = deps.clock.now();
    const due = plannedDue(deps.db, new Date(now.getTime() + 1));
    if (!due.length) return 0;
    await deps.queues.add(due, now);
    markQueued(deps.db, due.map((d) => d.id));
    return due.length;
  }

  function kick(): Promise<number> {
    if (kicking) {
      kickAgain = true;
      return kicking;
    }
    kicking = (async () => {
      let total = 0;
      do {
        kickAgain = false;
        if (running) await running;
        total += await enqueueDueNow();
      } while (kickAgain);
      return total;
    })()
      .catch((err: unknown) => {
        deps.logger.warn({ err: describeError(err) }, 'enqueue after a turn failed; the next planner tick retries');
        return 0;
      })
      .finally(() => {
        kicking = null;
      });
    return kicking;
  }

  let following: Promise<TickReport | null> | null = null;

  /**
   * One tick at a time. A tick asked for while one runs gets a fresh one after it (shared by
   * everyone who asks meanwhile): the running tick may have read the clock and the database
   * before the caller's news (a moved clock, a new row), so handing back its result would lose it.
   */
  function tick(): Promise<TickReport | null> {
    if (running) {
      following ??= running.then(() => {
        following = null;
        return tick();
      });
      return following;
    }
    running = runTick()
      .catch((err: unknown) => {
        deps.logger.error({ err: describeError(err) }, 'planner tick failed');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    tick,
    kick,
    async start() {
      task = createTask('* * * * *', () => tick(), { name: 'planner', noOverlap: true });
      await task.start();
      await tick();
    },
    async stop() {
      if (task) await task.destroy();
      task = null;
      if (running) await running;
    },
  };
}
