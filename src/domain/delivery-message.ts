/**
 * Turns a delivery's payload into a reply (i18n keys, parameters and answer buttons) at
 * send time, so the parent reads it in the language they have *then*, with the event's
 * title and place in that language. Button values are handled by src/flows/nurture.flow.ts.
 */
import type { Choice, Reply, TextParam } from '../core/messages.js';
import type { DeliveryPayload } from './nurture.types.js';
import type { ButtonSet } from './reminder-rules.js';

export interface MessageLookups {
  initiative: { name: string; school: string } | null;
  event: { title: string; place: string; startsAt: Date; timeZone: string } | null;
  /** The newsletter's text in the reader's language (or Dutch). */
  newsletterText: string | null;
  /** The parent a notice is about (a help request): the name they gave and their language. */
  about?: { name: string | null; language: string } | null;
}

const button = (value: string, key: string): Choice => ({ value, label: { key: `nurture:button.${key}` } });

export function buttonsFor(set: ButtonSet | null, payload: DeliveryPayload): Choice[][] {
  const child = payload.childId ?? 0;
  switch (set) {
    case 'registration':
      return [[button(`reg:${child}:done`, 'registered')], [button(`reg:${child}:help`, 'help')]];
    case 'rsvp':
      return [[button(`ev:${payload.eventId ?? 0}:yes`, 'yes'), button(`ev:${payload.eventId ?? 0}:maybe`, 'maybe'), button(`ev:${payload.eventId ?? 0}:no`, 'no')]];
    case 'born':
      return [[button(`born:${child}:yes`, 'born'), button(`born:${child}:no`, 'notYet')]];
    case 'keepInTouch':
      return [[button('kit:yes', 'keepInTouch')], [button('kit:no', 'noThanks')]];
    case 'placement':
      return [[button(`pl:${child}:yes`, 'placed'), button(`pl:${child}:no`, 'notPlaced')], [button(`pl:${child}:unknown`, 'dontKnow')]];
    case 'newsletter':
      return [[button('nlc:yes', 'newsletterYes'), button('nlc:no', 'noThanks')]];
    case null:
      return [];
  }
}

export function deliveryReply(payload: DeliveryPayload, look: MessageLookups): Reply {
  const params: Record<string, TextParam> = { ...payload.params };
  if (look.initiative) Object.assign(params, { school: look.initiative.school, name: look.initiative.name });
  if (look.event) {
    Object.assign(params, { title: look.event.title, place: look.event.place, when: { dateTime: look.event.startsAt.toISOString(), timeZone: look.event.timeZone } });
  }
  if (payload.newsletterSlot !== undefined) params.text = look.newsletterText ?? '';
  if (look.about) Object.assign(params, { parent: look.about.name ?? '–', parentLanguage: { key: 'meta:endonym', lng: look.about.language } });
  const reply: Reply = { text: { key: payload.key, params } };
  const choices = buttonsFor(payload.buttons, payload);
  if (choices.length) reply.choices = choices;
  return reply;
}
