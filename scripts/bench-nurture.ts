/**
 * `npm run bench` (after the turn bench): the nurturing engine at the scale of issue 4.
 *   1. A planning pass over 100,000 parents (target < 3 s): the first pass (inserts), the steady
 *      state one minute later (nothing new) and the same after a restart (no keys remembered), on a
 *      SQLite file seeded in bulk.
 *   2. Enqueueing 100,000 deliveries into BullMQ on a real Redis (target < 10 s), plus markQueued.
 *   3. Sustained delivery at 25 msg/s for BENCH_SECONDS (default 120) through the real worker and
 *      Telegram adapter against the fake Bot API, behind a gate that answers 429 to a message that
 *      would be the 31st within any second (target ≥ 95 % of 25/s, no 429, none lost, none twice);
 *      once with the 100,000 parents in the database, once in a small database ("deliver-small").
 * Env: BENCH_PARENTS (100000), BENCH_NUDGES (relative nudges per initiative, 0), BENCH_SECONDS (120), BENCH_ONLY (default
 * "plan,enqueue,deliver,deliver-small"), BENCH_PROFILE=1 (V8 CPU profile of each planning pass and
 * of the worker's re-check), REDIS_URL (else a private redis-server from test/support).
 * Results and their history: docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';
import { createTelegramChannel } from '../src/bot/telegram/telegram.adapter.js';
import type { Clock } from '../src/core/clock.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../src/core/i18n.js';
import type { Logger } from '../src/core/ports.js';
import { checkpoint, openDatabase, type Db } from '../src/db/client.js';
import { getDelivery, keyExists, markQueued, plannedDue, type QueueItem } from '../src/db/deliveries.repo.js';
import { deliveryContext } from '../src/db/delivery-context.repo.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../src/db/municipalities.repo.js';
import { loadPlanningWorld } from '../src/db/planning.repo.js';
import { createNudge } from '../src/db/nudges.repo.js';
import { deliveryKey } from '../src/domain/nurture.types.js';
import { DEFAULT_POLICY } from '../src/domain/send-window.js';
import { candidatesFor } from '../src/domain/timeline.js';
import { createDeliveryWorker } from '../src/jobs/deliver.worker.js';
import { checkDelivery } from '../src/jobs/delivery.check.js';
import { createDeliveryQueues, JOB_ATTEMPTS, jobIdOf } from '../src/jobs/delivery.queue.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../src/jobs/nurture.config.js';
import { planPass, type PlanPassDeps, type PlanReport } from '../src/jobs/plan-pass.js';
import { startFakeBotApi } from '../test/support/fake-bot-api.js';
import { fixedClock } from '../test/support/clock.js';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.js';
import { cleanupOnInterrupt } from './bench-cleanup.js';
import { seededRandom } from '../test/support/seeded-random.js';

const PARENTS = Number(process.env.BENCH_PARENTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 120);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'plan,enqueue,deliver,deliver-small').split(','));
/** Parents seeded per wanted delivery in the small world (not every parent has a message due). */
const SMALL_FACTOR = 3;
const PROFILE = process.env.BENCH_PROFILE === '1';
/** Relative coordinator nudges per initiative (each initiative's own reminder rules). */
const NUDGES = Number(process.env.BENCH_NUDGES ?? 0);
const ENQUEUE = 100_000;
const RATE = 25;
/** The gate answers 429 when a message would be the 31st within one second. */
const GATE_MAX_PER_SECOND = 30;
/** 10:00 in Amsterdam on the day of the measurement: outside the quiet hours. */
const NOW = new Date('2026-12-01T09:00:00Z');
const DAY = 86_400_000;
const ZONE = 'Europe/Amsterdam';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** Seeded database directories (a world is ~100 MB) and the private Redis, removed also on interrupt. */
const cleanup = cleanupOnInterrupt();
const tempDirs = cleanup.tempDirs;
const ms = (t: number) => performance.now() - t;
const fmt = (n: number) => n.toLocaleString('en-US');
const s2 = (millis: number) => (millis / 1000).toFixed(2);


// ------------------------------------------------------------------ the world

interface World {
  db: Db;
  dir: string;
  dbPath: string;
  telegramPeople: number;
  children: number;
  initiatives: number;
  events: number;
  schedules: number;
  seedMs: number;
}

