/**
 * Applies a flow's effects inside the turn's transaction. The consent effect is the moment a
 * person starts to exist in the database: before it, nothing about them is stored. Linking a
 * chat (a one-time code) is the other way in: the chat joins a person who already exists.
 */
import { and, eq, gt, lte, or } from 'drizzle-orm';
import { AppError } from '../core/errors.js';
import type { Address } from '../core/messages.js';
import type { IdentityRef, Logger } from '../core/ports.js';
import { createLogger } from '../logger.js';
import type { Effect } from '../flows/flow.types.js';
import type { Db } from './client.js';
import { children, consentLog, deliveries, identities, interests, linkCodes, memberships, people } from './schema.js';
import { writeAudit } from './audit.repo.js';
import { cancelPendingFor, cancelPendingOfKind, insertNotice } from './deliveries.repo.js';
import { applyRsvp } from './events.repo.js';
import { createInvite, membershipsOf, redeemInvite, refuseInvite, setAmbassadorLanguages } from './invites.repo.js';
import { inviteAction, may } from '../domain/authorization.js';
import { applyBroadcastCommand } from './broadcast.effects.js';
import { applyNudgeCommand } from './nudge.effects.js';
import { applyRelayCommand } from './relay.effects.js';
import { removePersonMediaFiles } from './media.repo.js';
import { applyStatsView } from './stats.effects.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The consent-log version of a "keep in touch" answer (read by the retention job). */
export const KEEP_IN_TOUCH = 'keep-in-touch';

/**
 * Erases a person: /delete and the retention job both run exactly this. ON DELETE CASCADE
 * removes identities, children, memberships, conversations, consents, interests, deliveries and
 * outbox rows; secure_delete zeroes the freed pages. The audit row holds ids only.
 */
export function erasePerson(tx: Tx, personId: number, now: Date, actor = `person:${personId}`): void {
  // Their voice notes, photos and files: the bytes on disk go with the rows (src/db/media.repo.ts).
  removePersonMediaFiles(tx, personId);
  tx.delete(people).where(eq(people.id, personId)).run();
  writeAudit(tx, { actor, action: 'person.erase', subjectType: 'person', subjectId: personId }, now);
}

/** Where a request that reaches nobody is written down for the operator (the process log). */
export type OperatorLog = Pick<Logger, 'warn'>;

