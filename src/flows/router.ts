/**
 * The top of every conversation: commands and menu buttons work from anywhere; everything
 * else goes to the flow the parent is in. Pure: (stored state, input, ctx) → result.
 * A state from an older version of the bot is replaced kindly, never crashes a turn.
 */
import { mediaLimitMb, mediaTooLarge } from '../core/media.js';
import type { Reply } from '../core/messages.js';
import { childPrompt, isChildStep } from './child-entry.js';
import { beginChildren, handleChildren } from './children.flow.js';
import { FLOW_STATE_VERSION, type FlowContext, type FlowInput, type FlowResult, type FlowState, type PersonView } from './flow.types.js';
import { choice, langOf, result, say, state } from './kit.js';
import { beginLanguage, handleLanguage, isFlowState, languageChoices, suggestedLanguage } from './language.flow.js';
import { issueLinkCode, redeemLinkCode } from './link.flow.js';
import { handleMenuChoice, mainMenu } from './menu.flow.js';
import { handleMessagesChoice, messageSettings } from './messages.flow.js';
import { handleNurtureChoice, isNurtureChoice } from './nurture.flow.js';
import { handleOutreachChoice } from './outreach.flow.js';
import { beginOnboarding, handleOnboarding, onboardingPrompt, PRIVACY_NOTICE_VERSION } from './onboarding.flow.js';
import { askDelete, handlePrivacy, myData, resumeMessages, stopMessages } from './privacy.flow.js';
import { INVITE_START, inviteCommand } from './invite.flow.js';
import { handleStaffChoice } from './staff-choice.flow.js';
import { handleStaff, staffMenu, staffPrompt } from './staff.flow.js';
import { beginBroadcast, broadcastPrompt, handleBroadcast, handleBroadcastChoice } from './broadcast.flow.js';
import { beginNudge, handleNudge, handleNudgeChoice, nudgePrompt } from './nudge.flow.js';
import { beginRelay, handleRelay, handleRelayChoice, relayPrompt } from './relay.flow.js';
import { relayFreeText, relayHelpWord, relayInterject } from './relay-text.js';
import { beginStats, handleStatsChoice, isStatsChoice } from './stats.flow.js';

export function step(stored: unknown, input: FlowInput, ctx: FlowContext): FlowResult {
  return withChangedNotice(route(stored, input, ctx), input, ctx);
}

/** The "Goed" under a changed privacy notice: an acknowledgement only (it was recorded when shown). */
export const NOTICE_OK = 'notice:ok';

/**
 * A parent who consented to an older privacy notice sees the new one once, before the answer
 * to their next message (any message). The purpose did not change, only what the notice tells
 * (retention): informing is the duty (AVG art. 12-13), asking consent again is not. So showing
 * it is what is recorded (a consent_log row with the new version), also when "Goed" is never
 * pressed; /delete stays available and the notice says so. Not on /delete itself or an erasure.
 */
function withChangedNotice(res: FlowResult, input: FlowInput, ctx: FlowContext): FlowResult {
  const seen = ctx.person?.consentVersion;
  if (!seen || seen >= PRIVACY_NOTICE_VERSION) return res;
  if (input.kind === 'command' && input.command === 'delete') return res;
  if (res.effects.some((e) => e.type === 'erase' || e.type === 'consent' || e.type === 'linkChat' || e.type === 'noticeSeen')) return res;
  const notice = say('privacy:noticeChanged', undefined, [[choice(NOTICE_OK, 'privacy:noticeOk')]]);
  return { ...res, replies: [notice, ...res.replies], effects: [...res.effects, { type: 'noticeSeen', noticeVersion: PRIVACY_NOTICE_VERSION }] };
}

/** Flows that accept a voice note, photo or file (a broadcast version); elsewhere media is answered like anything we cannot read. */
const MEDIA_FLOWS: ReadonlySet<string> = new Set(['broadcast', 'nudge']);

