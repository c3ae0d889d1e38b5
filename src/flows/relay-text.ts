/**
 * Typed text that belongs to the relay although no relay step asked for it:
 *   - from anywhere but onboarding: a Telegram reply to one of our relay notices, and
 *     "ANSWER 12 …" (also ANTWOORD and the word in each language) from staff;
 *   - where no flow expects text (no state, the menu): "help" right after a broadcast the parent
 *     got in another language, "bel me", the parent's open thread (their text goes to it), a
 *     hint for staff with questions in hand, or "shall I pass this on?" for a real question.
 * Each returns null when it does not apply, so the router answers as before.
 */
import { HELP_AFTER_BROADCAST_MS } from '../domain/relay-routing.js';
import { cleanMessage, isCallRequest, isHelpWord, looksLikeQuestion, parseAnswerCommand } from '../domain/relay-parse.js';
import type { ThreadView } from '../domain/relay.types.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, result, say } from './kit.js';
import { ask, beginCallback, offerToPass } from './relay.flow.js';
import { answerable } from './relay-items.js';
import { handleStaffRelayChoice, sendAnswer } from './relay-staff.flow.js';
import { relayButton } from '../domain/relay-notice.js';

export function relayInterject(input: FlowInput, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const reads = ctx.directory.relay;
  if (input.kind !== 'text' || !ctx.person || !reads || prev?.flow === 'onboarding') return null;
  if (input.replyTo) {
    const id = reads.threadOfMessage(ctx.person.id, input.replyTo);
    const t = id === null ? null : reads.thread(id);
    if (t) return t.personId === ctx.person.id ? parentWrites(t, input.text, lang, ctx) : sendAnswer(t.id, input.text, lang, ctx);
  }
  // A message version being typed is never read as a command.
  if (prev?.flow === 'broadcast' || prev?.flow === 'nudge') return null;
  const cmd = parseAnswerCommand(input.text);
  if (!cmd || !answerable(ctx).length) return null;
  return cmd.text ? sendAnswer(cmd.threadId, cmd.text, lang, ctx) : handleStaffRelayChoice(relayButton.reply(cmd.threadId), prev, lang, ctx);
}

export function relayFreeText(input: FlowInput, lang: string, ctx: FlowContext): FlowResult | null {
  const reads = ctx.directory.relay;
  const person = ctx.person;
  if (input.kind !== 'text' || !person || !reads) return null;
  if (isHelpWord(input.text)) return relayHelpWord(lang, ctx);
  if (isCallRequest(input.text) && person.initiative) return beginCallback(lang, ctx);
  // Their open question; else a call-back someone took (no number given: staff write here, the parent answers here).
  const callback = reads.openThreadOf(person.id, 'callback');
  const open = reads.openThreadOf(person.id) ?? (callback?.claimedBy != null ? callback : null);
  if (open) return parentWrites(open, input.text, lang, ctx);
  const ids = answerable(ctx);
  const mine = ids.length ? reads.staffLines(person.id, ids, 'question').filter((l) => l.mine) : [];
  if (mine.length) {
    const buttons = mine.slice(0, 5).map((l) => [choice(relayButton.reply(l.id), 'relay:button.replyN', { n: l.id })]);
    return result(null, lang, [say('relay:staffHint', undefined, [...buttons, [choice('menu:main', 'menu:back')]])]);
  }
  return looksLikeQuestion(input.text) ? offerToPass(input.text, lang, ctx) : null;
}

/** "help" (/help, HULP, YARDIM…) right after a broadcast in another language: ask an ambassador to explain it. */
export function relayHelpWord(lang: string, ctx: FlowContext): FlowResult | null {
  const person = ctx.person;
  const reads = ctx.directory.relay;
  if (!person?.initiative || !reads) return null;
  const id = reads.fallbackBroadcast(person.id, new Date(ctx.now.getTime() - HELP_AFTER_BROADCAST_MS));
  return id === null ? null : ask(lang, ctx, 'broadcast', String(id), null);
}

/** The parent writes in their thread: relayed to whoever answers it (a closed thread: offered as a new question). */
function parentWrites(t: ThreadView, typed: string, lang: string, ctx: FlowContext): FlowResult | null {
  const text = cleanMessage(typed);
  if (!text) return null;
  if (t.status === 'closed') return offerToPass(text, lang, ctx);
  const key = t.claimedBy === null ? 'relay:added' : 'relay:passedOn';
  return { ...result(null, lang, [say(key, { n: t.id }, [[choice(relayButton.close(t.id), 'relay:button.closeMine')], [choice('menu:main', 'menu:back')]])]), effects: [{ type: 'relay', command: { op: 'parentMessage', threadId: t.id, text } }] };
}
