/**
 * The planning world: N parents as a city or a country would have them, seeded in bulk into a
 * SQLite file (prepared statements, one transaction for the parents: a million in well under a
 * minute). Moved here from scripts/bench-nurture.ts. Each parent: a person (ten languages, 5 %
 * with their own quiet hours, 25 % with newsletter consent, 3 % without reminders), one chat (70 %
 * Telegram, 30 % the local web chat), a membership of one of 50 initiatives in four cities (97 %),
 * one or two children born over the last 0–4 years (4 % still expected, some registered), for
 * 30 % one capped message in the last week, and for one in ten parents of an initiative with a
 * tour a "yes". Plus published Amsterdam registration days, 12 tours in the coming week and 10
 * fortnightly newsletters waiting. "Now" is PLANNING_NOW, a Tuesday 10:00 in Amsterdam.
 *
 * The WorldCache seeds each size once per run (in a child process) and hands out copies: the
 * planner benchmarks write rows, so each measurement starts from the same untouched world.
 */
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { checkpoint, openDatabase } from '../../src/db/client.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { HEAP_MB_LARGE, inChild } from './child.js';

export const PLANNING_NOW = new Date('2026-12-01T09:00:00Z');
export const PLANNING_ZONE = 'Europe/Amsterdam';
/** Seeded parents' Telegram chat ids start here (none of them is known to the fake Bot API). */
export const WORLD_CHAT_BASE = 500_000_000;
const DAY = 86_400_000;

const CITIES: [string, number][] = [
  ['Amsterdam', 20],
  ['Utrecht', 12],
  ['Nijmegen', 8],
  ['Rotterdam', 10],
];
const LANGUAGES = ['nl', 'nl', 'nl', 'nl', 'nl', 'en', 'en', 'ar', 'tr', 'pl', 'uk', 'so', 'ti', 'bg', 'pt'];

export interface SeededWorld {
  path: string;
  parents: number;
  telegramPeople: number;
  children: number;
  initiatives: number;
  events: number;
  schedules: number;
  /** Wall time of the whole seed (schema, parents, analyze, checkpoint). */
  seedMs: number;
  /** The parents' transaction alone. */
  parentsMs: number;
}

/** Writes the world into a new file at `path` (exported for child.process.ts). */
export function seedPlanningWorld({ path, parents, telegramShare = 1 }: { path: string; parents: number; telegramShare?: number }): SeededWorld {
  const started = performance.now();
  const db = openDatabase(path);
  const sqlite = db.$client;
  // A throw-away file: no fsync while seeding, a larger page cache for the indexes.
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -262144');
  const rnd = seededRandom(4);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const now = PLANNING_NOW.getTime();
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, PLANNING_NOW);
  // Published Amsterdam days, so some deadlines are exact dates (deadline −14 d, −2 d).
  for (const date of ['2026-11-05', '2027-03-04', '2027-06-03', '2027-11-04']) addRegistrationDate(db, 'Amsterdam', date, 'bench', PLANNING_NOW);

  const initiativeIds: number[] = [];
  let schedules = 0;
  const tourOf = new Map<number, number>();
  sqlite.transaction(() => {
    const ini = sqlite.prepare('insert into initiatives (code, name, school, neighbourhood, contact, municipality, phase, time_zone, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    let n = 0;
    for (const [city, count] of CITIES) {
      for (let i = 0; i < count; i++, n++) {
        initiativeIds.push(Number(ini.run(`bench${n}`, `Samen naar school ${n}`, `Basisschool ${n}`, `Wijk ${n}`, 'info@example.org', city, 1 + (n % 3), PLANNING_ZONE, now - 400 * DAY).lastInsertRowid));
      }
    }
    // Every fifth initiative has a fortnightly newsletter with one written and waiting.
    const schedule = sqlite.prepare('insert into newsletter_schedules (initiative_id, every_weeks, first_date, time, active) values (?, 2, ?, ?, 1)');
    const letter = sqlite.prepare('insert into newsletters (initiative_id, texts, created_at) values (?, ?, ?)');
    initiativeIds.forEach((id, i) => {
      if (i % 5 !== 0) return;
      schedule.run(id, `2026-11-${String(17 + (i % 4)).padStart(2, '0')}`, i % 2 ? '10:00' : '16:00');
      letter.run(id, JSON.stringify({ nl: `Nieuws van initiatief ${id}: de rondleiding was vol, dank!`, en: `News from initiative ${id}.` }), now - 2 * DAY);
      schedules++;
    });
    // Tours in the coming week (invitations, "tomorrow", "today").
    const ev = sqlite.prepare("insert into events (initiative_id, kind, starts_at, ends_at, capacity, min_age_months, max_age_months, titles, places, created_at) values (?, 'tour', ?, ?, 25, 24, 48, ?, ?, ?)");
    for (let i = 0; i < 12; i++) {
      const startsAt = now + (1 + (i % 7)) * DAY + (i % 3) * 3_600_000;
      const initiative = initiativeIds[(i * 7) % initiativeIds.length] ?? 0;
      const id = Number(ev.run(initiative, startsAt, startsAt + 3_600_000, JSON.stringify({ nl: `Rondleiding ${i}`, en: `Tour ${i}` }), JSON.stringify({ nl: 'Hoofdingang', en: 'Main entrance' }), now - 10 * DAY).lastInsertRowid);
      tourOf.set(initiative, id);
    }
  })();

  // Triggers that mark parents for re-planning (issue 13) would fire once per inserted row: they
  // are set aside while the parents are written, then every seeded parent is marked in one
  // statement, which is what the triggers would have left behind.
  const triggers = sqlite.prepare("select name, sql from sqlite_master where type = 'trigger' and sql like '%plan_marks%'").all() as { name: string; sql: string }[];
  for (const t of triggers) sqlite.exec(`drop trigger "${t.name}"`);

  const nowIdx = PLANNING_NOW.getUTCFullYear() * 12 + PLANNING_NOW.getUTCMonth();
  let telegramPeople = 0;
  let childCount = 0;
  const parentsStarted = performance.now();
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
      const joined = now - Math.floor(rnd() * 400) * DAY - Math.floor(rnd() * DAY);
      const ownQuiet = rnd() < 0.05;
      person.run(id, pick(LANGUAGES), rnd() < 0.97 ? 1 : 0, rnd() < 0.25 ? 1 : 0, ownQuiet ? '21:00' : null, ownQuiet ? '09:00' : null, joined);
      const telegram = rnd() < telegramShare;
      if (telegram) telegramPeople++;
      identity.run(id, telegram ? 'telegram' : 'local', telegram ? String(WORLD_CHAT_BASE + id) : `bench-${id}`, joined);
      const initiative = rnd() < 0.97 ? pick(initiativeIds) : null;
      if (initiative !== null) membership.run(id, initiative, joined);
      const kids = rnd() < 0.7 ? 1 : 2;
      for (let k = 0; k < kids; k++) {
        childCount++;
        const expected = rnd() < 0.04;
        const idx = expected ? nowIdx + 1 + Math.floor(rnd() * 8) : nowIdx - Math.floor(rnd() * 49);
        const registered = !expected && nowIdx - idx > 36 && rnd() < 0.4 ? joined : null;
        const placement = registered !== null ? pick(['yes', 'yes', 'no', 'unknown'] as const) : null;
        child.run(id, Math.floor(idx / 12), (idx % 12) + 1, expected ? 1 : 0, registered, placement, joined);
      }
      // About a third got a capped message in the last week (the frequency cap's history).
      if (rnd() < 0.3) {
        const at = now - Math.floor(rnd() * 7 * DAY);
        history.run(`toddler-groups|p${id}|c-|hist`, id, telegram ? 'telegram' : 'local', at, at, at, at);
      }
      const tour = initiative !== null ? tourOf.get(initiative) : undefined;
      if (tour !== undefined && rnd() < 0.1) rsvp.run(tour, id, joined);
    }
  })();
  for (const t of triggers) sqlite.exec(t.sql);
  if (triggers.length) sqlite.prepare('insert or ignore into plan_marks (person_id, at) select id, ? from people').run(now);
  const parentsMs = performance.now() - parentsStarted;
  sqlite.pragma('analysis_limit = 1000');
  sqlite.exec('analyze');
  checkpoint(db);
  sqlite.close();
  return { path, parents, telegramPeople, children: childCount, initiatives: initiativeIds.length, events: tourOf.size, schedules, seedMs: performance.now() - started, parentsMs };
}

