/**
 * Memory that does not grow with history (issue 13, item 3): nothing per parent may stay in memory
 * between turns or ticks unless it is bounded. Two parts:
 *
 *   1. Onboardings: the real app in its own process (as replies-under-load: createApp, the Telegram
 *      adapter long-polling the fake Bot API, SQLite on disk, Redis, reminders on), crowds of new
 *      parents in waves until 10,000 (`--quick`: 2,000) have onboarded. The app's main-thread heap
 *      after two full collections at the start and at 20 %, 50 % and 100 % of the parents; the
 *      retained heap per onboarding is the slope from 50 % to 100 % (warm-up caches filled before).
 *   2. A day of planning in fast-forward (bench/lib/planning-day.ts): 1,440 one-minute ticks of the
 *      planner's work on a planned world of 10,000 parents, inline in a child process, due rows
 *      marked sent as if delivered; the heap after GC every hour; its growth from the first hour
 *      to the end of the day, and the time per tick.
 *
 * BENCH_MEMORY_SNAPSHOTS=<dir>: heap snapshots to compare (Chrome's DevTools, "Comparison"): the
 * app's at 50 % and at 100 % of the onboardings, the day's after the first hour and at its end.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { createInitiative } from '../src/db/initiatives.repo.js';
import { runCrowd } from '../test/support/crowd.js';
import { startFakeBotApi } from '../test/support/fake-bot-api.js';
import { logWarningSamples, startAppProcess, warningsNote, type AppProcess } from './lib/app-child.js';
import type { AppMemory } from './lib/app.process.js';
import { inChild } from './lib/child.js';
import { mb, num, sizeName, sleep } from './lib/format.js';
import type { PlanningDayResult } from './lib/planning-day.js';
import { maxOf, median } from './lib/stats.js';
import type { BenchContext, Benchmark, BenchOutput, Figure } from './lib/types.js';

const REPLY_TIMEOUT_MS = 60_000;
const DAY_TICKS = 1_440;
const GC_EVERY_TICKS = 60;
const DAY_PARENTS = 10_000;
const SETTLE_SAMPLES = 3;
const SETTLE_MS = 300;

/** Parents in all, per wave, and where the heap is measured. */
function onboardingPlan(quick: boolean): { total: number; wave: number; checkpoints: number[] } {
  return quick ? { total: 2_000, wave: 500, checkpoints: [500, 1_000, 2_000] } : { total: 10_000, wave: 500, checkpoints: [2_000, 5_000, 10_000] };
}

export const memory: Benchmark = {
  name: 'memory',
  title: 'Memory that does not grow with history: onboardings and a day of planning',
  async run(ctx): Promise<BenchOutput> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    await onboardings(ctx, figures, notes);
    await planningDayPart(ctx, figures, notes);
    return { figures, notes };
  },
};

/**
 * The app's memory once the wave's last replies, planner reports and sockets have settled: the
 * smallest heap of a few collections a short while apart (a single one after a wave varied by
 * ±0.5 MB with what was still in flight).
 */
async function settledMemory(app: AppProcess): Promise<AppMemory> {
  let best: AppMemory | undefined;
  for (let i = 0; i < SETTLE_SAMPLES; i++) {
    await sleep(SETTLE_MS);
    const m = await app.gc();
    if (!best || m.heapUsed < best.heapUsed) best = m;
  }
  return best!;
}

