/**
 * Random planning worlds and a month of life in them, for comparing the full planning pass with
 * the incremental planner (test/jobs/incremental-equivalence.test.ts). A world is seeded from a
 * number (seededRandom): initiatives in four cities and phases, events with age bands, newsletter
 * schedules, parents with children of every age (some expected, some registered, some placed),
 * consents, quiet hours, languages, RSVPs, silent and active parents (the outreach ladder), a few
 * unreachable. Life is a list of changes made through the same functions the bot and the CLI
 * use (turns through the store's commitTurn, the repos), and a stand-in worker that sends each
 * row at its send time (by key, so two copies of a world do exactly the same).
 */
import { copyFileSync } from 'node:fs';
import { and, eq, inArray } from 'drizzle-orm';
import { checkpoint, openDatabase, type Db } from '../../src/db/client.js';
import { finishDelivery, recordChannelStatus } from '../../src/db/deliveries.repo.js';
import { cancelEvent, createEvent, recordAttendance } from '../../src/db/events.repo.js';
import { createInitiative, setPhase } from '../../src/db/initiatives.repo.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { addNewsletter, setNewsletterSchedule } from '../../src/db/newsletters.repo.js';
import { saveOutreachSettings } from '../../src/db/outreach.repo.js';
import { children, deliveries, identities, memberships, people } from '../../src/db/schema.js';
import { createStore } from '../../src/db/store.js';
import type { Effect } from '../../src/flows/flow.types.js';
import { fixedClock } from './clock.js';
import { seededRandom } from './seeded-random.js';

const DAY = 86_400_000;
export const SIM_START = new Date('2027-01-04T07:00:00Z');

export interface SimWorld {
  initiatives: number[];
  events: number[];
  people: number[];
}

type Rnd = () => number;
const pick = <T>(rnd: Rnd, list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
const chance = (rnd: Rnd, p: number): boolean => rnd() < p;

/** Seeds a world into a new database file; returns what it made. */
export function seedSimWorld(path: string, seed: number, parents: number): SimWorld {
  const db = openDatabase(path);
  const rnd = seededRandom(seed);
  const now = SIM_START;
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, now);
  const cities = ['Amsterdam', 'Utrecht', 'Nijmegen', 'Rotterdam'];
  const initiatives: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ini = createInitiative(db, { name: `Samen ${i}`, school: `School ${i}`, municipality: cities[(seed + i) % cities.length]!, phase: (1 + Math.floor(rnd() * 4)) as 1, postcodes: [`10${10 + i}`], code: `sim${seed}-${i}` }, 'sim');
    initiatives.push(ini.id);
    if (chance(rnd, 0.5)) setNewsletterSchedule(db, ini.id, { everyWeeks: pick(rnd, [2, 4]), firstDate: '2026-12-07', time: pick(rnd, ['10:00', '19:30']), active: true }, 'sim');
    if (chance(rnd, 0.5)) addNewsletter(db, ini.id, { nl: `Nieuws ${i}` }, 'sim');
    if (chance(rnd, 0.2)) saveOutreachSettings(db, ini.id, { enabled: false }, 120, now);
    else if (chance(rnd, 0.3)) saveOutreachSettings(db, ini.id, { cooldownDays: 30 }, 120, now);
  }
  const events: number[] = [];
  for (const ini of initiatives) {
    for (let e = 0; e < 3; e++) {
      const startsAt = new Date(now.getTime() + Math.round((rnd() * 50 - 2) * 24) * 3600_000);
      events.push(newEvent(db, rnd, ini, startsAt));
    }
  }
  const ids: number[] = [];
  db.$client.transaction(() => {
    for (let p = 0; p < parents; p++) ids.push(newParent(db, rnd, pick(rnd, initiatives), now, false));
  })();
  // Some answers to the events.
  for (const id of ids) {
    if (!chance(rnd, 0.15)) continue;
    rsvp(db, id, pick(rnd, events), pick(rnd, ['yes', 'maybe', 'no'] as const), now);
  }
  checkpoint(db);
  db.$client.close();
  return { initiatives, events, people: ids };
}

export function copyWorld(from: string, to: string): void {
  copyFileSync(from, to);
}

function newEvent(db: Db, rnd: Rnd, initiativeId: number, startsAt: Date): number {
  const minAge = pick(rnd, [0, 12, 24, 30]);
  return createEvent(db, {
    initiativeId,
    kind: pick(rnd, ['tour', 'open_morning', 'play_morning', 'kickoff'] as const),
    startsAt,
    endsAt: new Date(startsAt.getTime() + 90 * 60_000),
    capacity: chance(rnd, 0.3) ? 3 : null,
    minAgeMonths: minAge,
    maxAgeMonths: minAge + pick(rnd, [12, 24, 36]),
    titles: { nl: 'Activiteit' },
    places: { nl: 'School' },
  });
}

