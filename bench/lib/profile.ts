/**
 * `--profile`: V8's sampling profiler in this process around one step, summarized by function
 * (moved from scripts/bench-nurture.ts): inclusive time of our own functions (src/) and the
 * biggest self times anywhere. An anonymous function is named after its caller.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/** Runs `step` under the profiler; returns its result and the summary lines. */
export async function profiled<T>(step: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 10 ms samples: a pass of minutes stays a profile of a manageable size.
  await session.post('Profiler.setSamplingInterval', { interval: 10_000 });
  await session.post('Profiler.start');
  const started = performance.now();
  const value = await step();
  const wallMs = performance.now() - started;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  // BENCH_PROFILE_DIR=<dir>: the whole profile as well, for Chrome's DevTools.
  if (process.env.BENCH_PROFILE_DIR) writeFileSync(join(process.env.BENCH_PROFILE_DIR, `step-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  return { value, lines: summarize(profile as unknown as CpuProfile, wallMs) };
}

function summarize(profile: CpuProfile, wallMs: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const perHit = (profile.endTime - profile.startTime) / 1000 / Math.max(1, hits);
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  const walk = (id: number, parent: string, open: Set<string>): number => {
    const n = byId.get(id);
    if (!n) return 0;
    const name = n.callFrame.functionName || `${parent} > (anonymous)`;
    const key = `${name} [${basename(n.callFrame.url || 'native')}]`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
    const mine = !open.has(key);
    if (mine) open.add(key);
    let sum = n.hitCount ?? 0;
    for (const c of n.children ?? []) sum += walk(c, name, open);
    if (mine) {
      open.delete(key);
      if (n.callFrame.url.includes('/src/')) inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    }
    return sum;
  };
  const root = profile.nodes[0];
  if (root) walk(root.id, '', new Set());
  const top = (m: Map<string, number>, k: number): string[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, h]) => `${(h * perHit).toFixed(0).padStart(7)} ms  ${key}`);
  return [`profiled: ${wallMs.toFixed(0)} ms wall`, 'inclusive, src/ functions:', ...top(inclusive, 16), 'self time, any function:', ...top(self, 10)];
}
