/**
 * The pure timeline (src/domain/timeline.ts) against the shipped rules in
 * config/reminder-rules.json: which reminder is due when, for whom, and never a stale one.
 * Times are written as local Amsterdam wall-clock times; `at('2027-04-01 10:00')` is that
 * moment in Europe/Amsterdam, whatever the UTC offset.
 */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { deliveryKey, type Candidate, type DeliveryPayload, type NewsletterSlot, type PlanChild, type PlanEvent, type PlanInitiative, type PlanPerson, type RsvpLabel } from '../../src/domain/nurture.types.js';
import type { CohortRule, RegistrationRule } from '../../src/domain/registration-deadline.js';
import { parseReminderRules, type ReminderRule } from '../../src/domain/reminder-rules.js';
import { candidatesFor } from '../../src/domain/timeline.js';

const AMS = 'Europe/Amsterdam';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The planner's horizon (PLAN_HORIZON_MS). */
const HORIZON = DAY;
const RULES = parseReminderRules(JSON.parse(readFileSync('config/reminder-rules.json', 'utf8')));

/** A local Amsterdam wall-clock time ("2027-04-01 10:00") as an instant. */
function at(local: string): Date {
  const d = DateTime.fromFormat(local, 'yyyy-LL-dd HH:mm', { zone: AMS });
  if (!d.isValid) throw new Error(`bad local time ${local}`);
  return d.toJSDate();
}
const fmt = (d: Date | null): string | null => (d === null ? null : DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-LL-dd HH:mm'));
const plus = (d: Date, ms: number): Date => new Date(d.getTime() + ms);

// ---- snapshots ---------------------------------------------------------------------------

const utrecht: RegistrationRule = { kind: 'quarterTurning3' };
const rotterdam: RegistrationRule = { kind: 'fromAge3' };
/** Amsterdam's birth windows (config/municipalities.json) with one published day, 2027-11 and 2027-03. */
const amsterdam: CohortRule = {
  kind: 'cohorts',
  windows: [
    { fromMonth: 1, toMonth: 4, deadlineYearOffset: 3, deadlineMonth: 6 },
    { fromMonth: 5, toMonth: 8, deadlineYearOffset: 3, deadlineMonth: 11 },
    { fromMonth: 9, toMonth: 12, deadlineYearOffset: 4, deadlineMonth: 3 },
  ],
  dates: { '2027-03': '2027-03-04', '2027-11': '2027-11-04' },
};

function child(id: number, ym: string, extra: Partial<PlanChild> = {}): PlanChild {
  const [year, month] = ym.split('-').map(Number) as [number, number];
  return { id, year, month, expected: false, registered: false, placement: null, ...extra };
}

function person(children: PlanChild[], extra: Partial<PlanPerson> = {}): PlanPerson {
  return { id: 1, proactive: true, reminders: true, newsletter: false, quiet: null, initiativeId: 7, joinedAt: null, children, ...extra };
}

function initiative(registration: RegistrationRule, extra: Partial<PlanInitiative> = {}): PlanInitiative {
  return { id: 7, phase: 2, timeZone: AMS, registration, hasNewsletterSchedule: false, ...extra };
}

/** An event of initiative 7; `rsvp` is the answer of every person (or per person id). */
function event(id: number, startsLocal: string, band: [number, number], rsvp: RsvpLabel[] | ((personId: number) => RsvpLabel[]) = ['none']): PlanEvent {
  return {
    id,
    initiativeId: 7,
    startsAt: at(startsLocal),
    minAgeMonths: band[0],
    maxAgeMonths: band[1],
    rsvpOf: typeof rsvp === 'function' ? rsvp : () => rsvp,
  };
}

interface World {
  person: PlanPerson;
  initiative?: PlanInitiative | null;
  events?: PlanEvent[];
  slots?: NewsletterSlot[];
  defaultTimeZone?: string;
  /** Only these rules (a faster sweep); all shipped rules by default. */
  rules?: ReminderRule[];
}

function plan(w: World, now: Date, horizonMs = HORIZON): Candidate[] {
  return candidatesFor({
    now,
    horizonMs,
    rules: w.rules ?? RULES,
    person: w.person,
    initiative: w.initiative === undefined ? null : w.initiative,
    events: w.events ?? [],
    newsletterSlots: w.slots ?? [],
    defaultTimeZone: w.defaultTimeZone ?? AMS,
  });
}

const ids = (cs: Candidate[]): string[] => [...new Set(cs.map((c) => c.ruleId))].sort();

/**
 * Runs the timeline the way the planner does (every `stepHours`, a 24 h horizon) and keeps
 * the first sighting of every delivery key, plus every tick's candidates.
 */
function sweep(w: World, fromLocal: string, toLocal: string, opts: { stepHours?: number; horizonMs?: number } = {}) {
  const step = (opts.stepHours ?? 12) * HOUR;
  const first = new Map<string, Candidate>();
  const ticks: { now: Date; candidates: Candidate[] }[] = [];
  for (let t = at(fromLocal).getTime(); t <= at(toLocal).getTime(); t += step) {
    const now = new Date(t);
    const candidates = plan(w, now, opts.horizonMs ?? HORIZON);
    ticks.push({ now, candidates });
    for (const c of candidates) if (!first.has(deliveryKey(c))) first.set(deliveryKey(c), c);
  }
  return { first: [...first.values()].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.ruleId.localeCompare(b.ruleId)), ticks };
}

const dueList = (cs: Candidate[]): string[] => cs.map((c) => `${c.ruleId} ${fmt(c.dueAt)}`);

