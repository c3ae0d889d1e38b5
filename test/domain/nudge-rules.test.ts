/** A relative nudge is the initiative's own reminder rule: validated with the rules file's schema, planned by the same timeline. */
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/db/schema.js';
import { audienceProblem, asNudgeCandidate, momentProblem, nudgeRule } from '../../src/domain/nudge-rules.js';
import { NUDGE_EVENT_KINDS } from '../../src/domain/nudge.types.js';
import { reminderRulesFile } from '../../src/domain/reminder-rules.js';
import { candidatesFor } from '../../src/domain/timeline.js';
import type { PlanEvent, PlanPerson } from '../../src/domain/nurture.types.js';

const ZONE = 'Europe/Amsterdam';

describe('nudgeRule', () => {
  it('"when a child turns 30 months": a childAge rule with its own window, valid in the rules file', () => {
    const rule = nudgeRule(7, { type: 'childAge', months: 30, windowMonths: 2, at: '10:00' }, { registered: false });
    expect(rule).toMatchObject({
      id: 'n7',
      trigger: { type: 'childAge', months: 30, untilMonths: 32, at: '10:00' },
      audience: { member: true, expected: false, registered: false },
      consent: 'reminders',
      message: 'broadcast:body',
      buttons: null,
    });
    expect(reminderRulesFile.safeParse({ version: 1, rules: [rule] }).success).toBe(true);
  });

  it('"3 days before each play morning": an event rule for that kind, ending when the event day begins', () => {
    const rule = nudgeRule(8, { type: 'event', eventKind: 'play_morning', daysBefore: 3, windowDays: 3, at: '10:00' }, {});
    expect(rule?.trigger).toEqual({ type: 'event', offsetDays: -3, untilOffsetDays: 0, at: '10:00', kinds: ['play_morning'] });
    // On the day itself: until the event starts.
    expect(nudgeRule(9, { type: 'event', eventKind: null, daysBefore: 0, windowDays: 1, at: '08:00' }, {})?.trigger).toEqual({ type: 'event', offsetDays: 0, untilOffsetDays: 1, at: '08:00' });
  });

  it('once and recurring nudges are not rules', () => {
    expect(nudgeRule(1, { type: 'weekly', weekday: 1, at: '10:00' }, {})).toBeNull();
  });

  it('the event kinds are those of the events table', () => {
    expect([...NUDGE_EVENT_KINDS]).toEqual([...EVENT_KINDS]);
  });
});

describe('checks', () => {
  const now = { now: new Date('2027-03-01T09:00:00Z'), zone: ZONE };
  it('moments', () => {
    expect(momentProblem({ type: 'once', date: '2027-03-01', at: '10:00' }, now)).toBe('past');
    expect(momentProblem({ type: 'once', date: '2027-03-01', at: '10:01' }, now)).toBeNull();
    expect(momentProblem({ type: 'once', date: '2027-02-30', at: '10:00' }, now)).toBe('date');
    expect(momentProblem({ type: 'weekly', weekday: 8, at: '10:00' })).toBe('weekday');
    expect(momentProblem({ type: 'monthly', day: 3, at: '25:00' })).toBe('time');
    expect(momentProblem({ type: 'childAge', months: 73, windowMonths: 1, at: '10:00' })).toBe('months');
    expect(momentProblem({ type: 'event', eventKind: null, daysBefore: 15, windowDays: 1, at: '10:00' })).toBe('days');
  });

  it('relative audiences: all parents, or registered or not for a child-age nudge', () => {
    expect(audienceProblem({ type: 'childAge' }, {})).toBeNull();
    expect(audienceProblem({ type: 'childAge' }, { registered: true })).toBeNull();
    expect(audienceProblem({ type: 'childAge' }, { languages: ['tr'] })).toBe('audience');
    expect(audienceProblem({ type: 'event' }, { registered: true })).toBe('audience');
    expect(audienceProblem({ type: 'weekly' }, { languages: ['tr'], silentWeeks: 4 })).toBeNull();
  });
});

describe('planned by the timeline', () => {
  const person = (joinedAt: Date, year: number, month: number): PlanPerson => ({
    id: 1,
    proactive: true,
    reminders: true,
    newsletter: false,
    quiet: null,
    initiativeId: 3,
    joinedAt,
    children: [{ id: 11, year, month, expected: false, registered: false, placement: null }],
  });
  const input = (now: string, p: PlanPerson, events: PlanEvent[] = []) => ({
    now: new Date(now),
    horizonMs: 24 * 3600_000,
    rules: [nudgeRule(7, { type: 'childAge', months: 30, windowMonths: 1, at: '10:00' }, {})!, nudgeRule(8, { type: 'event', eventKind: 'play_morning', daysBefore: 3, windowDays: 3, at: '10:00' }, {})!],
    person: p,
    initiative: { id: 3, phase: 2, timeZone: ZONE, registration: { kind: 'fromAge3' as const }, hasNewsletterSchedule: false },
    events,
    newsletterSlots: [],
    defaultTimeZone: ZONE,
  });

  it('a child born September 2024 turns 30 months in March 2027: due on 1 March 10:00, until 1 April', () => {
    const [c] = candidatesFor(input('2027-03-01T08:00:00Z', person(new Date('2026-01-01'), 2024, 9)));
    expect(c).toMatchObject({ ruleId: 'n7', childId: 11, occurrence: 'once', dueAt: new Date('2027-03-01T09:00:00Z'), expiresAt: new Date('2027-03-31T22:00:00Z') });
    const row = asNudgeCandidate(c!, { nudgeId: 7, broadcastId: 40 });
    expect(row.payload).toEqual({ key: 'broadcast:body', params: {}, buttons: null, broadcastId: 40, nudgeId: 7, childId: 11, children: [{ id: 11, year: 2024, month: 9 }] });
  });

  it('only events of the kind, 3 days before', () => {
    const ev = (id: number, kind: PlanEvent['kind']): PlanEvent => ({ id, initiativeId: 3, kind, startsAt: new Date('2027-03-12T09:00:00Z'), minAgeMonths: 24, maxAgeMonths: 42, rsvpOf: () => ['none'] });
    const out = candidatesFor(input('2027-03-09T08:00:00Z', person(new Date('2026-01-01'), 2024, 6), [ev(1, 'play_morning'), ev(2, 'tour')]));
    expect(out.map((c) => `${c.ruleId}:${c.occurrence}`)).toEqual(['n8:e1']);
    expect(out[0]?.dueAt).toEqual(new Date('2027-03-09T09:00:00Z'));
  });
});
