/**
 * Applies a flow's effects inside the turn's transaction. The consent effect is the moment a
 * person starts to exist in the database: before it, nothing about them is stored.
 */
import { and, eq } from 'drizzle-orm';
import type { Address } from '../core/messages.js';
import type { IdentityRef } from '../core/ports.js';
import type { Effect } from '../flows/flow.types.js';
import type { Db } from './client.js';
import { children, consentLog, identities, interests, memberships, people } from './schema.js';
import { writeAudit } from './audit.repo.js';
import { cancelPendingFor, cancelPendingOfKind, insertNotice } from './deliveries.repo.js';
import { applyRsvp } from './events.repo.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export function applyEffect(tx: Tx, address: Address, identity: IdentityRef | null, effect: Effect, now: Date): IdentityRef | null {
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
      tx.insert(interests).values({ personId, initiativeId: effect.initiativeId, actionKey: effect.actionKey, at: now }).onConflictDoNothing().run();
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
      requestHelp(tx, personId, effect.childId, now);
      break;
    case 'erase':
      // ON DELETE CASCADE removes identities, children, memberships, conversations, consents,
      // interests and outbox rows; secure_delete zeroes the freed pages.
      tx.delete(people).where(eq(people.id, personId)).run();
      writeAudit(tx, { actor: `person:${personId}`, action: 'person.erase', subjectType: 'person', subjectId: personId }, now);
      return null;
    case 'exportData':
      break;
  }
  return identity;
}

function applyRsvpEffect(tx: Tx, personId: number, eventId: number, answer: 'yes' | 'no' | 'maybe', now: Date): void {
  const { promoted } = applyRsvp(tx, { eventId, personId, answer, now });
  for (const other of promoted) {
    insertNotice(tx, { personId: other, ruleId: 'notice-place-free', occurrence: `e${eventId}`, payload: { key: 'nurture:eventPromoted', params: {}, buttons: null, eventId }, now });
  }
}

/** "Help me register": every ambassador of the parent's initiative gets a notice (ids only in the row). */
function requestHelp(tx: Tx, personId: number, childId: number, now: Date): void {
  const member = tx
    .select({ initiativeId: memberships.initiativeId })
    .from(memberships)
    .where(and(eq(memberships.personId, personId), eq(memberships.role, 'parent')))
    .get();
  if (!member) return;
  tx.insert(interests).values({ personId, initiativeId: member.initiativeId, actionKey: 'registration-help', at: now }).onConflictDoNothing().run();
  const ambassadors = tx
    .select({ personId: memberships.personId })
    .from(memberships)
    .where(and(eq(memberships.initiativeId, member.initiativeId), eq(memberships.role, 'ambassador')))
    .all();
  const day = now.toISOString().slice(0, 10);
  for (const a of ambassadors) {
    if (a.personId === personId) continue;
    insertNotice(tx, { personId: a.personId, ruleId: 'notice-help', occurrence: `p${personId}c${childId}-${day}`, payload: { key: 'nurture:helpRequestAmbassador', params: {}, buttons: null, aboutPersonId: personId, childId }, now });
  }
}
