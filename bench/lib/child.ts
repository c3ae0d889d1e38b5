/**
 * Runs one exported async function of a benchmark module in a fresh process (child.process.ts)
 * and resolves with its result and the process's peak RSS. The module must have no side effects
 * on import (only exports), and the argument and result must survive JSON (IPC).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.js';
import { REPO_ROOT } from './machine.js';

const ENTRY = fileURLToPath(new URL('./child.process.ts', import.meta.url));

export interface ChildOptions {
  /** --max-old-space-size in MB; see HEAP_MB_LARGE. */
  heapMb?: number;
  timeoutMs?: number;
  /** `--expose-gc`: the function may call `global.gc()` (memory benchmarks measure the heap after a collection). */
  exposeGc?: boolean;
}

/**
 * The heap limit for processes that hold a planning world of up to a million parents.
 * Today's planner loads everyone into memory (issue 13: 1.4 GB RSS at 300k), above V8's default
 * limit at 1M: the figure to watch is the peak RSS the benchmarks report, not a crash.
 */
export const HEAP_MB_LARGE = 12_288;

/**
 * The node options for a child that runs TypeScript from this repository: this process's own
 * (under `npm run bench` the tsx CLI's --require/--import of its loader, as under `npm start`),
 * else `--import tsx`; the heap limit and `--expose-gc` when asked.
 */
export function childExecArgv(heapMb?: number, opts: { exposeGc?: boolean } = {}): string[] {
  const own = process.execArgv.filter((a) => !a.startsWith('--max-old-space-size'));
  const loader = own.some((a) => a.includes('tsx')) ? own : ['--import', 'tsx', ...own];
  // BENCH_CPU_PROF=<dir>: every benchmark child writes a V8 CPU profile there (open in Chrome's DevTools).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return [...loader, ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), ...(opts.exposeGc ? ['--expose-gc'] : []), ...prof];
}

export async function inChild<T>(moduleUrl: string, exportName: string, args: unknown, options: ChildOptions = {}): Promise<{ result: T; maxRssMb: number }> {
  const child: ChildProcess = trackChild(fork(ENTRY, [], { cwd: REPO_ROOT, execArgv: childExecArgv(options.heapMb, { exposeGc: options.exposeGc === true }), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          finish(new Error(`${exportName} did not finish within ${options.timeoutMs} ms`));
        }, options.timeoutMs)
      : undefined;
    const finish = (err: Error | null, value?: { result: T; maxRssMb: number }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    child.on('message', (raw) => {
      const msg = raw as { ok: boolean; result?: T; maxRssMb?: number; error?: string };
      if (msg.ok) finish(null, { result: msg.result as T, maxRssMb: msg.maxRssMb ?? NaN });
      else finish(new Error(`${exportName} in a child process: ${msg.error}`));
    });
    child.once('exit', (code, signal) => finish(new Error(`${exportName}: the child process exited (${signal ?? code}) without a result`)));
    child.send({ moduleUrl, exportName, args });
  });
}
