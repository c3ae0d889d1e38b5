/**
 * The incremental planner (issue 13, ADR 0012), on SQLite on disk with an injected clock:
 * - every kind of change that can alter a parent's timeline marks the parent, and the next tick
 *   plans them again (one case per kind, each through the writer the bot or the CLI uses);
 * - a tick with nothing due reads nothing but two index lookups;
 * - a mark written while a tick runs (on the planner thread) stays for the next tick;
 * - next moments: the ladder's first step at the moment the parent turns silent, a far event's
 *   invitation, a periodic re-check when nothing is ahead, a retry for a message without room;
 * - the full rebuild at start runs only when the rules changed;
 * - the mark triggers are in a migrated database word for word, and survive an erasure and an upsert.
 */
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { finishDelivery, recordChannelStatus } from '../../src/db/deliveries.repo.js';
import { erasePerson } from '../../src/db/effects.apply.js';
import { cancelEvent, createEvent, recordAttendance } from '../../src/db/events.repo.js';
import { markUnreachable } from '../../src/db/identities.repo.js';
import { setArchived, setPhase } from '../../src/db/initiatives.repo.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { addNewsletter, setNewsletterSchedule } from '../../src/db/newsletters.repo.js';
import { changeNudgeStatus, createNudge } from '../../src/db/nudges.repo.js';
import { saveOutreachSettings, saveOutreachVoice } from '../../src/db/outreach.repo.js';
import { ensurePlanMarkTriggers, markEveryone, PLAN_MARK_TRIGGERS } from '../../src/db/plan-marks.repo.js';
import { recordOutcome } from '../../src/db/relay.effects.js';
import { threadRow } from '../../src/db/relay.repo.js';
import { children, deliveries, identities, media, memberships, people, relayThreads } from '../../src/db/schema.js';
import { createStore } from '../../src/db/store.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import type { Effect } from '../../src/flows/flow.types.js';
import type { DeliveryQueues } from '../../src/jobs/delivery.queue.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import { NEXT_LOOKAHEAD_MS, RETRY_UNPLACED_MS, type PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { createPlanRunner } from '../../src/jobs/plan-runner.js';
import { planFingerprint, planTick, rebuildAll } from '../../src/jobs/plan-tick.js';
import { createPlanner } from '../../src/jobs/planner.js';
import { createHarness, type Harness } from '../support/engine-harness.js';
import { localTime } from '../support/nurture-harness.js';

const NOW = new Date('2027-03-10T11:00:00Z'); // Wednesday 12:00 in Amsterdam
const DAY = 86_400_000;
const SENTINEL = 9e15;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const local = (iso: string): Date => new Date(new Date(`${iso}:00+01:00`).getTime()); // CET (before the March change)

let h: Harness;
let deps: PlanPassDeps;
let ini: number;
let other: number;

beforeEach(() => {
  h = createHarness(NOW.toISOString());
  seedMunicipalities(h.db, DEFAULT_MUNICIPALITIES_PATH, NOW);
  ini = h.initiative().id;
  other = h.initiative({ name: 'Samen naar De Zuilen', school: 'De Zuilen', postcodes: ['1095'] }).id;
  deps = { db: h.db, rules: loadReminderRules(), clock: h.clock, logger: silent, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: PLAN_HORIZON_MS };
});
afterEach(() => h.close());

interface ParentInput {
  initiativeId?: number | null;
  kids?: { year: number; month: number; expected?: boolean }[];
  lastActionAt?: Date | null;
  newsletter?: boolean;
  proactive?: boolean;
}

