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