const CITIES: [string, number][] = [
  ['Amsterdam', 20],
  ['Utrecht', 12],
  ['Nijmegen', 8],
  ['Rotterdam', 10],
];
const LANGUAGES = ['nl', 'nl', 'nl', 'nl', 'nl', 'en', 'en', 'ar', 'tr', 'pl', 'uk', 'so', 'ti', 'bg', 'pt'];

/** 100k parents with children, memberships, identities and a week of send history, in one transaction per table group. */
function seedWorld(parents: number, telegramShare = 0.7): World {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bench-'));
  tempDirs.add(dir);
  const dbPath = join(dir, 'bench.db');
  const db = openDatabase(dbPath);
  const sqlite = db.$client;
  const rnd = seededRandom(4);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, NOW);
  // Published Amsterdam days, so some deadlines are exact dates (deadline −14 d, −2 d).
  for (const date of ['2026-11-05', '2027-03-04', '2027-06-03', '2027-11-04']) addRegistrationDate(db, 'Amsterdam', date, 'bench', NOW);

  const initiativeIds: number[] = [];
  const scheduled: number[] = [];
  const eventIds: number[] = [];
  const tourOf = new Map<number, number>();
  sqlite.transaction(() => {
    const ini = sqlite.prepare('insert into initiatives (code, name, school, neighbourhood, contact, municipality, phase, time_zone, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    let n = 0;
    for (const [city, count] of CITIES) {
      for (let i = 0; i < count; i++, n++) {
        const id = Number(ini.run(`bench${n}`, `Samen naar school ${n}`, `Basisschool ${n}`, `Wijk ${n}`, 'info@example.org', city, 1 + (n % 3), ZONE, NOW.getTime() - 400 * DAY).lastInsertRowid);
        initiativeIds.push(id);
      }
    }
    // Every fifth initiative has a fortnightly newsletter with one written and waiting.
    const schedule = sqlite.prepare('insert into newsletter_schedules (initiative_id, every_weeks, first_date, time, active) values (?, 2, ?, ?, 1)');
    const letter = sqlite.prepare('insert into newsletters (initiative_id, texts, created_at) values (?, ?, ?)');
    initiativeIds.forEach((id, i) => {
      if (i % 5 !== 0) return;
      schedule.run(id, `2026-11-${String(17 + (i % 4)).padStart(2, '0')}`, i % 2 ? '10:00' : '16:00');
      letter.run(id, JSON.stringify({ nl: `Nieuws van initiatief ${id}: de rondleiding was vol, dank!`, en: `News from initiative ${id}.` }), NOW.getTime() - 2 * DAY);
      scheduled.push(id);
    });
    // A few events in the coming week (invitations, "tomorrow", "today").
    const ev = sqlite.prepare(
      "insert into events (initiative_id, kind, starts_at, ends_at, capacity, min_age_months, max_age_months, titles, places, created_at) values (?, 'tour', ?, ?, 25, 24, 48, ?, ?, ?)",
    );
    for (let i = 0; i < 12; i++) {
      const startsAt = NOW.getTime() + (1 + (i % 7)) * DAY + (i % 3) * 3_600_000;
      const initiative = initiativeIds[(i * 7) % initiativeIds.length] ?? 0;
      const id = Number(ev.run(initiative, startsAt, startsAt + 3_600_000, JSON.stringify({ nl: `Rondleiding ${i}`, en: `Tour ${i}` }), JSON.stringify({ nl: 'Hoofdingang', en: 'Main entrance' }), NOW.getTime() - 10 * DAY).lastInsertRowid);
      eventIds.push(id);
      tourOf.set(initiative, id);
    }
  })();

  const nowIdx = NOW.getUTCFullYear() * 12 + NOW.getUTCMonth();
  let telegramPeople = 0;
  let childCount = 0;
  sqlite.transaction(() => {
    const person = sqlite.prepare('insert into people (id, language, proactive, reminders, newsletter, quiet_start, quiet_end, created_at) values (?, ?, 1, ?, ?, ?, ?, ?)');
    const identity = sqlite.prepare('insert into identities (person_id, channel, chat_id, created_at) values (?, ?, ?, ?)');
    const membership = sqlite.prepare("insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, 'parent', ?)");
    const child = sqlite.prepare('insert into children (person_id, birth_year, birth_month, expected, registered_at, placement, created_at) values (?, ?, ?, ?, ?, ?, ?)');
    const history = sqlite.prepare(
      "insert into deliveries (key, person_id, rule_id, channel, kind, priority, due_at, send_at, payload, status, attempts, sent_at, created_at) values (?, ?, 'toddler-groups', ?, 'reminder', 3, ?, ?, '{}', 'sent', 1, ?, ?)",
    );
    const rsvp = sqlite.prepare("insert into event_rsvps (event_id, person_id, answer, status, answered_at) values (?, ?, 'yes', 'going', ?)");
    for (let id = 1; id <= parents; id++) {
      const joined = NOW.getTime() - Math.floor(rnd() * 400) * DAY - Math.floor(rnd() * DAY);
      const ownQuiet = rnd() < 0.05;
      person.run(id, pick(LANGUAGES), rnd() < 0.97 ? 1 : 0, rnd() < 0.25 ? 1 : 0, ownQuiet ? '21:00' : null, ownQuiet ? '09:00' : null, joined);
      const telegram = rnd() < telegramShare;
      if (telegram) telegramPeople++;
      identity.run(id, telegram ? 'telegram' : 'local', telegram ? String(500_000_000 + id) : `bench-${id}`, joined);
      const initiative = rnd() < 0.97 ? pick(initiativeIds) : null;
      if (initiative !== null) membership.run(id, initiative, joined);
      const kids = rnd() < 0.7 ? 1 : 2;
      for (let k = 0; k < kids; k++) {
        childCount++;
        const expected = rnd() < 0.04;
        const idx = expected ? nowIdx + 1 + Math.floor(rnd() * 8) : nowIdx - Math.floor(rnd() * 49);
        const ageMonths = nowIdx - idx;
        const registered = !expected && ageMonths > 36 && rnd() < 0.4 ? joined : null;
        const placement = registered !== null ? pick(['yes', 'yes', 'no', 'unknown'] as const) : null;
        child.run(id, Math.floor(idx / 12), (idx % 12) + 1, expected ? 1 : 0, registered, placement, joined);
      }
      // About a third got a capped message in the last week (the frequency cap's history).
      if (rnd() < 0.3) {
        const at = NOW.getTime() - Math.floor(rnd() * 7 * DAY);
        history.run(`toddler-groups|p${id}|c-|hist`, id, telegram ? 'telegram' : 'local', at, at, at, at);
      }
      // One in ten parents of an initiative with a tour answered "yes".
      const tour = initiative !== null ? tourOf.get(initiative) : undefined;
      if (tour !== undefined && rnd() < 0.1) rsvp.run(tour, id, joined);
    }
  })();
  // BENCH_NUDGES=N: every initiative has N relative coordinator nudges (its own reminder rules).
  if (NUDGES > 0) {
    db.transaction((tx) => {
      for (const initiativeId of initiativeIds)
        for (let k = 0; k < NUDGES; k++) {
          const moment = k % 2 === 0 ? ({ type: 'childAge', months: 12 + 6 * k, windowMonths: 1, at: '10:00' } as const) : ({ type: 'event', eventKind: null, daysBefore: 3, windowDays: 3, at: '10:00' } as const);
          createNudge(tx, { initiativeId, createdBy: null, audience: {}, moment, versions: [{ lang: 'nl', text: `Nudge ${k}` }] }, 'bench', NOW, ZONE);
        }
    });
  }
  sqlite.pragma('analysis_limit = 1000');
  sqlite.exec('analyze');
  checkpoint(db);
  return { db, dir, dbPath, telegramPeople, children: childCount, initiatives: initiativeIds.length, events: eventIds.length, schedules: scheduled.length, seedMs: ms(started) };
}

