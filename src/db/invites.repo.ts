/**
 * One-time staff invites (table `invites`): created by a coordinator (chat or CLI), redeemed once
 * by a person with a profile, within 7 days. Only the token's SHA-256 is stored. Every step is
 * audited with ids only: invite.create, invite.redeem (with role.grant), invite.refused.
 */
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { hashInviteToken } from '../core/invite-token.js';
import type { InviteRole } from '../domain/authorization.js';
import type { Db } from './client.js';
import { writeAudit } from './audit.repo.js';
import { invites, memberships } from './schema.js';

type Writer = Pick<Db, 'insert' | 'update' | 'select'>;

export interface InviteView {
  id: number;
  initiativeId: number;
  role: InviteRole;
  expiresAt: Date;
  used: boolean;
}

export interface NewInvite {
  token: string;
  initiativeId: number;
  role: InviteRole;
  createdBy: number | null;
  expiresAt: Date;
}

export function createInvite(tx: Writer, invite: NewInvite, actor: string, now: Date): number {
  const row = tx
    .insert(invites)
    .values({ tokenHash: hashInviteToken(invite.token), initiativeId: invite.initiativeId, role: invite.role, createdBy: invite.createdBy, createdAt: now, expiresAt: invite.expiresAt })
    .returning({ id: invites.id })
    .get();
  writeAudit(tx, { actor, action: 'invite.create', subjectType: 'initiative', subjectId: invite.initiativeId, detail: { inviteId: row.id, role: invite.role } }, now);
  return row.id;
}

export function findInvite(db: Pick<Db, 'select'>, token: string): InviteView | null {
  const row = db.select().from(invites).where(eq(invites.tokenHash, hashInviteToken(token))).get();
  return row ? { id: row.id, initiativeId: row.initiativeId, role: row.role, expiresAt: row.expiresAt, used: row.usedAt !== null } : null;
}

/**
 * Uses the invite up and grants its role to the person, in the caller's transaction. False when
 * it was used or expired meanwhile (then nothing is granted).
 */
export function redeemInvite(tx: Writer, inviteId: number, personId: number, now: Date): boolean {
  const used = tx.update(invites).set({ usedAt: now, usedBy: personId }).where(and(eq(invites.id, inviteId), isNull(invites.usedAt), gt(invites.expiresAt, now))).returning().get();
  if (!used) return false;
  const actor = `person:${personId}`;
  writeAudit(tx, { actor, action: 'invite.redeem', subjectType: 'initiative', subjectId: used.initiativeId, detail: { inviteId, role: used.role } }, now);
  const added = tx.insert(memberships).values({ personId, initiativeId: used.initiativeId, role: used.role, createdAt: now }).onConflictDoNothing().returning().all();
  if (added.length > 0) writeAudit(tx, { actor, action: 'role.grant', subjectType: 'person', subjectId: personId, detail: { initiativeId: used.initiativeId, role: used.role, inviteId } }, now);
  return true;
}

/** A used or expired invite was tried: audited, nothing else changes. */
export function refuseInvite(tx: Writer, inviteId: number, personId: number | null, reason: 'expired' | 'used', now: Date): void {
  const row = tx.select({ initiativeId: invites.initiativeId }).from(invites).where(eq(invites.id, inviteId)).get();
  writeAudit(tx, { actor: personId ? `person:${personId}` : 'chat', action: 'invite.refused', subjectType: 'initiative', subjectId: row?.initiativeId ?? null, detail: { inviteId, reason } }, now);
}

/** The languages an ambassador speaks, on their ambassador membership of the initiative. */
export function setAmbassadorLanguages(tx: Writer, personId: number, initiativeId: number, languages: string[], now: Date): void {
  tx.update(memberships)
    .set({ languages })
    .where(and(eq(memberships.personId, personId), eq(memberships.initiativeId, initiativeId), eq(memberships.role, 'ambassador')))
    .run();
  writeAudit(tx, { actor: `person:${personId}`, action: 'ambassador.languages', subjectType: 'person', subjectId: personId, detail: { initiativeId, count: languages.length } }, now);
}

export function membershipsOf(db: Pick<Db, 'select'>, personId: number): { initiativeId: number; role: 'parent' | 'ambassador' | 'coordinator'; languages: string[] | null }[] {
  return db
    .select({ initiativeId: memberships.initiativeId, role: memberships.role, languages: memberships.languages })
    .from(memberships)
    .where(eq(memberships.personId, personId))
    .orderBy(asc(memberships.id))
    .all();
}