/** A parent who joined a year ago, with a chat on the local channel. */
function parent(input: ParentInput = {}): { id: number; kids: number[]; chat: string } {
  const joined = new Date(NOW.getTime() - 365 * DAY);
  const id = h.db
    .insert(people)
    .values({ language: 'nl', newsletter: input.newsletter ?? false, proactive: input.proactive ?? true, lastActionAt: input.lastActionAt === undefined ? new Date(NOW.getTime() - 5 * DAY) : input.lastActionAt, createdAt: joined })
    .returning({ id: people.id })
    .get().id;
  const chat = `chat-${id}`;
  h.db.insert(identities).values({ personId: id, channel: 'local', chatId: chat, createdAt: joined }).run();
  const initiativeId = input.initiativeId === undefined ? ini : input.initiativeId;
  if (initiativeId !== null) h.db.insert(memberships).values({ personId: id, initiativeId, role: 'parent', createdAt: joined }).run();
  const kids = (input.kids ?? [{ year: 2023, month: 9 }]).map(
    (k) => h.db.insert(children).values({ personId: id, birthYear: k.year, birthMonth: k.month, expected: k.expected ?? false, createdAt: joined }).returning({ id: children.id }).get().id,
  );
  return { id, kids, chat };
}

/** A turn of the parent, committed as the engine commits it (src/db/store.ts commitTurn). */
function turn(p: { id: number; chat: string }, effects: Effect[]): void {
  const identity = h.db.select({ id: identities.id }).from(identities).where(eq(identities.personId, p.id)).get()!;
  createStore(h.db, h.clock, { outboxOwner: 'test' }).commitTurn({ address: { channel: 'local', chatId: p.chat }, identity: { personId: p.id, identityId: identity.id }, state: null, effects, outbound: [] });
}

const marked = (id: number): boolean => h.db.$client.prepare('select 1 from plan_marks where person_id = ?').get(id) !== undefined;
const nextOf = (id: number): number | null => h.db.$client.prepare('select next_plan_at from people where id = ?').pluck().get(id) as number | null;
const keysOf = (id: number): string[] => h.db.select({ key: deliveries.key }).from(deliveries).where(eq(deliveries.personId, id)).all().map((r) => r.key);
const rowOf = (id: number, rule: string) => h.db.select().from(deliveries).where(and(eq(deliveries.personId, id), eq(deliveries.ruleId, rule))).get();

function event(startsLocal: string, kind: 'tour' | 'open_morning' = 'tour', initiativeId = ini): number {
  const startsAt = local(startsLocal);
  return createEvent(h.db, { initiativeId, kind, startsAt, endsAt: new Date(startsAt.getTime() + 90 * 60_000), capacity: null, minAgeMonths: 24, maxAgeMonths: 48, titles: { nl: 'Rondleiding' }, places: { nl: 'School' } });
}

function relativeNudge(initiativeId = ini): number {
  return h.db.transaction((tx) =>
    createNudge(tx, { initiativeId, createdBy: null, audience: {}, moment: { type: 'childAge', months: 42, windowMonths: 1, at: '13:00' }, versions: [{ lang: 'nl', text: 'Bijna vier!' }] }, 'cli', NOW, 'Europe/Amsterdam'),
  );
}

function callbackThread(personId: number) {
  const id = h.db.insert(relayThreads).values({ personId, initiativeId: ini, kind: 'callback', source: 'callback', language: 'nl', tierAt: NOW, createdAt: NOW }).returning({ id: relayThreads.id }).get().id;
  return threadRow(h.db, id)!;
}

interface Case {
  name: string;
  parent?: ParentInput;
  setup?: (p: ReturnType<typeof parent>) => void;
  change: (p: ReturnType<typeof parent>) => void;
  /** After the tick: what the new plan says (beyond "planned again"). */
  then?: (p: ReturnType<typeof parent>) => void;
  /** The next moment is null afterwards (nothing to send to this parent until a mark). */
  noNext?: boolean;
}