function planDepsFor(db: Db, clock: Clock): PlanPassDeps {
  return { db, rules: loadReminderRules(), clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: ZONE, horizonMs: PLAN_HORIZON_MS };
}

// ------------------------------------------------------------------ 1. planning

interface PlanFigures {
  first: PlanReport;
  firstMs: number;
  second: PlanReport;
  secondMs: number;
  /** A steady-state pass with no keys remembered (the first minute after a restart). */
  restartMs: number;
  /** The pass's first steps on their own (read-only), to see where the time goes. */
  steps: { loadWorldMs: number; timelineMs: number; keyLookupMs: number; candidates: number };
}

async function benchPlanning(world: World): Promise<PlanFigures> {
  const clock = fixedClock(NOW);
  const deps = planDepsFor(world.db, clock);
  let t = performance.now();
  const snapshot = loadPlanningWorld(world.db, NOW, { capWindowMs: DEFAULT_POLICY.cap.windowMs });
  const loadWorldMs = ms(t);
  t = performance.now();
  const keys: string[] = [];
  for (const person of snapshot.people) {
    if (!snapshot.channelOf.get(person.id) || !person.proactive) continue;
    const ini = person.initiativeId !== null ? (snapshot.initiatives.get(person.initiativeId) ?? null) : null;
    const found = candidatesFor({
      now: NOW,
      horizonMs: deps.horizonMs,
      rules: deps.rules,
      person,
      initiative: ini,
      events: ini ? (snapshot.eventsOf.get(ini.id) ?? []) : [],
      newsletterSlots: ini ? (snapshot.slotsOf.get(ini.id) ?? []) : [],
      defaultTimeZone: ZONE,
    });
    for (const c of found) keys.push(deliveryKey(c));
  }
  const timelineMs = ms(t);
  t = performance.now();
  const exists = keyExists(world.db);
  for (const k of keys) exists(k);
  const keyLookupMs = ms(t);
  console.log(`planning steps alone: load world ${loadWorldMs.toFixed(0)} ms, timelines ${timelineMs.toFixed(0)} ms (${fmt(keys.length)} candidates), key lookups ${keyLookupMs.toFixed(0)} ms`);

  const pass = async (now: Date, knownKeys: Set<string>): Promise<{ report: PlanReport; took: number }> => {
    const profiler = PROFILE ? await startProfiler() : null;
    const started = performance.now();
    const report = planPass({ ...deps, knownKeys }, { now });
    const took = ms(started);
    console.log(`planning pass at ${now.toISOString()}: ${s2(took)} s, people ${fmt(report.people)}, candidates ${fmt(report.candidates)}, planned ${fmt(report.planned.length)}, expired ${fmt(report.expired)}`);
    if (profiler) for (const line of await profiler.stop(took)) console.log(`  ${line}`);
    return { report, took };
  };
  // Like the planner: the keys it has seen stay known across its minutely passes.
  const knownKeys = new Set<string>();
  const first = await pass(NOW, knownKeys);
  const later = new Date(NOW.getTime() + 60_000);
  clock.set(later);
  const second = await pass(later, knownKeys);
  // After a restart the planner knows no keys yet: every candidate is looked up in SQLite.
  const restart = await pass(new Date(later.getTime() + 60_000), new Set());
  return { first: first.report, firstMs: first.took, second: second.report, secondMs: second.took, restartMs: restart.took, steps: { loadWorldMs, timelineMs, keyLookupMs, candidates: keys.length } };
}

