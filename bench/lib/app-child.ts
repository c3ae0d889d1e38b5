/**
 * Starts the whole bot in its own process (app.process.ts) and talks to it over IPC. The fake
 * Bot API and the simulated parents stay in the benchmark's process, so what the app does (a
 * planning pass, garbage collection) never delays the clock that measures the replies.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childExecArgv } from './child.js';
import { trackChild } from './cleanup.js';
import { REPO_ROOT } from './machine.js';
import type { AppCommand, AppMemory, AppStats } from './app.process.js';

const ENTRY = fileURLToPath(new URL('./app.process.ts', import.meta.url));

export interface TickInfo {
  ms: number;
  people: number | null;
  planned: number | null;
  enqueued: number | null;
}

export interface AppProcess {
  readonly pid: number;
  /** From createApp to app.start() resolved (the planner's first tick included). */
  readonly startMs: number;
  tick(): Promise<TickInfo>;
  stats(reset?: boolean): Promise<AppStats>;
  /** Two full garbage collections, then the main thread's memory (needs `exposeGc`). */
  gc(): Promise<AppMemory>;
  /** Writes a heap snapshot of the main thread to `path` (diagnosis: compare two in Chrome's DevTools). */
  heapSnapshot(path: string): Promise<string>;
  /** Stops the app; resolves with its last figures. */
  stop(): Promise<AppStats>;
}

export interface AppProcessOptions {
  /** The app's configuration (src/config.ts keys); nothing else of this process's environment is passed. */
  env: Record<string, string>;
  /** The domain clock starts here and moves at real speed. */
  clockBase?: Date;
  heapMb?: number;
  startTimeoutMs?: number;
  /** Start the app with `--expose-gc`, so `gc()` can collect before it measures the heap. */
  exposeGc?: boolean;
}

/** Diagnosis: BENCH_APP_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles each app process (written when it stops). */
const extraNodeOptions = (): string[] => (process.env.BENCH_APP_NODE_OPTIONS ?? '').split(' ').filter(Boolean);

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  // Only what the app needs: a developer's TELEGRAM_* or WHATSAPP_* must not leak into the benchmark.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp', LOG_LEVEL: 'warn', ...options.env };
  if (options.clockBase) env.BENCH_CLOCK_BASE = options.clockBase.toISOString();
  const child = trackChild(fork(ENTRY, [], { cwd: REPO_ROOT, env, execArgv: [...childExecArgv(options.heapMb, { exposeGc: options.exposeGc === true }), ...extraNodeOptions()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const startMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not start within ${options.startTimeoutMs ?? 600_000} ms`));
    }, options.startTimeoutMs ?? 600_000);
    child.on('message', (raw) => {
      const msg = raw as { type?: string; startMs?: number; error?: string; id?: number; ok?: boolean; result?: unknown };
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.startMs ?? NaN);
      } else if (msg.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the app failed to start: ${msg.error}`));
      } else if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.result);
        else p?.reject(new Error(msg.error ?? 'app command failed'));
      }
    });
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const err = new Error(`the app process exited (${signal ?? code})`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      reject(err);
    });
  });
  const call = <T>(command: AppCommand): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('the app process has exited'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, ...command });
    });
  return {
    pid: child.pid ?? -1,
    startMs,
    tick: () => call<TickInfo>({ cmd: 'tick' }),
    stats: (reset = false) => call<AppStats>({ cmd: 'stats', reset }),
    gc: () => call<AppMemory>({ cmd: 'gc' }),
    heapSnapshot: (path) => call<string>({ cmd: 'heapSnapshot', path }),
    async stop() {
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        return await call<AppStats>({ cmd: 'stop' });
      } finally {
        clearTimeout(killer);
        if (!exited) await new Promise<void>((r) => child.once('exit', () => r()));
      }
    },
  };
}

/** "; app warnings: "x" × 3, …" for a note, or nothing. */
export function warningsNote(s: AppStats): string {
  const entries = Object.entries(s.warnings);
  return entries.length ? `; app warnings: ${entries.map(([m, n]) => `"${m}" × ${n}`).join(', ')}` : '';
}

/** The first line of each warning the app logged, to the progress log (stderr): where to start looking. */
export function logWarningSamples(log: (line: string) => void, s: AppStats): void {
  for (const line of Object.values(s.samples)) log(`  app log: ${line}`);
}
