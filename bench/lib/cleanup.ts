/**
 * What a benchmark run leaves behind (its temporary folder with the seeded databases, the
 * private redis-server, child processes) goes also when the run is interrupted (Ctrl-C, a kill).
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface RunCleanup {
  /** Folders removed on interrupt (remove them yourself when done, and delete them here). */
  tempDirs: Set<string>;
  /** Child processes killed on interrupt; a child removes itself when it exits. */
  children: Set<ChildProcess>;
  /** Set once a private Redis runs. */
  stopRedis: (() => Promise<void>) | null;
}

export const cleanup: RunCleanup = { tempDirs: new Set(), children: new Set(), stopRedis: null };

/** Tracks a child until it exits. */
export function trackChild(child: ChildProcess): ChildProcess {
  cleanup.children.add(child);
  child.once('exit', () => cleanup.children.delete(child));
  return child;
}

let installed = false;

export function cleanupOnInterrupt(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of cleanup.children) child.kill('SIGKILL');
      for (const dir of cleanup.tempDirs) rmSync(dir, { recursive: true, force: true });
      void (cleanup.stopRedis?.() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
