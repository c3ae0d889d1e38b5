import { describe, expect, it } from 'vitest';
import { initiativesFor, isStaff, may, STAFF_ACTIONS, type MembershipView, type StaffAction } from '../../src/domain/authorization.js';

const A = 1;
const B = 2;
const parentOfA: MembershipView[] = [{ initiativeId: A, role: 'parent' }];
const ambassadorOfA: MembershipView[] = [{ initiativeId: A, role: 'ambassador' }];
const coordinatorOfA: MembershipView[] = [{ initiativeId: A, role: 'coordinator' }];

describe('may: one answer to "may this person do X on initiative Y"', () => {
  it.each<[string, MembershipView[], StaffAction, number, boolean]>([
    ['a parent cannot broadcast', parentOfA, 'broadcast', A, false],
    ['a parent cannot invite', parentOfA, 'invite.ambassador', A, false],
    ['a parent cannot answer relayed questions', parentOfA, 'relay.answer', A, false],
    ['an ambassador broadcasts on their own initiative', ambassadorOfA, 'broadcast', A, true],
    ['an ambassador answers relayed questions', ambassadorOfA, 'relay.answer', A, true],
    ['an ambassador says their languages', ambassadorOfA, 'languages.set', A, true],
    ['an ambassador cannot invite', ambassadorOfA, 'invite.ambassador', A, false],
    ['an ambassador cannot nudge', ambassadorOfA, 'nudge', A, false],
    ['an ambassador cannot read the audit log', ambassadorOfA, 'audit.read', A, false],
    ['an ambassador cannot export', ambassadorOfA, 'export', A, false],
    ['an ambassador of A cannot broadcast on B', ambassadorOfA, 'broadcast', B, false],
    ['an ambassador of A cannot answer for B', ambassadorOfA, 'relay.answer', B, false],
    ['a coordinator of A cannot invite on B', coordinatorOfA, 'invite.ambassador', B, false],
    ['a coordinator of A cannot broadcast on B', coordinatorOfA, 'broadcast', B, false],
    ['a parent of B who is ambassador of A cannot broadcast on B', [...ambassadorOfA, { initiativeId: B, role: 'parent' }], 'broadcast', B, false],
    ['no memberships: nothing', [], 'broadcast', A, false],
  ])('%s', (_name, ms, action, initiative, expected) => {
    expect(may(ms, action, initiative)).toBe(expected);
  });

  it('a coordinator may every action on their own initiative', () => {
    for (const action of STAFF_ACTIONS) expect(may(coordinatorOfA, action, A)).toBe(true);
  });

  it('staff are ambassadors and coordinators, not parents; initiativesFor lists where an action is allowed', () => {
    expect(isStaff(parentOfA)).toBe(false);
    expect(isStaff(ambassadorOfA)).toBe(true);
    expect(initiativesFor([...coordinatorOfA, { initiativeId: B, role: 'ambassador' }], 'invite.coordinator')).toEqual([A]);
  });
});
