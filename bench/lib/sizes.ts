/** The sizes the suite measures, full and `--quick` (which must finish within 5 minutes). */

/** Parents in the database for the planner benchmarks (issue 13: 10k, 100k, 1M). */
export const planningSizes = (ctx: { quick: boolean; sizes?: number[] }): number[] => ctx.sizes ?? (ctx.quick ? [10_000, 50_000] : [10_000, 100_000, 1_000_000]);

/** The size the rebuild target speaks of. */
export const REBUILD_TARGET_SIZE = 1_000_000;
