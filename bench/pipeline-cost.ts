/**
 * Pipeline cost against a raw loop (issue 13): with the rate limit off, messages per second through
 * the whole delivery path, divided by messages per second of a bare loop of sendMessage HTTP calls
 * to the same fake Bot API with the same concurrency, in the same process of the same run.
 * Target: ≥ 0.5 (the path costs at most what the HTTP call itself costs).
 *
 * The whole path, in one child process: a broadcast's rows (fanOut, every row due now) → BullMQ on
 * the private Redis → the real delivery worker (its re-check, claim, render, record) → the outbound
 * scheduler's proactive path (the SQLite send budget) → the real Telegram adapter → HTTP → the fake
 * Bot API in the benchmark's process (no flood control). The worker's concurrency is what the bot
 * uses at Telegram's 28/s (workerConcurrency: 14); its limiter and the scheduler's buckets are set
 * far above what is reached. The raw loop: 14 loops posting sendMessage (node:http, keep-alive) to
 * the same chats, once before and once after the pipeline (their mean is the divisor). Each rate
 * is counted from the first to the last answered send, so start-up is not in it.
 */
import http from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createTelegramChannel } from '../src/bot/telegram/telegram.adapter.js';
import type { Clock } from '../src/core/clock.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../src/core/i18n.js';
import { createOutboundScheduler } from '../src/core/outbound/outbound.scheduler.js';
import type { ChannelAdapter, Logger } from '../src/core/ports.js';
import { createBroadcast, setVersion } from '../src/db/broadcasts.repo.js';
import { openDatabase } from '../src/db/client.js';
import { createOutbox, newOutboxOwner } from '../src/db/outbox.repo.js';
import { createSendBudget } from '../src/db/send-budget.repo.js';
import { DEFAULT_POLICY } from '../src/domain/send-window.js';
import { fanOut } from '../src/jobs/broadcast.runner.js';
import { createDeliveryWorker, workerConcurrency } from '../src/jobs/deliver.worker.js';
import { createDeliveryQueues } from '../src/jobs/delivery.queue.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../src/jobs/nurture.config.js';
import { seedInitiative } from '../test/support/broadcast-seed.js';
import { startFakeBotApi } from '../test/support/fake-bot-api.js';
import { seedChatParents } from './lib/chatters.js';
import { inChild } from './lib/child.js';
import { num, sleep } from './lib/format.js';
import { profiled } from './lib/profile.js';
import type { Benchmark, BenchOutput } from './lib/types.js';

const CONCURRENCY = workerConcurrency(28);
const CHAT_BASE = 80_000_000;
/** A Tuesday 10:00 in Amsterdam: no quiet hours hold the rows back. */
const DAYTIME = Date.parse('2026-12-08T09:00:00Z');
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface PipelineResult {
  rawRates: number[];
  pipelineRate: number;
  rows: number;
  sent: number;
  statuses: Record<string, number>;
  /** The pipeline process's CPU time over the pipeline's wall time (1 = one core busy throughout). */
  cpuShare: number;
  /** The pipeline process's CPU time per message sent, in µs (worker, scheduler, adapter, BullMQ client). */
  cpuPerMessageUs: number;
  /** --profile: the pipeline's CPU profile, summarized (bench/lib/profile.ts). */
  profileLines: string[];
  /** The path's parts alone: BullMQ with a processor that does nothing, the Telegram adapter without queue or database. */
  stages: { bullmq: StageRate; adapter: StageRate };
}

