/**
 * Planner growth (issue 13): what a tick and a full rebuild cost at 10k, 100k and 1M parents
 * (`--quick`: 10k and 50k), side by side with the cost per parent. A tick must stay flat (its
 * cost follows what is due, not who exists); a rebuild may grow linearly and must stay under
 * 60 s at a million.
 *
 * Per size, in a fresh process (its peak RSS is the planner's): a copy of the seeded world, the
 * rebuild at PLANNING_NOW (nothing planned yet: every row is written), then three ticks one
 * minute apart (the steady state: little is new). Both go through bench/lib/planner-under-test.ts
 * (the rebuild on the planner thread, as the app runs it; the ticks inline). The planned file is then
 * handed to the world cache, so "replies while planning" starts from the steady state.
 * `--profile` prints a V8 CPU profile of each pass.
 *
 * Where the app rebuilds on one planner thread (2 cores: one stays for replies), the largest size
 * is rebuilt once more on two (PLANNER_REBUILD_THREADS=2, the default from 3 cores on): what a
 * machine with a core more would get. Reported beside the target, which is the app's default.
 */
import { rmSync } from 'node:fs';
import { checkpoint, openDatabase } from '../src/db/client.js';
import { HEAP_MB_LARGE, inChild } from './lib/child.js';
import { sizeName } from './lib/format.js';
import { plannerUnderTest, rebuildThreads, type PassSummary } from './lib/planner-under-test.js';
import { PLANNING_NOW } from './lib/planning-world.js';
import { profiled } from './lib/profile.js';
import { planningSizes, REBUILD_TARGET_SIZE } from './lib/sizes.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchOutput, Figure } from './lib/types.js';

const TICKS = 3;

interface GrowthResult {
  rebuildMs: number;
  rebuild: PassSummary;
  tickMs: number[];
  ticks: PassSummary[];
}

/** In a child process: the rebuild, then the ticks, on the file at `path` (left checkpointed). */
export async function measurePlanner({ path, ticks, profile, threads }: { path: string; ticks: number; profile: boolean; threads?: number }): Promise<GrowthResult> {
  const db = openDatabase(path);
  const planner = plannerUnderTest(db, PLANNING_NOW, threads);
  const timed = async (label: string, pass: () => Promise<PassSummary>): Promise<{ ms: number; summary: PassSummary }> => {
    const started = performance.now();
    if (!profile) {
      const summary = await pass();
      return { ms: performance.now() - started, summary };
    }
    const { value, lines } = await profiled(pass);
    const ms = performance.now() - started;
    process.stderr.write(`  ${label}:\n${lines.map((l) => `    ${l}`).join('\n')}\n`);
    return { ms, summary: value };
  };
  await planner.start();
  const rebuild = await timed('rebuild', () => planner.rebuild(PLANNING_NOW));
  const tickMs: number[] = [];
  const summaries: PassSummary[] = [];
  for (let i = 1; i <= ticks; i++) {
    const t = await timed(`tick ${i}`, () => planner.tick(new Date(PLANNING_NOW.getTime() + i * 60_000)));
    tickMs.push(t.ms);
    summaries.push(t.summary);
  }
  checkpoint(db);
  db.$client.close();
  return { rebuildMs: rebuild.ms, rebuild: rebuild.summary, tickMs, ticks: summaries };
}

