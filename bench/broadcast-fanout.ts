/**
 * Broadcast fan-out (issue 11, measured again by issue 13): 100,000 recipients in 8 languages, from
 * the author's confirmation (the `submit` transaction) until every delivery row is written and
 * handed to BullMQ on the private Redis. Targets: < 10 s, peak RSS < 400 MB. Moved from
 * scripts/bench-broadcast.ts. The path is the bot's: runBroadcastCommand('submit') → fanOut (one
 * transaction: scheduled → sending, the audience in SQL, send times with quiet hours and the cap,
 * 100,000 inserts) → queues.add by id + one UPDATE to `queued`. Two modes, each in a fresh process
 * on a fresh copy of the world (seeded once, in another process), so the RSS is the broadcast's:
 *   all    every row due at once, all 100,000 jobs in Redis (the issue's literal measure);
 *   paced  as the bot runs it: rows paced at the channels' rates (Telegram 28/s, WhatsApp Cloud
 *          80/s), the first 2 minutes in Redis now, the planner's minutely tick hands over the rest.
 * No worker runs (sending at the channel's limit is "channel-limit"). The world: 100,000 parents of
 * the initiative in 8 languages (80 % Telegram, 20 % WhatsApp), a child each, 20,000 parents of 4
 * other initiatives, one sent reminder per parent this week (the cap history the fan-out reads);
 * versions in 6 of the 8 languages. Same size in `--quick`: the target is about 100,000.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../src/core/ports.js';
import { runBroadcastCommand } from '../src/db/broadcast.effects.js';
import { openDatabase } from '../src/db/client.js';
import { DEFAULT_POLICY } from '../src/domain/send-window.js';
import { fanOut, type FanOutReport } from '../src/jobs/broadcast.runner.js';
import { createDeliveryQueues } from '../src/jobs/delivery.queue.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../src/jobs/nurture.config.js';
import { createPlanner } from '../src/jobs/planner.js';
import { seedInitiative, seedParents, type SeedParent } from '../test/support/broadcast-seed.js';
import { fixedClock } from '../test/support/clock.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { inChild } from './lib/child.js';
import { num } from './lib/format.js';
import type { Benchmark, BenchOutput, Figure } from './lib/types.js';

const RECIPIENTS = 100_000;
const NOW = new Date('2026-12-07T10:00:00Z'); // a Monday, 11:00 in Amsterdam
const LANGS = ['nl', 'tr', 'ar', 'pl', 'en', 'uk', 'so', 'bg'] as const;
const RATES = { telegram: 28, whatsapp: 80 };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

type Mode = 'all' | 'paced';

/** In a child process: the world and a draft broadcast with 6 of 8 versions. */
export function seedFanOutWorld({ path, recipients }: { path: string; recipients: number }): { seedMs: number } {
  const t = performance.now();
  const db = openDatabase(path);
  const random = seededRandom(11);
  const ini = seedInitiative(db, 'regenboog', 'Samen naar De Regenboog');
  const [coordinator] = seedParents(db, ini, [{ language: 'nl', role: 'coordinator' }], NOW);
  const parents: SeedParent[] = Array.from({ length: recipients }, (_, i) => ({
    language: LANGS[i % LANGS.length]!,
    channel: random() < 0.8 ? 'telegram' : 'whatsapp',
    children: [{ year: 2023 + Math.floor(random() * 3), month: 1 + Math.floor(random() * 12) }],
  }));
  const ids = seedParents(db, ini, parents, NOW);
  for (let k = 0; k < 4; k++) seedParents(db, seedInitiative(db, `other${k}`), Array.from({ length: 5_000 }, () => ({ language: 'nl' })), NOW);
  const ins = db.$client.prepare(
    "insert into deliveries (key, person_id, rule_id, channel, kind, priority, due_at, send_at, payload, status, sent_at, created_at) values (?, ?, 'look-at-schools', 'telegram', 'reminder', 5, ?, ?, '{}', 'sent', ?, ?)",
  );
  const sentAt = NOW.getTime() - 2 * 86_400_000;
  db.$client.transaction(() => {
    for (const id of ids) ins.run(`look-at-schools|p${id}|c-|x`, id, sentAt, sentAt, sentAt, sentAt);
  })();
  const created = db.transaction((tx) => runBroadcastCommand(tx, { personId: coordinator! }, { op: 'create', initiativeId: ini, draftKey: 'bench' }, NOW));
  if (!created.ok) throw new Error('create refused');
  db.transaction((tx) => {
    for (const lang of ['nl', 'tr', 'ar', 'pl', 'en', 'uk']) runBroadcastCommand(tx, { personId: coordinator! }, { op: 'version', broadcastId: created.broadcastId, lang, text: `Zaterdag speelochtend (${lang}).` }, NOW);
  });
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  return { seedMs: performance.now() - t };
}

interface Measured {
  writeMs: number;
  enqueueMs: number;
  totalMs: number;
  recipients: number;
  queued: number;
  planned: number;
  jobs: number;
  lastSendAt: string;
  rssBeforeMb: number;
  rssPeakMb: number;
  heapPeakMb: number;
}