/** V8's sampling profiler in this process; stop() summarizes by function. */
async function startProfiler(): Promise<{ stop(wallMs: number): Promise<string[]> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 10 ms samples: a pass of many minutes stays a profile of a manageable size.
  await session.post('Profiler.setSamplingInterval', { interval: 10_000 });
  await session.post('Profiler.start');
  return {
    async stop(wallMs) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return summarizeProfile(profile as unknown as CpuProfile, wallMs);
    },
  };
}

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

/**
 * Inclusive time of our own functions (src/; recursion counted once) and the biggest self
 * times anywhere. An anonymous function is named after its caller: "planPass > (anonymous)".
 */
function summarizeProfile(profile: CpuProfile, wallMs: number): string[] {
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
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, h]) => `${(h * perHit).toFixed(0).padStart(7)} ms  ${key}`);
  return [`profiled pass: ${wallMs.toFixed(0)} ms wall`, 'inclusive, src/ functions:', ...top(inclusive, 16), 'self time, any function:', ...top(self, 10)];
}

// ------------------------------------------------------------------ 2. enqueue

interface EnqueueFigures {
  items: number;
  byChannel: Record<string, number>;
  addMs: number;
  markMs: number;
  /** The same jobs through Queue.addBulk directly: the Redis part of `add`. */
  directMs: number;
  pending: number;
}

