/**
 * The process's write lock (src/db/write-lock.ts): a transaction of the guarded connection waits
 * for a planner thread's write and runs the moment it ends (not after SQLite's busy handler's
 * next sleep), and a planner thread does not start a write while that connection waits for one.
 * The planner side runs in a real worker_thread (through tsx's loader, as the planner thread does).
 * Every transaction of a planner thread's connection holds the lock too (not only the groups'
 * writes), and a transaction inside a held write does not wait for itself. Two planner threads
 * write a batch's groups in turns, while the main connection still gets in between two groups.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { guardTransactions, newWriteLock } from '../../src/db/write-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-write-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `code` (eval) in a worker_thread: it posts 'ready', then its result, and ends. */
function startThread<T>(code: string, workerData: object): { ready: Promise<void>; done: Promise<T> } {
  const worker = new Worker(code, { eval: true, workerData });
  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const done = new Promise<T>((resolve, reject) => {
    worker.on('message', (m: 'ready' | T) => (m === 'ready' ? ready() : void worker.terminate().then(() => resolve(m))));
    worker.once('error', reject);
  });
  return { ready: started, done };
}

/** A thread that takes the lock `times` times, holding it `holdMs` each (busy, as a write is), and reports when. */
function plannerThread(lock: SharedArrayBuffer, times: number, holdMs: number): { ready: Promise<void>; done: Promise<{ from: number; to: number }[]> } {
  const entry = new URL('../../src/db/write-lock.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)})).then(({ plannerWrites }) => {
      const write = plannerWrites(workerData.lock);
      const spans = [];
      const origin = performance.timeOrigin;
      parentPort.postMessage('ready');
      for (let i = 0; i < workerData.times; i++) {
        write(() => {
          const from = origin + performance.now();
          while (origin + performance.now() < from + workerData.holdMs) {}
          spans.push({ from, to: origin + performance.now() });
        });
      }
      parentPort.postMessage(spans);
    });`;
  return startThread<{ from: number; to: number }[]>(code, { lock, times, holdMs });
}

/**
 * A planner thread that writes in turns (plannerTurns): `turns` times, a turn of `groups` writes
 * (plannerWrites) of `holdMs` each, with `planMs` of planning before each turn. Reports every
 * write's span with its turn.
 */
function turnsThread(lock: SharedArrayBuffer, turns: number, groups: number, holdMs: number, planMs: number): { ready: Promise<void>; done: Promise<{ turn: number; from: number; to: number }[]> } {
  const entry = new URL('../../src/db/write-lock.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)})).then(({ plannerWrites, plannerTurns }) => {
      const write = plannerWrites(workerData.lock);
      const turn = plannerTurns(workerData.lock);
      const origin = performance.timeOrigin;
      const busy = (ms) => { const until = performance.now() + ms; while (performance.now() < until) {} };
      const spans = [];
      parentPort.postMessage('ready');
      for (let t = 0; t < workerData.turns; t++) {
        busy(workerData.planMs);
        turn(() => {
          for (let g = 0; g < workerData.groups; g++) {
            write(() => {
              const from = origin + performance.now();
              busy(workerData.holdMs);
              spans.push({ turn: t, from, to: origin + performance.now() });
            });
          }
        });
      }
      parentPort.postMessage(spans);
    });`;
  return startThread<{ turn: number; from: number; to: number }[]>(code, { lock, turns, groups, holdMs, planMs });
}

/**
 * A planner thread with its own connection to `path`: `times` transactions of that connection
 * (not through the group writes' gate), each busy for `holdMs`, plus one transaction inside a
 * gated write (re-entrant: it must not wait for the lock it holds). Reports the spans and how long
 * the nested one took.
 */
