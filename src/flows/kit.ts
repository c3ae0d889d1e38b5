/** Small builders shared by the flows, so each flow reads as its conversation. */
import type { Choice, Reply, Text, TextParam } from '../core/messages.js';
import { FLOW_STATE_VERSION, type Effect, type FlowContext, type FlowName, type FlowResult, type FlowState } from './flow.types.js';
import { yearMonthIn } from '../core/clock.js';
import type { YearMonth } from '../domain/birth-month.js';

export const text = (key: string, params?: Record<string, TextParam>): Text => (params ? { key, params } : { key });

export const choice = (value: string, key: string, params?: Record<string, TextParam>): Choice => ({ value, label: text(key, params) });

export function say(key: string, params?: Record<string, TextParam>, choices?: Choice[][]): Reply {
  const reply: Reply = { text: text(key, params) };
  if (choices?.length) reply.choices = choices;
  return reply;
}

export function state(flow: FlowName, step: string, lang: string, data: Record<string, unknown> = {}): FlowState {
  return { v: FLOW_STATE_VERSION, flow, step, lang, data };
}

export function result(next: FlowState | null, language: string, replies: Reply[], effects: Effect[] = []): FlowResult {
  return { state: next, language, replies, effects };
}

/** Lays out choices n per row. */
export function rows<T>(items: T[], perRow: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += perRow) out.push(items.slice(i, i + perRow));
  return out;
}

export const nowYearMonth = (ctx: FlowContext): YearMonth => yearMonthIn(ctx.now, ctx.timeZone);

/** The conversation's language: the person's, else what was chosen before consent, else the default. */
export const langOf = (st: FlowState | null, ctx: FlowContext): string => ctx.person?.language ?? st?.lang ?? ctx.defaultLanguage;

/** "maart 2024", rendered by Intl in the reader's language. */
export const monthYear = (ym: YearMonth): Text => text('common:plain', { value: { yearMonth: { year: ym.year, month: ym.month } } });

export const str = (data: Record<string, unknown>, key: string): string | undefined => {
  const v = data[key];
  return typeof v === 'string' ? v : undefined;
};

export const num = (data: Record<string, unknown>, key: string): number | undefined => {
  const v = data[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
