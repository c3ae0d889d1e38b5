/**
 * Replies under load (issue 13): 100, 300 and 1,000 (`--quick`: 100 and 300) new parents scan the same flyer at the same
 * moment and go through the whole onboarding (test/support/crowd.ts: language, consent, name,
 * child, postcode, "how did you hear of us"), each answering the moment a question arrives.
 * The real app in its own process (createApp, the real Telegram adapter long-polling the fake Bot
 * API, SQLite on disk, Redis, reminders on), with the messengers' limits out of the way (the
 * fake without flood control; replies with their own budget and no chat limit), so what is
 * measured is what the app can do: updates per second, the latency from an update to the first
 * reply (p50/p95/p99/max), the app's CPU per update and its peak RSS. What Telegram's limits do
 * to a crowd is docs/benchmarks.md's history ("A flyer brings a crowd").
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { createInitiative } from '../src/db/initiatives.repo.js';
import { runCrowd } from '../test/support/crowd.js';
import { startFakeBotApi } from '../test/support/fake-bot-api.js';
import { logWarningSamples, startAppProcess, warningsNote } from './lib/app-child.js';
import { num } from './lib/format.js';
import { latencyFigures } from './lib/stats.js';
import type { Benchmark, BenchOutput, Figure } from './lib/types.js';

/** `--quick` leaves out the 1,000 (about a minute). */
const sizes = (quick: boolean): number[] => (quick ? [100, 300] : [100, 300, 1_000]);
const REPLY_TIMEOUT_MS = 60_000;

export const repliesUnderLoad: Benchmark = {
  name: 'replies-under-load',
  title: 'Replies under load: a crowd of new parents onboarding at once',
  async run(ctx): Promise<BenchOutput> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    for (const size of sizes(ctx.quick)) {
      const scope = `${num(size)} parents`;
      const dir = join(ctx.tempDir, `crowd-${size}`);
      mkdirSync(dir, { recursive: true });
      const dbPath = join(dir, 'bot.db');
      const db = openDatabase(dbPath);
      createInitiative(db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'flyer' }, 'bench');
      db.$client.close();
      const api = await startFakeBotApi();
      try {
        ctx.log(`replies under load: ${size} parents…`);
        const app = await startAppProcess({
          env: {
            TELEGRAM_BOT_TOKEN: api.token,
            TELEGRAM_API_ROOT: api.apiRoot,
            DATABASE_PATH: dbPath,
            HTTP_PORT: '0',
            REDIS_URL: ctx.redisUrl,
            REDIS_PREFIX: `crowd${size}x${Math.random().toString(36).slice(2, 8)}`,
            TELEGRAM_REPLY_RATE_PER_SECOND: '1000',
            TELEGRAM_CHAT_BURST: '100',
            TELEGRAM_CHAT_PER_SECOND: '100',
          },
        });
        try {
          // Start-up calls (getMe, setMyCommands…) are not the crowd's.
          api.resetStats();
          await app.stats(true);
          const r = await runCrowd({ api, parents: size, code: 'flyer', replyTimeoutMs: REPLY_TIMEOUT_MS });
          const s = await app.stats();
          logWarningSamples(ctx.log, s);
          const updates = r.latencies.length;
          const seconds = (r.lastFinishedMs || r.durationMs) / 1000;
          figures.push(
            { metric: 'updatesPerSecond', label: 'updates handled per second', value: updates / seconds, unit: '/s', scope },
            ...latencyFigures(r.latencies, scope),
            { metric: 'cpuPerUpdate', label: 'app CPU per update', value: s.cpuMs / Math.max(1, updates), unit: 'ms', scope },
            { metric: 'peakRss', label: 'peak RSS of the app process', value: s.maxRssMb, unit: 'MB', scope },
            { metric: 'lost', label: 'parents stuck (no question within 60 s)', value: r.stuck.length, unit: '', scope },
            { metric: 'outOfOrder', label: 'turns out of order', value: r.orderViolations.length, unit: '', scope },
          );
          notes.push(
            `${scope}: ${num(updates)} updates, ${num(r.totalMessages)} bot messages in ${seconds.toFixed(1)} s; RSS after the crowd ${s.rssMb.toFixed(0)} MB` +
              warningsNote(s),
          );
        } finally {
          await app.stop();
        }
      } finally {
        await api.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return { figures, notes };
  },
};