/** A parent with a chat and children, joined some time ago (or `now` for one who joins during the month). */
function newParent(db: Db, rnd: Rnd, initiativeId: number, now: Date, joinsNow: boolean): number {
  const joined = joinsNow ? now : new Date(now.getTime() - Math.floor(rnd() * 500) * DAY - Math.floor(rnd() * 24) * 3600_000);
  const quiet = chance(rnd, 0.1) ? { quietStart: '21:00', quietEnd: '07:00' } : {};
  // Active, fading or silent (the ladder): their last own action anywhere from the join until now.
  const lastAction = chance(rnd, 0.15) ? null : new Date(Math.max(joined.getTime(), now.getTime() - Math.floor(rnd() * 200) * DAY));
  const person = db
    .insert(people)
    .values({
      language: pick(rnd, ['nl', 'nl', 'en', 'tr', 'ar', 'pl']),
      reminders: !chance(rnd, 0.05),
      newsletter: chance(rnd, 0.35),
      proactive: !chance(rnd, 0.03),
      lastActionAt: lastAction,
      lastReadAt: chance(rnd, 0.1) ? new Date(now.getTime() - Math.floor(rnd() * 60) * DAY) : null,
      contactDeclinedAt: chance(rnd, 0.03) ? now : null,
      createdAt: joined,
      ...quiet,
    })
    .returning({ id: people.id })
    .get().id;
  if (!chance(rnd, 0.03)) {
    db.insert(identities)
      .values({ personId: person, channel: 'local', chatId: `sim-${person}`, createdAt: joined, unreachableAt: chance(rnd, 0.03) ? now : null })
      .run();
  }
  if (!chance(rnd, 0.04)) db.insert(memberships).values({ personId: person, initiativeId, role: 'parent', createdAt: joined }).run();
  const kids = 1 + Math.floor(rnd() * (chance(rnd, 0.2) ? 3 : 1.3));
  for (let k = 0; k < kids; k++) {
    const age = Math.floor(rnd() * 54) - 5; // months; negative: expected
    const birth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - age, 1));
    db.insert(children)
      .values({
        personId: person,
        birthYear: birth.getUTCFullYear(),
        birthMonth: birth.getUTCMonth() + 1,
        expected: age < 0,
        registeredAt: age > 30 && chance(rnd, 0.2) ? now : null,
        placement: age > 40 && chance(rnd, 0.2) ? pick(rnd, ['yes', 'no'] as const) : null,
        createdAt: joined,
      })
      .run();
  }
  return person;
}

function rsvp(db: Db, personId: number, eventId: number, answer: 'yes' | 'maybe' | 'no', now: Date): void {
  turn(db, personId, [{ type: 'rsvp', eventId, answer }], now);
}

/** A committed turn of the parent, through the store (as the engine commits it). */
function turn(db: Db, personId: number, effects: Effect[], now: Date): void {
  const identity = db.select({ id: identities.id, chatId: identities.chatId }).from(identities).where(eq(identities.personId, personId)).get();
  if (!identity) return;
  try {
    createStore(db, fixedClock(now), { outboxOwner: 'sim' }).commitTurn({ address: { channel: 'local', chatId: identity.chatId }, identity: { personId, identityId: identity.id }, state: null, effects, outbound: [] });
  } catch {
    // An answer the domain refuses (a cancelled event): the bot would say so; nothing changed.
  }
}