const REGISTRATION_RULES = ['registration-opens', 'group-registration', 'deadline-14', 'deadline-2', 'deadline-month'];

// ---- every built-in rule at its moment ---------------------------------------------------

interface Expectation {
  name: string;
  world: World;
  ruleId: string;
  childId: number | null;
  occurrence: string;
  due: string;
  /** Exact local expiry, or undefined when it is pseudo-random (keep-warm: checked elsewhere). */
  expires?: string;
  kind?: 'reminder' | 'newsletter';
  payload: DeliveryPayload;
}

const bornMay2024 = child(11, '2024-05');
const birth = (year: number, month: number) => ({ birth: { yearMonth: { year, month } } });

const table: Expectation[] = [
  {
    name: 'birth-check: the month after the due month of an expected child',
    world: { person: person([child(11, '2027-02', { expected: true })]), initiative: initiative(utrecht) },
    ruleId: 'birth-check', childId: 11, occurrence: 'once', due: '2027-03-01 10:00', expires: '2027-06-01 00:00',
    payload: { key: 'nurture:birthCheck', params: birth(2027, 2), buttons: 'born', childId: 11 },
  },
  {
    name: 'birth-congrats: a born child of 0–2 months',
    world: { person: person([child(11, '2027-02')]), initiative: initiative(utrecht) },
    ruleId: 'birth-congrats', childId: 11, occurrence: 'once', due: '2027-02-01 10:00', expires: '2027-05-01 00:00',
    payload: { key: 'nurture:birthCongrats', params: birth(2027, 2), buttons: 'keepInTouch', childId: 11 },
  },
  {
    name: 'toddler-groups: at 20 months, until 30',
    world: { person: person([bornMay2024]), initiative: initiative(utrecht) },
    ruleId: 'toddler-groups', childId: 11, occurrence: 'once', due: '2026-01-01 10:00', expires: '2026-11-01 00:00',
    payload: { key: 'nurture:toddlerGroups', params: birth(2024, 5), buttons: null, childId: 11 },
  },
  {
    name: 'look-at-schools: at 27 months, until 36',
    world: { person: person([bornMay2024]), initiative: initiative(utrecht) },
    ruleId: 'look-at-schools', childId: 11, occurrence: 'once', due: '2026-08-01 10:00', expires: '2027-05-01 00:00',
    payload: { key: 'nurture:lookAtSchools', params: birth(2024, 5), buttons: null, childId: 11 },
  },
  {
    name: 'settling-in: at 45 months, until 48',
    world: { person: person([bornMay2024]), initiative: initiative(utrecht) },
    ruleId: 'settling-in', childId: 11, occurrence: 'once', due: '2028-02-01 10:00', expires: '2028-05-01 00:00',
    payload: { key: 'nurture:settlingIn', params: birth(2024, 5), buttons: null, childId: 11 },
  },
  // Utrecht, born May 2024: turns 3 in Q2 2027, deadline 2027-06-30, opens April 2027.
  ...(
    [
      ['registration-opens', '2027-04-01 10:00', '2027-05-16 00:00', 'nurture:registrationOpens.date', 'registration'],
      ['group-registration', '2027-05-19 10:00', '2027-06-16 00:00', 'nurture:groupRegistration.date', 'registration'],
      ['deadline-14', '2027-06-16 10:00', '2027-06-28 00:00', 'nurture:deadline14', 'registration'],
      ['deadline-2', '2027-06-28 10:00', '2027-07-01 00:00', 'nurture:deadline2', 'registration'],
      ['placement-check', '2027-07-14 10:00', '2027-08-11 00:00', 'nurture:placementCheck', 'placement'],
    ] as const
  ).map(([ruleId, due, expires, key, buttons]): Expectation => ({
    name: `Utrecht ${ruleId}`,
    world: { person: person([bornMay2024]), initiative: initiative(utrecht) },
    ruleId, childId: 11, occurrence: '2027-06-30', due, expires,
    payload: { key, params: { ...birth(2024, 5), deadline: { date: '2027-06-30' }, opens: { yearMonth: { year: 2027, month: 4 } } }, buttons, childId: 11 },
  })),
  // Amsterdam, born June 2024: deadline in November 2027, published as 2027-11-04.
  ...(
    [
      ['registration-opens', '2027-06-01 10:00', '2027-07-16 00:00', 'nurture:registrationOpens.date', 'registration'],
      ['group-registration', '2027-09-23 10:00', '2027-10-21 00:00', 'nurture:groupRegistration.date', 'registration'],
      ['deadline-14', '2027-10-21 10:00', '2027-11-02 00:00', 'nurture:deadline14', 'registration'],
      ['deadline-2', '2027-11-02 10:00', '2027-11-05 00:00', 'nurture:deadline2', 'registration'],
      ['placement-check', '2027-11-18 10:00', '2027-12-16 00:00', 'nurture:placementCheck', 'placement'],
    ] as const
  ).map(([ruleId, due, expires, key, buttons]): Expectation => ({
    name: `Amsterdam (published date) ${ruleId}`,
    world: { person: person([child(12, '2024-06')]), initiative: initiative(amsterdam) },
    ruleId, childId: 12, occurrence: '2027-11-04', due, expires,
    payload: { key, params: { ...birth(2024, 6), deadline: { date: '2027-11-04' }, opens: { yearMonth: { year: 2027, month: 6 } } }, buttons, childId: 12 },
  })),
  // Amsterdam, born February 2025: deadline in June 2028, day not published: the month only.
  ...(
    [
      ['registration-opens', '2028-02-01 10:00', '2028-03-17 00:00', 'nurture:registrationOpens.monthOnly'],
      ['group-registration', '2028-04-20 10:00', '2028-05-18 00:00', 'nurture:groupRegistration.monthOnly'],
      ['deadline-month', '2028-05-18 10:00', '2028-06-29 00:00', 'nurture:deadlineMonth'],
    ] as const
  ).map(([ruleId, due, expires, key]): Expectation => ({
    name: `Amsterdam (date not known yet) ${ruleId}`,
    world: { person: person([child(13, '2025-02')]), initiative: initiative(amsterdam) },
    ruleId, childId: 13, occurrence: '2028-06', due, expires,
    payload: { key, params: { ...birth(2025, 2), deadlineMonth: { yearMonth: { year: 2028, month: 6 } }, opens: { yearMonth: { year: 2028, month: 2 } } }, buttons: 'registration', childId: 13 },
  })),
  {
    name: 'Rotterdam (fromAge3) registration-opens.fromAge3 in the month the child turns 3',
    world: { person: person([bornMay2024]), initiative: initiative(rotterdam) },
    ruleId: 'registration-opens', childId: 11, occurrence: 'opens-2027-5', due: '2027-05-01 10:00', expires: '2027-06-15 00:00',
    payload: { key: 'nurture:registrationOpens.fromAge3', params: { ...birth(2024, 5), opens: { yearMonth: { year: 2027, month: 5 } } }, buttons: 'registration', childId: 11 },
  },
  {
    name: 'keep-warm: first occurrence 42 days after the deadline',
    world: { person: person([bornMay2024]), initiative: initiative(utrecht) },
    ruleId: 'keep-warm', childId: 11, occurrence: 'n0', due: '2027-08-11 10:00',
    payload: { key: 'nurture:keepWarm', params: birth(2024, 5), buttons: null, childId: 11 },
  },
  // Events: a Saturday tour on 2027-04-03 at 10:00 for children of 24–42 months (one of 27 months here).
  {
    name: 'event-invite-7: 7 days before, without an answer',
    world: { person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [event(31, '2027-04-03 10:00', [24, 42], ['none'])] },
    ruleId: 'event-invite-7', childId: null, occurrence: 'e31', due: '2027-03-27 10:00', expires: '2027-04-02 00:00',
    payload: { key: 'nurture:eventInvite', params: {}, buttons: 'rsvp', eventId: 31 },
  },
  {
    name: 'event-invite-1: the day before, for "maybe"',
    world: { person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [event(31, '2027-04-03 10:00', [24, 42], ['maybe'])] },
    ruleId: 'event-invite-1', childId: null, occurrence: 'e31', due: '2027-04-02 10:00', expires: '2027-04-03 00:00',
    payload: { key: 'nurture:eventInviteTomorrow', params: {}, buttons: 'rsvp', eventId: 31 },
  },
  {
    name: 'event-today: 08:30 on the day, for "going", until the start',
    world: { person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [event(31, '2027-04-03 10:00', [24, 42], ['yes', 'going'])] },
    ruleId: 'event-today', childId: null, occurrence: 'e31', due: '2027-04-03 08:30', expires: '2027-04-03 10:00',
    payload: { key: 'nurture:eventToday', params: {}, buttons: null, eventId: 31 },
  },
  {
    name: 'newsletter: at the slot, valid 3 days',
    world: {
      person: person([], { newsletter: true }),
      initiative: initiative(utrecht, { hasNewsletterSchedule: true }),
      slots: [{ initiativeId: 7, slot: '2027-01-04T10:00', at: at('2027-01-04 10:00') }],
    },
    ruleId: 'newsletter', childId: null, occurrence: '2027-01-04T10:00', due: '2027-01-04 10:00', expires: '2027-01-07 10:00', kind: 'newsletter',
    payload: { key: 'nurture:newsletter', params: {}, buttons: null, newsletterSlot: '2027-01-04T10:00', initiativeId: 7 },
  },
  {
    name: 'newsletter-offer: the day after joining, to members without the newsletter',
    world: { person: person([], { joinedAt: at('2027-01-10 15:00') }), initiative: initiative(utrecht, { hasNewsletterSchedule: true }) },
    ruleId: 'newsletter-offer', childId: null, occurrence: 'i7', due: '2027-01-11 10:00', expires: '2027-02-09 00:00',
    payload: { key: 'nurture:newsletterOffer', params: {}, buttons: 'newsletter' },
  },
  {
    name: 'phase-change: at 10:00 on the day of the change (or at once after it), valid 14 days',
    world: { person: person([bornMay2024]), initiative: initiative(utrecht, { phase: 3, phaseSince: at('2027-01-10 08:00') }) },
    ruleId: 'phase-change', childId: null, occurrence: 'i7-phase3', due: '2027-01-10 10:00', expires: '2027-01-24 00:00',
    payload: { key: 'nurture:phaseChange.p3', params: {}, buttons: null, initiativeId: 7 },
  },
];

