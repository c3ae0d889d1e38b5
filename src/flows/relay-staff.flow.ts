/**
 * The staff side of the relay: "Vragen van ouders (n)" and "Terugbelverzoeken (n)" in the staff
 * menu, a thread's card, "I'll answer", answering, closing and a call-back's outcome. Every
 * action asks src/domain/authorization.ts ('relay.answer' on the thread's initiative); the
 * database checks again when it applies the command. Replies that show what a parent wrote (or
 * a call-back number) are marked secret: their outbox row is deleted once sent, so the staff
 * member's side keeps nothing about the parent.
 *
 * Choice values: `rl:list`, `rl:tasks`, `rl:show:<id>`, `rl:claim:<id>`, `rl:re:<id>`,
 * `rl:sclose:<id>`, `rl:out:<id>:<outcome>`.
 */
import type { Choice, Reply, Text, TextParam } from '../core/messages.js';
import { may } from '../domain/authorization.js';
import { cardParams, relayButton } from '../domain/relay-notice.js';
import { cleanMessage } from '../domain/relay-parse.js';
import { CALLBACK_OUTCOMES, type CallbackOutcome, type RelayKind, type ThreadLine, type ThreadView } from '../domain/relay.types.js';

/** The outreach ladder's call-back task (no number: the staff member writes through the bot). */
const isLadderTask = (t: Pick<ThreadView, 'source' | 'kind'>): boolean => t.source === 'ladder' && t.kind === 'callback';
import type { FlowContext, FlowResult, FlowState } from './flow.types.js';
import { choice, result, say, state } from './kit.js';
import { mainMenu } from './menu.flow.js';
import { answerable } from './relay-items.js';
import { membershipsOf, refuseStaff, staffMenu } from './staff.flow.js';

/** At most this many threads in one list (the oldest first; the rest waits for the next look). */
const LIST_MAX = 8;

const secret = (r: Reply): Reply => ({ ...r, secret: true });
const toStaffMenu = (): Choice[] => [choice('staff:menu', 'staff:back')];

export function handleStaffRelayChoice(value: string, _prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const [, what, arg, extra] = value.split(':');
  const id = Number(arg);
  if (what === 'list' || what === 'tasks') return list(what === 'list' ? 'question' : 'callback', lang, ctx);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const t = ctx.directory.relay?.thread(id);
  if (!t || !ctx.person) return mainMenu(lang, ctx, [say('relay:gone')]);
  if (!may(membershipsOf(ctx), 'relay.answer', t.initiativeId) || t.personId === ctx.person.id) return refuseStaff(lang, ctx);
  switch (what) {
    case 'show':
      return show(t, lang, ctx);
    case 'claim':
      return claim(t, lang, ctx);
    case 're':
      return beginAnswer(t, lang, ctx);
    case 'sclose':
      return close(t, lang, ctx);
    case 'out':
      return (CALLBACK_OUTCOMES as readonly string[]).includes(extra ?? '') ? outcome(t, extra as CallbackOutcome, lang, ctx) : null;
  }
  return null;
}

/** Someone else holds it, or it is closed: the polite reason; null when this person may write in it. */
function notYours(t: ThreadView, lang: string, ctx: FlowContext): FlowResult | null {
  if (t.status === 'closed') return staffMenu(lang, ctx, [say('relay:alreadyClosed', { n: t.id })]);
  if (t.claimedBy !== null && t.claimedBy !== ctx.person?.id) return staffMenu(lang, ctx, [say('relay:takenByOther', { n: t.id })]);
  return null;
}

function card(t: ThreadView, ctx: FlowContext, key = 'relay:card', choices?: Choice[][]): Reply | null {
  const c = ctx.person ? ctx.directory.relay?.staffCard(t.id, ctx.person.id, ctx.now) : null;
  return c ? secret(say(key, cardParams(c), choices)) : null;
}