export const plannerGrowth: Benchmark = {
  name: 'planner-growth',
  title: 'Planner growth: a tick and the full rebuild by the number of parents',
  async run(ctx): Promise<BenchOutput> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    const measured: { size: number; tickMs: number; rebuildMs: number }[] = [];
    for (const size of planningSizes(ctx)) {
      const scope = sizeName(size);
      ctx.log(`planner growth: seeding/copying ${scope} parents…`);
      const { world, path } = await ctx.worlds.copy(size);
      figures.push({ metric: 'seed', label: 'seeding the world (bulk, one transaction)', value: world.seedMs / 1000, unit: 's', scope });
      ctx.log(`planner growth: rebuild and ${TICKS} ticks at ${scope}…`);
      const { result: r, maxRssMb } = await inChild<GrowthResult>(import.meta.url, 'measurePlanner', { path, ticks: TICKS, profile: ctx.profile }, { heapMb: HEAP_MB_LARGE });
      ctx.worlds.adoptPlanned(size, path);
      const tick = median(r.tickMs);
      measured.push({ size, tickMs: tick, rebuildMs: r.rebuildMs });
      figures.push(
        { metric: 'rebuild', label: 'full rebuild', value: r.rebuildMs / 1000, unit: 's', scope },
        { metric: 'rebuildPerParent', label: 'full rebuild per parent', value: (r.rebuildMs * 1000) / size, unit: 'µs', scope },
        { metric: 'tick', label: `tick (median of ${TICKS})`, value: tick, unit: 'ms', scope },
        { metric: 'tickPerParent', label: 'tick per parent', value: (tick * 1000) / size, unit: 'µs', scope },
        { metric: 'peakRss', label: 'peak RSS of the planning process', value: maxRssMb, unit: 'MB', scope },
      );
      notes.push(
        `${scope}: seeded ${world.parents.toLocaleString('en-US')} parents (${world.telegramPeople.toLocaleString('en-US')} on Telegram), ${world.children.toLocaleString('en-US')} children in ${(world.seedMs / 1000).toFixed(1)} s; ` +
          `rebuild planned ${r.rebuild.planned?.toLocaleString('en-US') ?? '?'} rows; ticks ${r.tickMs.map((t) => t.toFixed(0)).join(' / ')} ms, planning ${r.ticks.map((t) => t.planned ?? '?').join(' / ')} new rows`,
      );
    }
    const first = measured[0];
    const last = measured[measured.length - 1];
    if (first && last && last !== first) {
      const range = `${sizeName(last.size)} ÷ ${sizeName(first.size)}`;
      figures.push(
        { metric: 'tickGrowth', label: `tick growth (${range}; ${last.size / first.size}× the parents)`, value: last.tickMs / first.tickMs, unit: '×' },
        {
          metric: 'rebuildPerParentGrowth',
          label: `rebuild cost per parent growth (${range}; 1 = linear)`,
          value: last.rebuildMs / last.size / (first.rebuildMs / first.size),
          unit: '×',
        },
      );
    }
    if (last && rebuildThreads() < 2) {
      const scope = sizeName(last.size);
      ctx.log(`planner growth: the rebuild at ${scope} again, on 2 planner threads…`);
      const { path } = await ctx.worlds.copy(last.size);
      const { result: r } = await inChild<GrowthResult>(import.meta.url, 'measurePlanner', { path, ticks: 0, profile: false, threads: 2 }, { heapMb: HEAP_MB_LARGE });
      figures.push({ metric: 'rebuildTwoThreads', label: 'full rebuild on 2 planner threads (PLANNER_REBUILD_THREADS=2; the default from 3 cores on)', value: r.rebuildMs / 1000, unit: 's', scope });
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
    if (last) {
      const projected = last.size !== REBUILD_TARGET_SIZE;
      figures.push({
        metric: 'rebuildAtTarget',
        label: projected ? `full rebuild at ${sizeName(REBUILD_TARGET_SIZE)} (projected linearly from ${sizeName(last.size)})` : `full rebuild at ${sizeName(REBUILD_TARGET_SIZE)}`,
        value: ((last.rebuildMs / last.size) * REBUILD_TARGET_SIZE) / 1000,
        unit: 's',
      });
    }
    notes.push(
      `The rebuild ran as the app runs it, on ${rebuildThreads()} planner thread(s) (src/jobs/rebuild-pool.ts; BENCH_REBUILD_THREADS to compare); the ticks on this thread (the app runs them on the planner thread, ADR 0012): see "replies while planning" for what parents notice.`,
    );
    return { figures, notes };
  },
};