function route(stored: unknown, rawInput: FlowInput, ctx: FlowContext): FlowResult {
  const prev = isFlowState(stored) && stored.v === FLOW_STATE_VERSION ? stored : null;
  const input: FlowInput =
    rawInput.kind === 'media' && !(prev && MEDIA_FLOWS.has(prev.flow)) ? { kind: 'unsupported', what: rawInput.media.type === 'document' ? 'file' : rawInput.media.type } : rawInput;
  const lang = langOf(prev, ctx);
  // A file over our limit (the messenger announced its size) is refused kindly; the step stays.
  if (input.kind === 'media' && prev && mediaTooLarge(input.media)) return result(prev, lang, [say('media:tooLarge', { max: mediaLimitMb(input.media.type) }), ...reprompt(prev, ctx)]);
  if (stored != null && !prev) {
    // Stored by an older version: start again gently rather than misreading it.
    if (!ctx.person) return beginOnboarding('', ctx);
    return mainMenu(lang, ctx, [say('common:botUpdated')]);
  }
  if (input.kind === 'command') return command(input.command, input.args, prev, ctx);
  if (ctx.person && input.kind === 'choice') {
    const global = globalChoice(input.value, prev, lang, ctx);
    if (global) return global;
  }
  // A Telegram reply to a relayed question or answer, or "ANSWER 12 …" from staff (relay-text.ts).
  const relayed = relayInterject(input, prev, lang, ctx);
  if (relayed) return relayed;
  if (!prev) {
    if (!ctx.person) return beginOnboarding('', ctx);
    // Free text: the parent's open question, "help" after a broadcast, "bel me", or "shall I pass this on?".
    return relayFreeText(input, lang, ctx) ?? mainMenu(lang, ctx, [say(answerKey(input))]);
  }
  if (input.kind === 'unsupported' || input.kind === 'stale_choice') {
    // Media, edits and old buttons never move a conversation: say so and ask again.
    return result(prev, lang, [say(answerKey(input)), ...reprompt(prev, ctx)]);
  }
  switch (prev.flow) {
    case 'onboarding':
      return handleOnboarding(prev, input, ctx);
    case 'children':
      return handleChildren(prev, input, ctx);
    case 'language':
      return handleLanguage(prev, input, ctx, resume);
    case 'privacy':
      return handlePrivacy(prev, input, ctx);
    case 'menu':
      return relayFreeText(input, lang, ctx) ?? mainMenu(lang, ctx, [say(answerKey(input))]);
    case 'staff':
      return handleStaff(prev, input, ctx);
    case 'broadcast':
      return handleBroadcast(prev, input, ctx);
    case 'nudge':
      return handleNudge(prev, input, ctx);
    case 'relay':
      return handleRelay(prev, input, ctx);
  }
}

/** What to say to input that no step expects. */
function answerKey(input: FlowInput): string {
  if (input.kind === 'unsupported') return input.what === 'edit' ? 'common:editIgnored' : 'common:onlyText';
  if (input.kind === 'choice' || input.kind === 'stale_choice') return 'common:staleButton';
  return 'common:notUnderstood';
}

type Action = (prev: FlowState | null, lang: string, ctx: FlowContext) => FlowResult;

/** What a consented person can do from anywhere, as a command (/children) or a menu button (menu:children). */
const ACTIONS: Record<string, Action> = {
  menu: (_prev, lang, ctx) => mainMenu(lang, ctx),
  children: (_prev, lang, ctx) => beginChildren(ctx, lang),
  language: (prev, _lang, ctx) => beginLanguage(prev?.flow === 'language' ? null : prev, ctx),
  mydata: (_prev, lang, ctx) => myData(lang, ctx),
  // During onboarding /stop keeps its place, so /start asks the questions that are left.
  stop: (prev, lang, ctx) => (prev?.flow === 'onboarding' && ctx.person ? { ...stopMessages(lang, ctx), state: prev, replies: [say('privacy:stopped')] } : stopMessages(lang, ctx)),
  resume: (_prev, lang, ctx) => resumeMessages(lang, ctx),
  delete: (_prev, lang, ctx) => askDelete(lang, ctx),
  find: (_prev, lang, ctx) => findInitiative(lang, ctx),
  messages: (_prev, lang, ctx) => messageSettings(lang, ctx),
  staff: (_prev, lang, ctx) => staffMenu(lang, ctx),
  // What a new volunteer may type first: the staff menu (a parent gets the polite refusal, not "unknown command").
  ambassador: (_prev, lang, ctx) => staffMenu(lang, ctx),
  ambassadeur: (_prev, lang, ctx) => staffMenu(lang, ctx),
  coordinator: (_prev, lang, ctx) => staffMenu(lang, ctx),
  vrijwilliger: (_prev, lang, ctx) => staffMenu(lang, ctx),
  broadcast: (prev, lang, ctx) => beginBroadcast(lang, ctx, prev),
  nudge: (_prev, lang, ctx) => beginNudge(lang, ctx),
  ask: (_prev, lang, ctx) => beginRelay(lang, ctx),
  stats: (_prev, lang, ctx) => beginStats(lang, ctx),
};