/** The payload as the table writes it: the fields that the send time computes from are checked apart. */
function tableFields(p: DeliveryPayload): DeliveryPayload {
  const { children: _c, nameChildren: _n, age: _a, countdown: _d, ...rest } = p;
  return rest;
}

describe('timeline: every built-in rule fires at its local moment', () => {
  it('the table covers every shipped rule', () => {
    expect([...new Set(table.map((e) => e.ruleId))].sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(table.map((e) => [e.name, e] as const))('%s', (_name, e) => {
    const find = (now: Date) => plan(e.world, now, 0).find((c) => c.ruleId === e.ruleId && c.childId === e.childId && c.occurrence === e.occurrence);
    const due = at(e.due);
    // Not a millisecond early…
    expect(find(plus(due, -1))).toBeUndefined();
    // …and at its moment, with its exact payload.
    const c = find(due);
    expect(c).toBeDefined();
    if (!c) return;
    expect(fmt(c.dueAt)).toBe(e.due);
    expect(c.dueAt.getTime()).toBe(due.getTime());
    expect(c.personId).toBe(1);
    expect(c.kind).toBe(e.kind ?? 'reminder');
    expect(c.priority).toBe(RULES.find((r) => r.id === e.ruleId)?.priority);
    expect(tableFields(c.payload)).toEqual(e.payload);
    expect(c.urgentFrom === null).toBe(e.ruleId !== 'deadline-2');
    if (e.expires === undefined) return;
    expect(fmt(c.expiresAt)).toBe(e.expires);
    const expires = at(e.expires);
    // Still there a millisecond before it expires, gone at the expiry.
    expect(find(plus(expires, -1))).toBeDefined();
    expect(find(expires)).toBeUndefined();
  });

  it('is planned a horizon ahead: seen 24 h before it is due, not 24 h + 1 ms before', () => {
    const w = { person: person([bornMay2024]), initiative: initiative(utrecht) };
    const due = at('2027-06-16 10:00');
    expect(plan(w, plus(due, -DAY)).map((c) => c.ruleId)).toContain('deadline-14');
    expect(plan(w, plus(due, -DAY - 1)).map((c) => c.ruleId)).not.toContain('deadline-14');
  });

  it('a Utrecht child, from birth to 4: every message once, in order, nothing else', () => {
    const { first } = sweep({ person: person([bornMay2024]), initiative: initiative(utrecht) }, '2024-05-15 00:00', '2028-06-01 00:00');
    expect(dueList(first.filter((c) => c.ruleId !== 'keep-warm'))).toEqual([
      'birth-congrats 2024-05-01 10:00',
      'toddler-groups 2026-01-01 10:00',
      'look-at-schools 2026-08-01 10:00',
      'registration-opens 2027-04-01 10:00',
      'group-registration 2027-05-19 10:00',
      'deadline-14 2027-06-16 10:00',
      'deadline-2 2027-06-28 10:00',
      'placement-check 2027-07-14 10:00',
      'settling-in 2028-02-01 10:00',
    ]);
  });

  it('an Amsterdam child whose deadline day is not published: the month, never a guessed day', () => {
    const { first } = sweep({ person: person([child(13, '2025-02')]), initiative: initiative(amsterdam) }, '2027-09-01 00:00', '2028-08-01 00:00');
    const reg = first.filter((c) => REGISTRATION_RULES.includes(c.ruleId) || c.ruleId === 'placement-check');
    expect(dueList(reg)).toEqual(['registration-opens 2028-02-01 10:00', 'group-registration 2028-04-20 10:00', 'deadline-month 2028-05-18 10:00']);
    for (const c of reg) {
      expect(c.payload.params).not.toHaveProperty('deadline');
      expect(c.payload.params.deadlineMonth).toEqual({ yearMonth: { year: 2028, month: 6 } });
      expect(c.payload.key).not.toMatch(/\.date$/);
      expect(c.urgentFrom).toBeNull();
    }
  });

  it('the same child once the day is published gets the dated series instead', () => {
    const published: CohortRule = { ...amsterdam, dates: { ...amsterdam.dates, '2028-06': '2028-06-01' } };
    const { first } = sweep({ person: person([child(13, '2025-02')]), initiative: initiative(published) }, '2027-09-01 00:00', '2028-08-01 00:00');
    expect(dueList(first.filter((c) => REGISTRATION_RULES.includes(c.ruleId) || c.ruleId === 'placement-check'))).toEqual([
      'registration-opens 2028-02-01 10:00',
      'group-registration 2028-04-20 10:00',
      'deadline-14 2028-05-18 10:00',
      'deadline-2 2028-05-30 10:00',
      'placement-check 2028-06-15 10:00',
    ]);
  });

  it('a fromAge3 municipality gets only registration-opens.fromAge3 of the registration series', () => {
    const { first } = sweep({ person: person([bornMay2024]), initiative: initiative(rotterdam) }, '2026-01-01 00:00', '2028-06-01 00:00');
    const reg = first.filter((c) => REGISTRATION_RULES.includes(c.ruleId) || c.ruleId === 'placement-check');
    expect(reg.map((c) => [c.ruleId, c.payload.key, fmt(c.dueAt)])).toEqual([['registration-opens', 'nurture:registrationOpens.fromAge3', '2027-05-01 10:00']]);
  });

  it('expected children get only the birth check; born children never do', () => {
    const expected = sweep({ person: person([child(11, '2027-02', { expected: true })]), initiative: initiative(utrecht) }, '2026-06-01 00:00', '2027-08-01 00:00');
    expect(dueList(expected.first)).toEqual(['birth-check 2027-03-01 10:00']);
    const born = sweep({ person: person([child(11, '2027-02')]), initiative: initiative(utrecht) }, '2027-02-01 00:00', '2027-08-01 00:00');
    expect(dueList(born.first)).toEqual(['birth-congrats 2027-02-01 10:00']);
  });

  it.each([
    [0, true],
    [1, true],
    [2, true],
    [3, false],
  ])('birth-congrats for a child of %i months: %s', (age, expected) => {
    const now = at('2027-06-15 12:00');
    const born = DateTime.fromJSDate(now, { zone: AMS }).minus({ months: age });
    const cs = plan({ person: person([child(11, born.toFormat('yyyy-LL'))]), initiative: initiative(utrecht) }, now);
    expect(cs.some((c) => c.ruleId === 'birth-congrats')).toBe(expected);
  });

  it('uses the default zone when the person has no initiative (and gets no registration messages)', () => {
    const w = { person: person([bornMay2024], { initiativeId: null }), initiative: null, defaultTimeZone: 'America/New_York' };
    const c = plan(w, new Date('2026-01-01T15:00:00Z'), 0).find((x) => x.ruleId === 'toddler-groups');
    expect(c?.dueAt.toISOString()).toBe('2026-01-01T15:00:00.000Z'); // 10:00 in New York
    const { first } = sweep({ ...w, defaultTimeZone: AMS }, '2027-01-01 00:00', '2027-09-01 00:00');
    expect(first.filter((x) => REGISTRATION_RULES.includes(x.ruleId) || x.ruleId === 'placement-check')).toEqual([]);
  });
});

describe('timeline: keep-warm', () => {
  const w = { person: person([bornMay2024]), initiative: initiative(utrecht) };
  const { first, ticks } = sweep(w, '2027-07-01 00:00', '2028-06-01 00:00');
  const warm = first.filter((c) => c.ruleId === 'keep-warm');

  it('every 42–56 days from deadline + 42 days, at 10:00, until the child turns 4', () => {
    expect(warm.length).toBeGreaterThanOrEqual(5);
    expect(warm.length).toBeLessThanOrEqual(7);
    expect(fmt(warm[0]?.dueAt ?? null)).toBe('2027-08-11 10:00');
    const end = at('2028-05-01 00:00');
    warm.forEach((c, i) => {
      expect(c.occurrence).toBe(`n${i}`);
      expect(fmt(c.dueAt)?.slice(11)).toBe('10:00');
      expect(c.dueAt < end).toBe(true);
      expect(c.expiresAt !== null && c.expiresAt <= end).toBe(true);
      const next = warm[i + 1];
      if (!next) return;
      // The window of one occurrence ends where the next begins.
      expect(c.expiresAt?.getTime()).toBe(next.dueAt.getTime());
      const days = DateTime.fromJSDate(next.dueAt, { zone: AMS }).startOf('day').diff(DateTime.fromJSDate(c.dueAt, { zone: AMS }).startOf('day'), 'days').days;
      expect(days).toBeGreaterThanOrEqual(42);
      expect(days).toBeLessThanOrEqual(56);
    });
    // The last one is cut off when the child turns 4 (48 months: 1 May 2028), not later.
    expect(fmt(warm.at(-1)?.expiresAt ?? null)).toBe('2028-05-01 00:00');
  });

  it('only the current occurrence is ever a candidate', () => {
    for (const t of ticks) expect(t.candidates.filter((c) => c.ruleId === 'keep-warm').length).toBeLessThanOrEqual(1);
    // A late joiner in March 2028 gets the current one, not n0…n(k-1).
    const late = plan(w, at('2028-03-10 12:00')).filter((c) => c.ruleId === 'keep-warm');
    expect(late).toHaveLength(1);
    expect(late[0]?.occurrence).not.toBe('n0');
    expect(late[0]?.dueAt.getTime()).toBeLessThanOrEqual(at('2028-03-11 12:00').getTime());
    expect(late[0]?.expiresAt?.getTime()).toBeGreaterThan(at('2028-03-10 12:00').getTime());
  });

  it('spreads parents over the 6–8 weeks (not everyone on the same day)', () => {
    const gaps = new Set<string>();
    for (let personId = 1; personId <= 12; personId++) {
      const s = sweep({ person: person([bornMay2024], { id: personId }), initiative: initiative(utrecht) }, '2027-08-10 00:00', '2027-11-01 00:00', { stepHours: 24 });
      const kw = s.first.filter((c) => c.ruleId === 'keep-warm');
      gaps.add(kw.map((c) => fmt(c.dueAt)).join(','));
    }
    expect(gaps.size).toBeGreaterThan(1);
  });

  it('is not sent to a child without a place, nor after the child turns 4', () => {
    const notPlaced = { person: person([child(11, '2024-05', { placement: 'no' })]), initiative: initiative(utrecht) };
    expect(ids(plan(notPlaced, at('2027-09-01 12:00')))).not.toContain('keep-warm');
    expect(ids(plan(notPlaced, at('2028-02-01 12:00')))).not.toContain('settling-in');
    expect(ids(plan(w, at('2028-05-01 00:00')))).not.toContain('keep-warm');
  });
});

// ---- late joiners ------------------------------------------------------------------------

describe('timeline: late joiners get what matters now, never a stale message', () => {
  const joiner = (nowLocal: string, children: PlanChild[] = [bornMay2024], ini: PlanInitiative = initiative(utrecht)) => {
    const now = at(nowLocal);
    return plan({ person: person(children, { joinedAt: now }), initiative: ini }, now);
  };

  it('a child of 2y5m (29 months): look-at-schools; toddler-groups is still inside its 20–30 month window', () => {
    expect(ids(joiner('2026-10-15 12:00'))).toEqual(['look-at-schools', 'toddler-groups']);
  });

  it('a child of 2y6m (30 months): look-at-schools only: toddler-groups expired, never birth messages', () => {
    const got = joiner('2026-11-15 12:00');
    expect(ids(got)).toEqual(['look-at-schools']);
    expect(got[0]?.dueAt.getTime()).toBe(at('2026-08-01 10:00').getTime()); // due in the past: goes out now
  });

  it.each([
    ['6 weeks before the deadline', '2027-05-19 12:00', ['group-registration']],
    ['15 days before the deadline', '2027-06-15 12:00', ['deadline-14', 'group-registration']], // group ends tonight, the −14 is due tomorrow
    ['10 days before the deadline', '2027-06-20 12:00', ['deadline-14']],
    ['3 days before the deadline, at noon', '2027-06-27 12:00', ['deadline-14', 'deadline-2']], // −14 ends tonight, −2 due tomorrow 10:00
    ['1 day before the deadline', '2027-06-29 12:00', ['deadline-2']],
    ['on the deadline day, late evening', '2027-06-30 23:59', ['deadline-2']],
    ['just after the deadline', '2027-07-01 00:00', []],
    ['a week after the deadline', '2027-07-07 12:00', []],
  ] as const)('Utrecht, joining %s', (_when, nowLocal, expected) => {
    expect(ids(joiner(nowLocal)).filter((id) => REGISTRATION_RULES.includes(id))).toEqual([...expected]);
  });

  it.each([
    ['10 days before the deadline', '2027-06-20 12:00', ['deadline-14']],
    ['1 day before the deadline', '2027-06-29 12:00', ['deadline-2']],
    ['the day after the deadline', '2027-07-01 12:00', []],
  ] as const)('with a zero horizon, joining %s gives exactly one message of the series', (_when, nowLocal, expected) => {
    const now = at(nowLocal);
    const got = plan({ person: person([bornMay2024], { joinedAt: now }), initiative: initiative(utrecht) }, now, 0);
    expect(ids(got).filter((id) => REGISTRATION_RULES.includes(id))).toEqual([...expected]);
  });

  it('the deadline series never overlaps: at most one of them live at any moment', () => {
    const registrationRules = RULES.filter((r) => r.trigger.type === 'registration');
    const { ticks } = sweep({ person: person([bornMay2024]), initiative: initiative(utrecht), rules: registrationRules }, '2027-03-01 00:00', '2027-08-01 00:00', { stepHours: 1, horizonMs: 0 });
    for (const t of ticks) {
      const series = t.candidates.filter((c) => ['group-registration', 'deadline-14', 'deadline-2'].includes(c.ruleId));
      expect(series.length, fmt(t.now) ?? '').toBeLessThanOrEqual(1);
    }
  });

  it('group-registration is for members only', () => {
    const ini = initiative(utrecht);
    const now = at('2027-05-25 12:00');
    expect(ids(plan({ person: person([bornMay2024]), initiative: ini }, now))).toContain('group-registration');
    expect(ids(plan({ person: person([bornMay2024], { initiativeId: null }), initiative: ini }, now))).not.toContain('group-registration');
    // A non-member still gets the other deadline reminders from the same rule.
    expect(ids(plan({ person: person([bornMay2024], { initiativeId: null }), initiative: ini }, at('2027-06-20 12:00')))).toContain('deadline-14');
  });

  it('one person with two children: one timeline per child', () => {
    const twoKids = { person: person([child(11, '2024-05'), child(12, '2024-06')]), initiative: initiative(utrecht) };
    const got = plan(twoKids, at('2027-06-20 12:00')).filter((c) => c.ruleId === 'deadline-14');
    expect(got.map((c) => c.childId).sort()).toEqual([11, 12]);
    expect(got.map((c) => c.payload.childId).sort()).toEqual([11, 12]);
    expect(new Set(got.map(deliveryKey)).size).toBe(2);
    // And the two-child timeline is exactly the union of the two one-child timelines.
    const from = '2025-12-01 00:00';
    const to = '2027-08-01 00:00';
    const both = sweep(twoKids, from, to).first.map(deliveryKey).sort();
    const a = sweep({ person: person([child(11, '2024-05')]), initiative: initiative(utrecht) }, from, to).first.map(deliveryKey);
    const b = sweep({ person: person([child(12, '2024-06')]), initiative: initiative(utrecht) }, from, to).first.map(deliveryKey);
    expect(both).toEqual([...a, ...b].sort());
    expect(both.filter((k) => k.startsWith('toddler-groups|'))).toEqual(['toddler-groups|p1|c11|once', 'toddler-groups|p1|c12|once']);
  });
});

// ---- audience filters --------------------------------------------------------------------

describe('timeline: audience and consent', () => {
  const everything = (p: PlanPerson): World => ({
    person: p,
    initiative: initiative(utrecht, { hasNewsletterSchedule: true }),
    events: [event(31, '2027-06-26 10:00', [24, 42], ['none'])],
    slots: [{ initiativeId: 7, slot: '2027-06-21T10:00', at: at('2027-06-21 10:00') }],
  });
  const now = at('2027-06-20 12:00'); // deadline-14 live, the event invite-7 and a newsletter due tomorrow

  it('the full picture for a consenting member', () => {
    expect(ids(plan(everything(person([bornMay2024], { newsletter: true })), now))).toEqual(['deadline-14', 'event-invite-7', 'newsletter']);
  });

  it('a registered child gets no deadline reminders, but still the placement check', () => {
    const w: World = { person: person([child(11, '2024-05', { registered: true })]), initiative: initiative(utrecht) };
    const { first } = sweep(w, '2027-03-01 00:00', '2027-08-01 00:00');
    expect(ids(first)).toEqual(['look-at-schools', 'placement-check']);
    const notRegistered = sweep({ ...w, person: person([bornMay2024]) }, '2027-03-01 00:00', '2027-08-01 00:00');
    expect(ids(notRegistered.first)).toEqual(['deadline-14', 'deadline-2', 'group-registration', 'look-at-schools', 'placement-check', 'registration-opens']);
  });

  it('/stop (proactive off): nothing at all', () => {
    const p = person([bornMay2024], { proactive: false, newsletter: true, joinedAt: at('2027-06-20 08:00') });
    expect(plan(everything(p), now)).toEqual([]);
    const { first } = sweep(everything(p), '2024-05-01 00:00', '2028-06-01 00:00', { stepHours: 24 });
    expect(first).toEqual([]);
  });

  it('reminders off: no reminder rules, but the newsletter still (with newsletter consent)', () => {
    const got = plan(everything(person([bornMay2024], { reminders: false, newsletter: true })), now);
    expect(ids(got)).toEqual(['newsletter']);
    expect(got.every((c) => c.kind === 'newsletter')).toBe(true);
  });

  it('reminders off and newsletter off: nothing', () => {
    expect(plan(everything(person([bornMay2024], { reminders: false, newsletter: false })), now)).toEqual([]);
  });

  it('the newsletter needs newsletter consent', () => {
    expect(ids(plan(everything(person([bornMay2024], { newsletter: false })), now))).not.toContain('newsletter');
  });

  it('newsletter-offer only to members of an initiative with a schedule who do not get it yet', () => {
    const joined = at('2027-01-10 15:00');
    const next = at('2027-01-11 12:00');
    const offer = (p: Partial<PlanPerson>, ini: Partial<PlanInitiative>) =>
      ids(plan({ person: person([], { joinedAt: joined, ...p }), initiative: initiative(utrecht, ini) }, next)).includes('newsletter-offer');
    expect(offer({}, { hasNewsletterSchedule: true })).toBe(true);
    expect(offer({}, { hasNewsletterSchedule: false })).toBe(false);
    expect(offer({ newsletter: true }, { hasNewsletterSchedule: true })).toBe(false);
    expect(offer({ joinedAt: null }, { hasNewsletterSchedule: true })).toBe(false);
    expect(offer({ initiativeId: null }, { hasNewsletterSchedule: true })).toBe(false);
  });
});

describe('timeline: events', () => {
  const tour = (rsvp: RsvpLabel[] | ((personId: number) => RsvpLabel[]), startsLocal = '2027-04-03 10:00', band: [number, number] = [24, 42]) => event(31, startsLocal, band, rsvp);
  /** Every event message of the world, sweeping every 30 minutes from 8 days before the first event to the day after the last. */
  const eventRules = (w: World) => {
    const starts = (w.events ?? []).map((e) => e.startsAt.getTime());
    const from = fmt(new Date(Math.min(...starts) - 8 * DAY)) ?? '';
    const to = fmt(new Date(Math.max(...starts) + DAY)) ?? '';
    const { first } = sweep({ ...w, rules: RULES.filter((r) => r.trigger.type === 'event') }, from.slice(0, 11) + '00:00', to, { stepHours: 0.5, horizonMs: 0 });
    return first;
  };

  it.each([
    [['none'], ['event-invite-7 2027-03-27 10:00', 'event-invite-1 2027-04-02 10:00']],
    [['maybe'], ['event-invite-1 2027-04-02 10:00']],
    [['yes', 'going'], ['event-today 2027-04-03 08:30']],
    [['yes', 'waiting'], []],
    [['no'], []],
  ] as [RsvpLabel[], string[]][])('rsvp %j → %j', (rsvp, expected) => {
    expect(dueList(eventRules({ person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [tour(rsvp)] }))).toEqual(expected);
  });

  it('asks the RSVP of this person', () => {
    const rsvp = (personId: number): RsvpLabel[] => (personId === 1 ? ['yes', 'going'] : ['none']);
    const w = (id: number): World => ({ person: person([child(14, '2025-01')], { id }), initiative: initiative(utrecht), events: [tour(rsvp)] });
    expect(eventRules(w(1)).map((c) => c.ruleId)).toEqual(['event-today']);
    expect(eventRules(w(2)).map((c) => c.ruleId)).toEqual(['event-invite-7', 'event-invite-1']);
  });

  it.each([
    // born, expected?, band, invited? (event in April 2027)
    ['2025-04', false, [24, 42], true], // exactly 24 months
    ['2025-05', false, [24, 42], false], // 23 months
    ['2023-10', false, [24, 42], true], // exactly 42 months
    ['2023-09', false, [24, 42], false], // 43 months
    ['2025-04', true, [0, 42], false], // not born yet
    ['2027-03', false, [0, 12], true],
  ] as [string, boolean, [number, number], boolean][])('a child born %s (expected: %s), band %j → invited: %s', (born, expected, band, invited) => {
    const got = eventRules({ person: person([child(14, born, { expected })]), initiative: initiative(utrecht), events: [tour(['none'], '2027-04-03 10:00', band)] });
    expect(got.length > 0).toBe(invited);
  });

  it('is per person: one invitation however many children are in the band, none if none is', () => {
    const two = eventRules({ person: person([child(14, '2025-01'), child(15, '2024-06')]), initiative: initiative(utrecht), events: [tour(['none'])] });
    expect(dueList(two)).toEqual(['event-invite-7 2027-03-27 10:00', 'event-invite-1 2027-04-02 10:00']);
    expect(two.every((c) => c.childId === null && c.occurrence === 'e31')).toBe(true);
    const none = eventRules({ person: person([child(14, '2026-01'), child(15, '2022-01')]), initiative: initiative(utrecht), events: [tour(['none'])] });
    expect(none).toEqual([]);
  });

  it('never expires after the event has started; event-today is skipped for an event before 08:30', () => {
    for (const startsLocal of ['2027-04-03 10:00', '2027-04-03 09:00', '2027-04-03 08:00', '2027-04-03 00:30', '2027-04-02 23:00']) {
      for (const rsvp of [['none'], ['maybe'], ['going']] as RsvpLabel[][]) {
        const ev = tour(rsvp, startsLocal);
        const got = eventRules({ person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [ev] });
        for (const c of got) {
          expect(c.expiresAt).not.toBeNull();
          expect(c.expiresAt!.getTime(), `${c.ruleId} ${startsLocal}`).toBeLessThanOrEqual(ev.startsAt.getTime());
          expect(c.dueAt.getTime()).toBeLessThan(c.expiresAt!.getTime());
        }
      }
    }
    const early = eventRules({ person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [tour(['going'], '2027-04-03 08:00')] });
    expect(early).toEqual([]);
    const nine = eventRules({ person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [tour(['going'], '2027-04-03 09:00')] });
    expect(nine.map((c) => [c.ruleId, fmt(c.dueAt), fmt(c.expiresAt)])).toEqual([['event-today', '2027-04-03 08:30', '2027-04-03 09:00']]);
  });

  it('keeps 10:00 local on both sides of the DST changes (the UTC hour moves by one)', () => {
    const dueOf = (startsLocal: string) => {
      const c = eventRules({ person: person([child(14, '2025-01')]), initiative: initiative(utrecht), events: [tour(['none'], startsLocal)] }).find((x) => x.ruleId === 'event-invite-7');
      return c ? [fmt(c.dueAt), c.dueAt.toISOString()] : null;
    };
    // Spring (28 March 2027): 10:00 CET is 09:00 UTC, 10:00 CEST is 08:00 UTC.
    expect(dueOf('2027-04-03 10:00')).toEqual(['2027-03-27 10:00', '2027-03-27T09:00:00.000Z']);
    expect(dueOf('2027-04-05 10:00')).toEqual(['2027-03-29 10:00', '2027-03-29T08:00:00.000Z']);
    // Autumn (31 October 2027): the other way round.
    expect(dueOf('2027-11-06 10:00')).toEqual(['2027-10-30 10:00', '2027-10-30T08:00:00.000Z']);
    expect(dueOf('2027-11-08 10:00')).toEqual(['2027-11-01 10:00', '2027-11-01T09:00:00.000Z']);
  });

  it('judges the age band by the local date of the event, not the UTC one', () => {
    // 1 March 2027 00:30 in Amsterdam is still 28 February in UTC. On 1 March the child born
    // in March 2025 is 24 months old and in the band; by the UTC month it would be 23.
    const { first } = sweep(
      { person: person([child(14, '2025-03')]), initiative: initiative(utrecht), events: [tour(['none'], '2027-03-01 00:30', [24, 42])] },
      '2027-02-20 00:00',
      '2027-03-01 01:00',
      { stepHours: 1, horizonMs: 0 },
    );
    expect(dueList(first.filter((c) => c.ruleId.startsWith('event-')))).toEqual(['event-invite-7 2027-02-22 10:00', 'event-invite-1 2027-02-28 10:00']);
  });
});

describe('timeline: urgentFrom', () => {
  // "Within 48 h of the deadline" (ADR 0004): from 48 h before the deadline day begins, so the
  // −2-day reminder (due 10:00 two days before) may break the cap from its own due time.
  it('is set only on deadline-2: 48 h before the deadline day begins, at or before its due time', () => {
    const cases: [World, string, string][] = [
      // Utrecht deadline 2027-06-30 (summer time): the day begins 2027-06-29T22:00Z.
      [{ person: person([bornMay2024]), initiative: initiative(utrecht) }, '2027-06-29 12:00', '2027-06-27T22:00:00.000Z'],
      // Amsterdam deadline 2027-11-04 (winter time): the day begins 2027-11-03T23:00Z.
      [{ person: person([child(12, '2024-06')]), initiative: initiative(amsterdam) }, '2027-11-03 12:00', '2027-11-01T23:00:00.000Z'],
    ];
    for (const [w, nowLocal, urgentFrom] of cases) {
      const d2 = plan(w, at(nowLocal)).find((c) => c.ruleId === 'deadline-2');
      expect(d2?.urgentFrom?.toISOString()).toBe(urgentFrom);
      // The deadline day ends at the expiry: 24 h + 48 h after urgentFrom.
      expect(d2 && d2.expiresAt && d2.urgentFrom && d2.expiresAt.getTime() - d2.urgentFrom.getTime()).toBe(3 * DAY);
      expect(d2 && d2.urgentFrom && d2.urgentFrom.getTime() <= d2.dueAt.getTime()).toBe(true);
    }
    // Across a whole childhood, nothing else is ever urgent.
    const { first } = sweep({ person: person([bornMay2024], { newsletter: true }), initiative: initiative(utrecht) }, '2024-05-15 00:00', '2028-06-01 00:00');
    expect(first.filter((c) => c.urgentFrom !== null).map((c) => c.ruleId)).toEqual(['deadline-2']);
  });
});