const CASES: Case[] = [
  { name: 'a turn (any message or button: participation)', change: (p) => turn(p, []) },
  {
    name: 'a child added in the chat',
    change: (p) => turn(p, [{ type: 'addChild', year: 2027, month: 3, expected: false }]),
    then: (p) => expect(keysOf(p.id).some((k) => k.startsWith(`birth-congrats|p${p.id}|`))).toBe(true),
  },
  { name: "a child's birth month corrected", change: (p) => turn(p, [{ type: 'updateChild', childId: p.kids[0]!, year: 2023, month: 10, expected: false }]) },
  { name: 'a child removed', change: (p) => turn(p, [{ type: 'removeChild', childId: p.kids[0]! }]) },
  { name: '"registered" for a child', change: (p) => turn(p, [{ type: 'registered', childId: p.kids[0]! }]) },
  { name: 'the placement answer', change: (p) => turn(p, [{ type: 'placement', childId: p.kids[0]!, answer: 'yes' }]) },
  { name: '/stop', change: (p) => turn(p, [{ type: 'proactive', enabled: false }]), noNext: true },
  { name: 'messages on again', parent: { proactive: false }, change: (p) => turn(p, [{ type: 'proactive', enabled: true }]) },
  { name: 'reminders switched off', change: (p) => turn(p, [{ type: 'consentKind', kind: 'reminders', enabled: false }]) },
  {
    name: 'the newsletter switched on',
    setup: () => {
      setNewsletterSchedule(h.db, ini, { everyWeeks: 4, firstDate: '2027-03-10', time: '18:00', active: true }, 'test');
      addNewsletter(h.db, ini, { nl: 'Nieuws' }, 'test');
    },
    change: (p) => turn(p, [{ type: 'consentKind', kind: 'newsletter', enabled: true }]),
    then: (p) => expect(rowOf(p.id, 'newsletter')).toBeDefined(),
  },
  { name: 'own quiet hours', change: (p) => turn(p, [{ type: 'quietHours', quiet: { start: '18:00', end: '10:00' } }]) },
  { name: 'another language', change: (p) => turn(p, [{ type: 'setProfile', patch: { language: 'tr' } }]) },
  { name: 'another channel preferred', change: (p) => turn(p, [{ type: 'preferredChannel', channel: 'telegram' }]) },
  { name: 'joined an initiative', parent: { initiativeId: null }, change: (p) => turn(p, [{ type: 'join', initiativeId: ini }]) },
  {
    name: 'an RSVP in the chat',
    setup: () => void event('2027-03-10T15:00'),
    change: (p) => {
      const ev = h.db.$client.prepare('select max(id) from events').pluck().get() as number;
      turn(p, [{ type: 'rsvp', eventId: ev, answer: 'yes' }]);
    },
    then: (p) => expect(rowOf(p.id, 'event-today')).toBeDefined(),
  },
  {
    name: 'a read receipt (WhatsApp)',
    setup: (p) => {
      h.db.insert(deliveries).values({ key: `x|p${p.id}|c-|1`, personId: p.id, ruleId: 'x', channel: 'local', kind: 'notice', dueAt: NOW, sendAt: NOW, payload: { key: 'x', params: {}, buttons: null }, status: 'sent', sentAt: NOW, externalId: 'wamid-1', createdAt: NOW }).run();
    },
    change: () => void recordChannelStatus(h.db, 'wamid-1', 'read', NOW),
  },
  {
    name: 'attendance recorded by a coordinator',
    setup: (p) => {
      const ev = event('2027-03-09T10:00');
      h.db.$client.prepare("insert into event_rsvps (event_id, person_id, answer, status, answered_at) values (?, ?, 'yes', 'going', ?)").run(ev, p.id, NOW.getTime() - 3 * DAY);
    },
    change: (p) => void recordAttendance(h.db, h.db.$client.prepare('select max(id) from events').pluck().get() as number, [p.id], true),
  },
  { name: 'a call-back that reached the parent', change: (p) => void h.db.transaction((tx) => recordOutcome(tx, callbackThread(p.id), 'reached', 'test', NOW)) },
  { name: 'contact declined on a call-back', change: (p) => void h.db.transaction((tx) => recordOutcome(tx, callbackThread(p.id), 'declined', 'test', NOW)) },
  { name: 'the chat unreachable (403)', change: (p) => markUnreachable(h.db, { channel: 'local', chatId: p.chat }, NOW), noNext: true },
  {
    name: "a step of the outreach ladder went out (the next one 10 days later)",
    parent: { lastActionAt: new Date(NOW.getTime() - 120 * DAY) },
    change: (p) => {
      const step = rowOf(p.id, 'ladder1');
      expect(step).toBeDefined();
      finishDelivery(h.db, step!.id, 'sent', NOW);
    },
    // Step 2: 10 days after step 1 went out, at 10:00 local; in the planning horizon a day before.
    then: (p) => expect(localTime(new Date(nextOf(p.id)!))).toBe('2027-03-20 10:00'),
  },
  {
    name: 'a message skipped (room in the frequency cap)',
    setup: () => void event('2027-03-17T09:00'),
    change: (p) => {
      const row = rowOf(p.id, 'event-invite-7');
      expect(row).toBeDefined();
      finishDelivery(h.db, row!.id, 'skipped', NOW, 'no longer relevant');
    },
  },
  {
    name: 'an event created (CLI)',
    change: () => void event('2027-03-17T09:00'),
    then: (p) => expect(rowOf(p.id, 'event-invite-7')).toBeDefined(),
  },
  { name: 'an event cancelled', setup: () => void event('2027-03-30T09:00'), change: () => void cancelEvent(h.db, h.db.$client.prepare('select max(id) from events').pluck().get() as number, NOW) },
  {
    name: "the initiative's phase (CLI)",
    change: () => void setPhase(h.db, ini, 3, 'cli', NOW),
    then: (p) => expect(keysOf(p.id)).toContain(`phase-change|p${p.id}|c-|i${ini}-phase3`),
  },
  { name: 'the initiative archived', change: () => void setArchived(h.db, ini, true, 'cli', NOW) },
  {
    name: "the municipality's published registration day (CLI)",
    change: () => void addRegistrationDate(h.db, 'Amsterdam', '2027-03-25', 'cli', NOW),
    then: (p) => expect(keysOf(p.id)).toContain(`deadline-14|p${p.id}|c${p.kids[0]}|2027-03-25`),
  },
  {
    name: 'a relative nudge created',
    change: () => void relativeNudge(),
    then: (p) => expect(keysOf(p.id).some((k) => /^n\d+\|/.test(k))).toBe(true),
  },
  {
    name: 'a relative nudge paused',
    setup: () => void relativeNudge(),
    change: () => void h.db.transaction((tx) => changeNudgeStatus(tx, h.db.$client.prepare('select max(id) from nudges').pluck().get() as number, 'pause', 'cli', NOW, 'Europe/Amsterdam')),
  },
  {
    name: 'a newsletter schedule set',
    parent: { newsletter: true },
    setup: () => void addNewsletter(h.db, ini, { nl: 'Nieuws' }, 'test'),
    change: () => void setNewsletterSchedule(h.db, ini, { everyWeeks: 4, firstDate: '2027-03-10', time: '18:00', active: true }, 'test'),
    then: (p) => expect(rowOf(p.id, 'newsletter')).toBeDefined(),
  },
  {
    name: 'a newsletter written for a slot that waited for one',
    parent: { newsletter: true },
    setup: () => void setNewsletterSchedule(h.db, ini, { everyWeeks: 4, firstDate: '2027-03-10', time: '18:00', active: true }, 'test'),
    change: () => void addNewsletter(h.db, ini, { nl: 'Nieuws' }, 'test'),
    then: (p) => expect(rowOf(p.id, 'newsletter')).toBeDefined(),
  },
  { name: 'outreach settings (ladder off)', change: () => void saveOutreachSettings(h.db, ini, { enabled: false }, 120, NOW) },
  {
    name: 'an outreach voice note',
    change: (p) => {
      const m = h.db.insert(media).values({ ownerId: p.id, channel: 'local', ref: 'r', type: 'voice', status: 'ready' }).returning({ id: media.id }).get().id;
      saveOutreachVoice(h.db, ini, 'nl', m, NOW);
    },
  },
];

