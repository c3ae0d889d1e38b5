/**
 * The planner: every minute (node-cron, no overlapping runs) and once at start it
 *   1. does the tick's SQLite work where the planner's work runs (src/jobs/plan-runner.ts: the
 *      planner thread, off the thread that answers parents): the retention job once an hour, the
 *      incremental planning pass over the parents marked or due (ADR 0012), missing dates,
 *      escalations,
 *   2. enqueues the rows due within the next minutes (job id = `d<delivery id>`), in slices,
 *   3. rebuilds the queue from the database when Redis holds fewer jobs than there are
 *      queued rows (Redis lost its data, or an add failed half-way).
 * At start, when the rules or the planner's configuration changed since the last full rebuild
 * (or it never ran), a full rebuild runs in batches beside the ticks.
 * Redis being away never loses anything: rows stay `planned` and the next tick tries again.
 */
import { createTask, type ScheduledTask } from 'node-cron';
import type { ChannelName } from '../core/messages.js';
import type { Logger } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import { markQueued, plannedDue, queuedItems, type QueueItem } from '../db/deliveries.repo.js';
import { ensurePlanMarkTriggers, storePlanFingerprint } from '../db/plan-marks.repo.js';
import type { DeliveryQueues } from './delivery.queue.js';
import type { PlanPassDeps } from './plan-pass.js';
import { createPlanRunner, type PlanRunner } from './plan-runner.js';
import { planFingerprint, rebuildNeeded, type TickPlanReport } from './plan-tick.js';
import { rebuildWithHelpers, REBUILD_THREADS } from './rebuild-pool.js';

/** The retention job (notices, erasures, old rows) runs at most this often. */
export const RETENTION_EVERY_MS = 3600_000;

/** Rows due within this window are handed to BullMQ as delayed jobs. */
export const ENQUEUE_AHEAD_MS = 2 * 60_000;
/**
 * Rows handed to BullMQ per slice: adding a job costs this thread about 35 µs (BullMQ builds and
 * sends it), so a slice of 100 keeps each turn short, and replies get theirs between slices.
 */
const ENQUEUE_SLICE = 100;

export interface PlannerDeps extends PlanPassDeps {
  queues: DeliveryQueues;
  channels: readonly ChannelName[];
  logger: Logger;
  /** Defaults to ENQUEUE_AHEAD_MS; tests with a hand-moved clock use 0 (only what is due now). */
  enqueueAheadMs?: number;
  /**
   * Plan on the planner thread (default true; it needs the database in a file: an in-memory one
   * is planned inline). False: on this thread, as a test that counts SQLite's reads needs it.
   */
  thread?: boolean;
  /** Planner threads a full rebuild uses (default REBUILD_THREADS; with `thread`). */
  rebuildThreads?: number;
}

export interface TickReport {
  plan: TickPlanReport;
  enqueued: number;
  rebuilt: number;
}

export interface RebuildReport {
  people: number;
  planned: number;
  batches: number;
  /** Planner threads that took batches. */
  threads: number;
  ms: number;
}

