/**
 * /children: see, add, change and remove children. States:
 *   list → child_year/child_month/child_due (add, or change when data.childId) → list
 *   list → confirm_remove → list
 * Choice values: `c:add`, `c:edit:<id>`, `c:del:<id>`, `c:del-yes`, `c:del-no`.
 */
import type { Reply } from '../core/messages.js';
import { ageInMonths } from '../domain/birth-month.js';
import { childPrompt, handleChildStep, isChildStep, type ChildEntryHost } from './child-entry.js';
import type { ChildView, FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, monthYear, num, nowYearMonth, result, say, state, text } from './kit.js';
import { mainMenu } from './menu.flow.js';

const MAX_CHILDREN = 8;

const describe = (c: ChildView, ctx: FlowContext) => {
  if (c.expected) return text('children:dueIn', { when: monthYear(c) });
  const months = ageInMonths(c, nowYearMonth(ctx));
  // Born this month: no "(0 months)" (Portuguese would even say "0 mês"); the month says it all.
  if (months < 1) return text('children:bornIn', { when: monthYear(c) });
  return text('children:bornInAge', { when: monthYear(c), age: months >= 24 ? text('common:years', { count: Math.floor(months / 12) }) : text('common:months', { count: months }) });
};

function listReplies(ctx: FlowContext, kids: ChildView[]): Reply[] {
  const lines = kids.map((c) => [choice(`c:edit:${c.id}`, 'children:change', { child: describe(c, ctx) }), choice(`c:del:${c.id}`, 'children:remove')]);
  const add = kids.length < MAX_CHILDREN ? [[choice('c:add', 'children:add')]] : [];
  const head = kids.length === 0 ? say('children:none') : say('children:list', { count: kids.length });
  return [{ ...head, choices: [...lines, ...add, [choice('menu:main', 'menu:back')]] }];
}

export function beginChildren(ctx: FlowContext, lang = langOf(null, ctx), kids = ctx.person?.children ?? [], before: Reply[] = []): FlowResult {
  return result(state('children', 'list', lang), lang, [...before, ...listReplies(ctx, kids)]);
}

const host: ChildEntryHost = {
  allowSkip: false,
  done(st, ctx, child) {
    const childId = num(st.data, 'childId');
    const lang = langOf(st, ctx);
    const current = ctx.person?.children ?? [];
    if (childId !== undefined) {
      const kids = current.map((c) => (c.id === childId ? { ...c, ...child } : c));
      return { ...beginChildren(ctx, lang, kids, [say('children:changed')]), effects: [{ type: 'updateChild', childId, ...child }] };
    }
    const kids = [...current, { id: -1, ...child }];
    return { ...beginChildren(ctx, lang, kids, [say('children:added')]), effects: [{ type: 'addChild', ...child }] };
  },
  skip: (st, ctx) => beginChildren(ctx, langOf(st, ctx)),
};

export function handleChildren(st: FlowState, input: FlowInput, ctx: FlowContext): FlowResult {
  const lang = langOf(st, ctx);
  const kids = ctx.person?.children ?? [];
  if (isChildStep(st.step)) return handleChildStep(st.step, st, input, ctx, host);
  const value = input.kind === 'choice' ? input.value : '';
  if (st.step === 'confirm_remove') {
    const childId = num(st.data, 'childId');
    if (value === 'c:del-yes' && childId !== undefined) {
      const left = kids.filter((c) => c.id !== childId);
      return { ...beginChildren(ctx, lang, left, [say('children:removed')]), effects: [{ type: 'removeChild', childId }] };
    }
    if (value === 'c:del-no') return beginChildren(ctx, lang);
    return result(st, lang, [say('common:pleaseChoose'), ...confirmRemove(st)]);
  }
  if (value === 'c:add' && kids.length < MAX_CHILDREN) {
    const next = state('children', 'child_year', lang);
    return result(next, lang, childPrompt('child_year', next, ctx, false));
  }
  const m = /^c:(edit|del):(\d+)$/.exec(value);
  const child = m ? kids.find((c) => c.id === Number(m[2])) : undefined;
  if (m && child) {
    if (m[1] === 'edit') {
      const next = state('children', 'child_year', lang, { childId: child.id });
      return result(next, lang, childPrompt('child_year', next, ctx, false));
    }
    const next = state('children', 'confirm_remove', lang, { childId: child.id });
    return result(next, lang, confirmRemove(next));
  }
  if (input.kind === 'text') return mainMenu(lang, ctx, [say('common:notUnderstood')]);
  return beginChildren(ctx, lang, kids, [say('common:staleButton')]);
}

const confirmRemove = (_st: FlowState): Reply[] => [
  say('children:confirmRemove', undefined, [[choice('c:del-yes', 'children:removeYes')], [choice('c:del-no', 'children:removeNo')]]),
];
