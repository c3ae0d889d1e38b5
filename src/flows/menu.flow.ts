/**
 * The main menu and the initiative's phase. States: `main`. Menu buttons work from any
 * earlier message too (they are handled whatever the current step), so a parent who
 * scrolls back is never stuck.
 *
 * Choice values: `menu:<item>`, `a:<actionKey>` (read more), `help:<actionKey>` (I want to help).
 * "Register on time" and "Events" answer from the parent's own children (answers.flow.ts).
 */
import type { Choice, Reply } from '../core/messages.js';
import { isStaff } from '../domain/authorization.js';
import { actionsFor, isActionOf } from '../domain/phase-actions.js';
import { eventsList, registrationAnswer } from './answers.flow.js';
import type { FlowContext, FlowResult } from './flow.types.js';
import { choice, nowYearMonth, result, say, state } from './kit.js';

export function menuChoices(ctx: FlowContext): Choice[][] {
  const stopOrStart = ctx.person?.proactive === false ? choice('menu:resume', 'menu:item.resume') : choice('menu:stop', 'menu:item.stop');
  return [
    [choice('menu:now', 'menu:item.now')],
    [choice('menu:events', 'menu:item.events')],
    // A question for an ambassador who speaks the parent's language (src/flows/relay.flow.ts).
    [choice('menu:ask', 'relay:menuItem')],
    // "What is a parent initiative?" is under "Who is behind it?": WhatsApp's list holds 10 rows.
    [choice('menu:who', 'menu:item.who')],
    [choice('menu:children', 'menu:item.children'), choice('menu:language', 'menu:item.language')],
    [choice('menu:messages', 'menu:item.messages'), choice('menu:mydata', 'menu:item.mydata')],
    [stopOrStart],
    [choice('menu:delete', 'menu:item.delete')],
    // Only for ambassadors and coordinators (src/domain/authorization.ts).
    ...(isStaff(ctx.person?.memberships ?? []) ? [[choice('menu:staff', 'menu:item.staff')]] : []),
  ];
}

export function mainMenu(lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  return result(state('menu', 'main', lang), lang, [...before, say('menu:ask', undefined, menuChoices(ctx))]);
}

const back = (): Choice[] => [choice('menu:main', 'menu:back')];

export function whatIsHappening(lang: string, ctx: FlowContext): FlowResult {
  const initiative = ctx.person?.initiative;
  if (!initiative) {
    return result(state('menu', 'main', lang), lang, [say('menu:noInitiative', undefined, [[choice('menu:find', 'menu:item.find')], back()])]);
  }
  const actions = actionsFor(initiative.phase, ctx.person?.children ?? [], nowYearMonth(ctx));
  return result(state('menu', 'main', lang), lang, [
    say(`phases:p${initiative.phase}.now`, { name: initiative.name, school: initiative.school }),
    say('phases:actionsIntro', undefined, [...actions.map((a) => [choice(`a:${a.key}`, `phases:actions.${a.key}.title`)]), back()]),
  ]);
}

export function handleMenuChoice(value: string, lang: string, ctx: FlowContext): FlowResult | null {
  const initiative = ctx.person?.initiative ?? null;
  const menuState = state('menu', 'main', lang);
  switch (value) {
    case 'menu:main':
      return mainMenu(lang, ctx);
    case 'menu:now':
      return whatIsHappening(lang, ctx);
    case 'menu:events':
      return eventsList(lang, ctx);
    case 'menu:about':
      return result(menuState, lang, [say('menu:about'), say('menu:aboutMore', undefined, [[choice('menu:now', 'menu:item.now')], back()])]);
    case 'menu:who':
      return result(menuState, lang, [
        initiative
          ? say('menu:who', { name: initiative.name, school: initiative.school, neighbourhood: initiative.neighbourhood || '–', contact: initiative.contact || '–' }, [[choice('menu:about', 'menu:item.about')], back()])
          : say('menu:whoGeneral', undefined, [[choice('menu:about', 'menu:item.about')], back()]),
      ]);
  }
  const [kind, key] = value.split(':', 2) as [string, string | undefined];
  if ((kind === 'a' || kind === 'help') && key) {
    if (!initiative || !isActionOf(initiative.phase, key)) return null;
    if (kind === 'a') {
      if (key === 'register_on_time') return registrationAnswer(lang, ctx);
      return result(menuState, lang, [
        say(`phases:actions.${key}.more`, { school: initiative.school }, [[choice(`help:${key}`, 'phases:wantToHelp')], [choice('menu:now', 'menu:backToNow')]]),
      ]);
    }
    const route = ctx.directory.helpRoute(initiative.id, ctx.person?.id ?? 0);
    const menu = mainMenu(lang, ctx, [say(`help:interest.${route}`, { name: initiative.name })]);
    return { ...menu, effects: [{ type: 'interest', initiativeId: initiative.id, actionKey: key }] };
  }
  return null;
}