/** Planned rows (the first pass's, topped up with notices) to 100k, into BullMQ as the planner does. */
async function benchEnqueue(world: World, redisUrl: string): Promise<EnqueueFigures> {
  const { db } = world;
  const far = new Date(NOW.getTime() + 400 * DAY);
  for (let round = 0; plannedDue(db, far).length < ENQUEUE; round++) {
    const missing = ENQUEUE - plannedDue(db, far).length;
    db.$client
      .prepare(
        `insert into deliveries (key, person_id, rule_id, channel, kind, priority, due_at, send_at, payload, status, created_at)
         select 'bench-notice|p' || person_id || '|c-|' || ? , person_id, 'bench-notice', channel, 'notice', 9, ?, ? + (id % 120) * 1000, '{"key":"nurture:keepWarm","params":{},"buttons":null}', 'planned', ?
         from identities order by id limit ?`,
      )
      .run(String(round), NOW.getTime(), NOW.getTime(), NOW.getTime(), missing);
  }
  const items: QueueItem[] = plannedDue(db, far).slice(0, ENQUEUE);
  const byChannel: Record<string, number> = {};
  for (const it of items) byChannel[it.channel] = (byChannel[it.channel] ?? 0) + 1;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `bench${Math.floor(Math.random() * 1e9)}`;
  const queues = createDeliveryQueues(producer, prefix, ['telegram', 'local']);
  try {
    let t = performance.now();
    await queues.add(items, NOW);
    const addMs = ms(t);
    t = performance.now();
    markQueued(db, items.map((i) => i.id));
    const markMs = ms(t);
    const pending = (await queues.pending('telegram')) + (await queues.pending('local'));
    // Diagnosis: the same jobs straight into Queue.addBulk (chunks of 1000, the same options), on a fresh prefix.
    const direct = createDeliveryQueues(producer, `${prefix}x`, ['telegram', 'local']);
    t = performance.now();
    for (const channel of ['telegram', 'local'] as const) {
      const list = items.filter((i) => i.channel === channel);
      for (let i = 0; i < list.length; i += 1000) {
        await direct.queue(channel).addBulk(
          list.slice(i, i + 1000).map((it) => ({
            name: 'deliver',
            data: { deliveryId: it.id },
            opts: { jobId: jobIdOf(it.id), delay: Math.max(0, it.sendAt.getTime() - NOW.getTime()), attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 }, removeOnComplete: true, removeOnFail: { count: 1000 } },
          })),
        );
      }
    }
    const directMs = ms(t);
    for (const c of ['telegram', 'local'] as const) await direct.queue(c).obliterate({ force: true });
    await direct.close();
    return { items: items.length, byChannel, addMs, markMs, directMs, pending };
  } finally {
    for (const c of ['telegram', 'local'] as const) await queues.queue(c).obliterate({ force: true });
    await queues.close();
    producer.disconnect();
  }
}

// ------------------------------------------------------------------ 3. sustained delivery

interface Arrival {
  at: number;
  chatId: string;
  status?: number;
}

interface Gate {
  apiRoot: string;
  arrivals: Arrival[];
  rejected: number;
  close(): Promise<void>;
}

/**
 * In front of the fake Bot API: timestamps every send and, like Telegram, answers 429 (retry
 * after 1 s) to a message that would be the 31st within one second. Everything else is passed on.
 */
