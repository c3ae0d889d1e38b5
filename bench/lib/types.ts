/**
 * What a benchmark is to the suite (bench/run.ts): a name, a title and a `run` that returns
 * figures. Targets are not here: bench/targets.ts holds every one of them, by benchmark and
 * metric, and the suite compares.
 */
import type { WorldCache } from './planning-world.js';

export interface Figure {
  /** Stable id within the benchmark; bench/targets.ts refers to it. */
  metric: string;
  /** What it is, for people: "reply p99". */
  label: string;
  /** null: not measured (the step failed); a figure with a target then fails. */
  value: number | null;
  unit: string;
  /** The size or mode the figure belongs to ("10k", "all"); a target applies to every scope. */
  scope?: string;
}

export interface BenchOutput {
  figures: Figure[];
  /** Lines worth reading beside the figures (what was seeded, warnings the app logged…). */
  notes: string[];
}

export interface BenchContext {
  quick: boolean;
  /** The private redis-server of this run (or REDIS_URL). */
  redisUrl: string;
  /** This run's folder (seeded databases); removed at the end. */
  tempDir: string;
  /** Seeded planning worlds, shared by the benchmarks that use the same sizes. */
  worlds: WorldCache;
  /** `--sizes`: parents in the database for the planner benchmarks, instead of the defaults (bench/lib/sizes.ts). */
  sizes?: number[];
  /** A V8 CPU profile of the planner's passes (`--profile`). */
  profile: boolean;
  /** Progress on stderr (the table goes to stdout). */
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchOutput>;
}