function show(t: ThreadView, lang: string, ctx: FlowContext): FlowResult {
  const stop = notYours(t, lang, ctx);
  if (stop) return stop;
  const me = ctx.person?.id;
  const c = me !== undefined ? ctx.directory.relay?.staffCard(t.id, me, ctx.now) : null;
  if (!c) return staffMenu(lang, ctx, [say('relay:gone')]);
  const replies: Reply[] = [secret(say(t.kind === 'callback' ? 'relay:cardCall' : 'relay:card', cardParams(c)))];
  if (t.claimedBy !== me) replies.push(say('relay:claimAsk', { n: t.id }, [[choice(relayButton.claim(t.id), isLadderTask(t) ? 'outreach:button.claim' : t.kind === 'callback' ? 'relay:button.claimCall' : 'relay:button.claim')], toStaffMenu()]));
  else if (t.kind === 'callback') {
    // The ladder's task has no number: the staff member writes through the bot.
    replies.push(isLadderTask(t) ? say('outreach:how') : secret(say(c.phone ? 'relay:callPhone' : 'relay:callNoPhone', { phone: c.phone ?? '' })));
    replies.push(say('relay:outcomeAsk', { n: t.id }, outcomeButtons(t.id)));
  } else replies.push(say('relay:mineAsk', { n: t.id }, [[choice(relayButton.reply(t.id), 'relay:button.reply'), choice(relayButton.close(t.id), 'relay:button.close')], toStaffMenu()]));
  return result(state('staff', 'menu', lang), lang, replies);
}

function outcomeButtons(id: number): Choice[][] {
  return [
    [choice(relayButton.outcome(id, 'reached'), 'relay:outcome.reached'), choice(relayButton.outcome(id, 'noAnswer'), 'relay:outcome.noAnswer')],
    [choice(relayButton.outcome(id, 'wrongNumber'), 'relay:outcome.wrongNumber'), choice(relayButton.outcome(id, 'declined'), 'relay:outcome.declined')],
    [choice(relayButton.reply(id), 'relay:button.message')],
  ];
}

function claim(t: ThreadView, lang: string, ctx: FlowContext): FlowResult {
  const stop = notYours(t, lang, ctx);
  if (stop) return stop;
  const effects = [{ type: 'relay' as const, command: { op: 'claim' as const, threadId: t.id } }];
  if (isLadderTask(t)) {
    // No number: the first step is a message through the bot; the outcome is recorded from the task.
    const next = [[choice(relayButton.reply(t.id), 'relay:button.message')], [choice(relayButton.show(t.id), 'outreach:button.task')], toStaffMenu()];
    return { ...result(state('staff', 'menu', lang), lang, [say('outreach:claimed', { n: t.id }, next)]), effects };
  }
  if (t.kind === 'callback') {
    // The number is shown by "Show the task", read after this claim is committed (never to someone who lost the race).
    return { ...result(state('staff', 'menu', lang), lang, [say('relay:callClaimed', { n: t.id }, [[choice(relayButton.show(t.id), 'relay:button.showTask')], toStaffMenu()])]), effects };
  }
  const shown = card(t, ctx);
  const st = state('relay', 'answer', lang, { threadId: t.id });
  return { ...result(st, lang, [...(shown ? [shown] : []), ...staffRelayPrompt(st)]), effects };
}

function beginAnswer(t: ThreadView, lang: string, ctx: FlowContext): FlowResult {
  const stop = notYours(t, lang, ctx);
  if (stop) return stop;
  const st = state('relay', 'answer', lang, { threadId: t.id });
  const effects = t.claimedBy === null ? [{ type: 'relay' as const, command: { op: 'claim' as const, threadId: t.id } }] : [];
  return { ...result(st, lang, staffRelayPrompt(st)), effects };
}

export function staffRelayPrompt(st: FlowState): Reply[] {
  const n = typeof st.data.threadId === 'number' ? st.data.threadId : 0;
  return [say('relay:typeAnswer', { n }, [toStaffMenu()])];
}

/** The staff member's text goes to the parent (from the answer step, "ANSWER n …" or a Telegram reply). */
export function sendAnswer(threadId: number, typed: string, lang: string, ctx: FlowContext): FlowResult {
  const t = ctx.directory.relay?.thread(threadId);
  if (!t || !ctx.person) return mainMenu(lang, ctx, [say('relay:gone')]);
  if (!may(membershipsOf(ctx), 'relay.answer', t.initiativeId) || t.personId === ctx.person.id) return refuseStaff(lang, ctx);
  const stop = notYours(t, lang, ctx);
  if (stop) return stop;
  const text = cleanMessage(typed);
  if (!text) {
    const st = state('relay', 'answer', lang, { threadId });
    return result(st, lang, staffRelayPrompt(st));
  }
  const next = [[choice(relayButton.reply(threadId), 'relay:button.more'), choice(relayButton.close(threadId), 'relay:button.close')], toStaffMenu()];
  return { ...result(null, lang, [say('relay:answerSent', { n: threadId }, next)]), effects: [{ type: 'relay', command: { op: 'answer', threadId, text } }] };
}