async function startGate(upstreamRoot: string): Promise<Gate> {
  const upstream = new URL(upstreamRoot);
  const accepted: number[] = [];
  let head = 0;
  const gate: Gate = { apiRoot: '', arrivals: [], rejected: 0, close: async () => undefined };
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let arrival: Arrival | undefined;
      if (/\/send(Message|Document)$/.test(req.url ?? '')) {
        const at = performance.now();
        while (head < accepted.length && (accepted[head] ?? 0) <= at - 1000) head++;
        if (accepted.length - head >= GATE_MAX_PER_SECOND) {
          gate.rejected++;
          res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }));
          return;
        }
        accepted.push(at);
        const chatId = /"chat_id":"?(-?\d+)/.exec(body.toString('utf8'))?.[1] ?? '?';
        arrival = { at, chatId };
        gate.arrivals.push(arrival);
      }
      const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (up) => {
        if (arrival) arrival.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  gate.close = () =>
    new Promise<void>((resolve) => {
      agent.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return gate;
}

interface DeliveryFigures {
  label: string;
  deliveries: number;
  windowS: number;
  inWindow: number;
  rate: number;
  maxPerSlidingSecond: number;
  perSecond: { min: number; max: number };
  rejected429: number;
  sent: number;
  received: number;
  duplicates: number;
  lost: number;
  /** Finished rows whose status disagrees with what the chat received. */
  mismatched: number;
  unfinished: number;
  otherStatuses: Record<string, number>;
  drainS: number;
  jobMs: { check: number; context: number; n: number };
}

/** Due telegram deliveries for distinct parents (a real planned row each), sent by the real worker. */
async function benchDelivery(world: World, redisUrl: string, label: string): Promise<DeliveryFigures> {
  const { db } = world;
  const wanted = Math.ceil(RATE * SECONDS * 1.1);
  const rows = db.$client
    .prepare(
      `select min(d.id) as id from deliveries d join identities i on i.person_id = d.person_id and i.channel = 'telegram'
       where d.channel = 'telegram' and d.kind != 'notice' and d.status in ('planned', 'queued') and d.send_at <= ?
       group by d.person_id order by min(d.id) limit ?`,
    )
    .pluck()
    .all(NOW.getTime(), wanted) as number[];
  if (rows.length < wanted) throw new Error(`only ${rows.length} due telegram deliveries for distinct parents, ${wanted} wanted`);
  const ids = new Set(rows);
  db.$client.transaction(() => {
    const reset = db.$client.prepare("update deliveries set status = 'planned' where id = ?");
    for (const id of rows) reset.run(id);
  })();
  const chatOf = new Map<number, string>();
  const chatRows = db.$client
    .prepare("select d.id, i.chat_id from deliveries d join identities i on i.person_id = d.person_id and i.channel = 'telegram' where d.id in (select value from json_each(?))")
    .all(JSON.stringify(rows)) as { id: number; chat_id: string }[];
  for (const r of chatRows) chatOf.set(r.id, r.chat_id);

  const api = await startFakeBotApi();
  for (const chat of new Set(chatOf.values())) api.sendText(Number(chat), 'hallo');
  const gate = await startGate(api.apiRoot);
  const channel = createTelegramChannel({ token: api.token, apiRoot: gate.apiRoot, logger: silent, onInbound: async () => undefined, commands: [], defaultLanguage: 'nl' });
  const wallStart = Date.now();
  const clock: Clock = { now: () => new Date(NOW.getTime() + (Date.now() - wallStart)), sleep: (t) => new Promise((r) => setTimeout(r, t)) };
  const deps = planDepsFor(db, clock);
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `bench${Math.floor(Math.random() * 1e9)}`;
  const queues = createDeliveryQueues(producer, prefix, ['telegram']);
  const items = plannedDue(db, new Date(NOW.getTime() + 1)).filter((i) => ids.has(i.id));
  await queues.add(items, clock.now());
  markQueued(db, items.map((i) => i.id));

  // The worker's own cost per job, outside BullMQ: its re-check and its context lookup.
  const sample = rows.slice(0, 50).map((id) => getDelivery(db, id)).filter((r): r is NonNullable<typeof r> => r !== null);
  const profiler = PROFILE ? await startProfiler() : null;
  let t = performance.now();
  for (const r of sample) checkDelivery(deps, r, clock.now());
  const checkMs = ms(t) / sample.length;
  if (profiler) for (const line of await profiler.stop(checkMs * sample.length)) console.log(`  re-check x${sample.length}: ${line}`);
  t = performance.now();
  for (const r of sample) deliveryContext(db, r.personId, 'telegram', r.payload, ZONE);
  const contextMs = ms(t) / sample.length;

  const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
  const worker = createDeliveryWorker({ ...deps, connection: workerConn, prefix, channel: 'telegram', adapter: channel, i18n, ratePerSecond: RATE, onUnreachable: () => undefined });
  void worker.run();
  const started = performance.now();
  const unfinishedNow = db.$client.prepare("select count(*) from deliveries where id in (select value from json_each(?)) and status in ('planned', 'queued', 'sending')").pluck();
  const idsJson = JSON.stringify(rows);
  // The window is SECONDS from the first message; then let the rest drain, for a while.
  const deadline = () => (gate.arrivals[0]?.at ?? started) + SECONDS * 1000 + Math.max(30_000, SECONDS * 500);
  let lastReport = started;
  while ((unfinishedNow.get(idsJson) as number) > 0 && performance.now() < deadline()) {
    await new Promise((r) => setTimeout(r, 250));
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      console.log(`  ${label}: ${gate.arrivals.length} sent after ${s2(lastReport - started)} s`);
    }
  }
  const drainS = (performance.now() - started) / 1000;
  await worker.close();

  // Messages the fake Bot API accepted, in arrival order (a refused one, e.g. a 400, is not throughput).
  const arrivals = gate.arrivals.filter((a) => a.status === 200);
  const t0 = arrivals[0]?.at ?? started;
  const windowEnd = t0 + SECONDS * 1000;
  const inWindow = arrivals.filter((a) => a.at < windowEnd).length;
  let maxSliding = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while ((arrivals[j]?.at ?? Infinity) <= (arrivals[i]?.at ?? 0) - 1000) j++;
    maxSliding = Math.max(maxSliding, i - j + 1);
  }
  const buckets = new Array<number>(SECONDS).fill(0);
  for (const a of arrivals) {
    const b = Math.floor((a.at - t0) / 1000);
    if (b < SECONDS) buckets[b] = (buckets[b] ?? 0) + 1;
  }
  const status = db.$client
    .prepare('select status, count(*) as n from deliveries where id in (select value from json_each(?)) group by status')
    .all(idsJson) as { status: string; n: number }[];
  const byStatus = Object.fromEntries(status.map((r) => [r.status, r.n]));
  const sentIds = db.$client.prepare("select id from deliveries where id in (select value from json_each(?)) and status = 'sent'").pluck().all(idsJson) as number[];
  // Received = what the fake Bot API recorded per chat (each chat has exactly one delivery).
  const sentSet = new Set(sentIds);
  const finalStatus = db.$client.prepare('select status from deliveries where id = ?').pluck();
  let received = 0;
  let duplicates = 0;
  let lost = 0;
  let mismatched = 0;
  for (const [id, chat] of chatOf) {
    const got = api.sent(chat).length;
    received += Math.min(got, 1);
    duplicates += Math.max(0, got - 1);
    const finished = !['planned', 'queued', 'sending'].includes(finalStatus.get(id) as string);
    if (finished && got === 0) lost++;
    if (finished && sentSet.has(id) !== got > 0) mismatched++;
  }
  const unfinished = (unfinishedNow.get(idsJson) as number) ?? 0;
  const pendingJobs = await queues.pending('telegram');
  if (unfinished !== pendingJobs) console.log(`  ${label}: ${unfinished} rows unfinished but ${pendingJobs} jobs in Redis`);
  const { planned: _p, queued: _q, sending: _s, sent: _sent, ...otherStatuses } = byStatus;
  await queues.queue('telegram').obliterate({ force: true });
  await queues.close();
  producer.disconnect();
  workerConn.disconnect();
  await gate.close();
  await api.close();
  return {
    label,
    deliveries: rows.length,
    windowS: SECONDS,
    inWindow,
    rate: inWindow / SECONDS,
    maxPerSlidingSecond: maxSliding,
    perSecond: { min: Math.min(...buckets), max: Math.max(...buckets) },
    rejected429: gate.rejected,
    sent: sentIds.length,
    received,
    duplicates,
    lost,
    mismatched,
    unfinished,
    otherStatuses,
    drainS,
    jobMs: { check: checkMs, context: contextMs, n: sample.length },
  };
}

