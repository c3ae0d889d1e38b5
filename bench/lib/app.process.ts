/**
 * The whole bot in its own process, as `npm start` builds it (createApp + start), for the
 * benchmarks that need a real app process (app-child.ts starts it). Configuration comes from the
 * environment (src/config.ts), like production. Inside it measures what only the app process can
 * see: event-loop delay (perf_hooks.monitorEventLoopDelay: the largest stall is how long every
 * parent's update waited behind something), CPU time, RSS and its peak, and warnings logged.
 *
 * Commands over IPC ({ id, cmd }): `tick` runs one planner tick now (the planner's own `tick()`,
 * as its minutely schedule does) and answers how long it took; `stats` answers the figures, and
 * with `reset: true` starts them afresh; `gc` collects twice (the app started with --expose-gc)
 * and answers the main thread's memory; `heapSnapshot` writes one to a file; `stop` stops the app
 * and exits.
 * BENCH_CLOCK_BASE (ISO): the domain clock starts there and moves at real speed (quiet hours and
 * the seeded world's dates stay the same whenever the benchmark runs).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

export interface AppStats {
  rssMb: number;
  /** The kernel's high-water mark for this process since it started. */
  maxRssMb: number;
  heapUsedMb: number;
  /** Event-loop delay since the last reset: the largest stall, p99 and mean, in ms. */
  loop: { maxMs: number; p99Ms: number; meanMs: number };
  /** The longest stalls since the last reset (a 10 ms timer firing late), longest first: when (process.hrtime, µs: the clock of a --cpu-prof profile) and how long. */
  stalls: { atUs: number; ms: number }[];
  /** CPU time (user + system) since the last reset. */
  cpuMs: number;
  /**
   * The largest of each part of this process's memory since start, sampled every 250 ms (MB), and
   * when RSS peaked (s after start): RSS above heap + external is another thread's heap (the
   * planner thread's) or native memory (SQLite's caches).
   */
  peaks: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number; rssAtS: number };
  /** Warnings and errors the app logged since start, by message. */
  warnings: Record<string, number>;
  /** The first log line of each of those (the logger keeps personal data out), for diagnosis. */
  samples: Record<string, string>;
}

/**
 * The main thread's memory after two full collections, in bytes. The planner thread's heap is its
 * own isolate's and not in `heapUsed` (only in `rss`).
 */
export interface AppMemory {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  /**
   * The heap used by each worker thread, by thread id, from the diagnostic report: the planner's,
   * and under tsx (Node 20) thread 1, tsx's module loader, which the built app does not have. Not
   * collected first (a collection there is that thread's own), so garbage not yet collected counts.
   */
  workers: { threadId: number; heapUsed: number }[];
}

/** Each worker thread's JS heap in use, as process.report sees it (only the numbers are kept). */
function workerHeaps(): { threadId: number; heapUsed: number }[] {
  const report = process.report?.getReport() as { workers?: { header?: { threadId?: number }; javascriptHeap?: { usedMemory?: number } }[] } | undefined;
  return (report?.workers ?? []).map((w) => ({ threadId: w.header?.threadId ?? NaN, heapUsed: w.javascriptHeap?.usedMemory ?? NaN })).sort((a, b) => a.threadId - b.threadId);
}

export type AppCommand = { cmd: 'tick' } | { cmd: 'stats'; reset?: boolean } | { cmd: 'gc' } | { cmd: 'heapSnapshot'; path: string } | { cmd: 'stop' };

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpuFrom = process.cpuUsage();

// The same delay as the histogram, but with a time stamp, so a stall can be found in a CPU profile.
const STALL_MS = 50;
let stalls: { atUs: number; ms: number }[] = [];
let lastBeat = process.hrtime.bigint();
setInterval(() => {
  const now = process.hrtime.bigint();
  const late = Number(now - lastBeat) / 1e6 - 10;
  lastBeat = now;
  if (late < STALL_MS) return;
  stalls.push({ atUs: Number(now / 1000n) - Math.round(late * 1000), ms: late });
  stalls.sort((a, b) => b.ms - a.ms);
  stalls = stalls.slice(0, 5);
}, 10).unref();

