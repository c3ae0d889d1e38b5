/**
 * What the delivery worker needs to render and address one delivery at send time: the
 * person's language *now*, the chat on the delivery's channel, the initiative's school,
 * the event's title and place in that language, the newsletter's text.
 */
import type { ChannelName } from '../core/messages.js';
import type { MessageLookups } from '../domain/delivery-message.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import type { Db } from './client.js';
import { broadcastForSend } from './broadcasts.repo.js';
import { outreachVoiceOf } from './outreach.repo.js';
import { relayNoticeView } from './relay.repo.js';
import { cached } from './statements.js';

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
  // Once per message the worker sends: statements kept per connection (src/db/statements.ts).
  const person = cached(db, 'select language, fallback_language from people where id = ?').get(personId) as { language: string; fallback_language: 'en' | null } | undefined;
  if (!person) return null;
  const lang = person.language;
  const identity = cached(db, 'select chat_id from identities where person_id = ? and channel = ? and unreachable_at is null').get(personId, channel) as { chat_id: string } | undefined;
  const ini = cached(
    db,
    "select i.id, i.name, i.school, i.time_zone from memberships m join initiatives i on i.id = m.initiative_id where m.person_id = ? and m.role = 'parent' order by m.id limit 1",
  ).get(personId) as { id: number; name: string; school: string; time_zone: string } | undefined;
  const timeZone = ini?.time_zone ?? defaultTimeZone;
  const lookups: MessageLookups = { initiative: ini ? { name: ini.name, school: ini.school } : null, event: null, newsletterText: null, timeZone };
  if (payload.eventId !== undefined) {
    const ev = cached(db, 'select titles, places, starts_at from events where id = ?').get(payload.eventId) as { titles: string; places: string; starts_at: number } | undefined;
    if (ev) lookups.event = { title: inLanguage(JSON.parse(ev.titles), lang), place: inLanguage(JSON.parse(ev.places), lang), startsAt: new Date(ev.starts_at), timeZone };
  }
  if (payload.newsletterSlot !== undefined && payload.initiativeId !== undefined) {
    const nl = cached(db, 'select texts from newsletters where initiative_id = ? and issued_for = ?').get(payload.initiativeId, payload.newsletterSlot) as { texts: string } | undefined;
    lookups.newsletterText = nl ? inLanguage(JSON.parse(nl.texts), lang) : null;
  }
  if (payload.aboutPersonId !== undefined) {
    const about = cached(db, 'select display_name as name, language from people where id = ?').get(payload.aboutPersonId) as { name: string | null; language: string } | undefined;
    lookups.about = about ?? null;
  }
  // A relay notice is read from its thread now (null: the thread is gone, or an offer was taken meanwhile).
  if (payload.threadId !== undefined) lookups.relay = relayNoticeView(db, payload, personId, now);
  // The outreach ladder's step 2 goes as the initiative's voice note in the reader's language of now, where it has one.
  if (payload.outreachVoice && ini) lookups.voice = outreachVoiceOf(db, ini.id, lang);
  // A broadcast's copy (or its approval request) is rendered from the broadcast as it is now.
  if (payload.broadcastId !== undefined) {
    const b = broadcastForSend(db, payload.broadcastId);
    lookups.broadcast = b ? { id: b.id, status: b.status, versions: b.versions, initiativeName: b.initiativeName } : null;
    lookups.reader = { language: lang, fallback: person.fallback_language ?? null };
  }
  return { language: lang, fallbackLanguage: person.fallback_language ?? null, chatId: identity?.chat_id ?? null, lookups };
}

/** Capped messages actually sent to a person since a moment (the worker's cap re-check). */
export function sentSince(db: Db, personId: number, since: Date): Date[] {
  const rows = cached(db, "select sent_at from deliveries where person_id = ? and status = 'sent' and kind != 'notice' and sent_at > ?")
    .pluck()
    .all(personId, since.getTime()) as number[];
  return rows.map((ms) => new Date(ms));
}