// ------------------------------------------------------------------ main

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function printDelivery(d: DeliveryFigures): void {
  const other = Object.entries(d.otherStatuses)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `delivery ${d.label}: ${d.inWindow} messages in the ${d.windowS} s window = ${d.rate.toFixed(2)} msg/s (${((d.rate / RATE) * 100).toFixed(1)} % of ${RATE}/s); ` +
      `per second ${d.perSecond.min}–${d.perSecond.max}, max ${d.maxPerSlidingSecond} in any sliding second; 429s ${d.rejected429}`,
  );
  console.log(
    `  ${fmt(d.deliveries)} deliveries: sent ${fmt(d.sent)}, received ${fmt(d.received)}, duplicates ${d.duplicates}, lost ${d.lost}, status/received mismatches ${d.mismatched}, unfinished ${d.unfinished}${other ? `, ${other}` : ''}; all done after ${d.drainS.toFixed(1)} s`,
  );
  console.log(`  worker's own work per job (mean of ${d.jobMs.n}, outside BullMQ): re-check ${d.jobMs.check.toFixed(1)} ms, context ${d.jobMs.context.toFixed(1)} ms`);
}

/** Makes sure the world has planned rows (when the planning bench was skipped). */
function ensurePlanned(world: World): void {
  const n = world.db.$client.prepare("select count(*) from deliveries where status = 'planned'").pluck().get() as number;
  if (n === 0) planPass(planDepsFor(world.db, fixedClock(NOW)), { now: NOW });
}

