/** The machine and the code a run measured: results.json carries both, so figures can be compared. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const loadAverage = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

export interface CodeState {
  commit: string;
  /** Files under src/, bench/, test/support/ or config/ changed but not committed: others edit the tree while benchmarks run. */
  uncommitted: string[];
}

export function codeState(): CodeState {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const uncommitted = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench', 'test/support', 'config', 'drizzle'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3))
      .filter((p) => p !== 'bench/results.json');
    return { commit, uncommitted };
  } catch {
    return { commit: 'unknown (no git)', uncommitted: [] };
  }
}