describe('every kind of change marks the parent, and the next tick plans them again', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const p = parent(c.parent);
    c.setup?.(p);
    rebuildAll(deps, NOW);
    // Planned, and nothing is due: a tick now plans nobody.
    expect(planTick(deps, NOW).people).toBe(0);
    h.db.$client.prepare('update people set next_plan_at = ? where id = ?').run(SENTINEL, p.id);
    c.change(p);
    expect(marked(p.id)).toBe(true);
    const report = planTick(deps, NOW);
    expect(report.marked).toBeGreaterThanOrEqual(1);
    expect(marked(p.id)).toBe(false);
    // Planned again: its next moment was computed anew.
    if (c.noNext) expect(nextOf(p.id)).toBeNull();
    else expect(nextOf(p.id)).not.toBe(SENTINEL);
    c.then?.(p);
  });

  it('an erasure (retention or /delete) leaves no mark and breaks nothing', () => {
    const p = parent();
    rebuildAll(deps, NOW);
    turn(p, []);
    expect(marked(p.id)).toBe(true);
    h.db.transaction((tx) => erasePerson(tx, p.id, NOW, 'retention'));
    expect(marked(p.id)).toBe(false);
    expect(planTick(deps, NOW)).toMatchObject({ people: 0, marked: 0 });
  });

  it("a relative nudge marks its own initiative's parents only; an event, only its initiative's", () => {
    const mine = parent();
    const theirs = parent({ initiativeId: other });
    rebuildAll(deps, NOW);
    relativeNudge();
    expect([marked(mine.id), marked(theirs.id)]).toEqual([true, false]);
    planTick(deps, NOW);
    event('2027-04-20T09:00', 'tour', other);
    expect([marked(mine.id), marked(theirs.id)]).toEqual([false, true]);
  });

  it('a second answer to the same event (an upsert) still marks, without a conflict', () => {
    const p = parent();
    const ev = event('2027-03-20T09:00');
    rebuildAll(deps, NOW);
    turn(p, [{ type: 'rsvp', eventId: ev, answer: 'yes' }]);
    expect(() => turn(p, [{ type: 'rsvp', eventId: ev, answer: 'no' }])).not.toThrow();
    expect(h.db.$client.prepare('select answer from event_rsvps where person_id = ?').pluck().get(p.id)).toBe('no');
    expect(marked(p.id)).toBe(true);
  });
});