/** Which code was measured: others change src/ while benchmarks run. */
function codeState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return dirty.length ? `${head} + uncommitted ${dirty.join(', ')}` : head;
  } catch {
    return 'unknown (no git)';
  }
}

async function main(): Promise<void> {
  console.log(`nurture bench: ${fmt(PARENTS)} parents, delivery window ${SECONDS} s, now = ${NOW.toISOString()}, ${cpus().length} cores, load ${load()}`);
  console.log(`code: ${codeState()}`);
  const redis: RedisServer | null = process.env.REDIS_URL ? null : await startRedisServer();
  cleanup.stopRedis = redis ? () => redis.stop() : null;
  const redisUrl = process.env.REDIS_URL || (redis?.url ?? '');
  const verdicts: [string, string, string, boolean][] = [];
  try {
    const world = seedWorld(PARENTS);
    console.log(
      `seeded ${fmt(PARENTS)} parents (${fmt(world.telegramPeople)} on telegram), ${fmt(world.children)} children, ${world.initiatives} initiatives, ${world.events} events, ${world.schedules} newsletter schedules in ${s2(world.seedMs)} s`,
    );
    try {
      if (ONLY.has('plan')) {
        const p = await benchPlanning(world);
        verdicts.push([`planning pass, first (${fmt(p.first.planned.length)} rows inserted)`, `${s2(p.firstMs)} s`, '< 3 s', p.firstMs < 3000]);
        verdicts.push([`planning pass, steady state (${fmt(p.second.planned.length)} new)`, `${s2(p.secondMs)} s`, '< 3 s', p.secondMs < 3000]);
        verdicts.push(['planning pass, steady state after a restart (no keys known)', `${s2(p.restartMs)} s`, '< 3 s', p.restartMs < 3000]);
      }
      if (ONLY.has('enqueue')) {
        ensurePlanned(world);
        const e = await benchEnqueue(world, redisUrl);
        const channels = Object.entries(e.byChannel)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ');
        console.log(`enqueue: ${fmt(e.items)} jobs (${channels}) added in ${s2(e.addMs)} s, markQueued ${s2(e.markMs)} s; ${fmt(e.pending)} jobs in Redis; the same jobs straight through Queue.addBulk ${s2(e.directMs)} s  (load ${load()})`);
        verdicts.push([`enqueue ${fmt(e.items)} + markQueued`, `${s2(e.addMs + e.markMs)} s`, '< 10 s', e.addMs + e.markMs < 10_000 && e.pending === e.items]);
      }
      if (ONLY.has('deliver')) {
        ensurePlanned(world);
        const d = await benchDelivery(world, redisUrl, `with ${fmt(PARENTS)} parents in the database`);
        printDelivery(d);
        verdicts.push(...deliveryVerdicts(d));
      }
    } finally {
      world.db.$client.close();
      rmSync(world.dir, { recursive: true, force: true });
    }
    if (ONLY.has('deliver-small')) {
      // The same worker, adapter and limiter with only the recipients in the database.
      const small = seedWorld(Math.ceil(RATE * SECONDS * 1.1 * SMALL_FACTOR), 1);
      try {
        ensurePlanned(small);
        const d = await benchDelivery(small, redisUrl, `with ${fmt(small.telegramPeople)} parents in the database`);
        printDelivery(d);
        verdicts.push(...deliveryVerdicts(d));
      } finally {
        small.db.$client.close();
        rmSync(small.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await redis?.stop();
  }
  console.log('\nsummary (issue 4 targets):');
  for (const [what, got, target, ok] of verdicts) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what.padEnd(58)} ${got.padStart(22)}   target ${target}`);
  console.log(`  load average at the end: ${load()} (${cpus().length} cores)`);
}

function deliveryVerdicts(d: DeliveryFigures): [string, string, string, boolean][] {
  const where = d.label.replace(/^with /, '');
  return [
    [`sustained delivery, ${where}`, `${d.rate.toFixed(2)} msg/s`, `≥ ${(RATE * 0.95).toFixed(2)} msg/s`, d.rate >= RATE * 0.95],
    [`  429s caused / lost / duplicated / unfinished`, `${d.rejected429} / ${d.lost} / ${d.duplicates} / ${d.unfinished}`, '0 / 0 / 0 / 0', d.rejected429 + d.lost + d.duplicates + d.unfinished + d.mismatched === 0],
  ];
}

await main();
