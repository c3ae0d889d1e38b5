/**
 * `npx tsx scripts/bench-stats.ts`: the coordinators' figures at scale (issue 12, items 3 and 5).
 * One initiative with 100,000 parents (8 languages, a child each, postcodes, heard-from), one of
 * 1,000 (a large real one), 20,000 parents of 4 other initiatives; about 16 activity days per
 * parent over 13 months (1.6 million rows), 5 broadcasts to each of the two (500,000 delivery rows,
 * a fifth on WhatsApp with read receipts), 12 events with 30,000 answers, the outreach ladder's
 * messages and call-backs. Measures, on a warm page cache, for each of the two initiatives: what
 * /stats reads in the turn (without the month-by-month history), what the chart listener reads
 * after the commit (with it), and drawing the three charts as PNG; and the report of all
 * initiatives (the CLI without --initiative), with the time per part.
 * Env: BENCH_PARENTS (100000), BENCH_RUNS (5), BENCH_KEEP (keep the database).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderChartPng } from '../src/core/charts/render.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../src/core/i18n.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { createStatsReads, statsReport, statsReportAsync } from '../src/db/stats.reads.js';
import { HEARD_FROM } from '../src/domain/heard-from.js';
import { chartInputs, chartLabels } from '../src/domain/stats-charts.js';
import type { StatsReport } from '../src/domain/stats-report.types.js';
import { seedInitiative, seedParents, type SeedParent } from '../test/support/broadcast-seed.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { cleanupOnInterrupt } from './bench-cleanup.js';

const PARENTS = Number(process.env.BENCH_PARENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NOW = new Date('2027-03-15T10:00:00Z');
const DAY = 86_400_000;
const LANGS = ['nl', 'tr', 'ar', 'pl', 'en', 'uk', 'so', 'bg'] as const;
const cleanup = cleanupOnInterrupt();
const fmt = (n: number): string => n.toLocaleString('en-US');

function seed(db: Db): { big: number; typical: number } {
  const random = seededRandom(12);
  const big = seedInitiative(db, 'regenboog', 'Samen naar De Regenboog');
  const typical = seedInitiative(db, 'linde', 'Samen naar De Linde');
  seedInitiativeData(db, big, PARENTS, random);
  seedInitiativeData(db, typical, 1_000, random);
  const joined = new Date(NOW.getTime() - 400 * DAY);
  for (let k = 0; k < 4; k++) seedParents(db, seedInitiative(db, `other${k}`), Array.from({ length: 5_000 }, () => ({ language: 'nl' })), joined);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.exec('analyze');
  return { big, typical };
}

function seedInitiativeData(db: Db, ini: number, count: number, random: () => number): void {
  const joined = new Date(NOW.getTime() - 400 * DAY);
  const parents: SeedParent[] = Array.from({ length: count }, (_, i) => ({
    language: LANGS[i % LANGS.length]!,
    channel: i % 5 === 0 ? 'whatsapp' : 'telegram',
    reminders: random() > 0.05,
    children: [{ year: 2022 + Math.floor(random() * 5), month: 1 + Math.floor(random() * 12), registered: random() < 0.2 }],
  }));
  const ids = seedParents(db, ini, parents, joined);
  const s = db.$client;
  s.transaction(() => {
    const profile = s.prepare('update people set pc4 = ?, heard_from = ?, last_action_at = ? where id = ?');
    const day = s.prepare('insert or ignore into activity_days (person_id, day) values (?, ?)');
    const today = Math.floor(NOW.getTime() / DAY);
    for (const id of ids) {
      let last: number | null = null;
      for (let k = 0; k < 16; k++) {
        const d = today - Math.floor(random() * 395);
        day.run(id, d);
        last = Math.max(last ?? 0, d * DAY + 36_000_000);
      }
      profile.run(String(1091 + Math.floor(random() * 8)), random() < 0.8 ? HEARD_FROM[Math.floor(random() * HEARD_FROM.length)]! : null, last, id);
    }
    s.prepare("update children set placement = 'yes' where registered_at is not null and id % 3 = 0").run();
    const broadcast = s.prepare("insert into broadcasts (initiative_id, status, audience, started_at, created_at) values (?, 'done', '{}', ?, ?) returning id").pluck();
    const delivery = s.prepare(
      "insert into deliveries (key, person_id, rule_id, channel, kind, due_at, send_at, payload, status, sent_at, channel_status, channel_status_at, created_at) values (?, ?, ?, ?, 'broadcast', ?, ?, '{}', 'sent', ?, ?, ?, ?)",
    );
    for (let b = 0; b < 5; b++) {
      const at = NOW.getTime() - (5 - b) * 10 * DAY;
      const bid = broadcast.get(ini, at, at) as number;
      ids.forEach((id, i) => {
        const wa = i % 5 === 0;
        const read = wa && random() < 0.6;
        delivery.run(`b${bid}|p${id}`, id, `b${bid}`, wa ? 'whatsapp' : 'telegram', at, at, at, wa ? (read ? 'read' : 'delivered') : null, wa ? at + 3_600_000 : null, at);
      });
    }
    const event = s.prepare("insert into events (initiative_id, kind, starts_at, ends_at, titles, places, created_at) values (?, 'tour', ?, ?, '{\"nl\":\"Rondleiding\"}', '{\"nl\":\"School\"}', ?) returning id").pluck();
    const rsvp = s.prepare("insert or ignore into event_rsvps (event_id, person_id, answer, status, answered_at, attended) values (?, ?, ?, ?, ?, ?)");
    for (let e = 0; e < 12; e++) {
      const at = NOW.getTime() + (e - 6) * 14 * DAY;
      const eid = event.get(ini, at, at + 5_400_000, at) as number;
      for (let k = 0; k < Math.min(2_500, count / 4); k++) {
        const answer = random() < 0.7 ? 'yes' : random() < 0.5 ? 'maybe' : 'no';
        rsvp.run(eid, ids[Math.floor(random() * ids.length)], answer, answer === 'yes' ? 'going' : 'none', at - 7 * DAY, at < NOW.getTime() && answer === 'yes' ? (random() < 0.8 ? 1 : 0) : null);
      }
    }
    const ladder = s.prepare("insert into deliveries (key, person_id, rule_id, channel, kind, due_at, send_at, payload, status, sent_at, created_at) values (?, ?, ?, 'telegram', 'reminder', ?, ?, '{}', 'sent', ?, ?)");
    const callback = s.prepare("insert into relay_threads (person_id, initiative_id, kind, source, language, status, tier, tier_at, outcome, created_at) values (?, ?, 'callback', 'ladder', 'nl', 'closed', 0, ?, ?, ?)");
    const at = NOW.getTime() - 20 * DAY;
    for (let i = 0; i < ids.length; i += 10) {
      ladder.run(`ladder1|p${ids[i]}|c-|1`, ids[i], 'ladder1', at, at, at, at);
      if (i % 30 === 0) ladder.run(`ladder2|p${ids[i]}|c-|1`, ids[i], 'ladder2', at, at, at, at);
      if (i % 90 === 0) callback.run(ids[i], ini, at, ['reached', 'noAnswer', 'wrongNumber', 'declined'][i % 4], at);
    }
  })();
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bench-stats-'));
  cleanup.tempDirs.add(dir);
  try {
    const db = openDatabase(join(dir, 'bench.db'));
    const seeded = timed(() => seed(db));
    const count = (sql: string): number => db.$client.prepare(sql).pluck().get() as number;
    console.log(
      `seeded in ${(seeded.ms / 1000).toFixed(1)} s: ${fmt(count('select count(*) from people'))} people, ${fmt(count('select count(*) from activity_days'))} activity days, ${fmt(count('select count(*) from deliveries'))} deliveries, ${fmt(count('select count(*) from event_rsvps'))} RSVPs`,
    );
    const { big, typical } = seeded.value;
    const at = (r: number): Date => new Date(NOW.getTime() + r + 1);
    const measureOne = (ini: number, label: string): StatsReport => {
      statsReport(db, ini, NOW); // warm the page cache
      const turn: number[] = [];
      const full: number[] = [];
      const parts: Record<string, number> = {};
      for (let r = 0; r < RUNS; r++) {
        turn.push(timed(() => statsReport(db, ini, at(r), { history: false })).ms);
        full.push(timed(() => statsReport(db, ini, at(r), { timings: parts })).ms);
      }
      console.log(`${label}: in the turn (no history) median ${median(turn).toFixed(0)} ms, max ${Math.max(...turn).toFixed(0)} ms; with the history (chart listener, CLI) median ${median(full).toFixed(0)} ms`);
      console.log(`  per part (mean of the full reads): ${Object.entries(parts).map(([k, v]) => `${k} ${(v / RUNS).toFixed(0)}`).join(', ')}`);
      return statsReport(db, ini, NOW)!;
    };
    const report = measureOne(big, `one initiative of ${fmt(PARENTS)} parents`);
    // After the commit the chart listener reads the same in chunks: how long is the event loop held at most?
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const t = performance.now();
      longest = Math.max(longest, t - last);
      last = t;
    }, 1);
    const asyncRead = performance.now();
    await statsReportAsync(db, big, at(99));
    clearInterval(ticker);
    console.log(`  the chart listener's chunked read: ${(performance.now() - asyncRead).toFixed(0)} ms in all, the event loop held at most ${longest.toFixed(0)} ms at a time`);
    measureOne(typical, 'one initiative of 1,000 parents in the same database');
    const all: number[] = [];
    for (let r = 0; r < RUNS; r++) all.push(timed(() => statsReport(db, null, at(r))).ms);
    console.log(`all initiatives together (${fmt(PARENTS + 21_000)} parents, the CLI): median ${median(all).toFixed(0)} ms`);
    const reads = createStatsReads(db);
    reads.report(big, NOW, { history: false });
    const second = timed(() => reads.report(big, NOW, { history: false }));
    console.log(`the same moment read again (Directory.stats keeps it): ${second.ms.toFixed(2)} ms`);
    const locales = loadLocales(DEFAULT_LOCALES_DIR);
    const t = createI18n(locales).getFixedT('nl', 'stats');
    const text = (key: string, params?: Record<string, string | number>): string => String(t(key, params ?? {}));
    const inputs = chartInputs(report, 'nl', text, (c) => c);
    const labels = chartLabels(report, 'nl', text);
    await renderChartPng(inputs[0]!, labels); // load fonts once
    const drawn: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const start = performance.now();
      await Promise.all(inputs.map((i) => renderChartPng(i, labels)));
      drawn.push(performance.now() - start);
    }
    console.log(`three charts as PNG: median ${median(drawn).toFixed(0)} ms`);
    console.log(`figures of the big one: parents ${report.parents}, funnel ${report.funnel.map((f) => f.parents).join(' → ')}, participation now ${JSON.stringify(report.participation.now)}`);
    db.$client.close();
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
    cleanup.tempDirs.delete(dir);
  }
}

void main();