function plannerConnection(lock: SharedArrayBuffer, path: string, times: number, holdMs: number): { ready: Promise<void>; done: Promise<{ spans: { from: number; to: number; holder: number }[]; nestedMs: number }> } {
  const entry = new URL('../support/planner-connection.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    (async () => {
      const { tsImport } = await import(${JSON.stringify(api)});
      const { openDatabase, plannerWrites, guardPlannerTransactions } = await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)});
      const db = openDatabase(workerData.path);
      const gate = plannerWrites(workerData.lock);
      guardPlannerTransactions(db.$client, gate);
      const insert = db.$client.prepare('insert into t values (2)');
      const origin = performance.timeOrigin;
      const spans = [];
      parentPort.postMessage('ready');
      for (let i = 0; i < workerData.times; i++) {
        db.$client.transaction(() => {
          const from = origin + performance.now();
          // The lock's cell says who holds it: 1, this planner thread.
          const holder = Atomics.load(new Int32Array(workerData.lock), 0);
          insert.run();
          while (origin + performance.now() < from + workerData.holdMs) {}
          spans.push({ from, to: origin + performance.now(), holder });
        })();
      }
      const t = performance.now();
      gate(() => db.$client.transaction(() => insert.run())());
      const nestedMs = performance.now() - t;
      db.$client.close();
      parentPort.postMessage({ spans, nestedMs });
    })();`;
  return startThread<{ spans: { from: number; to: number; holder: number }[]; nestedMs: number }>(code, { lock, path, times, holdMs });
}

const now = (): number => performance.timeOrigin + performance.now();

/** One transaction of `sqlite` running `insert`: when it was asked for, and when it ran (so how long it waited for the lock). */
function timedCommit(sqlite: Database.Database, insert: () => unknown): { asked: number; from: number; to: number } {
  const asked = now();
  let from = 0;
  let to = 0;
  sqlite.transaction(() => {
    from = now();
    insert();
    to = now();
  })();
  return { asked, from, to };
}

describe('the write lock between planner threads and the main connection', () => {
  it("a transaction waits for the planner's write, runs the moment it ends, and no planner write overlaps it", async () => {
    const db = openDatabase(join(dir, 'lock.db'));
    db.$client.exec('create table t (x integer)');
    const lock = newWriteLock();
    guardTransactions(db.$client, lock);
    const insert = db.$client.transaction(() => db.$client.prepare('insert into t values (1)').run());
    try {
      // The planner writes 40 times for 5 ms each (200 ms of writing); this thread commits meanwhile.
      const planner = plannerThread(lock, 40, 5);
      await planner.ready;
      const ours: { asked: number; from: number; to: number }[] = [];
      const startedAt = now();
      while (now() - startedAt < 3000 && ours.length < 30) {
        await new Promise((r) => setTimeout(r, 3));
        ours.push(timedCommit(db.$client, insert));
      }
      const spans = await planner.done;
      expect(spans).toHaveLength(40);
      // Never at the same time: each of our transactions lies outside every planner write.
      for (const o of ours) for (const s of spans) expect(o.to <= s.from || o.from >= s.to).toBe(true);
      // Some of ours had to wait for a write (the planner wrote most of the time), and none waited
      // for much more than one write of 5 ms (the bound leaves room for a busy machine's scheduler).
      const waits = ours.map((o) => o.from - o.asked);
      expect(Math.max(...waits)).toBeGreaterThan(0.5);
      expect(Math.max(...waits)).toBeLessThan(50);
      expect(db.$client.prepare('select count(*) from t').pluck().get()).toBe(ours.length);
    } finally {
      guardTransactions(db.$client, null);
      db.$client.close();
    }
  }, 30_000);

  it("every transaction of a planner thread's connection holds the lock, and one inside a held write does not wait for itself", async () => {
    const path = join(dir, 'planner-tx.db');
    const db = openDatabase(path);
    db.$client.exec('create table t (x integer)');
    const lock = newWriteLock();
    guardTransactions(db.$client, lock);
    try {
      const planner = plannerConnection(lock, path, 40, 5);
      await planner.ready;
      const ours: { from: number; to: number }[] = [];
      const startedAt = now();
      while (now() - startedAt < 3000 && ours.length < 30) {
        await new Promise((r) => setTimeout(r, 3));
        db.$client.transaction(() => {
          const from = now();
          db.$client.prepare('insert into t values (1)').run();
          ours.push({ from, to: now() });
        })();
      }
      const { spans, nestedMs } = await planner.done;
      expect(spans).toHaveLength(40);
      // Each ran holding the process's lock (1: a planner thread), not only SQLite's.
      expect(spans.map((s) => s.holder)).toEqual(spans.map(() => 1));
      for (const o of ours) for (const s of spans) expect(o.to <= s.from || o.from >= s.to).toBe(true);
      // Without re-entrancy it would wait for its own lock until the planner's bound (2 s).
      expect(nestedMs).toBeLessThan(500);
      expect(db.$client.prepare('select count(*) from t where x = 2').pluck().get()).toBe(41);
    } finally {
      guardTransactions(db.$client, null);
      db.$client.close();
    }
  }, 30_000);

  it("two planner threads write a batch's groups in turns (never one group of each in between), and the main connection gets in between two groups", async () => {
    const db = openDatabase(join(dir, 'turns.db'));
    db.$client.exec('create table t (x integer)');
    const lock = newWriteLock();
    guardTransactions(db.$client, lock);
    const insert = db.$client.transaction(() => db.$client.prepare('insert into t values (1)').run());
    try {
      // Each: 6 turns of 10 groups of 3 ms, 10 ms of planning before each turn (so the two want to write at once).
      const a = turnsThread(lock, 6, 10, 3, 10);
      const b = turnsThread(lock, 6, 10, 3, 10);
      await Promise.all([a.ready, b.ready]);
      const ours: { asked: number; from: number; to: number }[] = [];
      let finished = false;
      const both = Promise.all([a.done, b.done]).then((r) => {
        finished = true;
        return r;
      });
      while (!finished && ours.length < 200) {
        await new Promise((r) => setTimeout(r, 2));
        ours.push(timedCommit(db.$client, insert));
      }
      const [spansA, spansB] = await both;
      expect(spansA).toHaveLength(60);
      expect(spansB).toHaveLength(60);
      // A turn of one thread: from its first group's start to its last group's end; no write of the other thread inside.
      const turnsOf = (spans: { turn: number; from: number; to: number }[]) =>
        Array.from({ length: 6 }, (_, t) => {
          const mine = spans.filter((s) => s.turn === t);
          return { from: Math.min(...mine.map((s) => s.from)), to: Math.max(...mine.map((s) => s.to)) };
        });
      for (const turn of turnsOf(spansA)) for (const s of spansB) expect(s.to <= turn.from || s.from >= turn.to).toBe(true);
      for (const turn of turnsOf(spansB)) for (const s of spansA) expect(s.to <= turn.from || s.from >= turn.to).toBe(true);
      // Ours never overlap a write, and some ran inside a turn (between two of its groups), without waiting for the turn to end.
      const all = [...spansA, ...spansB];
      for (const o of ours) for (const s of all) expect(o.to <= s.from || o.from >= s.to).toBe(true);
      const insideTurn = ours.filter((o) => [...turnsOf(spansA), ...turnsOf(spansB)].some((t) => o.from > t.from && o.to < t.to));
      expect(insideTurn.length).toBeGreaterThan(0);
      expect(Math.max(...ours.map((o) => o.from - o.asked))).toBeLessThan(50);
    } finally {
      guardTransactions(db.$client, null);
      db.$client.close();
    }
  }, 30_000);
});
