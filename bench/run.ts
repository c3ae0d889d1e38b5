/**
 * `npm run bench`: the benchmark suite of issue 13. Runs every benchmark (or `--only` some) against
 * a private redis-server, SQLite on disk and the project's fake Bot API on loopback; prints one
 * table; writes bench/results.json (machine, commit, date, every figure with its target and
 * verdict); exits 1 when a target is missed or a benchmark fails. Targets: bench/targets.ts.
 * What each figure means: docs/benchmarks.md. Markdown of a results file: bench/report.ts.
 *
 *   npm run bench                          the full suite (within 30 minutes on 2 cores)
 *   npm run bench -- --quick               smaller sizes and windows (within 5 minutes, for CI)
 *   npm run bench -- --only planner-growth,pipeline-cost
 *   npm run bench -- --only planner-growth --profile    V8 CPU profiles of the planner's passes
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startRedisServer } from '../test/support/redis-server.js';
import { broadcastFanout } from './broadcast-fanout.js';
import { channelLimit } from './channel-limit.js';
import { cleanup, cleanupOnInterrupt } from './lib/cleanup.js';
import { codeState, loadAverage, machine, REPO_ROOT } from './lib/machine.js';
import { WorldCache } from './lib/planning-world.js';
import { header, judge, textTable, type BenchResult, type Results } from './lib/results.js';
import type { Benchmark, BenchContext } from './lib/types.js';
import { memory } from './memory.js';
import { pipelineCost } from './pipeline-cost.js';
import { plannerGrowth } from './planner-growth.js';
import { repliesUnderLoad } from './replies-under-load.js';
import { repliesWhilePlanning } from './replies-while-planning.js';
import { twoWorkers } from './two-workers.js';

/** In running order: planner growth hands its planned worlds to "replies while planning". */
const BENCHMARKS: Benchmark[] = [repliesUnderLoad, plannerGrowth, repliesWhilePlanning, broadcastFanout, pipelineCost, channelLimit, twoWorkers, memory];

const program = new Command()
  .name('npm run bench --')
  .description('The Ouderbrug benchmark suite (issue 13): one table, bench/results.json, exit 1 when a target is missed.')
  .option('--quick', 'smaller sizes and shorter windows (10k/50k parents, 20 s at the limit): within 5 minutes, for CI')
  .option('--only <names>', `comma-separated benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`)
  .option('--sizes <parents>', 'parents in the database for planner-growth and replies-while-planning, comma-separated (default 10000,100000,1000000; quick 10000,50000)')
  .option('--profile', "V8 CPU profiles of the planner's passes (planner-growth)")
  .option('--out <file>', 'where the results go', join(REPO_ROOT, 'bench', 'results.json'))
  .option('--list', 'list the benchmarks and exit');

async function main(): Promise<number> {
  const opts = program.parse(process.argv).opts<{ quick?: boolean; only?: string; sizes?: string; profile?: boolean; out: string; list?: boolean }>();
  if (opts.list) {
    for (const b of BENCHMARKS) console.log(`${b.name.padEnd(24)} ${b.title}`);
    return 0;
  }
  const only = opts.only ? opts.only.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const unknown = (only ?? []).filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const selected = only ? BENCHMARKS.filter((b) => only.includes(b.name)) : BENCHMARKS;
  const quick = opts.quick === true;
  const sizes = opts.sizes ? opts.sizes.split(',').map((s) => Number(s.trim().replace(/_/g, ''))) : undefined;
  if (sizes?.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`--sizes: whole numbers of parents, e.g. 10000,50000 (got ${opts.sizes})`);
    return 2;
  }
  cleanupOnInterrupt();
  const started = new Date();
  const startedMs = performance.now();
  const loadStart = loadAverage();
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - startedMs) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

  const redis = process.env.REDIS_URL ? null : await startRedisServer();
  cleanup.stopRedis = redis ? () => redis.stop() : null;
  const tempDir = mkdtempSync(join(tmpdir(), 'ouderbrug-bench-'));
  cleanup.tempDirs.add(tempDir);
  const ctx: BenchContext = { quick, redisUrl: process.env.REDIS_URL || redis!.url, tempDir, worlds: new WorldCache(tempDir), ...(sizes ? { sizes } : {}), profile: opts.profile === true, log };

  const benchmarks: BenchResult[] = [];
  try {
    for (const b of selected) {
      log(`${b.name}: ${b.title}`);
      const t = performance.now();
      try {
        const out = await b.run(ctx);
        benchmarks.push({ name: b.name, title: b.title, durationS: (performance.now() - t) / 1000, notes: out.notes, figures: out.figures.map((f) => judge(b.name, f, quick)) });
      } catch (err) {
        log(`${b.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        benchmarks.push({ name: b.name, title: b.title, durationS: (performance.now() - t) / 1000, error: err instanceof Error ? err.message : String(err), notes: [], figures: [] });
      }
      log(`${b.name} done in ${(benchmarks.at(-1)!.durationS).toFixed(0)} s`);
    }
  } finally {
    await cleanup.stopRedis?.();
    cleanup.stopRedis = null;
    rmSync(tempDir, { recursive: true, force: true });
    cleanup.tempDirs.delete(tempDir);
  }

  const durationS = (performance.now() - startedMs) / 1000;
  // The suite's own time is judged only when it ran whole.
  if (!only) benchmarks.push({ name: 'suite', title: 'The whole suite', durationS, notes: [], figures: [judge('suite', { metric: 'duration', label: 'the whole suite', value: durationS / 60, unit: 'min' }, quick)] });
  const results: Results = {
    date: started.toISOString(),
    code: codeState(),
    machine: machine(),
    loadAverage: { start: loadStart, end: loadAverage() },
    options: { quick, only, ...(sizes ? { sizes } : {}) },
    durationS,
    passed: benchmarks.every((b) => !b.error && b.figures.every((f) => f.verdict !== 'FAIL')),
    benchmarks,
  };
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${header(results)}\n`);
  console.log(textTable(results));
  const notes = benchmarks.filter((b) => b.notes.length);
  if (notes.length) {
    console.log('\nNotes:');
    for (const b of notes) for (const n of b.notes) console.log(`  ${b.name}: ${n}`);
  }
  console.log(`\nResults: ${opts.out} (markdown: npx tsx bench/report.ts)`);
  return results.passed ? 0 : 1;
}

process.exitCode = await main();