describe('a tick with nothing due', () => {
  it('reads nothing but two index lookups (marks, due parents)', () => {
    for (let i = 0; i < 300; i++) parent({ kids: [{ year: 2022 + (i % 4), month: 1 + (i % 12) }] });
    rebuildAll(deps, NOW);
    // Count every statement SQLite runs during the tick.
    const client = h.db.$client;
    const prepare = client.prepare.bind(client);
    const ran: string[] = [];
    client.prepare = ((source: string) => {
      const stmt = prepare(source);
      for (const m of ['all', 'get', 'run', 'iterate'] as const) {
        const orig = stmt[m].bind(stmt) as (...a: unknown[]) => unknown;
        (stmt as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
          ran.push(source);
          return orig(...a);
        };
      }
      return stmt;
    }) as typeof client.prepare;
    let report;
    try {
      report = planTick(deps, new Date(NOW.getTime() + 60_000));
    } finally {
      client.prepare = prepare;
    }
    expect(report).toMatchObject({ people: 0, marked: 0, due: 0, planned: [] });
    expect(ran).toHaveLength(2);
    expect(ran[0]).toMatch(/^delete from plan_marks/);
    expect(ran[1]).toMatch(/from people where next_plan_at <= \?/);
    // The due parents are a range scan of the index, never a scan of people.
    const plan = client.prepare('explain query plan select id from people where next_plan_at <= ? order by next_plan_at limit ?').all(NOW.getTime(), 10) as { detail: string }[];
    expect(plan.map((r) => r.detail).join(' ')).toMatch(/USING (COVERING )?INDEX people_next_plan_at \(next_plan_at<\?\)/);
  });
});

