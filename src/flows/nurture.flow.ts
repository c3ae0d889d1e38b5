/**
 * Answers to the buttons under reminders. They arrive whenever the parent taps them (days
 * later, in the middle of another conversation), so each is handled on its own and leaves
 * the conversation where it was. No states of its own.
 *
 * Choice values: `reg:<child>:done|help`, `ev:<event>:yes|maybe|no`, `born:<child>:yes|no`,
 * `kit:yes|no` (keep in touch), `pl:<child>:yes|no|unknown` (placement), `nlc:yes|no` (newsletter),
 * `ret:keep` (keep the data under the retention notice).
 */
import type { Attachment, Reply } from '../core/messages.js';
import { eventIcs } from '../domain/event-ics.js';
import { decideRsvp } from '../domain/rsvp.js';
import type { Effect, FlowContext, FlowResult, FlowState, PersonView, RsvpAnswer } from './flow.types.js';
import { result, say, state } from './kit.js';

const PATTERN = /^(reg|ev|born|kit|pl|nlc|ret):(?:(\d{1,9}):)?([a-z]+)$/;

export const isNurtureChoice = (value: string): boolean => PATTERN.test(value);

export function handleNurtureChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const m = PATTERN.exec(value);
  const person = ctx.person;
  if (!m || !person) return null;
  const [, kind, idText, answer] = m as unknown as [string, string, string | undefined, string];
  const id = idText ? Number(idText) : 0;
  const keep = prev ?? state('menu', 'main', lang);
  const reply = (replies: Reply[], effects: Effect[] = []) => result(keep, lang, replies, effects);
  const ownChild = person.children.find((c) => c.id === id);

  switch (kind) {
    case 'reg':
      if (!ownChild) return reply([say('common:staleButton')]);
      if (answer === 'done') return reply([say('nurture:reply.registered')], [{ type: 'registered', childId: id }]);
      if (answer === 'help') {
        if (!person.initiative) return reply([say('nurture:reply.helpNoInitiative')]);
        // Say only what will happen: an ambassador, the coordinator, or nobody yet (src/db/help-route.repo.ts).
        const route = ctx.directory.helpRoute(person.initiative.id, person.id);
        return reply([say(`help:reply.${route}`, { name: person.initiative.name })], [{ type: 'helpRequest', childId: id }]);
      }
      return null;
    case 'born':
      if (!ownChild) return reply([say('common:staleButton')]);
      if (answer === 'yes') {
        if (!ownChild.expected) return reply([say('nurture:reply.bornAlready')]);
        return reply([say('nurture:reply.bornThanks')], [{ type: 'updateChild', childId: id, year: ownChild.year, month: ownChild.month, expected: false }]);
      }
      return answer === 'no' ? reply([say('nurture:reply.notYet')]) : null;
    case 'pl':
      if (!ownChild) return reply([say('common:staleButton')]);
      if (answer !== 'yes' && answer !== 'no' && answer !== 'unknown') return null;
      return reply([say(`nurture:reply.placement.${answer}`)], [{ type: 'placement', childId: id, answer }]);
    case 'kit':
      return consent(person, 'reminders', answer, reply);
    case 'nlc':
      return consent(person, 'newsletter', answer, reply);
    case 'ret':
      // Under the retention notice: keep the data (e.g. for a younger sibling); the clock starts again.
      return answer === 'keep' ? reply([say('nurture:reply.stayInTouch')], [{ type: 'keepData' }]) : null;
    case 'ev':
      if (answer !== 'yes' && answer !== 'no' && answer !== 'maybe') return null;
      return rsvp(id, answer, person, lang, ctx, reply);
  }
  return null;
}

type ReplyFn = (replies: Reply[], effects?: Effect[]) => FlowResult;

function consent(person: PersonView, kind: 'reminders' | 'newsletter', answer: string, reply: ReplyFn): FlowResult | null {
  if (answer !== 'yes' && answer !== 'no') return null;
  const enabled = answer === 'yes';
  const effects: Effect[] = person[kind] === enabled ? [] : [{ type: 'consentKind', kind, enabled }];
  return reply([say(`nurture:reply.${kind}.${answer}`)], effects);
}

function rsvp(eventId: number, answer: RsvpAnswer, person: PersonView, lang: string, ctx: FlowContext, reply: ReplyFn): FlowResult {
  const ev = ctx.directory.eventFor(eventId, person.id);
  if (!ev || ev.cancelled || ev.initiativeId !== person.initiative?.id) return reply([say('nurture:reply.eventGone')]);
  if (ev.startsAt <= ctx.now) return reply([say('nurture:reply.eventPast')]);
  const title = ev.titles[lang] ?? ev.titles.nl ?? '';
  const place = ev.places[lang] ?? ev.places.nl ?? '';
  const params = { title, place, when: { dateTime: ev.startsAt.toISOString(), timeZone: ev.timeZone } };
  const effects: Effect[] = [{ type: 'rsvp', eventId, answer }];
  if (answer !== 'yes') return reply([say(`nurture:reply.rsvp.${answer}`, params)], effects);
  const status = decideRsvp({ capacity: ev.capacity, goingOthers: ev.goingOthers }, 'yes');
  if (status === 'waiting') return reply([say('nurture:reply.rsvp.waiting', params)], effects);
  const attachment: Attachment = {
    filename: `ouderbrug-${eventId}.ics`,
    mimeType: 'text/calendar',
    content: eventIcs({ id: ev.id, title, place, startsAt: ev.startsAt, endsAt: ev.endsAt, now: ctx.now }),
  };
  return reply([say('nurture:reply.rsvp.yes', params), { text: { key: 'nurture:reply.rsvp.calendar' }, attachment }], effects);
}
