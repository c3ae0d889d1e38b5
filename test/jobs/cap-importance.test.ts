/**
 * The cap chooses by importance and urgency (issue 10, item 2): a family with more candidates in
 * a week than the cap (3 per 7 days) allows. Time-bound messages (an event invitation, a
 * deadline) are placed first, also when they are only due in the coming days; a keep-warm, a
 * tip or a newsletter takes what room is left and is never the reason a time-bound one expires.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { Candidate, PlanPerson } from '../../src/domain/nurture.types.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { sendTimesFor, type PlanPassDeps } from '../../src/jobs/plan-pass.js';
import type { PlanningWorld } from '../../src/db/planning.repo.js';

const AMS = 'Europe/Amsterdam';
const at = (local: string) => DateTime.fromFormat(local, 'yyyy-LL-dd HH:mm', { zone: AMS }).toJSDate();
const fmt = (d: Date) => DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-LL-dd HH:mm');

const deps = { policy: DEFAULT_POLICY, defaultTimeZone: AMS } as PlanPassDeps;
const person: PlanPerson = { id: 1, proactive: true, reminders: true, newsletter: true, quiet: null, initiativeId: null, joinedAt: null, children: [] };
const world = (history: Date[] = []): PlanningWorld => ({ people: [person], channelOf: new Map(), initiatives: new Map(), eventsOf: new Map(), slotsOf: new Map(), history: new Map([[1, history]]) });

function cand(ruleId: string, due: string, expires: string, priority: number, timeBound: boolean, kind: Candidate['kind'] = 'reminder'): Candidate {
  return { ruleId, personId: 1, childId: null, occurrence: due, kind, dueAt: at(due), expiresAt: at(expires), priority, urgentFrom: null, timeBound, payload: { key: `nurture:${ruleId}`, params: {}, buttons: null } };
}

// Monday 2027-03-01: everything wants to go out this week.
const keepWarm = cand('keep-warm', '2027-03-01 10:00', '2027-04-12 00:00', 1, false);
const newsletter = cand('newsletter', '2027-03-01 10:00', '2027-03-04 10:00', 2, false, 'newsletter');
const tip = cand('look-at-schools', '2027-03-01 10:00', '2027-06-01 00:00', 4, false);
const invite = cand('event-invite-7', '2027-03-03 10:00', '2027-03-09 00:00', 5, true);
const deadline = cand('deadline-14', '2027-03-04 10:00', '2027-03-16 00:00', 8, true);

const plan = (fresh: Candidate[], upcoming: Candidate[] = [], history: Date[] = [], now = '2027-03-01 09:00') =>
  sendTimesFor(deps, world(history), person, fresh, at(now), [], upcoming).map((r) => `${r.candidate.ruleId} ${fmt(r.sendAt)}`);

describe('the cap chooses by importance and urgency', () => {
  it('five candidates in one week: the invitation and the deadline go on their day, the rest waits its turn', () => {
    const out = plan([keepWarm, newsletter, tip, invite, deadline]);
    expect(out).toContain('event-invite-7 2027-03-03 10:00');
    expect(out).toContain('deadline-14 2027-03-04 10:00');
    // One more fits this week: the most important of the rest (the tip), not the keep-warm.
    expect(out).toContain('look-at-schools 2027-03-01 10:00');
    // The newsletter expires before there is room; the keep-warm waits a week.
    expect(out.some((l) => l.startsWith('newsletter'))).toBe(false);
    expect(out).toContain('keep-warm 2027-03-08 10:00');
    const week = out.filter((l) => l.split(' ')[1]! < '2027-03-08');
    expect(week).toHaveLength(3);
  });

  it('a keep-warm and a newsletter due first do not take the room of an invitation due in 2 days (seen ahead)', () => {
    // The planner's horizon is 24 h: on Monday the invitation (Wednesday) and the deadline (Thursday)
    // are not due yet; they come in as `upcoming` and only reserve their place.
    const monday = plan([keepWarm, newsletter, tip], [invite, deadline]);
    expect(monday).toEqual(['look-at-schools 2027-03-01 10:00', 'keep-warm 2027-03-08 10:00']);
    // Wednesday: the invitation is due and the cap has room for it.
    const sentMonday = [at('2027-03-01 10:00')];
    expect(plan([invite], [deadline], sentMonday, '2027-03-03 09:00')).toEqual(['event-invite-7 2027-03-03 10:00']);
  });

  it('a full week of time-bound messages is not broken by lower ones: they wait until the window frees', () => {
    const history = [at('2027-02-26 10:00'), at('2027-02-27 10:00')];
    const out = plan([keepWarm, invite], [], history);
    expect(out).toContain('event-invite-7 2027-03-03 10:00');
    // Only one slot was free this week: the invitation has it, the keep-warm goes after the oldest ages out.
    expect(out.find((l) => l.startsWith('keep-warm'))! > 'keep-warm 2027-03-05').toBe(true);
  });

  it('among equals, the earliest due goes first (the old order)', () => {
    const a = cand('toddler-groups', '2027-03-01 10:00', '2027-06-01 00:00', 3, false);
    const b = cand('toddler-groups', '2027-03-02 10:00', '2027-06-01 00:00', 3, false);
    expect(plan([b, a])).toEqual(['toddler-groups 2027-03-01 10:00', 'toddler-groups 2027-03-02 10:00']);
  });
});
