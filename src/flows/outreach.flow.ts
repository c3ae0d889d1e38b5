/**
 * Answers to the outreach ladder's one-tap questions (src/domain/outreach-ladder.ts; the buttons
 * are src/domain/outreach-message.ts). Like the buttons under reminders, they arrive whenever the
 * parent taps them, so each is handled on its own and leaves the conversation where it was. The
 * tap itself is what counts: every turn records an own action, so the parent is active again
 * and the ladder stops. "No, thank you" is such a reaction too, never "no contact".
 *
 * Choice values: `or:play`, `or:visit`, `or:notyet`, `or:ok`, `or:start`, `or:help`, `or:no`.
 */
import type { Reply } from '../core/messages.js';
import { eventsList, fitsAgeBand, registrationAnswer } from './answers.flow.js';
import type { Effect, FlowContext, FlowResult, FlowState } from './flow.types.js';
import { choice, result, say, state } from './kit.js';
import { mainMenu } from './menu.flow.js';

export function handleOutreachChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const person = ctx.person;
  if (!person) return null;
  const keep = prev ?? state('menu', 'main', lang);
  const reply = (replies: Reply[], effects: Effect[] = []) => result(keep, lang, replies, effects);
  const initiative = person.initiative;
  switch (value) {
    case 'or:play':
      // The next play morning: the events that fit the children now, with their RSVP buttons; else an invitation follows.
      return initiative && hasEvents(ctx) ? withIntro(eventsList(lang, ctx)) : reply([say('outreach:reply.playLater')]);
    case 'or:visit':
      if (initiative && hasEvents(ctx)) return withIntro(eventsList(lang, ctx));
      return askAmbassador('visit', lang, ctx, reply);
    case 'or:notyet':
      // When registration opens and the deadline of each child, by the initiative's city rule.
      return registrationAnswer(lang, ctx);
    case 'or:ok':
      return reply([say('outreach:reply.knows')]);
    case 'or:start':
      return reply([say('outreach:reply.startInfo', undefined, [[choice('or:help', 'outreach:button.help')]])]);
    case 'or:help':
      return askAmbassador('help', lang, ctx, reply);
    case 'or:no':
      return reply([say('outreach:reply.noThanks')]);
  }
  return null;
}

const hasEvents = (ctx: FlowContext): boolean => {
  const initiative = ctx.person?.initiative;
  const kids = ctx.person?.children ?? [];
  return initiative !== null && initiative !== undefined && ctx.directory.upcomingEvents(initiative.id, ctx.now).some((ev) => fitsAgeBand(kids, ev));
};

/** "Fijn!" before the list of events (the list itself is the events answer of the menu). */
function withIntro(list: FlowResult): FlowResult {
  return { ...list, replies: [say('outreach:reply.glad'), ...list.replies] };
}

/**
 * "I'd like help" / "I'd like to see the school": a relayed question (source 'ladder'), and the
 * parent hears who will write to them (an ambassador, the coordinator, or nobody yet, with the contact).
 */
function askAmbassador(what: 'help' | 'visit', lang: string, ctx: FlowContext, reply: (replies: Reply[], effects?: Effect[]) => FlowResult): FlowResult {
  const person = ctx.person;
  const initiative = person?.initiative;
  if (!person || !initiative) return mainMenu(lang, ctx, [say('relay:noInitiative')]);
  const route = ctx.directory.helpRoute(initiative.id, person.id);
  const effect: Effect = { type: 'relay', command: { op: 'ask', initiativeId: initiative.id, kind: 'question', source: 'ladder', sourceRef: what, text: null } };
  return reply([say(`outreach:reply.${what}.${route}`, { name: initiative.name, contact: initiative.contact || '–' })], [effect]);
}
