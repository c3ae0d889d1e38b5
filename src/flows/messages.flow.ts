/**
 * "Your messages": which proactive messages the parent wants (reminders, the newsletter)
 * and when they may arrive (quiet hours). States: none of its own; every button works from
 * any earlier message, like the main menu.
 *
 * Choice values: `msg:rem:on|off`, `msg:news:on|off`, `msg:quiet` (show the windows),
 * `msg:q:<HHMM>-<HHMM>` (choose one; the first is the default), `msg:link` (a code to add
 * WhatsApp or Telegram), `msg:via:<channel>` (proactive messages go to that messenger),
 * `msg:fb` / `msg:fb:nl|en` (the language of a message not written in theirs).
 */
import { CHANNELS, type ChannelName, type Choice } from '../core/messages.js';
import type { Effect, FlowContext, FlowResult } from './flow.types.js';
import { choice, result, say, state } from './kit.js';
import { appName, issueLinkCode, missingApps } from './link.flow.js';

/** The windows a parent can choose, default first. */
export const QUIET_WINDOWS = ['2000-0830', '2100-0800', '1900-0900', '2200-0730'] as const;

const asWindow = (w: string) => ({ start: `${w.slice(0, 2)}:${w.slice(2, 4)}`, end: `${w.slice(5, 7)}:${w.slice(7, 9)}` });
const DEFAULT_WINDOW = asWindow(QUIET_WINDOWS[0]);

type SettingsView = { reminders: boolean; newsletter: boolean; quiet: { start: string; end: string } | null; preferredChannel: ChannelName | null };

export function messageSettings(lang: string, ctx: FlowContext, before: FlowResult['replies'] = [], effects: Effect[] = [], override: Partial<SettingsView> = {}): FlowResult {
  const person = ctx.person;
  if (!person) return result(null, lang, []);
  const view: SettingsView = { reminders: person.reminders, newsletter: person.newsletter, quiet: person.quiet, preferredChannel: person.preferredChannel, ...override };
  const quiet = view.quiet ?? DEFAULT_WINDOW;
  const onOff = (on: boolean) => ({ key: on ? 'privacy:mydata.on' : 'privacy:mydata.off' });
  // With two messengers: a button for each one the messages do not go to yet.
  const several = person.channels.length > 1;
  const via = several ? person.channels.filter((c) => c !== view.preferredChannel).map((c) => [choice(`msg:via:${c}`, 'link:button.via', { app: appName(c) })]) : [];
  const add = missingApps(person).length > 0 ? [[choice('msg:link', 'link:button.add')]] : [];
  const choices: Choice[][] = [
    [choice(view.reminders ? 'msg:rem:off' : 'msg:rem:on', view.reminders ? 'nurture:settings.remindersOff' : 'nurture:settings.remindersOn')],
    [choice(view.newsletter ? 'msg:news:off' : 'msg:news:on', view.newsletter ? 'nurture:settings.newsletterOff' : 'nurture:settings.newsletterOn')],
    [choice('msg:quiet', 'nurture:settings.quietChange')],
    ...via,
    ...add,
    ...secondLanguage(ctx),
    [choice('menu:main', 'menu:back')],
  ];
  const summary = say('nurture:settings.summary', { reminders: onOff(view.reminders), newsletter: onOff(view.newsletter), from: quiet.start, to: quiet.end }, choices);
  const note = person.proactive ? [] : [say('nurture:settings.allStopped')];
  const channelNote = several && view.preferredChannel ? [say('link:viaNow', { app: appName(view.preferredChannel) })] : [];
  return { ...result(state('menu', 'main', lang), lang, [...before, ...note, ...channelNote, summary]), effects };
}

export function handleMessagesChoice(value: string, lang: string, ctx: FlowContext): FlowResult | null {
  const person = ctx.person;
  if (!person || !value.startsWith('msg:')) return null;
  const rest = value.slice(4);
  if (rest === 'fb' || rest.startsWith('fb:')) return fallbackChoice(rest.slice(3), lang, ctx);
  if (rest === 'link') return issueLinkCode(lang, ctx);
  const channel = CHANNELS.find((c) => rest === `via:${c}`);
  if (channel) {
    if (!person.channels.includes(channel)) return null;
    const effects: Effect[] = person.preferredChannel === channel ? [] : [{ type: 'preferredChannel', channel }];
    return messageSettings(lang, ctx, [say('link:viaSaved', { app: appName(channel) })], effects, { preferredChannel: channel });
  }
  if (rest === 'rem:on' || rest === 'rem:off' || rest === 'news:on' || rest === 'news:off') {
    const kind = rest.startsWith('rem') ? 'reminders' : 'newsletter';
    const enabled = rest.endsWith(':on');
    const effects: Effect[] = person[kind] === enabled ? [] : [{ type: 'consentKind', kind, enabled }];
    return messageSettings(lang, ctx, [say(`nurture:reply.${kind}.${enabled ? 'yes' : 'no'}`)], effects, { [kind]: enabled });
  }
  if (rest === 'quiet') {
    const rows = QUIET_WINDOWS.map((w) => [choice(`msg:q:${w}`, 'nurture:settings.window', asWindow(w) as unknown as Record<string, string>)]);
    return result(state('menu', 'main', lang), lang, [say('nurture:settings.quietAsk', undefined, [...rows, [choice('menu:messages', 'menu:back')]])]);
  }
  const w = rest.startsWith('q:') ? rest.slice(2) : '';
  if ((QUIET_WINDOWS as readonly string[]).includes(w)) {
    const quiet = w === QUIET_WINDOWS[0] ? null : asWindow(w);
    const chosen = asWindow(w);
    return messageSettings(lang, ctx, [say('nurture:settings.quietSaved', { from: chosen.start, to: chosen.end })], [{ type: 'quietHours', quiet }], { quiet });
  }
  return null;
}

/**
 * The parent's second language: a broadcast without a version in their language comes in Dutch,
 * or in English when they choose it here (people.fallback_language). Offered only to parents
 * who read neither.
 */
const readsNeither = (ctx: FlowContext): boolean => !!ctx.person && ctx.person.language !== 'nl' && ctx.person.language !== 'en';
const endonym = (code: string, ctx: FlowContext): string => ctx.languages.find((l) => l.code === code)?.endonym ?? code;

function secondLanguage(ctx: FlowContext): Choice[][] {
  if (!readsNeither(ctx)) return [];
  return [[choice('msg:fb', 'compose:settings.fallbackButton', { language: endonym(ctx.person?.fallbackLanguage ?? 'nl', ctx) })]];
}

function fallbackChoice(code: string, lang: string, ctx: FlowContext): FlowResult | null {
  const person = ctx.person;
  if (!person || !readsNeither(ctx)) return null;
  if (code === '') {
    const options = (['nl', 'en'] as const).map((c) => [choice(`msg:fb:${c}`, 'common:plain', { value: endonym(c, ctx) })]);
    return result(state('menu', 'main', lang), lang, [say('compose:settings.fallbackAsk', undefined, [...options, [choice('menu:messages', 'menu:back')]])]);
  }
  if (code !== 'nl' && code !== 'en') return null;
  const fallbackLanguage = code === 'en' ? 'en' : null;
  const effects: Effect[] = (person.fallbackLanguage ?? null) === fallbackLanguage ? [] : [{ type: 'setProfile', patch: { fallbackLanguage } }];
  const after: FlowContext = { ...ctx, person: { ...person, fallbackLanguage } };
  return messageSettings(lang, after, [say('compose:settings.fallbackSaved', { language: endonym(code, ctx) })], effects);
}
