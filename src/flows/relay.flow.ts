/**
 * Parents' questions, relayed to an ambassador who speaks their language (issue 11, item 5).
 * The parent's side lives here; the staff side in relay-staff.flow.ts; free text that may
 * belong to a thread in relay-text.ts.
 *
 * States (flow `relay`):
 *   ask    (data: source, ref?)  the parent types a question (from the menu, /ask)
 *   offer  (data: text)          "shall I pass this to an ambassador?" about a text we did not understand
 *   phone  ()                    a call-back: the number to be called on, optional
 *   answer (data: threadId)      staff: the next text is the answer (relay-staff.flow.ts)
 * Choice values: `rl:pass`, `rl:no`, `rl:call`, `rl:nophone`, `rl:bc:<broadcast>`,
 * `rl:close:<thread>` (either side), and the staff buttons of relay-staff.flow.ts.
 * Typed texts are never put into replies to staff or logs by this flow: a question travels as a
 * thread message and is read when its notice is sent (src/db/relay.repo.ts).
 */
import type { Reply } from '../core/messages.js';
import { parsePhone } from '../domain/relay-routing.js';
import { cleanMessage } from '../domain/relay-parse.js';
import type { RelaySource } from '../domain/relay.types.js';
import type { Effect, FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, num, result, say, state, str } from './kit.js';
import { mainMenu } from './menu.flow.js';
import { handleStaffRelayChoice, sendAnswer, staffRelayPrompt } from './relay-staff.flow.js';

const back = () => [choice('menu:main', 'menu:back')];

/** /ask and "Stel een vraag": type a question (or ask to be called). */
export function beginRelay(lang: string, ctx: FlowContext, source: RelaySource = 'menu'): FlowResult {
  const initiative = ctx.person?.initiative;
  if (!initiative || !ctx.directory.relay) return mainMenu(lang, ctx, [say('relay:noInitiative')]);
  const st = state('relay', 'ask', lang, { source });
  return result(st, lang, relayPrompt(st, ctx));
}

/** Every `rl:` button; null when the value is not one (the router says "stale button"). */
export function handleRelayChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const [, what, arg] = value.split(':');
  switch (what) {
    case 'pass': {
      const text = prev?.flow === 'relay' && prev.step === 'offer' ? str(prev.data, 'text') : undefined;
      return text ? ask(lang, ctx, 'text', null, text) : null;
    }
    case 'no':
      return mainMenu(lang, ctx, [say('relay:notPassed')]);
    case 'call':
      return beginCallback(lang, ctx);
    case 'nophone':
      return prev?.flow === 'relay' && prev.step === 'phone' ? callback(lang, ctx, null) : null;
    case 'bc': {
      const id = Number(arg);
      return Number.isSafeInteger(id) && id > 0 ? ask(lang, ctx, 'broadcast', String(id), null) : null;
    }
    case 'close':
      return closeChoice(Number(arg), lang, ctx);
  }
  return handleStaffRelayChoice(value, prev, lang, ctx);
}

export function handleRelay(st: FlowState, input: FlowInput, ctx: FlowContext): FlowResult {
  const lang = langOf(st, ctx);
  if (input.kind !== 'text') return result(st, lang, [say('common:notUnderstood'), ...relayPrompt(st, ctx)]);
  switch (st.step) {
    case 'ask': {
      const source = str(st.data, 'source');
      return ask(lang, ctx, source === 'broadcast' || source === 'text' ? source : 'menu', str(st.data, 'ref') ?? null, input.text, st);
    }
    case 'offer':
      // A new text instead of an answer to "pass it on?": offer that one.
      return offerToPass(input.text, lang, ctx) ?? result(st, lang, relayPrompt(st, ctx));
    case 'phone': {
      const phone = parsePhone(input.text);
      return phone ? callback(lang, ctx, phone) : result(st, lang, [say('relay:phoneInvalid'), ...relayPrompt(st, ctx)]);
    }
    case 'answer': {
      const id = num(st.data, 'threadId');
      return id === undefined ? mainMenu(lang, ctx) : sendAnswer(id, input.text, lang, ctx);
    }
  }
  return mainMenu(lang, ctx);
}

