/**
 * One person, two messengers: linking a second chat with a one-time code. No states of its
 * own (a turn ends at the main menu or where the parent was).
 *
 *   On the chat with a profile: `/link`, or "Add WhatsApp or Telegram" in My messages
 *   (`msg:link`), hands out a 6-digit code, valid 10 minutes, used once. The code is drawn by
 *   the engine (`ctx.link.freshCode`, node:crypto), so this flow stays pure.
 *   On the other chat, with no profile yet (at any step before consent) or an empty one:
 *   `/link 123456` (WhatsApp: `LINK 123456`) attaches that chat to the code's person and
 *   continues at the main menu in the person's language. Wrong codes return `linkMiss`,
 *   which the engine counts; after too many (`ctx.link.blocked`) the chat is asked to wait.
 */
import type { ChannelName, Reply, Text } from '../core/messages.js';
import type { FlowContext, FlowResult, PersonView } from './flow.types.js';
import { choice, result, say, state, text } from './kit.js';
import { mainMenu } from './menu.flow.js';

export const LINK_CODE_TTL_MS = 10 * 60 * 1000;
const CODE = /^\d{6}$/;
/** The messengers a parent can link; the local web chat is for trying out. */
const LINKABLE: ChannelName[] = ['whatsapp', 'telegram'];

/** "WhatsApp", "Telegram", "the web chat", in the reader's language. */
export const appName = (channel: ChannelName): Text => text(`link:app.${channel}`);

/** How to send a code on this channel (WhatsApp has no slash commands). */
const exampleOn = (channel: ChannelName): string => (channel === 'whatsapp' ? 'LINK 123456' : '/link 123456');

/** The messengers the person could still add. */
export const missingApps = (person: PersonView): ChannelName[] => LINKABLE.filter((c) => !person.channels.includes(c));

export function issueLinkCode(lang: string, ctx: FlowContext): FlowResult {
  const person = ctx.person;
  if (!person) return result(null, lang, [say('privacy:nothingStored')]);
  const code = ctx.link.freshCode;
  const expiresAt = new Date(ctx.now.getTime() + LINK_CODE_TTL_MS);
  const missing = missingApps(person).filter((c) => c !== ctx.channel);
  const how = missing.length === 1 ? (missing[0] === 'whatsapp' ? 'link:sendOnWhatsapp' : 'link:sendOnTelegram') : 'link:sendOnEither';
  return result(
    state('menu', 'main', lang),
    lang,
    [say('link:code', { code, minutes: String(LINK_CODE_TTL_MS / 60_000) }), say(how, { code }, [[choice('menu:main', 'menu:back')]])],
    [{ type: 'linkCode', code, expiresAt }],
  );
}

/** A chat mid-onboarding right after consent has a profile with nothing in it yet. */
const hasData = (p: PersonView): boolean => Boolean(p.displayName || p.pc4 || p.heardFrom || p.initiative || p.children.length > 0);

/**
 * `/link <code>` on the chat to be linked. `stay` answers without moving the conversation
 * (the parent continues where they were).
 */
export function redeemLinkCode(args: string, ctx: FlowContext, stay: (before: Reply[]) => FlowResult): FlowResult {
  if (ctx.link.blocked) return stay([say('link:wait')]);
  const code = args.replace(/\s+/g, '');
  if (!CODE.test(code)) return stay([say('link:badFormat', { example: exampleOn(ctx.channel) })]);
  const target = ctx.link.find(code);
  if (!target || target.expiresAt.getTime() <= ctx.now.getTime()) return { ...stay([say('link:unknown')]), effects: [{ type: 'linkMiss' }] };
  const me = ctx.person;
  if (me?.id === target.person.id) return stay([say('link:already')]);
  if (me && hasData(me)) return stay([say('link:hasProfile')]);
  if (target.person.channels.includes(ctx.channel)) return stay([say('link:sameApp')]);
  const lang = target.person.language;
  const menu = mainMenu(lang, { ...ctx, person: target.person }, [say('link:linked')]);
  return { ...menu, effects: [{ type: 'linkChat', personId: target.person.id, code }] };
}
