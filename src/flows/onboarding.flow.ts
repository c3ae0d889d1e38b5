/**
 * Onboarding a parent. States (step):
 *   language → consent → name → child_year/child_month/child_due → child_more
 *   → postcode → initiative → heard_from → (menu)
 * Nothing is stored before the parent says yes at `consent`; until then this state lives
 * only in memory. The same postcode/initiative steps serve "find an initiative" from the
 * menu (data.mode = 'find'), which returns to the menu instead of asking heard_from.
 */
import type { Reply } from '../core/messages.js';
import { MAX_DISPLAY_NAME, parseDisplayName } from '../domain/display-name.js';
import { HEARD_FROM, isHeardFrom } from '../domain/heard-from.js';
import { normalizePc4 } from '../domain/postcode.js';
import { childPrompt, handleChildStep, isChildStep, type ChildEntryHost } from './child-entry.js';
import type { FlowContext, FlowInput, FlowResult, FlowState, InitiativeView } from './flow.types.js';
import { choice, langOf, monthYear, num, result, rows, say, state, str } from './kit.js';
import { languageChoices, matchLanguage, suggestedLanguage } from './language.flow.js';
import { mainMenu } from './menu.flow.js';

/**
 * The privacy notice's version, stored with each consent (consent_log.version); bump it whenever
 * onboarding:consent.notice changes. Versions are compared as strings (router.ts: an older one sees
 * privacy:noticeChanged once), so a new one must sort after every earlier one: '2026-12' < '2026-12.2'
 * < '2027-01'; after '2026-12.9' take the next month, never '2026-12.10'. loadPerson (db/store.ts)
 * reads only versions that start with YYYY-MM, so 'keep-in-touch' rows never hide the notice seen.
 * 2026-12: retention (issue 10, item 5). 2026-12.2: the days a parent was active, their last
 * read receipt, and personal outreach after a long silence (issue 12).
 */
export const PRIVACY_NOTICE_VERSION = '2026-12.2';
const MAX_CHILDREN = 8;

export function beginOnboarding(args: string, ctx: FlowContext): FlowResult {
  const code = args.trim();
  const initiative = code ? ctx.directory.initiativeByCode(code) : null;
  const data: Record<string, unknown> = {};
  if (initiative) data.initiativeId = initiative.id;
  const lang = suggestedLanguage(ctx);
  const st = state('onboarding', 'language', lang, data);
  const badLink = code && !initiative ? [say('onboarding:badLink')] : [];
  return result(st, lang, [say('onboarding:welcome'), ...badLink, ...onboardingPrompt(st, ctx)]);
}

const initiativeOf = (st: FlowState, ctx: FlowContext): InitiativeView | null => {
  const id = num(st.data, 'initiativeId');
  return id === undefined ? null : ctx.directory.initiativeById(id);
};

export function onboardingPrompt(st: FlowState, ctx: FlowContext): Reply[] {
  const step = st.step;
  if (isChildStep(step)) return childPrompt(step, st, ctx, true);
  switch (step) {
    case 'language':
      return [say('language:ask', undefined, languageChoices(ctx))];
    case 'consent': {
      const initiative = initiativeOf(st, ctx);
      const intro: Reply[] = [];
      intro.push(initiative ? say('onboarding:introInitiative', { name: initiative.name, school: initiative.school }) : say('onboarding:intro'));
      return [
        ...intro,
        say('onboarding:consent.notice', undefined, [
          [choice('consent:yes', 'onboarding:consent.yes')],
          [choice('consent:more', 'onboarding:consent.more')],
          [choice('consent:no', 'onboarding:consent.no')],
        ]),
      ];
    }
    case 'name':
      return [say('onboarding:askName', undefined, [[choice('name:skip', 'onboarding:nameSkip')]])];
    case 'child_more':
      return [say('onboarding:askMoreChildren', undefined, [[choice('more:yes', 'onboarding:moreYes')], [choice('more:no', 'onboarding:moreNo')]])];
    case 'postcode':
      return [say('onboarding:askPostcode', { example: '1055' }, [[choice('pc:skip', 'onboarding:postcodeSkip')]])];
    case 'initiative': {
      const found = ctx.directory.initiativesForPostcode(str(st.data, 'pc4') ?? ctx.person?.pc4 ?? '').slice(0, 5);
      const options = found.map((i) => [choice(`i:${i.id}`, 'onboarding:initiativeOption', { name: i.name, school: i.school })]);
      return [say('onboarding:askInitiative', undefined, [...options, [choice('i:none', 'onboarding:initiativeNone')]])];
    }
    case 'heard_from':
      return [say('onboarding:askHeardFrom', undefined, rows(HEARD_FROM.map((h) => choice(`h:${h}`, `onboarding:heardFrom.${h}`)), 2))];
    default:
      return [];
  }
}

const go = (st: FlowState, step: string, ctx: FlowContext, data: Record<string, unknown> = st.data, before: Reply[] = []): FlowResult => {
  const next = { ...st, step, data };
  return result(next, langOf(next, ctx), [...before, ...onboardingPrompt(next, ctx)]);
};

const reask = (st: FlowState, ctx: FlowContext, errorKey: string, params?: Record<string, string>): FlowResult =>
  result(st, langOf(st, ctx), [say(errorKey, params), ...onboardingPrompt(st, ctx)]);

function afterChildren(st: FlowState, ctx: FlowContext, before: Reply[] = []): FlowResult {
  return go(st, 'postcode', ctx, { ...st.data, year: undefined }, before);
}