/** Each size seeded once per run, in a fresh process; `copy` gives a measurement its own file. */
export class WorldCache {
  private readonly seeded = new Map<number, Promise<SeededWorld>>();
  /** Worlds after a full planning pass at PLANNING_NOW: the steady state of a running bot. */
  private readonly planned = new Map<number, Promise<string>>();
  private copies = 0;

  constructor(private readonly dir: string) {}

  world(parents: number): Promise<SeededWorld> {
    let world = this.seeded.get(parents);
    if (!world) {
      mkdirSync(join(this.dir, 'worlds'), { recursive: true });
      const path = join(this.dir, 'worlds', `world-${parents}.db`);
      world = inChild<SeededWorld>(import.meta.url, 'seedPlanningWorld', { path, parents }).then((r) => r.result);
      this.seeded.set(parents, world);
    }
    return world;
  }

  /** A fresh copy of the seeded world (the template is checkpointed: one file, no WAL). */
  async copy(parents: number): Promise<{ world: SeededWorld; path: string }> {
    const world = await this.world(parents);
    const path = join(this.dir, `copy-${++this.copies}-${parents}.db`);
    copyDurably(world.path, path);
    return { world, path };
  }

  /** A file that a benchmark planned fully (checkpointed and closed) becomes the planned template of its size. */
  adoptPlanned(parents: number, path: string): void {
    this.planned.set(parents, Promise.resolve(path));
  }

  /** A fresh copy of the world with everything planned (planned here, in a child, unless a benchmark handed one over). */
  async plannedCopy(parents: number): Promise<{ world: SeededWorld; path: string }> {
    let template = this.planned.get(parents);
    if (!template) {
      template = this.copy(parents).then(async ({ path }) => {
        await inChild(new URL('./planner-under-test.ts', import.meta.url).href, 'planOnce', { path }, { heapMb: HEAP_MB_LARGE });
        return path;
      });
      this.planned.set(parents, template);
    }
    const world = await this.world(parents);
    const path = join(this.dir, `copy-${++this.copies}-${parents}-planned.db`);
    copyDurably(await template, path);
    return { world, path };
  }
}

/**
 * A copy on disk before a measurement starts: otherwise the first checkpoint's fsync of the
 * measurement writes the whole copied file back (330 MB at 1M parents), which a running bot's file
 * never has waiting.
 */
function copyDurably(from: string, to: string): void {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
