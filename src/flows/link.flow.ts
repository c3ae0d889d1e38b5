/**
 * One person, two messengers: linking a second chat with a one-time code. No states of its
 * own (a turn ends at the main menu or where the parent was).
 *
 *   On the chat with a profile: `/link`, or "Add WhatsApp or Telegram" in My messages
 *   (`msg:link`), hands out a code of 12 letters and digits shown as `K7QM-3XPD-9FTW`,
 *   valid 10 minutes, used once. The code is drawn by the engine (`ctx.link.freshCode`,
 *   node:crypto), so this flow stays pure.
 *   On the other chat, with no profile yet (at any step before consent) or an empty one:
 *   `/link K7QM-3XPD-9FTW` (WhatsApp: `LINK K7QM-3XPD-9FTW`; any case, dashes and spaces
 *   optional) attaches that chat to the code's person and continues at the main menu in the
 *   person's language. Wrong codes return `linkMiss`, which the engine counts per chat, per
 *   person and per channel (src/core/link-attempts.ts); over a limit (`ctx.link.refusal()`)
 *   the chat is asked to wait without its code being checked. The local web chat cannot
 *   redeem codes unless that is switched on (`ctx.link.redeemAllowed`).
 */
import { CHANNEL_INFO, CHANNELS, type ChannelName, type Reply, type Text } from '../core/messages.js';
import type { FlowContext, FlowResult, PersonView } from './flow.types.js';
import { formatLinkCode, parseLinkCode } from '../domain/link-code.js';
import { choice, result, say, state, text } from './kit.js';
import { mainMenu } from './menu.flow.js';

export const LINK_CODE_TTL_MS = 10 * 60 * 1000;
/** The messengers a parent can link; the local web chat is for trying out. */
const LINKABLE: ChannelName[] = CHANNELS.filter((c) => CHANNEL_INFO[c].linkable).sort((a, b) => CHANNEL_INFO[b].rank - CHANNEL_INFO[a].rank);

/** "WhatsApp", "Telegram", "the web chat", in the reader's language. */
export const appName = (channel: ChannelName): Text => text(`link:app.${channel}`);

/** How to send a code on this channel (WhatsApp has no slash commands). */
const EXAMPLE = 'K7QM-3XPD-9FTW';
const exampleOn = (channel: ChannelName): string => (channel === 'whatsapp' ? `LINK ${EXAMPLE}` : `/link ${EXAMPLE}`);

/** The messengers the person could still add. */
export const missingApps = (person: PersonView): ChannelName[] => LINKABLE.filter((c) => !person.channels.includes(c));

export function issueLinkCode(lang: string, ctx: FlowContext): FlowResult {
  const person = ctx.person;
  if (!person) return result(null, lang, [say('privacy:nothingStored')]);
  const code = ctx.link.freshCode;
  const shown = formatLinkCode(code);
  const expiresAt = new Date(ctx.now.getTime() + LINK_CODE_TTL_MS);
  const missing = missingApps(person).filter((c) => c !== ctx.channel);
  const how = missing.length === 1 ? (missing[0] === 'whatsapp' ? 'link:sendOnWhatsapp' : 'link:sendOnTelegram') : 'link:sendOnEither';
  return result(
    state('menu', 'main', lang),
    lang,
    [say('link:code', { code: shown, minutes: String(LINK_CODE_TTL_MS / 60_000) }), say(how, { code: shown }, [[choice('menu:main', 'menu:back')]])],
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
  if (!ctx.link.redeemAllowed) return stay([say('link:localOff')]);
  const refusal = ctx.link.refusal();
  if (refusal) return stay([say(refusal === 'channel' ? 'link:busy' : 'link:wait')]);
  const code = parseLinkCode(args);
  if (!code) return stay([say('link:badFormat', { example: exampleOn(ctx.channel) })]);
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