/** In a fresh child process: one confirmation, measured; its memory is the broadcast's alone. */
export async function measureFanOut({ path, mode, redisUrl }: { path: string; mode: Mode; redisUrl: string }): Promise<Measured> {
  const db = openDatabase(path);
  const clock = fixedClock(NOW);
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queues = createDeliveryQueues(producer, `benchbc${mode}${Date.now().toString(36)}`, ['telegram', 'whatsapp']);
  try {
    const coordinator = db.$client.prepare("select person_id from memberships where role = 'coordinator' order by id limit 1").pluck().get() as number;
    const bid = db.$client.prepare('select max(id) from broadcasts').pluck().get() as number;
    const planDeps = { db, rules: loadReminderRules(), clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS };
    const planner = createPlanner({ ...planDeps, queues, channels: ['telegram', 'whatsapp'] });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 20);
    const t = performance.now();
    const submitted = db.transaction((tx) => runBroadcastCommand(tx, { personId: coordinator }, { op: 'submit', broadcastId: bid }, NOW));
    if (!submitted.ok || submitted.status !== 'scheduled') throw new Error(`submit: ${JSON.stringify(submitted)}`);
    const submitMs = performance.now() - t;
    const report = (await fanOut({ ...planDeps, queues, kick: () => planner.kick(), ...(mode === 'paced' ? { ratePerSecond: RATES } : {}) }, bid, NOW)) as FanOutReport;
    const totalMs = performance.now() - t;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const rows = db.$client.prepare('select status, count(*) as n, max(send_at) as last from deliveries where rule_id = ? group by status').all(`b${bid}`) as { status: string; n: number; last: number }[];
    return {
      writeMs: submitMs + report.writeMs,
      enqueueMs: report.totalMs - report.writeMs,
      totalMs,
      recipients: report.recipients,
      queued: rows.find((r) => r.status === 'queued')?.n ?? 0,
      planned: rows.find((r) => r.status === 'planned')?.n ?? 0,
      jobs: (await queues.pending('telegram')) + (await queues.pending('whatsapp')),
      lastSendAt: new Date(Math.max(...rows.map((r) => r.last))).toISOString(),
      rssBeforeMb: rssBefore / 1024 / 1024,
      rssPeakMb: rssPeak / 1024 / 1024,
      heapPeakMb: heapPeak / 1024 / 1024,
    };
  } finally {
    for (const c of ['telegram', 'whatsapp'] as const) await queues.queue(c).obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    producer.disconnect();
    db.$client.close();
  }
}

export const broadcastFanout: Benchmark = {
  name: 'broadcast-fanout',
  title: 'Broadcast fan-out: 100,000 recipients from confirmation to written and queued',
  async run(ctx): Promise<BenchOutput> {
    const figures: Figure[] = [];
    const notes: string[] = [];
    const template = join(ctx.tempDir, 'fanout-world.db');
    ctx.log(`broadcast fan-out: seeding ${num(RECIPIENTS)} recipients…`);
    const { result: seeded } = await inChild<{ seedMs: number }>(import.meta.url, 'seedFanOutWorld', { path: template, recipients: RECIPIENTS });
    notes.push(`seeded ${num(RECIPIENTS + 20_001)} people (${num(RECIPIENTS)} in the audience, 6 of 8 languages with a version) and ${num(RECIPIENTS)} sent reminders in ${(seeded.seedMs / 1000).toFixed(1)} s`);
    try {
      for (const mode of ['all', 'paced'] as const) {
        const path = join(ctx.tempDir, `fanout-${mode}.db`);
        copyFileSync(template, path);
        ctx.log(`broadcast fan-out: ${mode}…`);
        try {
          const { result: m } = await inChild<Measured>(import.meta.url, 'measureFanOut', { path, mode, redisUrl: ctx.redisUrl });
          const complete = m.recipients === RECIPIENTS && m.queued + m.planned === RECIPIENTS && m.jobs === m.queued && (mode === 'paced' || m.queued === RECIPIENTS);
          figures.push(
            { metric: 'written', label: 'confirmation → every row written (fan-out transaction)', value: m.writeMs / 1000, unit: 's', scope: mode },
            { metric: 'enqueued', label: '→ due rows handed to BullMQ', value: m.enqueueMs / 1000, unit: 's', scope: mode },
            { metric: 'total', label: 'confirmation → written and queued', value: m.totalMs / 1000, unit: 's', scope: mode },
            { metric: 'peakRss', label: 'peak RSS of the process', value: m.rssPeakMb, unit: 'MB', scope: mode },
            { metric: 'complete', label: 'every recipient a row, every due row a job (1 = yes)', value: complete ? 1 : 0, unit: '', scope: mode },
          );
          notes.push(
            `${mode}: ${num(m.queued)} rows queued now and ${num(m.planned)} planned, ${num(m.jobs)} jobs in Redis, last send time ${m.lastSendAt.slice(11, 19)} UTC; ` +
              `JS heap peak ${m.heapPeakMb.toFixed(0)} MB, RSS before ${m.rssBeforeMb.toFixed(0)} MB`,
          );
        } finally {
          rmSync(path, { force: true });
          rmSync(`${path}-wal`, { force: true });
          rmSync(`${path}-shm`, { force: true });
        }
      }
    } finally {
      rmSync(template, { force: true });
    }
    return { figures, notes };
  },
};