/** Sends `total` messages from `concurrency` loops; the rate from the first to the last answer. */
async function rawLoop(apiRoot: string, token: string, chatIds: number[], total: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true });
  const url = new URL(`${apiRoot.replace(/\/$/, "")}/bot${token}/sendMessage`);
  let next = 0;
  let first = 0;
  let last = 0;
  let done = 0;
  const post = (chatId: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ chat_id: chatId, text: 'Zaterdag speelochtend in de <b>Regenboog</b>.', parse_mode: 'HTML' });
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`sendMessage answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await post(chatIds[i % chatIds.length]!);
        const now = performance.now();
        if (done++ === 0) first = now;
        last = now;
      }
    }),
  );
  agent.destroy();
  return (done - 1) / ((last - first) / 1000);
}

interface StageRate {
  rate: number;
  cpuUs: number;
}

/** Rate and CPU per item of `total` items through `run` (which resolves when all are done). */
async function measured(total: number, run: () => Promise<void>): Promise<StageRate> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { rate: total / (ms / 1000), cpuUs: (used.user + used.system) / total };
}

/** BullMQ alone: `total` jobs through a worker of the same concurrency whose processor does nothing. */
async function bareBullmq(redisUrl: string, total: number): Promise<StageRate> {
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `pipeb${Math.random().toString(36).slice(2, 8)}`;
  const queue = new Queue('bare', { connection: producer, prefix });
  try {
    for (let i = 0; i < total; i += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, total - i) }, (_, k) => ({ name: 'd', data: { deliveryId: i + k }, opts: { removeOnComplete: true } })));
    let done = 0;
    return await measured(total, async () => {
      const worker = new Worker('bare', async () => 'sent', { connection: conn, prefix, concurrency: CONCURRENCY, autorun: false });
      const finished = new Promise<void>((resolve) => worker.on('completed', () => void (++done === total && resolve())));
      void worker.run();
      await finished;
      await worker.close();
    });
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    producer.disconnect();
    conn.disconnect();
  }
}

/** The Telegram adapter alone: `total` rendered messages sent by CONCURRENCY loops. */
async function bareAdapter(adapter: ChannelAdapter, chatIds: number[], total: number): Promise<StageRate> {
  const message = { text: 'Zaterdag speelochtend in de <b>Regenboog</b>.', lang: 'nl', dir: 'ltr' as const };
  let next = 0;
  return measured(total, async () => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < total) {
          const i = next++;
          const outcome = await adapter.send(String(chatIds[i % chatIds.length]), message);
          if (outcome.status !== 'sent') throw new Error(`bare adapter: ${outcome.status}`);
        }
      }),
    );
  });
}

/** In a child process: the raw loop, the pipeline, the raw loop again. */
export async function measurePipeline({ path, apiRoot, token, redisUrl, messages, profile }: { path: string; apiRoot: string; token: string; redisUrl: string; messages: number; profile?: boolean }): Promise<PipelineResult> {
  const db = openDatabase(path);
  const started = Date.now();
  const clock: Clock = { now: () => new Date(DAYTIME + (Date.now() - started)), sleep: (ms) => sleep(ms) };
  const chatIds = Array.from({ length: messages }, (_, i) => CHAT_BASE + i);
  const rawRates = [await rawLoop(apiRoot, token, chatIds, messages, CONCURRENCY)];

  const planDeps = { db, rules: loadReminderRules(), clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS };
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `pipe${Math.random().toString(36).slice(2, 8)}`;
  const queues = createDeliveryQueues(producer, prefix, ['telegram']);
  const telegram = createTelegramChannel({ token, apiRoot, logger: silent, onInbound: async () => undefined, commands: [], defaultLanguage: 'nl' });
  // Stamps each answered send: the pipeline's rate, like the raw loop's, from the first to the last.
  let first = 0;
  let last = 0;
  let answered = 0;
  const stamped: ChannelAdapter = {
    name: 'telegram',
    async send(chatId, message, options) {
      const outcome = await telegram.send(chatId, message, options);
      const now = performance.now();
      if (answered++ === 0) first = now;
      last = now;
      return outcome;
    },
  };
  const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
  const scheduler = createOutboundScheduler({
    channel: 'telegram',
    adapter: stamped,
    limits: { bot: { capacity: 100_000, perSecond: 100_000 }, chat: { capacity: 1_000, perSecond: 1_000 }, maxInFlight: 64 },
    budget: createSendBudget(db),
    outbox: createOutbox(db, clock, newOutboxOwner()),
    clock,
    logger: silent,
    busyNotice: () => ({ text: 'busy', lang: 'nl', dir: 'ltr' }),
    maxReplyAgeMs: 600_000,
  });
  scheduler.start();
  const worker = createDeliveryWorker({ ...planDeps, connection: workerConn, prefix, channel: 'telegram', adapter: scheduler.proactive, i18n, ratePerSecond: 100_000, concurrency: CONCURRENCY, onUnreachable: () => undefined });
  try {
    const broadcastId = db.$client.prepare('select max(id) from broadcasts').pluck().get() as number;
    const report = await fanOut({ ...planDeps, queues }, broadcastId, clock.now());
    if (!report || report.recipients !== messages) throw new Error(`fan-out: ${JSON.stringify(report)}`);
    const unfinished = db.$client.prepare("select count(*) from deliveries where rule_id = ? and status in ('planned', 'queued', 'sending')").pluck();
    const cpuFrom = process.cpuUsage();
    const wallFrom = performance.now();
    const drain = async (): Promise<void> => {
      void worker.run();
      const deadline = Date.now() + 300_000;
      while ((unfinished.get(`b${broadcastId}`) as number) > 0 && Date.now() < deadline) await sleep(20);
    };
    let profileLines: string[] = [];
    if (profile) profileLines = (await profiled(drain)).lines;
    else await drain();
    const pipelineRate = (answered - 1) / ((last - first) / 1000);
    const cpu = process.cpuUsage(cpuFrom);
    const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wallFrom);
    const cpuPerMessageUs = (cpu.user + cpu.system) / Math.max(1, answered);
    const statuses = Object.fromEntries(
      (db.$client.prepare('select status, count(*) as n from deliveries where rule_id = ? group by status').all(`b${broadcastId}`) as { status: string; n: number }[]).map((r) => [r.status, r.n]),
    );
    await worker.close();
    rawRates.push(await rawLoop(apiRoot, token, chatIds, messages, CONCURRENCY));
    // The path's parts alone, to see where its cost is: BullMQ with a processor that does nothing,
    // and the Telegram adapter (telegraf's client) sending the same message without queue or database.
    const stages = { bullmq: await bareBullmq(redisUrl, messages), adapter: await bareAdapter(telegram, chatIds, messages) };
    return { rawRates, pipelineRate, rows: report.recipients, sent: statuses.sent ?? 0, statuses, cpuShare, cpuPerMessageUs, profileLines, stages };
  } finally {
    await worker.close().catch(() => undefined);
    await scheduler.stop();
    await queues.queue('telegram').obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    producer.disconnect();
    workerConn.disconnect();
    db.$client.close();
  }
}

export const pipelineCost: Benchmark = {
  name: 'pipeline-cost',
  title: 'Pipeline cost: the whole delivery path against a bare loop of sendMessage calls',
  async run(ctx): Promise<BenchOutput> {
    const messages = ctx.quick ? 2_000 : 5_000;
    const path = join(ctx.tempDir, 'pipeline.db');
    const db = openDatabase(path);
    const initiative = seedInitiative(db, 'pipeline', 'Samen naar De Regenboog');
    const langs = ['nl', 'tr', 'ar', 'pl', 'en', 'uk', 'so', 'ti'];
    seedChatParents(db.$client, initiative, CHAT_BASE, messages, (i) => langs[i % langs.length]!);
    const id = createBroadcast(db, { initiativeId: initiative, authorId: null, audience: {}, sendAt: new Date(DAYTIME), status: 'scheduled' });
    for (const l of langs.slice(0, 6)) setVersion(db, id, l, { text: `Zaterdag speelochtend in de Regenboog (${l}).` });
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    db.$client.close();
    const api = await startFakeBotApi();
    for (let i = 0; i < messages; i++) api.meet(CHAT_BASE + i);
    try {
      ctx.log(`pipeline cost: ${num(messages)} messages, concurrency ${CONCURRENCY}…`);
      const { result: r } = await inChild<PipelineResult>(import.meta.url, 'measurePipeline', { path, apiRoot: api.apiRoot, token: api.token, redisUrl: ctx.redisUrl, messages, profile: ctx.profile });
      const raw = r.rawRates.reduce((a, b) => a + b, 0) / r.rawRates.length;
      return {
        figures: [
          { metric: 'raw', label: `bare sendMessage loop (${CONCURRENCY} at once)`, value: raw, unit: '/s' },
          { metric: 'pipeline', label: 'row → BullMQ → worker → scheduler → adapter → fake', value: r.pipelineRate, unit: '/s' },
          { metric: 'ratio', label: 'pipeline ÷ bare loop', value: r.pipelineRate / raw, unit: '' },
          { metric: 'lost', label: 'rows not sent', value: r.rows - r.sent, unit: '' },
          { metric: 'cpuPerMessage', label: 'CPU of the pipeline process per message', value: r.cpuPerMessageUs, unit: 'µs' },
          { metric: 'cpuShare', label: 'CPU of the pipeline process while it runs (1 = one core)', value: r.cpuShare, unit: '' },
          { metric: 'bullmqRate', label: 'BullMQ alone (a processor that does nothing)', value: r.stages.bullmq.rate, unit: '/s' },
          { metric: 'bullmqCpu', label: 'BullMQ alone: CPU per job', value: r.stages.bullmq.cpuUs, unit: 'µs' },
          { metric: 'adapterRate', label: 'Telegram adapter alone (telegraf, no queue, no database)', value: r.stages.adapter.rate, unit: '/s' },
          { metric: 'adapterCpu', label: 'Telegram adapter alone: CPU per message', value: r.stages.adapter.cpuUs, unit: 'µs' },
        ],
        notes: [...r.profileLines, `${num(messages)} messages; bare loop ${r.rawRates.map((x) => `${x.toFixed(0)}/s`).join(' before, ')} after; rows ${JSON.stringify(r.statuses)}`],
      };
    } finally {
      await api.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
  },
};