export function applyEffect(tx: Tx, address: Address, identity: IdentityRef | null, effect: Effect, now: Date, log: OperatorLog = fallbackLog()): IdentityRef | null {
  if (effect.type === 'consent') {
    if (identity) return identity;
    const person = tx.insert(people).values({ language: effect.language, createdAt: now }).returning({ id: people.id }).get();
    const ident = tx
      .insert(identities)
      .values({ personId: person.id, channel: address.channel, chatId: address.chatId, createdAt: now })
      .returning({ id: identities.id })
      .get();
    tx.insert(consentLog).values({ personId: person.id, kind: 'data', given: true, version: effect.noticeVersion, at: now }).run();
    tx.insert(consentLog).values({ personId: person.id, kind: 'proactive', given: true, version: effect.noticeVersion, at: now }).run();
    return { personId: person.id, identityId: ident.id };
  }
  if (effect.type === 'linkChat') return linkChat(tx, address, identity, effect, now);
  if (!identity) return null; // Nothing is written for someone who has not consented.
  const personId = identity.personId;
  switch (effect.type) {
    case 'setProfile':
      if (Object.keys(effect.patch).length > 0) tx.update(people).set(effect.patch).where(eq(people.id, personId)).run();
      break;
    case 'addChild':
      tx.insert(children).values({ personId, birthYear: effect.year, birthMonth: effect.month, expected: effect.expected, createdAt: now }).run();
      break;
    case 'updateChild':
      tx.update(children)
        .set({ birthYear: effect.year, birthMonth: effect.month, expected: effect.expected })
        .where(and(eq(children.id, effect.childId), eq(children.personId, personId)))
        .run();
      break;
    case 'removeChild':
      tx.delete(children).where(and(eq(children.id, effect.childId), eq(children.personId, personId))).run();
      break;
    case 'join':
      tx.insert(memberships).values({ personId, initiativeId: effect.initiativeId, role: 'parent', createdAt: now }).onConflictDoNothing().run();
      break;
    case 'interest':
      offerHelp(tx, personId, effect.initiativeId, effect.actionKey, now, log);
      break;
    case 'proactive':
      tx.update(people).set({ proactive: effect.enabled }).where(eq(people.id, personId)).run();
      tx.insert(consentLog).values({ personId, kind: 'proactive', given: effect.enabled, version: 'command', at: now }).run();
      if (effect.enabled) tx.update(identities).set({ unreachableAt: null }).where(eq(identities.id, identity.identityId)).run();
      // /stop is honoured at once, also for messages already waiting in the queue.
      else cancelPendingFor(tx, personId, 'stopped');
      break;
    case 'consentKind':
      tx.update(people)
        .set(effect.kind === 'reminders' ? { reminders: effect.enabled } : { newsletter: effect.enabled })
        .where(eq(people.id, personId))
        .run();
      tx.insert(consentLog).values({ personId, kind: effect.kind, given: effect.enabled, version: 'chat', at: now }).run();
      if (!effect.enabled) cancelPendingOfKind(tx, personId, effect.kind === 'reminders' ? 'reminder' : 'newsletter', `${effect.kind} off`);
      break;
    case 'quietHours':
      tx.update(people)
        .set({ quietStart: effect.quiet?.start ?? null, quietEnd: effect.quiet?.end ?? null })
        .where(eq(people.id, personId))
        .run();
      break;
    case 'registered':
      tx.update(children)
        .set({ registeredAt: now })
        .where(and(eq(children.id, effect.childId), eq(children.personId, personId)))
        .run();
      break;
    case 'placement':
      tx.update(children)
        .set({ placement: effect.answer })
        .where(and(eq(children.id, effect.childId), eq(children.personId, personId)))
        .run();
      break;
    case 'rsvp':
      applyRsvpEffect(tx, personId, effect.eventId, effect.answer, now);
      break;
    case 'helpRequest':
      requestHelp(tx, personId, effect.childId, now, log);
      break;
    case 'erase':
      erasePerson(tx, personId, now);
      return null;
    case 'noticeSeen':
      // The changed notice was shown (transparency, AVG art. 12-13); the data consent continues under it.
      tx.insert(consentLog).values({ personId, kind: 'data', given: true, version: effect.noticeVersion, at: now }).run();
      break;
    case 'keepData':
      // "Keep in touch" under the retention notice: the data is kept a year from now (src/domain/retention.ts).
      tx.insert(consentLog).values({ personId, kind: 'data', given: true, version: KEEP_IN_TOUCH, at: now }).run();
      break;
    case 'linkCode':
      // One live code per person; expired codes of anyone are cleared on the way.
      tx.delete(linkCodes).where(or(eq(linkCodes.personId, personId), lte(linkCodes.expiresAt, now))).run();
      tx.insert(linkCodes).values({ code: effect.code, personId, expiresAt: effect.expiresAt }).run();
      break;
    case 'preferredChannel':
      tx.update(people).set({ preferredChannel: effect.channel }).where(eq(people.id, personId)).run();
      // What is planned but not yet queued follows the choice; queued messages keep their queue.
      tx.update(deliveries).set({ channel: effect.channel }).where(and(eq(deliveries.personId, personId), eq(deliveries.status, 'planned'))).run();
      break;
    case 'createInvite':
      createInvite(tx, { token: effect.token, initiativeId: effect.initiativeId, role: effect.role, createdBy: personId, expiresAt: effect.expiresAt }, `person:${personId}`, now);
      break;
    case 'redeemInvite':
      // Someone else used it (or it expired) between the flow's read and this write: the whole
      // turn rolls back, so the chat never says "welcome, ambassador" without the role.
      if (!redeemInvite(tx, effect.inviteId, personId, now)) throw new AppError('invite_gone', 'the invite was used or expired during the turn');
      break;
    case 'inviteRefused':
      refuseInvite(tx, effect.inviteId, personId, effect.reason, now);
      break;
    case 'ambassadorLanguages':
      setAmbassadorLanguages(tx, personId, effect.initiativeId, effect.languages, now);
      break;
    case 'revokeRole':
      revokeStaffRole(tx, personId, effect, now);
      break;
    case 'broadcast':
      applyBroadcastCommand(tx, personId, effect.command, now);
      break;
    case 'nudge':
      applyNudgeCommand(tx, personId, effect.command, now);
      break;
    case 'relay':
      applyRelayCommand(tx, personId, effect.command, now, log);
      break;
    case 'stats':
      applyStatsView(tx, personId, effect.initiativeId, now);
      break;
    case 'linkMiss': // counted by the engine in link_attempts (src/db/link-attempts.repo.ts), also before consent
    case 'exportData': // sent by the engine after the turn
      break;
    default: {
      // A new Effect type must be handled above: this line stops the build until it is.
      const unhandled: never = effect;
      throw new AppError('effect_unhandled', `no handler for effect ${(unhandled as { type: string }).type}`);
    }
  }
  return identity;
}

/**
 * A coordinator takes a staff role away, checked again here (a role may have changed since the
 * flow read it). Never the last coordinator: an initiative always keeps one. Audited (ids only).
 */