function close(t: ThreadView, lang: string, ctx: FlowContext): FlowResult {
  const stop = notYours(t, lang, ctx);
  if (stop) return stop;
  const coordinator = membershipsOf(ctx).some((m) => m.initiativeId === t.initiativeId && m.role === 'coordinator');
  if (t.claimedBy !== ctx.person?.id && !coordinator) return staffMenu(lang, ctx, [say('relay:claimFirst', { n: t.id })]);
  return { ...staffMenu(lang, ctx, [say('relay:closedByYou', { n: t.id })]), effects: [{ type: 'relay', command: { op: 'close', threadId: t.id } }] };
}

function outcome(t: ThreadView, o: CallbackOutcome, lang: string, ctx: FlowContext): FlowResult {
  if (t.kind !== 'callback') return staffMenu(lang, ctx, [say('relay:gone')]);
  const stop = notYours(t, lang, ctx);
  if (stop) return stop;
  if (t.claimedBy !== ctx.person?.id) return staffMenu(lang, ctx, [say('relay:claimFirst', { n: t.id })]);
  // The ladder's task never had a number, so its confirmation does not say one was deleted.
  const key = isLadderTask(t) ? (o === 'declined' ? 'outreach:outcomeDeclined' : 'outreach:outcomeSaved') : o === 'declined' ? 'relay:outcomeDeclined' : 'relay:outcomeSaved';
  return { ...staffMenu(lang, ctx, [say(key, { n: t.id, outcome: { key: `relay:outcome.${o}` } })]), effects: [{ type: 'relay', command: { op: 'outcome', threadId: t.id, outcome: o } }] };
}

/** "Vragen van ouders": open questions by number (oldest first) with a claim button each, and the person's own. */
function list(kind: RelayKind, lang: string, ctx: FlowContext): FlowResult {
  const ids = answerable(ctx);
  const reads = ctx.directory.relay;
  if (!ids.length || !reads || !ctx.person) return refuseStaff(lang, ctx);
  const lines = reads.staffLines(ctx.person.id, ids, kind);
  if (!lines.length) return staffMenu(lang, ctx, [say(kind === 'question' ? 'relay:listEmpty' : 'relay:tasksEmpty')]);
  const shown = lines.slice(0, LIST_MAX);
  const buttons: Choice[][] = shown.map((l) =>
    l.mine ? [choice(relayButton.show(l.id), 'relay:button.open', { n: l.id })] : [choice(relayButton.show(l.id), 'relay:button.look', { n: l.id }), choice(relayButton.claim(l.id), 'relay:button.claimN', { n: l.id })],
  );
  const text: Record<string, TextParam> = { count: lines.length, lines: joinLines(shown.map(lineText)) };
  const more = lines.length > shown.length ? [say('relay:listMore', { count: lines.length - shown.length })] : [];
  // The list names parents' languages by thread: not kept once sent, like the cards.
  return result(state('staff', 'menu', lang), lang, [secret(say(kind === 'question' ? 'relay:list' : 'relay:tasks', text)), ...more, say('relay:listPick', undefined, [...buttons, toStaffMenu()])]);
}

function lineText(l: ThreadLine): Text {
  return { key: l.mine ? 'relay:lineMine' : 'relay:line', params: { n: l.id, parentLanguage: { key: 'meta:endonym', lng: l.language }, since: { day: l.createdAt.toISOString().slice(0, 10) } } };
}

function joinLines(lines: Text[]): TextParam {
  let out: TextParam = lines[lines.length - 1] ?? '';
  for (let i = lines.length - 2; i >= 0; i--) out = { key: 'relay:lineJoin', params: { first: lines[i] as Text, rest: out } };
  return out;
}
