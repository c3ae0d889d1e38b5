/**
 * What the delivery worker needs to render and address one delivery at send time: the
 * person's language *now*, the chat on the delivery's channel, the initiative's school,
 * the event's title and place in that language, the newsletter's text.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { ChannelName } from '../core/messages.js';
import type { MessageLookups } from '../domain/delivery-message.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import type { Db } from './client.js';
import { getBroadcast } from './broadcasts.repo.js';
import { outreachVoiceOf } from './outreach.repo.js';
import { relayNoticeView } from './relay.repo.js';
import { events, identities, initiatives, memberships, newsletters, people } from './schema.js';

export interface DeliveryContext {
  language: string;
  /** The second language the person chose ('en'), or null. */
  fallbackLanguage: 'en' | null;
  /** Null when the person has no reachable chat on this channel any more. */
  chatId: string | null;
  lookups: MessageLookups;
}

const inLanguage = (texts: unknown, lang: string): string => {
  const map = (texts ?? {}) as Record<string, string>;
  return map[lang] ?? map.nl ?? '';
};

export function deliveryContext(db: Db, personId: number, channel: ChannelName, payload: DeliveryPayload, defaultTimeZone: string, now: Date = new Date()): DeliveryContext | null {
  const person = db.select({ language: people.language, fallback: people.fallbackLanguage }).from(people).where(eq(people.id, personId)).get();
  if (!person) return null;
  const lang = person.language;
  const identity = db
    .select({ chatId: identities.chatId })
    .from(identities)
    .where(and(eq(identities.personId, personId), eq(identities.channel, channel), isNull(identities.unreachableAt)))
    .get();
  const ini = db
    .select({ id: initiatives.id, name: initiatives.name, school: initiatives.school, timeZone: initiatives.timeZone })
    .from(memberships)
    .innerJoin(initiatives, eq(initiatives.id, memberships.initiativeId))
    .where(and(eq(memberships.personId, personId), eq(memberships.role, 'parent')))
    .orderBy(memberships.id)
    .get();
  const lookups: MessageLookups = { initiative: ini ? { name: ini.name, school: ini.school } : null, event: null, newsletterText: null, timeZone: ini?.timeZone ?? defaultTimeZone };
  if (payload.eventId !== undefined) {
    const ev = db.select().from(events).where(eq(events.id, payload.eventId)).get();
    if (ev) lookups.event = { title: inLanguage(ev.titles, lang), place: inLanguage(ev.places, lang), startsAt: ev.startsAt, timeZone: ini?.timeZone ?? defaultTimeZone };
  }
  if (payload.newsletterSlot !== undefined && payload.initiativeId !== undefined) {
    const nl = db
      .select({ texts: newsletters.texts })
      .from(newsletters)
      .where(and(eq(newsletters.initiativeId, payload.initiativeId), eq(newsletters.issuedFor, payload.newsletterSlot)))
      .get();
    lookups.newsletterText = nl ? inLanguage(nl.texts, lang) : null;
  }
  if (payload.aboutPersonId !== undefined) {
    const about = db.select({ name: people.displayName, language: people.language }).from(people).where(eq(people.id, payload.aboutPersonId)).get();
    lookups.about = about ?? null;
  }
  // A relay notice is read from its thread now (null: the thread is gone, or an offer was taken meanwhile).
  if (payload.threadId !== undefined) lookups.relay = relayNoticeView(db, payload, personId, now);
  // The outreach ladder's step 2 goes as the initiative's voice note in the reader's language of now, where it has one.
  if (payload.outreachVoice && ini) lookups.voice = outreachVoiceOf(db, ini.id, lang);
  // A broadcast's copy (or its approval request) is rendered from the broadcast as it is now.
  if (payload.broadcastId !== undefined) {
    lookups.broadcast = broadcastLookup(db, payload.broadcastId);
    lookups.reader = { language: lang, fallback: person.fallback ?? null };
  }
  return { language: lang, fallbackLanguage: person.fallback ?? null, chatId: identity?.chatId ?? null, lookups };
}

/** The broadcast with its versions and its initiative's name (null: erased with its initiative). */
function broadcastLookup(db: Db, broadcastId: number): NonNullable<MessageLookups['broadcast']> | null {
  const b = getBroadcast(db, broadcastId);
  if (!b) return null;
  const ini = db.select({ name: initiatives.name }).from(initiatives).where(eq(initiatives.id, b.initiativeId)).get();
  return { id: b.id, status: b.status, versions: b.versions, initiativeName: ini?.name ?? '' };
}

/** Capped messages actually sent to a person since a moment (the worker's cap re-check). */
export function sentSince(db: Db, personId: number, since: Date): Date[] {
  const rows = db.$client
    .prepare("select sent_at from deliveries where person_id = ? and status = 'sent' and kind != 'notice' and sent_at > ?")
    .pluck()
    .all(personId, since.getTime()) as number[];
  return rows.map((ms) => new Date(ms));
}