function revokeStaffRole(tx: Tx, actorId: number, e: { initiativeId: number; personId: number; role: 'ambassador' | 'coordinator' }, now: Date): void {
  if (!may(membershipsOf(tx, actorId), inviteAction(e.role), e.initiativeId)) throw new AppError('role_refused', 'may not revoke this role');
  if (e.role === 'coordinator') {
    const left = tx.select({ id: memberships.id }).from(memberships).where(and(eq(memberships.initiativeId, e.initiativeId), eq(memberships.role, 'coordinator'))).all().length;
    if (left <= 1) throw new AppError('last_coordinator', 'an initiative keeps at least one coordinator');
  }
  const removed = tx
    .delete(memberships)
    .where(and(eq(memberships.personId, e.personId), eq(memberships.initiativeId, e.initiativeId), eq(memberships.role, e.role)))
    .returning({ id: memberships.id })
    .all();
  if (removed.length) writeAudit(tx, { actor: `person:${actorId}`, action: 'role.revoke', subjectType: 'person', subjectId: e.personId, detail: { initiativeId: e.initiativeId, role: e.role } }, now);
}

/**
 * Attaches this chat to the code's person and uses the code up. A chat that consented but
 * stored nothing yet (the flow checked) moves over, and its empty person is removed.
 */
function linkChat(tx: Tx, address: Address, identity: IdentityRef | null, effect: { personId: number; code: string }, now: Date): IdentityRef {
  const used = tx
    .delete(linkCodes)
    .where(and(eq(linkCodes.code, effect.code), eq(linkCodes.personId, effect.personId), gt(linkCodes.expiresAt, now)))
    .returning({ code: linkCodes.code })
    .get();
  if (!used) throw new AppError('link_code_gone', 'the link code was used or expired during the turn');
  let identityId: number;
  if (identity) {
    identityId = identity.identityId;
    tx.update(identities).set({ personId: effect.personId, unreachableAt: null }).where(eq(identities.id, identityId)).run();
    // Cascades the old conversation row and consent records of the empty profile.
    if (identity.personId !== effect.personId) tx.delete(people).where(eq(people.id, identity.personId)).run();
  } else {
    identityId = tx.insert(identities).values({ personId: effect.personId, channel: address.channel, chatId: address.chatId, createdAt: now }).returning({ id: identities.id }).get().id;
  }
  writeAudit(tx, { actor: `person:${effect.personId}`, action: 'person.link', subjectType: 'person', subjectId: effect.personId, detail: { channel: address.channel } }, now);
  return { personId: effect.personId, identityId };
}

function applyRsvpEffect(tx: Tx, personId: number, eventId: number, answer: 'yes' | 'no' | 'maybe', now: Date): void {
  const { promoted } = applyRsvp(tx, { eventId, personId, answer, now });
  for (const other of promoted) {
    insertNotice(tx, { personId: other, ruleId: 'notice-place-free', occurrence: `e${eventId}`, payload: { key: 'nurture:eventPromoted', params: {}, buttons: null, eventId }, now });
  }
}

/**
 * "Help me register": a relay thread (src/db/relay.effects.ts) offered to the initiative's
 * ambassadors who speak the parent's language, then the others, then its coordinators (24 h
 * each); with nobody, the operator log and the audit get a line. The request is also kept in
 * `interests`, so `interests list` shows it. The chat told the parent who will answer (the same
 * first step: src/db/help-route.repo.ts).
 */
function requestHelp(tx: Tx, personId: number, childId: number, now: Date, log: OperatorLog): void {
  const member = tx
    .select({ initiativeId: memberships.initiativeId })
    .from(memberships)
    .where(and(eq(memberships.personId, personId), eq(memberships.role, 'parent')))
    .get();
  if (!member) {
    log.warn({ personId, childId }, 'help request from a parent without an initiative: nobody to pass it to');
    return;
  }
  tx.insert(interests).values({ personId, initiativeId: member.initiativeId, actionKey: 'registration-help', at: now }).onConflictDoNothing().run();
  applyRelayCommand(tx, personId, { op: 'ask', initiativeId: member.initiativeId, kind: 'question', source: 'helpRequest', sourceRef: String(childId), text: null }, now, log);
}

/** "I want to help with this" under a phase action: recorded, and a relay thread like a help request (once per action). */
function offerHelp(tx: Tx, personId: number, initiativeId: number, actionKey: string, now: Date, log: OperatorLog): void {
  const added = tx.insert(interests).values({ personId, initiativeId, actionKey, at: now }).onConflictDoNothing().returning({ personId: interests.personId }).all();
  if (added.length === 0) return; // said before: staff heard of it then
  applyRelayCommand(tx, personId, { op: 'ask', initiativeId, kind: 'question', source: 'interest', sourceRef: actionKey, text: null }, now, log);
}

let defaultLog: OperatorLog | undefined;
/** Callers pass the app's logger; this is the same JSON log on stdout for callers that do not. */
function fallbackLog(): OperatorLog {
  defaultLog ??= createLogger(process.env.LOG_LEVEL ?? 'info');
  return defaultLog;
}