/** Own keys only: "/constructor" or "menu:toString" must not reach Object.prototype. */
const actionFor = (name: string): Action | undefined => (Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined);

function findInitiative(lang: string, ctx: FlowContext): FlowResult {
  const pc4 = ctx.person?.pc4;
  if (pc4 && ctx.directory.initiativesForPostcode(pc4).length === 0) return mainMenu(lang, ctx, [say('onboarding:noInitiativeNearby')]);
  const next = state('onboarding', pc4 ? 'initiative' : 'postcode', lang, { mode: 'find', ...(pc4 ? { pc4 } : {}) });
  return result(next, lang, onboardingPrompt(next, ctx));
}

function globalChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  if (value === NOTICE_OK) return prev ? result(prev, lang, reprompt(prev, ctx)) : mainMenu(lang, ctx);
  if (isNurtureChoice(value)) return handleNurtureChoice(value, prev, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (value.startsWith('bc:')) return handleBroadcastChoice(value, prev, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (value.startsWith('nd:')) return handleNudgeChoice(value, prev, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (value.startsWith('rl:')) return handleRelayChoice(value, prev, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (value.startsWith('or:')) return handleOutreachChoice(value, prev, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (value.startsWith('staff:')) return handleStaffChoice(value, prev, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (isStatsChoice(value)) return handleStatsChoice(value, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  if (value.startsWith('msg:')) return handleMessagesChoice(value, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  const action = value.startsWith('menu:') ? actionFor(value.slice(5)) : undefined;
  if (action && value !== 'menu:menu') return action(prev, lang, ctx);
  if (/^(menu|a|help):/.test(value)) return handleMenuChoice(value, lang, ctx) ?? mainMenu(lang, ctx, [say('common:staleButton')]);
  return null;
}

function command(name: string, args: string, prev: FlowState | null, ctx: FlowContext): FlowResult {
  const lang = langOf(prev, ctx);
  if (name === 'language' || name === 'taal') return beginLanguage(prev?.flow === 'language' ? null : prev, ctx);
  if (name === 'help' || name === 'hulp') {
    // On WhatsApp the typed word HULP/YARDIM… arrives as this command: right after a broadcast in
    // another language it asks an ambassador to explain it (elsewhere the word is text: relay-text.ts).
    const relayed = ctx.person && ctx.channel === 'whatsapp' ? relayHelpWord(lang, ctx) : null;
    if (relayed) return relayed;
    return ctx.person ? mainMenu(lang, ctx, [say('common:help')]) : result(prev, lang, [say('common:help'), ...reprompt(prev, ctx)]);
  }
  if (name === 'link') return link(args, prev, ctx);
  if (name === 'invite' || (name === 'start' && INVITE_START.test(args.trim()))) return inviteCommand(args, prev, ctx);
  if (!ctx.person) {
    if (name === 'start') return beginOnboarding(args, ctx);
    if (name === 'stop' || name === 'mydata' || name === 'delete') return result(prev, lang, [say('privacy:nothingStored'), ...reprompt(prev, ctx)]);
    return result(prev ?? state('onboarding', 'language', lang), lang, [say('onboarding:finishFirst'), ...reprompt(prev, ctx)]);
  }
  if (name === 'start') return startAgain(args, prev, lang, ctx);
  const action = name === 'resume' || name === 'find' ? undefined : actionFor(name);
  return action ? action(prev, lang, ctx) : mainMenu(lang, ctx, [say('common:unknownCommand')]);
}

/**
 * /link: hands out a code on a chat with a profile; /link 123456 links this chat (also
 * before consent, at any step of onboarding). A refusal leaves the parent where they were.
 */
function link(args: string, prev: FlowState | null, ctx: FlowContext): FlowResult {
  const lang = prev || ctx.person ? langOf(prev, ctx) : suggestedLanguage(ctx);
  const here = prev ?? (ctx.person ? state('menu', 'main', lang) : state('onboarding', 'language', lang));
  const stay = (before: Reply[]) => result(here, lang, [...before, ...reprompt(prev, ctx)]);
  if (args.trim()) return redeemLinkCode(args, ctx, stay);
  return ctx.person ? issueLinkCode(lang, ctx) : stay([say('link:askCode')]);
}

/** /start from someone we know: messages back on, join a new initiative's link, continue. */
function startAgain(args: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult {
  const person = ctx.person;
  if (!person) return beginOnboarding(args, ctx);
  const effects: FlowResult['effects'] = [];
  const before: Reply[] = [];
  if (!person.proactive) {
    effects.push({ type: 'proactive', enabled: true });
    before.push(say('privacy:resumed'));
  }
  const code = args.trim();
  const linked = code ? ctx.directory.initiativeByCode(code) : null;
  if (linked && linked.id !== person.initiative?.id) {
    effects.push({ type: 'join', initiativeId: linked.id });
    before.push(say('onboarding:joinedNamed', { name: linked.name, school: linked.school }));
  } else if (code && !linked) {
    before.push(say('onboarding:badLink'));
  }
  const unfinished = prev?.flow === 'onboarding' ? prev : unfinishedOnboarding(person, lang);
  if (unfinished) return { ...result(unfinished, lang, [...before, say('onboarding:continue'), ...reprompt(unfinished, ctx)]), effects };
  const menu = mainMenu(lang, { ...ctx, person: { ...person, proactive: true } }, [...before, say('common:welcomeBack')]);
  return { ...menu, effects };
}

/**
 * A person who consented but never answered the last onboarding question (it is not
 * skippable), e.g. after /stop and another command: onboarding again from the first question
 * the profile lacks (a skipped name or child is asked once more).
 */
function unfinishedOnboarding(person: PersonView, lang: string): FlowState | null {
  if (person.heardFrom !== null) return null;
  const step = person.children.length === 0 ? (person.displayName === null ? 'name' : 'child_year') : person.pc4 === null ? 'postcode' : 'heard_from';
  const data: Record<string, unknown> = { childCount: person.children.length };
  if (person.initiative) data.initiativeId = person.initiative.id;
  if (person.pc4) data.pc4 = person.pc4;
  return state('onboarding', step, lang, data);
}

function resume(prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult {
  if (!prev) return ctx.person ? mainMenu(lang, ctx) : result(state('onboarding', 'consent', lang), lang, onboardingPrompt(state('onboarding', 'consent', lang), ctx));
  if (prev.flow === 'onboarding' && prev.step === 'language') {
    const next = { ...prev, step: 'consent', lang };
    return result(next, lang, onboardingPrompt(next, ctx));
  }
  return result(prev, lang, reprompt(prev, ctx));
}

/** The question of the current step, asked again. */
export function reprompt(st: FlowState | null, ctx: FlowContext): Reply[] {
  if (!st) return ctx.person ? mainMenu(langOf(st, ctx), ctx).replies : beginOnboarding('', ctx).replies.slice(1);
  switch (st.flow) {
    case 'onboarding':
      return onboardingPrompt(st, ctx);
    case 'children':
      return isChildStep(st.step) ? childPrompt(st.step, st, ctx, false) : beginChildren(ctx, st.lang).replies;
    case 'language':
      return [say('language:ask', undefined, languageChoices(ctx))];
    case 'privacy':
      return askDelete(st.lang, ctx).replies;
    case 'menu':
      return mainMenu(st.lang, ctx).replies;
    case 'staff':
      return staffPrompt(st, ctx);
    case 'broadcast':
      return broadcastPrompt(st, ctx);
    case 'nudge':
      return nudgePrompt(st, ctx);
    case 'relay':
      return relayPrompt(st, ctx);
  }
}
