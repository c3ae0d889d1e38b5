/**
 * Choosing the language. States: `choose` (the language list), which returns to whatever
 * the parent was doing (data.prev). The list is data: every folder in locales/ appears,
 * the one matching the messenger's language setting on top. The messenger only suggests;
 * the parent always picks.
 */
import type { Choice } from '../core/messages.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { langOf, result, say, state } from './kit.js';

export function suggestedLanguage(ctx: FlowContext): string {
  const hint = ctx.languageHint?.toLowerCase().split(/[-_]/)[0];
  return hint && ctx.languages.some((l) => l.code === hint) ? hint : ctx.defaultLanguage;
}

export function languageChoices(ctx: FlowContext): Choice[][] {
  const top = suggestedLanguage(ctx);
  const ordered = [...ctx.languages].sort((a, b) => (a.code === top ? -1 : b.code === top ? 1 : 0));
  return ordered.map((l) => [{ value: `lang:${l.code}`, label: { key: 'meta:endonym', lng: l.code } }]);
}

/** Accepts a typed language code or endonym ("en", "English", "nederlands"). */
export function matchLanguage(typed: string, ctx: FlowContext): string | undefined {
  const t = typed.trim().toLocaleLowerCase();
  return ctx.languages.find((l) => l.code === t || l.endonym.toLocaleLowerCase() === t)?.code;
}

export function beginLanguage(prev: FlowState | null, ctx: FlowContext): FlowResult {
  const lang = langOf(prev, ctx);
  return result(state('language', 'choose', lang, { prev }), lang, [say('language:ask', undefined, languageChoices(ctx))]);
}

export type Resume = (prev: FlowState | null, lang: string, ctx: FlowContext) => FlowResult;

export function handleLanguage(st: FlowState, input: FlowInput, ctx: FlowContext, resume: Resume): FlowResult {
  const picked =
    input.kind === 'choice' && input.value.startsWith('lang:') ? input.value.slice(5) : input.kind === 'text' ? matchLanguage(input.text, ctx) : undefined;
  if (!picked || !ctx.languages.some((l) => l.code === picked)) {
    return result(st, langOf(st, ctx), [say('language:notUnderstood'), say('language:ask', undefined, languageChoices(ctx))]);
  }
  const prev = isFlowState(st.data.prev) ? { ...st.data.prev, lang: picked } : null;
  const resumed = resume(prev, picked, ctx);
  const effects = ctx.person ? [{ type: 'setProfile' as const, patch: { language: picked } }] : [];
  return { ...resumed, language: picked, replies: [say('language:changed'), ...resumed.replies], effects: [...effects, ...resumed.effects] };
}

export function isFlowState(value: unknown): value is FlowState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.v === 'number' && typeof v.flow === 'string' && typeof v.step === 'string' && typeof v.lang === 'string' && typeof v.data === 'object' && v.data !== null;
}
