/** The engine's view of the database (the Store port), on SQLite through drizzle. */
import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { ChannelName } from '../core/messages.js';
import type { Clock } from '../core/clock.js';
import type { SendOutcome } from '../core/errors.js';
import type { CommitTurnInput, CommitTurnResult, OutboxRow, Store } from '../core/ports.js';
import type { LinkCodeStore } from '../core/engine.js';
import type { PersonView } from '../flows/flow.types.js';
import { checkpoint, type Db } from './client.js';
import { applyEffect } from './effects.apply.js';
import { initiativeById } from './initiatives.repo.js';
import { children, conversations, identities, linkCodes, memberships, outbox, people, processedUpdates } from './schema.js';
import { exportPerson } from './export.repo.js';
import { createLinkAttemptsRepo } from './link-attempts.repo.js';

/** Replies older than this are not sent after a restart: the conversation has moved on. */
const OUTBOX_RESEND_WINDOW_MS = 10 * 60 * 1000;

export function createStore(db: Db, clock: Clock): Store & LinkCodeStore {
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
          identity = applyEffect(tx, input.address, identity, effect, now);
          if (effect.type === 'erase') erased = true;
          if (!identity) break;
        }
        if (input.externalId) {
          tx.insert(processedUpdates).values({ channel: input.address.channel, externalId: input.externalId, at: now }).onConflictDoNothing().run();
        }
        if (!identity) return { identity: null, outboxIds: [] };
        if (input.state === null) {
          tx.delete(conversations).where(eq(conversations.identityId, identity.identityId)).run();
        } else {
          tx.insert(conversations)
            .values({ identityId: identity.identityId, personId: identity.personId, state: input.state, turn: 1, updatedAt: now })
            .onConflictDoUpdate({ target: conversations.identityId, set: { state: input.state, turn: sql`${conversations.turn} + 1`, updatedAt: now } })
            .run();
        }
        const outboxIds = input.outbound.map(
          (message) =>
            tx.insert(outbox).values({ personId: identity.personId, identityId: identity.identityId, message, createdAt: now }).returning({ id: outbox.id }).get().id,
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

    recordHandled(channel: ChannelName, externalId: string) {
      db.insert(processedUpdates).values({ channel, externalId, at: clock.now() }).onConflictDoNothing().run();
    },

    markOutbox(id: number, outcome: SendOutcome) {
      const now = clock.now();
      if (outcome.status === 'sent') {
        db.update(outbox).set({ status: 'sent', sentAt: now, lastError: null }).where(eq(outbox.id, id)).run();
      } else {
        db.update(outbox).set({ status: 'failed', lastError: `${outcome.status}: ${outcome.reason}`.slice(0, 200) }).where(eq(outbox.id, id)).run();
      }
    },

    markUnreachable(address) {
      db.update(identities)
        .set({ unreachableAt: clock.now() })
        .where(and(eq(identities.channel, address.channel), eq(identities.chatId, address.chatId)))
        .run();
    },

    pendingOutbox(): OutboxRow[] {
      // Redeliveries come within minutes; a week of update ids is plenty.
      db.delete(processedUpdates).where(lt(processedUpdates.at, new Date(clock.now().getTime() - 7 * 24 * 3600 * 1000))).run();
      const since = new Date(clock.now().getTime() - OUTBOX_RESEND_WINDOW_MS);
      // Older pending replies are given up: the parent has moved on.
      db.update(outbox).set({ status: 'failed', lastError: 'expired' }).where(and(eq(outbox.status, 'pending'), lt(outbox.createdAt, since))).run();
      return db
        .select({ id: outbox.id, message: outbox.message, createdAt: outbox.createdAt, channel: identities.channel, chatId: identities.chatId })
        .from(outbox)
        .innerJoin(identities, eq(identities.id, outbox.identityId))
        .where(and(eq(outbox.status, 'pending'), gt(outbox.createdAt, since)))
        .orderBy(asc(outbox.id))
        .all()
        .map((r) => ({ id: r.id, address: { channel: r.channel, chatId: r.chatId }, message: r.message as OutboxRow['message'], createdAt: r.createdAt }));
    },

    exportPerson(personId) {
      return exportPerson(db, personId, clock.now());
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
  };
}
