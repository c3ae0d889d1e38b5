/**
 * What a bench leaves behind (temporary database folders, a private redis-server) is removed
 * also when the run is interrupted with Ctrl-C or a kill.
 */
import { rmSync } from 'node:fs';

export interface BenchCleanup {
  /** Folders to delete on interrupt (delete them yourself when done, and remove them here). */
  tempDirs: Set<string>;
  /** Set once a private Redis runs. */
  stopRedis: (() => Promise<void>) | null;
}

export function cleanupOnInterrupt(): BenchCleanup {
  const state: BenchCleanup = { tempDirs: new Set<string>(), stopRedis: null };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const dir of state.tempDirs) rmSync(dir, { recursive: true, force: true });
      void (state.stopRedis?.() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  return state;
}