describe('next moments', () => {
  it("the outreach ladder's first step: at the moment the parent turns silent", () => {
    // Last own action 80 days ago: silent (over 90 days) in 10 days, on 20 March at 12:00 local.
    const p = parent({ lastActionAt: new Date(NOW.getTime() - 80 * DAY) });
    rebuildAll(deps, NOW);
    expect(rowOf(p.id, 'ladder1')).toBeUndefined();
    // Step 1 is due at the first 10:00 after that (21 March), so the planner looks a day before.
    const next = nextOf(p.id)!;
    expect(localTime(new Date(next))).toBe('2027-03-20 10:00');
    expect(planTick(deps, new Date(next - 60_000)).people).toBe(0);
    expect(planTick(deps, new Date(next))).toMatchObject({ due: 1 });
    expect(rowOf(p.id, 'ladder1')).toMatchObject({ dueAt: local('2027-03-21T10:00') });
  });

  it("a far event: its invitation's day less the horizon; a parent with nothing ahead: a re-check after the lookahead", () => {
    const busy = parent();
    const idle = parent({ kids: [{ year: 2019, month: 1 }], initiativeId: null });
    rebuildAll(deps, NOW);
    expect(nextOf(idle.id)).toBe(NOW.getTime() + NEXT_LOOKAHEAD_MS - PLAN_HORIZON_MS);
    // A tour in 25 days (after the change to summer time): the invitation is due 7 days before at
    // 10:00, 18 days from now; the planner looks 24 hours before that.
    event('2027-04-04T09:00');
    planTick(deps, NOW);
    const busyNext = nextOf(busy.id)!;
    expect(localTime(new Date(busyNext + PLAN_HORIZON_MS))).toBe('2027-03-28 10:00');
    expect(planTick(deps, new Date(busyNext))).toMatchObject({ due: 1 });
    expect(rowOf(busy.id, 'event-invite-7')).toBeDefined();
  });

  it('a message that found no room in the cap is tried again within the hour', () => {
    const p = parent();
    // Three capped messages in the coming days fill this week's cap of 3.
    for (let i = 0; i < 3; i++) {
      h.db.insert(deliveries).values({ key: `filler|p${p.id}|c-|${i}`, personId: p.id, ruleId: 'filler', channel: 'local', kind: 'reminder', dueAt: NOW, sendAt: new Date(NOW.getTime() + (i + 1) * 3600_000), payload: { key: 'x', params: {}, buttons: null }, status: 'planned', createdAt: NOW }).run();
    }
    // An event tomorrow: its invitation expires before the cap has room again.
    event('2027-03-11T15:00', 'open_morning');
    rebuildAll(deps, NOW);
    expect(rowOf(p.id, 'event-invite-1')).toBeUndefined();
    expect(nextOf(p.id)).toBe(NOW.getTime() + RETRY_UNPLACED_MS);
  });
});

