/** The engine's view of the database (the Store port), on SQLite through drizzle. */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { ChannelName } from '../core/messages.js';
import type { Clock } from '../core/clock.js';
import type { CommitTurnInput, CommitTurnResult, Logger, Store } from '../core/ports.js';
import { OUTBOX_LEASE_MS } from '../core/outbound/outbox-port.js';
import type { LinkCodeStore } from '../core/engine.js';
import type { PersonView } from '../flows/flow.types.js';
import { checkpoint, type Db } from './client.js';
import { applyEffect } from './effects.apply.js';
import { initiativeById } from './initiatives.repo.js';
import { children, consentLog, conversations, identities, linkCodes, memberships, outbox, people, processedUpdates } from './schema.js';
import { exportPerson } from './export.repo.js';
import { writeAudit } from './audit.repo.js';
import { createLinkAttemptsRepo } from './link-attempts.repo.js';
import { newOutboxOwner } from './outbox.repo.js';
import { markUnreachable } from './identities.repo.js';
import { recordAction } from './participation.repo.js';
import { membershipsOf } from './invites.repo.js';

export interface StoreOptions {
  /** This process's name on the outbox rows it commits (src/db/outbox.repo.ts). */
  outboxOwner: string;
  /** Where a help request that reaches nobody is warned about (default: the JSON log on stdout). */
  logger?: Logger;
}

export function createStore(db: Db, clock: Clock, options: StoreOptions = { outboxOwner: newOutboxOwner() }): Store & LinkCodeStore {
  return {
    findIdentity(address) {
      const row = db
        .select({ personId: identities.personId, identityId: identities.id })
        .from(identities)
        .where(and(eq(identities.channel, address.channel), eq(identities.chatId, address.chatId)))
        .get();
      return row ?? null;
    },

    loadPerson(personId) {
      return loadPerson(db, personId);
    },

    linkAttempts: createLinkAttemptsRepo(db),

    findLinkCode(code) {
      return db.select({ personId: linkCodes.personId, expiresAt: linkCodes.expiresAt }).from(linkCodes).where(eq(linkCodes.code, code)).get() ?? null;
    },

    loadConversation(identityId) {
      const row = db.select({ state: conversations.state, turn: conversations.turn }).from(conversations).where(eq(conversations.identityId, identityId)).get();
      return row ?? null;
    },

    commitTurn(input: CommitTurnInput): CommitTurnResult {
      const now = clock.now();
      let erased = false;
      const result = db.transaction((tx) => {
        let identity = input.identity;
        for (const effect of input.effects) {
          identity = applyEffect(tx, input.address, identity, effect, now, options.logger);
          if (effect.type === 'erase') erased = true;
          if (!identity) break;
        }
        if (input.externalId) {
          tx.insert(processedUpdates).values({ channel: input.address.channel, externalId: input.externalId, at: now }).onConflictDoNothing().run();
        }
        if (!identity) return { identity: null, outboxIds: [] };
        // Any message or button is the parent taking part (participation, the outreach ladder).
        recordAction(tx, identity.personId, now);
        if (input.state === null) {
          tx.delete(conversations).where(eq(conversations.identityId, identity.identityId)).run();
        } else {
          tx.insert(conversations)
            .values({ identityId: identity.identityId, personId: identity.personId, state: input.state, turn: 1, updatedAt: now })
            .onConflictDoUpdate({ target: conversations.identityId, set: { state: input.state, turn: sql`${conversations.turn} + 1`, updatedAt: now } })
            .run();
        }
        const lease = new Date(now.getTime() + OUTBOX_LEASE_MS);
        const outboxIds = input.outbound.map(
          (message) =>
            tx
              .insert(outbox)
              .values({ personId: identity.personId, identityId: identity.identityId, channel: input.address.channel, chatId: input.address.chatId, message, createdAt: now, owner: options.outboxOwner, leaseUntil: lease })
              .returning({ id: outbox.id })
              .get().id,
        );
        return { identity, outboxIds };
      });
      // An erasure must not survive in the write-ahead log either.
      if (erased) checkpoint(db);
      return result;
    },

    alreadyHandled(channel: ChannelName, externalId: string) {
      const row = db
        .select({ id: processedUpdates.externalId })
        .from(processedUpdates)
        .where(and(eq(processedUpdates.channel, channel), eq(processedUpdates.externalId, externalId)))
        .get();
      return row !== undefined;
    },

    commitPreConsent({ address, outbound: messages, externalId }) {
      const now = clock.now();
      const lease = new Date(now.getTime() + OUTBOX_LEASE_MS);
      return db.transaction((tx) => {
        if (externalId) tx.insert(processedUpdates).values({ channel: address.channel, externalId, at: now }).onConflictDoNothing().run();
        return messages.map(
          (message) =>
            tx.insert(outbox).values({ channel: address.channel, chatId: address.chatId, message, createdAt: now, owner: options.outboxOwner, leaseUntil: lease }).returning({ id: outbox.id }).get().id,
        );
      });
    },

    markUnreachable(address) {
      markUnreachable(db, address, clock.now());
    },

    exportPerson(personId) {
      const now = clock.now();
      const data = exportPerson(db, personId, now);
      // Who took everything stored about a person, and when (ids only), like every other export.
      if (data) writeAudit(db, { actor: `person:${personId}`, action: 'person.export', subjectType: 'person', subjectId: personId }, now);
      return data;
    },

    ping() {
      try {
        db.$client.prepare('select 1').get();
        return true;
      } catch {
        return false;
      }
    },
  };
}

export function loadPerson(db: Db, personId: number): PersonView | null {
  const person = db.select().from(people).where(eq(people.id, personId)).get();
  if (!person) return null;
  const kids = db.select().from(children).where(eq(children.personId, personId)).orderBy(asc(children.birthYear), asc(children.birthMonth), asc(children.id)).all();
  const membership = db
    .select({ initiativeId: memberships.initiativeId })
    .from(memberships)
    .where(and(eq(memberships.personId, personId), eq(memberships.role, 'parent')))
    .orderBy(asc(memberships.id))
    .get();
  const chats = db.select({ channel: identities.channel }).from(identities).where(eq(identities.personId, personId)).orderBy(asc(identities.id)).all();
  // The notice version of the latest data consent ("2026-12"; not "keep-in-touch").
  const notice = db
    .select({ version: consentLog.version })
    .from(consentLog)
    .where(and(eq(consentLog.personId, personId), eq(consentLog.kind, 'data'), eq(consentLog.given, true), sql`${consentLog.version} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*'`))
    .orderBy(desc(consentLog.id))
    .get();
  return {
    id: person.id,
    language: person.language,
    displayName: person.displayName,
    pc4: person.pc4,
    heardFrom: person.heardFrom,
    proactive: person.proactive,
    reminders: person.reminders,
    newsletter: person.newsletter,
    quiet: person.quietStart && person.quietEnd ? { start: person.quietStart, end: person.quietEnd } : null,
    children: kids.map((c) => ({ id: c.id, year: c.birthYear, month: c.birthMonth, expected: c.expected, registered: c.registeredAt !== null })),
    initiative: membership ? initiativeById(db, membership.initiativeId) : null,
    channels: [...new Set(chats.map((c) => c.channel))],
    preferredChannel: person.preferredChannel,
    consentVersion: notice?.version ?? null,
    fallbackLanguage: person.fallbackLanguage ?? null,
    memberships: membershipsOf(db, personId),
  };
}
