/**
 * Replies while planning (issue 13): 100 parents chat (/menu, 1 s to think, as the issue's
 * measurement) with 10k, 100k and 1M parents in the database (`--quick`: 10k and 50k) while the
 * planner runs three ticks. Targets: reply p99 < 50 ms at every size, the largest event-loop stall
 * of the app process < 50 ms.
 *
 * The real app in its own process (bench/lib/app.process.ts: createApp, the real Telegram adapter
 * long-polling the fake Bot API, BullMQ on the private Redis, SQLite on disk, planner on), started
 * on a copy of the world that is already planned (the steady state of a running bot; its start is
 * a restart). Replies have their own budget and no chat limit (TELEGRAM_REPLY_RATE_PER_SECOND=1000,
 * TELEGRAM_CHAT_BURST=100) and the fake has no flood control, so what is measured is the app. The
 * three ticks are asked for over IPC, one after the other with 2 s of chat between them; the
 * planner's own minutely schedule still runs, so a fourth tick may fall in the window (as in
 * production). The domain clock is the world's "now" (a Tuesday 10:00) moving at real speed.
 */
import { rmSync } from 'node:fs';
import { openDatabase } from '../src/db/client.js';
import { createInitiative } from '../src/db/initiatives.repo.js';
import { startFakeBotApi } from '../test/support/fake-bot-api.js';
import { logWarningSamples, startAppProcess, warningsNote, type TickInfo } from './lib/app-child.js';
import { seedChatParents, startChatters } from './lib/chatters.js';
import { HEAP_MB_LARGE } from './lib/child.js';
import { sizeName, sleep } from './lib/format.js';
import { PLANNING_NOW, WORLD_CHAT_BASE } from './lib/planning-world.js';
import { planningSizes } from './lib/sizes.js';
import { latencyFigures, median } from './lib/stats.js';
import type { Benchmark, BenchOutput, Figure } from './lib/types.js';

const CHATTERS = 100;
const THINK_MS = 1_000;
const TICKS = 3;
const CHAT_BASE = 70_000_000;
/** Chat before the measurement starts (everyone has sent a first message) and between ticks. */
const WARM_UP_MS = 3_000;
const BETWEEN_TICKS_MS = 2_000;

export const repliesWhilePlanning: Benchmark = {
  name: 'replies-while-planning',
  title: 'Replies while planning: 100 parents chat while the planner ticks, by the number of parents',
  async run(ctx): Promise<BenchOutput> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    for (const size of planningSizes(ctx)) {
      const scope = sizeName(size);
      ctx.log(`replies while planning: a planned world of ${scope}…`);
      const { world, path } = await ctx.worlds.plannedCopy(size);
      const db = openDatabase(path);
      const initiative = createInitiative(db, { name: 'Samen naar De Linde', school: 'De Linde', neighbourhood: 'Oost', contact: 'x@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'chat' }, 'bench');
      seedChatParents(db.$client, initiative.id, CHAT_BASE, CHATTERS, () => 'nl');
      db.$client.close();
      const chatIds = Array.from({ length: CHATTERS }, (_, i) => CHAT_BASE + i);
      const api = await startFakeBotApi();
      for (const id of chatIds) api.meet(id);
      // The world's parents started the bot long ago: their reminders are delivered, not refused.
      for (let id = 1; id <= world.parents; id++) api.meet(WORLD_CHAT_BASE + id);
      try {
        ctx.log(`replies while planning: starting the app on ${scope} parents (its first tick is a restart's)…`);
        const app = await startAppProcess({
          env: {
            TELEGRAM_BOT_TOKEN: api.token,
            TELEGRAM_API_ROOT: api.apiRoot,
            DATABASE_PATH: path,
            HTTP_PORT: '0',
            REDIS_URL: ctx.redisUrl,
            REDIS_PREFIX: `rwp${size}x${Math.random().toString(36).slice(2, 8)}`,
            TELEGRAM_REPLY_RATE_PER_SECOND: '1000',
            TELEGRAM_CHAT_BURST: '100',
            TELEGRAM_CHAT_PER_SECOND: '100',
          },
          clockBase: PLANNING_NOW,
          heapMb: HEAP_MB_LARGE,
        });
        const chatters = startChatters(api, chatIds, THINK_MS);
        const ticks: TickInfo[] = [];
        try {
          await sleep(WARM_UP_MS);
          await app.stats(true);
          chatters.measure(true);
          const windowStart = performance.now();
          for (let i = 0; i < TICKS; i++) {
            ctx.log(`replies while planning: ${scope}, tick ${i + 1} of ${TICKS}…`);
            ticks.push(await app.tick());
            await sleep(BETWEEN_TICKS_MS);
          }
          chatters.measure(false);
          const windowS = (performance.now() - windowStart) / 1000;
          const s = await app.stats();
          logWarningSamples(ctx.log, s);
          await chatters.stop();
          figures.push(
            ...latencyFigures(chatters.latencies, scope),
            { metric: 'loopStall', label: 'largest event-loop stall (app process)', value: s.loop.maxMs, unit: 'ms', scope },
            { metric: 'unanswered', label: `messages without an answer within 10 s`, value: chatters.unanswered(), unit: '', scope },
            { metric: 'tick', label: `tick as asked (median of ${TICKS})`, value: median(ticks.map((t) => t.ms)), unit: 'ms', scope },
            { metric: 'startMs', label: 'app start (with its first planner tick)', value: app.startMs / 1000, unit: 's', scope },
            { metric: 'peakRss', label: 'peak RSS of the app process', value: s.maxRssMb, unit: 'MB', scope },
          );
          notes.push(
            `${scope}: memory peaks (MB) rss ${s.peaks.rss.toFixed(0)} at ${s.peaks.rssAtS.toFixed(1)} s, heap total ${s.peaks.heapTotal.toFixed(0)}, heap used ${s.peaks.heapUsed.toFixed(0)}, external ${s.peaks.external.toFixed(0)}, array buffers ${s.peaks.arrayBuffers.toFixed(0)}`,
            `${scope}: ${chatters.latencies.length} replies in a ${windowS.toFixed(1)} s window; ticks ${ticks.map((t) => `${t.ms.toFixed(0)} ms (${t.people ?? '?'} parents, ${t.planned ?? '?'} rows, ${t.enqueued ?? '?'} enqueued)`).join(', ')}; ` +
              `event-loop p99 ${s.loop.p99Ms.toFixed(0)} ms, mean ${s.loop.meanMs.toFixed(1)} ms, longest stalls ${s.stalls.map((x) => `${x.ms.toFixed(0)} ms`).join(', ') || 'none'}; app CPU ${(s.cpuMs / 1000).toFixed(1)} s in the window` +
              warningsNote(s),
          );
        } finally {
          await chatters.stop();
          await app.stop();
        }
      } finally {
        await api.close();
        rmSync(path, { force: true });
        rmSync(`${path}-wal`, { force: true });
        rmSync(`${path}-shm`, { force: true });
      }
    }
    return { figures, notes };
  },
};