/** One change to the world at `now`, drawn from `rnd` (the same draw gives the same change on a copy). */
export function randomChange(db: Db, rnd: Rnd, world: SimWorld, now: Date): string {
  const who = pick(rnd, world.people);
  const kind = pick(rnd, ['turn', 'turn', 'read', 'child', 'registered', 'rsvp', 'rsvp', 'stop', 'back', 'remindersOff', 'newsletterOn', 'quiet', 'language', 'event', 'cancel', 'phase', 'date', 'newsletter', 'join', 'outreach', 'attended', 'unreachable'] as const);
  switch (kind) {
    case 'turn':
      turn(db, who, [], now);
      break;
    case 'read': {
      // A read receipt on their last sent message, as the WhatsApp webhook records it.
      const row = db.select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.personId, who), eq(deliveries.status, 'sent'))).orderBy(deliveries.key).get();
      if (row) {
        db.update(deliveries).set({ externalId: `wamid-${row.id}-${now.getTime()}` }).where(eq(deliveries.id, row.id)).run();
        recordChannelStatus(db, `wamid-${row.id}-${now.getTime()}`, 'read', now);
      }
      break;
    }
    case 'child': {
      const age = Math.floor(rnd() * 40) - 3;
      const birth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - age, 1));
      turn(db, who, [{ type: 'addChild', year: birth.getUTCFullYear(), month: birth.getUTCMonth() + 1, expected: age < 0 }], now);
      break;
    }
    case 'registered': {
      const child = db.select({ id: children.id }).from(children).where(eq(children.personId, who)).orderBy(children.id).get();
      if (child) turn(db, who, [{ type: 'registered', childId: child.id }], now);
      break;
    }
    case 'rsvp':
      rsvp(db, who, pick(rnd, world.events), pick(rnd, ['yes', 'maybe', 'no'] as const), now);
      break;
    case 'stop':
      turn(db, who, [{ type: 'proactive', enabled: false }], now);
      break;
    case 'back':
      turn(db, who, [{ type: 'proactive', enabled: true }], now);
      break;
    case 'remindersOff':
      turn(db, who, [{ type: 'consentKind', kind: 'reminders', enabled: false }], now);
      break;
    case 'newsletterOn':
      turn(db, who, [{ type: 'consentKind', kind: 'newsletter', enabled: true }], now);
      break;
    case 'quiet':
      turn(db, who, [{ type: 'quietHours', quiet: chance(rnd, 0.5) ? { start: '19:00', end: '09:00' } : null }], now);
      break;
    case 'language':
      turn(db, who, [{ type: 'setProfile', patch: { language: pick(rnd, ['nl', 'tr', 'uk']) } }], now);
      break;
    case 'event': {
      const at = new Date(now.getTime() + Math.round((2 + rnd() * 40) * 24) * 3600_000);
      world.events.push(newEvent(db, rnd, pick(rnd, world.initiatives), at));
      break;
    }
    case 'cancel':
      cancelEvent(db, pick(rnd, world.events), now);
      break;
    case 'phase':
      setPhase(db, pick(rnd, world.initiatives), (1 + Math.floor(rnd() * 5)) as 1, 'sim', now);
      break;
    case 'date':
      try {
        addRegistrationDate(db, 'Amsterdam', pick(rnd, ['2027-03-04', '2027-03-11', '2027-06-03']), 'sim', now);
      } catch {
        // Not one of the rule's deadline months: refused, as the CLI would.
      }
      break;
    case 'newsletter':
      addNewsletter(db, pick(rnd, world.initiatives), { nl: 'Nieuws' }, 'sim');
      break;
    case 'join':
      world.people.push(newParent(db, rnd, pick(rnd, world.initiatives), now, true));
      break;
    case 'outreach':
      saveOutreachSettings(db, pick(rnd, world.initiatives), { enabled: chance(rnd, 0.5) }, 120, now);
      break;
    case 'attended': {
      const ev = pick(rnd, world.events);
      recordAttendance(db, ev, [who], true);
      break;
    }
    case 'unreachable':
      db.update(identities).set({ unreachableAt: now }).where(eq(identities.personId, who)).run();
      break;
  }
  return kind;
}

/**
 * The worker, in short: every row due by `now` (planned or queued, in key order) is sent at its
 * send time, except one in twenty (by key) that is skipped as no longer wanted; a row past its
 * expiry expires. Acts on keys, so the full pass's copy and the incremental copy do the same.
 */
export function simulateWorker(db: Db, now: Date): void {
  const due = db
    .select({ id: deliveries.id, key: deliveries.key, sendAt: deliveries.sendAt, expiresAt: deliveries.expiresAt })
    .from(deliveries)
    .where(inArray(deliveries.status, ['planned', 'queued']))
    .orderBy(deliveries.key)
    .all()
    .filter((r) => r.sendAt <= now);
  for (const r of due) {
    if (r.expiresAt && r.expiresAt <= r.sendAt) finishDelivery(db, r.id, 'expired', r.sendAt, 'expired before it could be sent');
    else if (hash(r.key) % 20 === 0) finishDelivery(db, r.id, 'skipped', r.sendAt, 'no longer relevant');
    else finishDelivery(db, r.id, 'sent', r.sendAt);
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Every row by key: what was planned, when and with what, and what became of it. */
export function rowsByKey(db: Db): Map<string, string> {
  const rows = db.select().from(deliveries).orderBy(deliveries.key).all();
  return new Map(
    rows.map((r) => [
      r.key,
      JSON.stringify({ channel: r.channel, kind: r.kind, due: r.dueAt.toISOString(), send: r.sendAt.toISOString(), expires: r.expiresAt?.toISOString() ?? null, urgent: r.urgentFrom?.toISOString() ?? null, status: r.status, sent: r.sentAt?.toISOString() ?? null, payload: r.payload }),
    ]),
  );
}

export function openSim(path: string): Db {
  return openDatabase(path);
}