export function relayPrompt(st: FlowState, ctx: FlowContext): Reply[] {
  const name = ctx.person?.initiative?.name ?? '';
  switch (st.step) {
    case 'ask':
      return [say('relay:askPrompt', { name }, [[choice('rl:call', 'relay:button.callMe')], back()])];
    case 'offer':
      return [say('relay:offer', undefined, [[choice('rl:pass', 'relay:button.pass')], [choice('rl:no', 'relay:button.dontPass')]])];
    case 'phone':
      return [say('relay:phoneAsk', undefined, [[choice('rl:nophone', 'relay:button.noPhone')], back()])];
    case 'answer':
      return staffRelayPrompt(st);
  }
  return [];
}

/** "Dat begrijp ik niet. Zal ik dit doorgeven aan een ambassadeur?"; null without an initiative. */
export function offerToPass(typed: string, lang: string, ctx: FlowContext): FlowResult | null {
  const text = cleanMessage(typed);
  if (!text || !ctx.person?.initiative || !ctx.directory.relay) return null;
  const st = state('relay', 'offer', lang, { text });
  return result(st, lang, [say('common:notUnderstood'), ...relayPrompt(st, ctx)]);
}

/** The parent asks: a thread is made (or their open one gets the text), and they hear who will answer. */
export function ask(lang: string, ctx: FlowContext, source: RelaySource, ref: string | null, typed: string | null, st?: FlowState): FlowResult {
  const person = ctx.person;
  const initiative = person?.initiative;
  if (!person || !initiative) return mainMenu(lang, ctx, [say('relay:noInitiative')]);
  const text = typed === null ? null : cleanMessage(typed);
  if (typed !== null && !text) return result(st ?? state('relay', 'ask', lang, { source }), lang, [say('relay:askEmpty')]);
  const open = ctx.directory.relay?.openThreadOf(person.id);
  const effect: Effect = { type: 'relay', command: { op: 'ask', initiativeId: initiative.id, kind: 'question', source, sourceRef: ref, text } };
  const joins = open && (source === 'menu' || source === 'text');
  const route = ctx.directory.helpRoute(initiative.id, person.id);
  const said = joins ? say('relay:added', { n: open.id }) : say(`relay:sent.${source === 'broadcast' ? 'broadcast' : 'question'}.${route}`, { name: initiative.name, contact: initiative.contact || '–' });
  return { ...result(null, lang, [{ ...said, choices: [back()] }]), effects: [effect] };
}

/** "Bel me": the number to be called on (optional), then a call-back task. */
export function beginCallback(lang: string, ctx: FlowContext): FlowResult {
  if (!ctx.person?.initiative) return mainMenu(lang, ctx, [say('relay:noInitiative')]);
  const st = state('relay', 'phone', lang);
  return result(st, lang, relayPrompt(st, ctx));
}

/** A call-back task; the number (optional) is kept for this one task only and shown only to who takes it. */
function callback(lang: string, ctx: FlowContext, phone: string | null): FlowResult {
  const person = ctx.person;
  const initiative = person?.initiative;
  if (!person || !initiative) return mainMenu(lang, ctx, [say('relay:noInitiative')]);
  const route = ctx.directory.helpRoute(initiative.id, person.id);
  const effect: Effect = { type: 'relay', command: { op: 'ask', initiativeId: initiative.id, kind: 'callback', source: 'callback', text: null, phone } };
  const said = say(`relay:callbackSent.${route}`, { name: initiative.name, contact: initiative.contact || '–' });
  return { ...result(null, lang, [{ ...said, choices: [back()] }, ...(phone ? [say('relay:phoneKept')] : [])]), effects: [effect] };
}

/** "Close": the parent closes their own thread; staff go through relay-staff.flow.ts. */
function closeChoice(id: number, lang: string, ctx: FlowContext): FlowResult | null {
  const t = Number.isSafeInteger(id) ? ctx.directory.relay?.thread(id) : null;
  if (!t || !ctx.person) return null;
  if (t.personId !== ctx.person.id) return handleStaffRelayChoice(`rl:sclose:${id}`, null, lang, ctx);
  if (t.status === 'closed') return mainMenu(lang, ctx, [say('relay:alreadyClosed', { n: id })]);
  return { ...mainMenu(lang, ctx, [say('relay:closedByYou', { n: id })]), effects: [{ type: 'relay', command: { op: 'close', threadId: id } }] };
}