const childHost: ChildEntryHost = {
  allowSkip: true,
  done(st, ctx, child) {
    const count = (num(st.data, 'childCount') ?? 0) + 1;
    const data = { ...st.data, childCount: count, year: undefined };
    const res = count >= MAX_CHILDREN ? afterChildren({ ...st, data }, ctx) : go(st, 'child_more', ctx, data, [say('onboarding:childSaved', { when: childWhen(child) })]);
    return { ...res, effects: [{ type: 'addChild', ...child }] };
  },
  skip: (st, ctx) => afterChildren(st, ctx),
};

const childWhen = (child: { year: number; month: number; expected: boolean }) => ({
  key: child.expected ? 'children:dueIn' : 'children:bornIn',
  params: { when: monthYear(child) },
});

function finishOnboarding(st: FlowState, ctx: FlowContext, data: Record<string, unknown>, effects: FlowResult['effects']): FlowResult {
  const lang = langOf(st, ctx);
  if (st.data.mode === 'find') {
    const menu = mainMenu(lang, ctx);
    return { ...menu, effects, replies: [say(effects.length ? 'onboarding:joined' : 'onboarding:keepInformed'), ...menu.replies] };
  }
  const next = { ...st, step: 'heard_from', data };
  return result(next, lang, onboardingPrompt(next, ctx), effects);
}

export function handleOnboarding(st: FlowState, input: FlowInput, ctx: FlowContext): FlowResult {
  const lang = langOf(st, ctx);
  const value = input.kind === 'choice' ? input.value : undefined;
  const typed = input.kind === 'text' ? input.text.trim() : undefined;
  if (isChildStep(st.step)) return handleChildStep(st.step, st, input, ctx, childHost);
  if (input.kind === 'unsupported') return reask(st, ctx, 'common:onlyText');

  switch (st.step) {
    case 'language': {
      const picked = value?.startsWith('lang:') ? value.slice(5) : typed !== undefined ? matchLanguage(typed, ctx) : undefined;
      if (!picked || !ctx.languages.some((l) => l.code === picked)) return reask(st, ctx, 'language:notUnderstood');
      return go({ ...st, lang: picked }, 'consent', ctx);
    }
    case 'consent':
      if (value === 'consent:more') return result(st, lang, [say('onboarding:consent.details'), ...onboardingPrompt(st, ctx).slice(-1)]);
      if (value === 'consent:no') return result(null, lang, [say('onboarding:consent.refused')]);
      if (value === 'consent:yes') {
        const initiativeId = num(st.data, 'initiativeId');
        const res = go(st, 'name', ctx, st.data, [say('onboarding:consent.thanks')]);
        return { ...res, effects: [{ type: 'consent', language: lang, noticeVersion: PRIVACY_NOTICE_VERSION }, ...(initiativeId ? [{ type: 'join' as const, initiativeId }] : [])] };
      }
      return reask(st, ctx, 'onboarding:consent.pleaseChoose');
    case 'name': {
      if (value === 'name:skip') return go(st, 'child_year', ctx);
      if (typed === undefined || typed.length === 0 || typed.startsWith('/')) return reask(st, ctx, 'onboarding:nameInvalid');
      const parsed = parseDisplayName(typed);
      if (!parsed.ok && parsed.reason === 'noLetters') return reask(st, ctx, 'onboarding:nameNoLetters');
      if (!parsed.ok) return reask(st, ctx, 'onboarding:nameTooLong', { max: String(MAX_DISPLAY_NAME) });
      const res = go(st, 'child_year', ctx, st.data, [say('onboarding:nameThanks', { name: parsed.name })]);
      return { ...res, effects: [{ type: 'setProfile', patch: { displayName: parsed.name } }] };
    }
    case 'child_more':
      if (value === 'more:yes') return go(st, 'child_year', ctx);
      if (value === 'more:no') return afterChildren(st, ctx);
      return reask(st, ctx, 'common:pleaseChoose');
    case 'postcode': {
      if (value === 'pc:skip') return finishOnboarding(st, ctx, st.data, []);
      const pc4 = typed !== undefined ? normalizePc4(typed) : null;
      if (!pc4) return reask(st, ctx, 'onboarding:postcodeInvalid', { example: '1055' });
      const effects: FlowResult['effects'] = [{ type: 'setProfile', patch: { pc4 } }];
      const data = { ...st.data, pc4 };
      const joined = num(st.data, 'initiativeId') !== undefined;
      if (joined || ctx.directory.initiativesForPostcode(pc4).length === 0) {
        const res = finishOnboarding(st, ctx, data, effects);
        return joined ? res : { ...res, replies: [say('onboarding:noInitiativeNearby'), ...res.replies] };
      }
      return { ...go(st, 'initiative', ctx, data), effects };
    }
    case 'initiative': {
      if (value === 'i:none') return finishOnboarding(st, ctx, st.data, []);
      const id = value?.startsWith('i:') ? Number(value.slice(2)) : NaN;
      const offered = ctx.directory.initiativesForPostcode(str(st.data, 'pc4') ?? ctx.person?.pc4 ?? '');
      if (!offered.some((i) => i.id === id)) return reask(st, ctx, 'common:pleaseChoose');
      return finishOnboarding(st, ctx, { ...st.data, initiativeId: id }, [{ type: 'join', initiativeId: id }]);
    }
    case 'heard_from': {
      const h = value?.startsWith('h:') ? value.slice(2) : undefined;
      if (!h || !isHeardFrom(h)) return reask(st, ctx, 'common:pleaseChoose');
      const menu = mainMenu(lang, ctx);
      const name = ctx.person?.displayName;
      const done = name ? say('onboarding:doneNamed', { name }) : say('onboarding:done');
      return { ...menu, replies: [done, ...menu.replies], effects: [{ type: 'setProfile', patch: { heardFrom: h } }] };
    }
    default:
      return reask(st, ctx, 'common:pleaseChoose');
  }
}