describe('marks written while a tick runs', () => {
  it('stay for the next tick (a change committed after the tick read the parent)', () => {
    const ps = Array.from({ length: 250 }, () => parent());
    const last = ps[ps.length - 1]!;
    rebuildAll(deps, NOW);
    markEveryone(h.db, NOW);
    // The tick's first group write (after it took the marks and read the first group) is the moment
    // the parent answers, committed on the same file.
    let writes = 0;
    const during: PlanPassDeps = {
      ...deps,
      writeGate: <T>(write: () => T): T => {
        if (++writes === 2) turn(last, [{ type: 'setProfile', patch: { language: 'pl' } }]);
        return write();
      },
    };
    const first = planTick(during, NOW);
    expect(first.marked).toBe(250);
    expect(marked(last.id)).toBe(true);
    expect(planTick(deps, NOW)).toMatchObject({ marked: 1, people: 1 });
    expect(marked(last.id)).toBe(false);
  });

  it('on the planner thread: a change committed during a tick is planned by it or marked for the next', async () => {
    const many = Array.from({ length: 3000 }, () => parent().id);
    const last = many[many.length - 1]!;
    rebuildAll(deps, NOW);
    markEveryone(h.db, NOW);
    const runner = createPlanRunner(deps, { thread: true });
    expect(runner.mode).toBe('thread');
    try {
      const ticking = runner.tick(NOW);
      // Once the thread has taken the marks, a parent answers (committed on this thread).
      const until = Date.now() + 20_000;
      while (h.db.$client.prepare('select count(*) from plan_marks').pluck().get() !== 0) {
        if (Date.now() > until) throw new Error('the thread never took the marks');
        await new Promise((r) => setTimeout(r, 2));
      }
      turn({ id: last, chat: `chat-${last}` }, [{ type: 'setProfile', patch: { language: 'pl' } }]);
      const first = await ticking;
      // Taken (and planned from what was read after it) by this tick, or left for the next one.
      const leftOver = marked(last);
      expect(first.marked === 3001 || leftOver).toBe(true);
      const second = await runner.tick(NOW);
      expect(second.marked).toBe(leftOver ? 1 : 0);
    } finally {
      await runner.close();
    }
  }, 60_000);
});

describe('the full rebuild at start', () => {
  const stubQueues = { add: async () => undefined, pending: async () => 0, ensure: async () => 0, close: async () => undefined, queue: () => undefined } as unknown as DeliveryQueues;
  const planner = (rules = deps.rules) => createPlanner({ ...deps, rules, queues: stubQueues, channels: ['local'], thread: false });
  const rebuilds = () => h.db.$client.prepare("select key from app_keys where name = 'planner.fingerprint'").pluck().get();

  it('runs when the rules changed (or never ran), not at every start', async () => {
    const p = parent();
    const first = planner();
    await first.start();
    await first.rebuild();
    await first.stop();
    expect(rebuilds()).toBe(planFingerprint(deps));
    expect(nextOf(p.id)).not.toBeNull();

    // Same rules: no rebuild (the stored next moments stand).
    h.db.$client.prepare('update people set next_plan_at = ? where id = ?').run(SENTINEL, p.id);
    const again = planner();
    await again.start();
    await again.stop();
    expect(nextOf(p.id)).toBe(SENTINEL);

    // A rule changed: everybody is planned again.
    const changed = deps.rules.map((r) => (r.id === 'keep-warm' ? { ...r, priority: r.priority + 1 } : r));
    const third = planner(changed);
    await third.start();
    await third.rebuild();
    await third.stop();
    expect(nextOf(p.id)).not.toBe(SENTINEL);
    expect(rebuilds()).toBe(planFingerprint({ ...deps, rules: changed }));
  });
});

describe('the mark triggers', () => {
  it('are in a migrated database word for word (src/db/plan-marks.repo.ts), and come back when a table rebuild dropped them', () => {
    expect(ensurePlanMarkTriggers(h.db)).toEqual([]);
    const names = h.db.$client.prepare("select name from sqlite_master where type = 'trigger' and name like 'plan_mark_%'").pluck().all();
    expect(new Set(names)).toEqual(new Set(PLAN_MARK_TRIGGERS.map(([n]) => n)));
    h.db.$client.exec('drop trigger plan_mark_children_insert');
    expect(ensurePlanMarkTriggers(h.db)).toEqual(['plan_mark_children_insert']);
    const p = parent();
    h.db.$client.prepare('delete from plan_marks').run();
    h.db.insert(children).values({ personId: p.id, birthYear: 2026, birthMonth: 1, createdAt: NOW }).run();
    expect(marked(p.id)).toBe(true);
  });
});
