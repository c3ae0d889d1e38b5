/**
 * The one answer to "may this person do X on initiative Y" (ARCHITECTURE rule 9). Pure: the
 * person's memberships, the action and the initiative in; yes or no out. Every staff action
 * in the flows and the CLI asks here, never an adapter. A role counts only on its own
 * initiative: an ambassador of A is a stranger to B.
 */
import type { Role } from './model.js';

/**
 * `broadcast.approve`: approve or reject a broadcast, require approval, pause/resume/cancel anyone's broadcast on the initiative.
 * `stats.view`: the initiative's figures (counts only; coordinators).
 */
export const STAFF_ACTIONS = ['invite.ambassador', 'invite.coordinator', 'broadcast', 'broadcast.approve', 'nudge', 'relay.answer', 'audit.read', 'export', 'languages.set', 'stats.view'] as const;
export type StaffAction = (typeof STAFF_ACTIONS)[number];

/** What a role allows on its own initiative. Coordinators may everything; parents nothing. */
const ALLOWED: Record<Role, readonly StaffAction[]> = {
  coordinator: STAFF_ACTIONS,
  // Broadcasts by ambassadors may later need a coordinator's approval (issue 11, item 2).
  ambassador: ['broadcast', 'relay.answer', 'languages.set'],
  parent: [],
};

export interface MembershipView {
  initiativeId: number;
  role: Role;
}

export function may(memberships: readonly MembershipView[], action: StaffAction, initiativeId: number): boolean {
  return memberships.some((m) => m.initiativeId === initiativeId && ALLOWED[m.role].includes(action));
}

/** Staff roles (ambassador, coordinator) count; being a parent does not. */
export const isStaff = (memberships: readonly MembershipView[]): boolean => memberships.some((m) => m.role !== 'parent');

/** The initiatives on which the person may do the action, in membership order, without repeats. */
export function initiativesFor(memberships: readonly MembershipView[], action: StaffAction): number[] {
  return [...new Set(memberships.filter((m) => may([m], action, m.initiativeId)).map((m) => m.initiativeId))];
}

export const INVITE_ROLES = ['ambassador', 'coordinator'] as const;
export type InviteRole = (typeof INVITE_ROLES)[number];
export const isInviteRole = (s: string): s is InviteRole => (INVITE_ROLES as readonly string[]).includes(s);
export const inviteAction = (role: InviteRole): StaffAction => (role === 'ambassador' ? 'invite.ambassador' : 'invite.coordinator');

/** An invite lives 7 days. */
export const INVITE_TTL_MS = 7 * 24 * 3600_000;
