/**
 * Asking for one child's birth (or due) month. Shared by onboarding and /children.
 * Steps: child_year → child_month, or child_due for a pregnancy. Typed answers such as
 * "03-2024" or "maart 2024" are accepted at any of the steps.
 *
 * Choice values: `y:<year>`, `y:due`, `m:<1-12>`, `d:<year>-<month>`, `skip`.
 */
import type { Reply } from '../core/messages.js';
import { checkChild, fromIndex, monthIndex, parseYearMonth, MAX_DUE_AHEAD_MONTHS, type YearMonth } from '../domain/birth-month.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, monthYear, nowYearMonth, num, result, rows, say } from './kit.js';

export const CHILD_STEPS = ['child_year', 'child_month', 'child_due'] as const;
export type ChildStep = (typeof CHILD_STEPS)[number];
export const isChildStep = (step: string): step is ChildStep => (CHILD_STEPS as readonly string[]).includes(step);

export interface ChildEntryHost {
  allowSkip: boolean;
  done(st: FlowState, ctx: FlowContext, child: YearMonth & { expected: boolean }): FlowResult;
  skip(st: FlowState, ctx: FlowContext): FlowResult;
}

export function childPrompt(step: ChildStep, st: FlowState, ctx: FlowContext, allowSkip: boolean): Reply[] {
  const now = nowYearMonth(ctx);
  if (step === 'child_month') {
    const months = Array.from({ length: 12 }, (_, i) => choice(`m:${i + 1}`, 'common:plain', { value: { monthName: i + 1 } }));
    return [say('children:askMonth', { year: String(num(st.data, 'year') ?? now.year) }, rows(months, 3))];
  }
  if (step === 'child_due') {
    const start = monthIndex(now);
    const options = Array.from({ length: MAX_DUE_AHEAD_MONTHS + 1 }, (_, i) => fromIndex(start + i)).map((ym) =>
      choice(`d:${ym.year}-${ym.month}`, monthYear(ym).key, monthYear(ym).params),
    );
    return [say('children:askDue', undefined, rows(options, 3))];
  }
  // A year is a label, not a quantity: passed as text so it is never digit-grouped ("2,024").
  const years = Array.from({ length: 5 }, (_, i) => now.year - i).map((y) => choice(`y:${y}`, 'common:plain', { value: String(y) }));
  const extra = [choice('y:due', 'children:expecting')];
  if (allowSkip) extra.push(choice('skip', 'children:skip'));
  return [say('children:askYear', { example: '03-2024' }, [...rows(years, 5), ...extra.map((c) => [c])])];
}

function reask(step: ChildStep, st: FlowState, ctx: FlowContext, host: ChildEntryHost, errorKey: string, params?: Record<string, string>): FlowResult {
  return result({ ...st, step }, langOf(st, ctx), [say(errorKey, params), ...childPrompt(step, st, ctx, host.allowSkip)]);
}

function finish(st: FlowState, ctx: FlowContext, host: ChildEntryHost, child: YearMonth & { expected: boolean }, retryStep: ChildStep): FlowResult {
  const check = checkChild(child, nowYearMonth(ctx));
  if (check === 'ok') return host.done(st, ctx, child);
  const step: ChildStep = check === 'due_past' || check === 'future' ? 'child_year' : retryStep;
  return reask(step, { ...st, data: { ...st.data, year: undefined } }, ctx, host, `children:error.${check}`);
}

export function handleChildStep(step: ChildStep, st: FlowState, input: FlowInput, ctx: FlowContext, host: ChildEntryHost): FlowResult {
  const lang = langOf(st, ctx);
  if (input.kind === 'text') {
    const typed = parseYearMonth(input.text, lang);
    if (typed) return finish(st, ctx, host, { ...typed, expected: step === 'child_due' }, step);
    return reask(step, st, ctx, host, 'children:error.unreadable', { example: '03-2024' });
  }
  if (input.kind !== 'choice') return reask(step, st, ctx, host, 'common:pleaseChoose');
  const v = input.value;
  if (v === 'skip' && host.allowSkip) return host.skip(st, ctx);
  if (step === 'child_year' && v === 'y:due') return result({ ...st, step: 'child_due' }, lang, childPrompt('child_due', st, ctx, host.allowSkip));
  const year = /^y:(\d{4})$/.exec(v);
  const thisYear = nowYearMonth(ctx).year;
  if (step === 'child_year' && year && Number(year[1]) <= thisYear && Number(year[1]) >= thisYear - 4) {
    const next = { ...st, step: 'child_month', data: { ...st.data, year: Number(year[1]) } };
    return result(next, lang, childPrompt('child_month', next, ctx, host.allowSkip));
  }
  const month = /^m:(\d{1,2})$/.exec(v);
  const chosenYear = num(st.data, 'year');
  if (step === 'child_month' && month && chosenYear !== undefined) {
    return finish(st, ctx, host, { year: chosenYear, month: Number(month[1]), expected: false }, 'child_month');
  }
  const due = /^d:(\d{4})-(\d{1,2})$/.exec(v);
  if (step === 'child_due' && due) return finish(st, ctx, host, { year: Number(due[1]), month: Number(due[2]), expected: true }, 'child_due');
  return reask(step, st, ctx, host, 'common:staleButton');
}