export interface Planner {
  tick(): Promise<TickReport | null>;
  /**
   * Hands rows that are due now to the queue without a planning pass (a notice written by a
   * turn: a relayed question or answer, an approval request). Cheap; runs coalesced, never
   * beside another enqueue. Resolves with the number enqueued (0 when Redis is away: the tick retries).
   */
  kick(): Promise<number>;
  /**
   * The full rebuild, in batches beside the ticks (start() runs it when the rules changed). Resolves
   * when done (null when the planner stopped first); a rebuild asked for while one runs is that one.
   */
  rebuild(): Promise<RebuildReport | null>;
  /** Where planning runs: 'thread' (the planner thread) or 'inline'. */
  readonly mode: 'thread' | 'inline';
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createPlanner(deps: PlannerDeps): Planner {
  let task: ScheduledTask | null = null;
  let running: Promise<TickReport | null> | null = null;
  let redisDown = false;
  let stopping = false;
  const runner: PlanRunner = createPlanRunner(deps, { thread: deps.thread ?? true });

  let lastRetention = -Infinity;

  async function runTick(): Promise<TickReport | null> {
    const now = deps.clock.now();
    const retention = now.getTime() - lastRetention >= RETENTION_EVERY_MS || now.getTime() < lastRetention;
    if (retention) lastRetention = now.getTime();
    const plan = await runner.tick(now, { retention });
    let enqueued = 0;
    let rebuilt = 0;
    try {
      ({ enqueued, rebuilt } = await exclusive(async () => {
        return { enqueued: await enqueue(new Date(now.getTime() + (deps.enqueueAheadMs ?? ENQUEUE_AHEAD_MS) + 1), now), rebuilt: await rebuildIfLost(now) };
      }));
      if (redisDown) deps.logger.info({}, 'planner reaches redis again');
      redisDown = false;
    } catch (err) {
      // Rows stay planned/queued in the database; the next tick enqueues them.
      if (!redisDown) deps.logger.error({ err: describeError(err) }, 'planner cannot enqueue; will retry every minute');
      redisDown = true;
    }
    if (plan.planned.length || enqueued || rebuilt || plan.more) {
      deps.logger.info({ people: plan.people, marked: plan.marked, due: plan.due, planned: plan.planned.length, more: plan.more, enqueued, rebuilt, ms: Math.round(plan.ms) }, 'planner tick');
    }
    return { plan, enqueued, rebuilt };
  }

  /**
   * Hands the rows due before `until` to BullMQ a slice at a time, oldest first: each slice is read
   * (the status index), added and marked queued, so a burst of tens of thousands (after a rebuild)
   * never occupies this thread for long. A failure leaves the rest planned for the next tick.
   */
  async function enqueue(until: Date, now: Date): Promise<number> {
    let done = 0;
    for (;;) {
      const slice: QueueItem[] = plannedDue(deps.db, until, ENQUEUE_SLICE);
      if (!slice.length) return done;
      await deps.queues.add(slice, now);
      markQueued(deps.db, slice.map((d) => d.id));
      done += slice.length;
      if (slice.length < ENQUEUE_SLICE) return done;
    }
  }

  /**
   * The database's queued rows per channel (counted where the planner's work runs: a long queue
   * is many rows) against Redis's jobs. Workers finish rows meanwhile, so a shortfall is counted
   * again after Redis answered (it can only shrink) before anything is rebuilt. Runs in the
   * enqueue lock; asks Redis nothing when no row is queued.
   */
  async function rebuildIfLost(now: Date): Promise<number> {
    let rebuilt = 0;
    const first = await runner.countQueued();
    for (const channel of deps.channels) {
      if (!first[channel]) continue;
      const jobs = await deps.queues.pending(channel);
      if (jobs >= first[channel]) continue;
      const rows = (await runner.countQueued())[channel] ?? 0;
      if (jobs >= rows) continue;
      const items = queuedItems(deps.db).filter((q) => q.channel === channel);
      const added = await deps.queues.ensure(items, now);
      rebuilt += added;
      deps.logger.warn({ channel, rows, jobs, added }, 'queue had fewer jobs than the database: rebuilt from the database');
    }
    return rebuilt;
  }

  /** One enqueue at a time (a tick's, a kick's): planning runs elsewhere and never holds this. */
  let lock: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  }

  let kicking: Promise<number> | null = null;
  let kickAgain = false;

  async function enqueueDueNow(): Promise<number> {
    return exclusive(async () => {
      const now = deps.clock.now();
      return enqueue(new Date(now.getTime() + 1), now);
    });
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

  let rebuilding: Promise<RebuildReport | null> | null = null;

  /**
   * The full rebuild: batches of ids on the planner thread and, with a file database, on helper
   * threads beside it (src/jobs/rebuild-pool.ts), each batch at the clock of its moment; ticks go
   * on in between. The helpers end with the rebuild.
   */
  async function runRebuild(): Promise<RebuildReport | null> {
    const started = performance.now();
    const fingerprint = planFingerprint(deps);
    const totals = await rebuildWithHelpers(deps, runner, deps.rebuildThreads ?? REBUILD_THREADS, { now: () => deps.clock.now(), stopping: () => stopping });
    if (!totals) return null;
    storePlanFingerprint(deps.db, fingerprint);
    const report: RebuildReport = { ...totals, ms: Math.round(performance.now() - started) };
    deps.logger.info({ ...report }, 'planner: full rebuild done');
    // What the rebuild found due goes to the queue now, not at the next minute's tick (at start
    // that was up to a minute of reminders waiting; e2e/roles timed out on it).
    if (!stopping) void tick();
    return report;
  }

  function rebuild(): Promise<RebuildReport | null> {
    rebuilding ??= runRebuild()
      .catch((err: unknown) => {
        deps.logger.error({ err: describeError(err) }, 'planner: full rebuild failed; the next start tries again (ticks go on)');
        return null;
      })
      .finally(() => {
        rebuilding = null;
      });
    return rebuilding;
  }

  return {
    tick,
    kick,
    rebuild,
    mode: runner.mode,
    async start() {
      stopping = false;
      // A migration that rebuilt a table drops its triggers: without them nobody would be marked.
      const recreated = ensurePlanMarkTriggers(deps.db);
      if (recreated.length) deps.logger.warn({ triggers: recreated }, 'planner: plan-mark triggers were missing or differed; recreated them (a full rebuild follows)');
      if (recreated.length || rebuildNeeded(deps)) {
        deps.logger.info({ mode: runner.mode }, 'planner: the rules or the planner changed since the last full rebuild: rebuilding in the background');
        void rebuild();
      }
      task = createTask('* * * * *', () => tick(), { name: 'planner', noOverlap: true });
      await task.start();
      await tick();
    },
    async stop() {
      stopping = true;
      if (task) await task.destroy();
      task = null;
      if (running) await running;
      if (rebuilding) await rebuilding;
      await runner.close();
    },
  };
}