/** The worker threads' heap in use, e.g. "#1 9.5, #2 21.3 MB" (#1 under tsx: its module loader; then the planner thread). */
const threadHeap = (m: AppMemory): string => (m.workers.length ? `${m.workers.map((w) => `#${w.threadId} ${mb(w.heapUsed).toFixed(1)}`).join(', ')} MB` : 'none');

async function onboardings(ctx: BenchContext, figures: Figure[], notes: string[]): Promise<void> {
  const { total, wave, checkpoints } = onboardingPlan(ctx.quick);
  const scope = 'onboardings';
  const dir = join(ctx.tempDir, 'memory-onboardings');
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'bot.db');
  const db = openDatabase(dbPath);
  createInitiative(db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'flyer' }, 'bench');
  db.$client.close();
  const snapshots = process.env.BENCH_MEMORY_SNAPSHOTS;
  const api = await startFakeBotApi();
  let app: AppProcess | undefined;
  try {
    app = await startAppProcess({
      exposeGc: true,
      env: {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: api.apiRoot,
        DATABASE_PATH: dbPath,
        HTTP_PORT: '0',
        REDIS_URL: ctx.redisUrl,
        REDIS_PREFIX: `memory${Math.random().toString(36).slice(2, 8)}`,
        TELEGRAM_REPLY_RATE_PER_SECOND: '1000',
        TELEGRAM_CHAT_BURST: '100',
        TELEGRAM_CHAT_PER_SECOND: '100',
      },
    });
    const start = await settledMemory(app);
    figures.push({ metric: 'heapStart', label: 'app heap after GC at the start', value: mb(start.heapUsed), unit: 'MB', scope });
    const at = new Map<number, AppMemory>();
    let onboarded = 0;
    let stuck = 0;
    let updates = 0;
    const started = performance.now();
    await app.stats(true);
    const ownCpu = process.cpuUsage();
    for (let w = 0; onboarded < total; w++) {
      const parents = Math.min(wave, total - onboarded);
      const r = await runCrowd({ api, parents, code: 'flyer', firstChatId: 880_000_001 + onboarded, seed: w + 1, replyTimeoutMs: REPLY_TIMEOUT_MS });
      onboarded += parents;
      stuck += r.stuck.length;
      updates += r.latencies.length;
      if (!checkpoints.includes(onboarded)) continue;
      const m = await settledMemory(app);
      at.set(onboarded, m);
      ctx.log(`memory: ${num(onboarded)} onboarded, app heap after GC ${mb(m.heapUsed).toFixed(1)} MB, RSS ${mb(m.rss).toFixed(0)} MB, worker threads' heap ${threadHeap(m)}`);
      if (snapshots && onboarded !== checkpoints[0]) ctx.log(`  heap snapshot: ${await app.heapSnapshot(join(snapshots, `memory-app-${onboarded}.heapsnapshot`))}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownCpu);
    for (const n of checkpoints) {
      const m = at.get(n);
      figures.push({ metric: 'heapAfter', label: `app heap after GC, ${num(n)} onboarded`, value: m ? mb(m.heapUsed) : null, unit: 'MB', scope: sizeName(n) });
    }
    const mid = at.get(checkpoints[1] ?? 0);
    const end = at.get(total);
    const slope = (pick: (m: AppMemory) => number): number | null => (mid && end ? (pick(end) - pick(mid)) / (total - (checkpoints[1] ?? 0)) : null);
    figures.push(
      { metric: 'retainedPerOnboarding', label: 'retained heap per onboarding (slope 50 % → 100 %)', value: slope((m) => m.heapUsed), unit: 'B', scope },
      { metric: 'rssPerOnboarding', label: 'RSS per onboarding (slope 50 % → 100 %; planner thread and SQLite included)', value: slope((m) => m.rss), unit: 'B', scope },
      { metric: 'stuck', label: 'parents stuck (no question within 60 s)', value: stuck, unit: '', scope },
    );
    const s = await app.stats();
    logWarningSamples(ctx.log, s);
    notes.push(
      `onboardings: ${num(onboarded)} parents in waves of ${num(wave)}, ${num(updates)} updates in ${seconds.toFixed(0)} s ` +
        `(CPU per update: app ${(s.cpuMs / Math.max(1, updates)).toFixed(2)} ms, benchmark process with the fake Bot API ${((own.user + own.system) / 1000 / Math.max(1, updates)).toFixed(2)} ms); ` +
        `external after GC ${mb(start.external).toFixed(1)} → ${end ? mb(end.external).toFixed(1) : '–'} MB, RSS ${mb(start.rss).toFixed(0)} → ${end ? mb(end.rss).toFixed(0) : '–'} MB ` +
        `(the planner thread's heap is in RSS only; the worker threads' heap used, not collected first, #1 being tsx's module loader: ${threadHeap(start)} at the start, ${checkpoints.map((n) => { const m = at.get(n); return m ? threadHeap(m) : '–'; }).join(' / ')} at the checkpoints)` +
        warningsNote(s),
    );
  } finally {
    await app?.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function planningDayPart(ctx: BenchContext, figures: Figure[], notes: string[]): Promise<void> {
  const scope = `${sizeName(DAY_PARENTS)}, a day`;
  ctx.log(`memory: a day of planning in fast-forward at ${num(DAY_PARENTS)} parents…`);
  const { path } = await ctx.worlds.plannedCopy(DAY_PARENTS);
  try {
    const { result: r, maxRssMb } = await inChild<PlanningDayResult>(new URL('./lib/planning-day.ts', import.meta.url).href, 'planningDay', { path, ticks: DAY_TICKS, gcEvery: GC_EVERY_TICKS, ...(process.env.BENCH_MEMORY_SNAPSHOTS ? { snapshotDir: process.env.BENCH_MEMORY_SNAPSHOTS } : {}) }, { exposeGc: true, timeoutMs: 600_000 });
    const first = r.samples[0];
    const last = r.samples.at(-1);
    figures.push(
      { metric: 'heapFirstHour', label: 'heap after GC after the first hour', value: first ? mb(first.heapUsed) : null, unit: 'MB', scope },
      { metric: 'heapEndOfDay', label: 'heap after GC at the end of the day', value: last ? mb(last.heapUsed) : null, unit: 'MB', scope },
      { metric: 'dayGrowth', label: 'heap growth from the first hour to the end of the day', value: first && last ? mb(last.heapUsed - first.heapUsed) : null, unit: 'MB', scope },
      { metric: 'tickMedian', label: 'ms per tick (median)', value: median(r.tickMs), unit: 'ms', scope },
      { metric: 'tickMax', label: 'ms per tick (max; the hourly retention pass included)', value: maxOf(r.tickMs), unit: 'ms', scope },
    );
    const hourly = r.samples.map((s) => mb(s.heapUsed).toFixed(1)).join(' ');
    notes.push(
      `a day of planning: heap after GC ${mb(r.startHeap).toFixed(1)} MB before the first tick, hourly ${hourly} MB; RSS ${first ? mb(first.rss).toFixed(0) : '–'} → ${last ? mb(last.rss).toFixed(0) : '–'} MB (peak ${maxRssMb.toFixed(0)}); ` +
        `${num(r.planned)} rows planned, ${num(r.handedOff)} marked sent in ${num(DAY_TICKS)} ticks (${(r.tickMs.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s)`,
    );
  } finally {
    rmSync(path, { force: true });
  }
}