const bootedAt = performance.now();
const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0, rssAtS: 0 };
function samplePeaks(): void {
  const m = process.memoryUsage();
  const mb = (n: number): number => n / 1024 / 1024;
  if (mb(m.rss) > peaks.rss) {
    peaks.rss = mb(m.rss);
    peaks.rssAtS = (performance.now() - bootedAt) / 1000;
  }
  peaks.heapTotal = Math.max(peaks.heapTotal, mb(m.heapTotal));
  peaks.heapUsed = Math.max(peaks.heapUsed, mb(m.heapUsed));
  peaks.external = Math.max(peaks.external, mb(m.external));
  peaks.arrayBuffers = Math.max(peaks.arrayBuffers, mb(m.arrayBuffers));
}
setInterval(samplePeaks, 250).unref();

const warnings = new Map<string, number>();
const samples = new Map<string, string>();
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) < 40) continue;
        const msg = entry.msg ?? '?';
        warnings.set(msg, (warnings.get(msg) ?? 0) + 1);
        if (!samples.has(msg)) samples.set(msg, line.slice(0, 600));
      } catch {
        warnings.set('(unparsed log line)', (warnings.get('(unparsed log line)') ?? 0) + 1);
      }
    }
    done();
  },
});

function movingClock(base: number): Clock {
  const started = Date.now();
  return { now: () => new Date(base + (Date.now() - started)), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
}

function stats(reset: boolean): AppStats {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage(cpuFrom);
  const out: AppStats = {
    rssMb: m.rss / 1024 / 1024,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: m.heapUsed / 1024 / 1024,
    loop: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6, meanMs: loop.mean / 1e6 },
    stalls,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peaks: { ...peaks },
    warnings: Object.fromEntries(warnings),
    samples: Object.fromEntries(samples),
  };
  if (reset) {
    loop.reset();
    stalls = [];
    cpuFrom = process.cpuUsage();
  }
  return out;
}

const send = (msg: unknown): void => void process.send?.(msg);
const base = process.env.BENCH_CLOCK_BASE ? Date.parse(process.env.BENCH_CLOCK_BASE) : NaN;
let app: App | undefined;

async function handle(id: number, command: AppCommand): Promise<unknown> {
  if (!app) throw new Error('the app is not started');
  switch (command.cmd) {
    case 'tick': {
      const planner = app.nurture?.planner;
      if (!planner) throw new Error('no planner (NURTURE_ENABLED=false or Redis missing)');
      const started = performance.now();
      const report = await planner.tick();
      return { ms: performance.now() - started, people: report?.plan.people ?? null, planned: report?.plan.planned.length ?? null, enqueued: report?.enqueued ?? null };
    }
    case 'stats':
      return stats(command.reset === true);
    case 'gc': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('gc: start the app with exposeGc');
      // Twice: the first collection may only finalise what the second frees.
      gc();
      gc();
      const m = process.memoryUsage();
      return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, workers: workerHeaps() } satisfies AppMemory;
    }
    case 'heapSnapshot':
      return writeHeapSnapshot(command.path);
    case 'stop': {
      await app.stop();
      const last = stats(false);
      send({ id, ok: true, result: last });
      setImmediate(() => process.exit(0));
      return undefined;
    }
  }
}

process.on('message', (raw) => {
  const { id, ...command } = raw as { id: number } & AppCommand;
  handle(id, command).then(
    (result) => {
      if (command.cmd !== 'stop') send({ id, ok: true, result });
    },
    (err: unknown) => send({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The benchmark went away: stop at once.
process.once('disconnect', () => process.exit(1));

try {
  const started = performance.now();
  app = createApp({ config: loadConfig(process.env), logger: createLogger(process.env.LOG_LEVEL ?? 'warn', sink), clock: Number.isFinite(base) ? movingClock(base) : systemClock });
  await app.start();
  send({ type: 'ready', startMs: performance.now() - started });
} catch (err) {
  send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
