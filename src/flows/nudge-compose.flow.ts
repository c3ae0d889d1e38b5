/**
 * Making a nudge in the chat (a coordinator): kind → audience → the Dutch text, then other
 * languages → the moment → preview → save. Pure; every step asks src/domain/authorization.ts again.
 *
 * States `nudge/<step>`, data: ini (initiative), t (moment type), aud (AudienceFilter), v (lang →
 * text), li (language being written), wd (weekday), md (day of month), ek (event kind or 'any'),
 * mo (child's age in months), dy (days before the event), date and tm (day and time), picked
 * (languages of the audience being chosen).
 * Steps: type, aud, audLangs, born, text, more, date, weekday, monthDay, time, months, eventKind,
 * days, confirm.
 */
import type { ChannelName, Choice, InboundMedia, Reply } from '../core/messages.js';
import { may } from '../domain/authorization.js';
import type { AudienceFilter } from '../domain/broadcast.types.js';
import { parseDayTime, parseMonthRange, parseTime, parseWhole } from '../domain/nudge-parse.js';
import { MAX_CHILD_AGE_MONTHS, MAX_DAYS_BEFORE_EVENT, audienceProblem, momentProblem, type NudgeProblem } from '../domain/nudge-rules.js';
import { NUDGE_EVENT_KINDS, kindOfMoment, type NudgeEventKind, type NudgeMoment, type NudgeMomentType, type NudgeVersionInput } from '../domain/nudge.types.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, num, result, rows, say, state, str } from './kit.js';
import { audienceText, countText, languageName, lines, momentText, previewReplies } from './nudge-view.js';

export interface Draft {
  ini: number;
  t?: NudgeMomentType;
  aud: AudienceFilter;
  v: Record<string, string>;
  /** Voice notes recorded in the chat, per language (not Dutch: the Dutch text is what every fallback reads). */
  vm?: Record<string, { channel: ChannelName; media: InboundMedia }>;
  li?: string;
  wd?: number;
  md?: number;
  mo?: number;
  dy?: number;
  ek?: string;
  date?: string;
  tm?: string;
  picked?: string[];
}

const TYPES: NudgeMomentType[] = ['once', 'weekly', 'monthly', 'childAge', 'event'];
const isType = (s: string | undefined): s is NudgeMomentType => TYPES.includes(s as NudgeMomentType);
const record = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** The draft of a state, field by field (a state is data from the database). */
export function draftOf(st: FlowState | null): Draft | null {
  if (st?.flow !== 'nudge') return null;
  const d = st.data;
  const ini = num(d, 'ini');
  if (ini === undefined) return null;
  const v = Object.fromEntries(Object.entries(record(d.v) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const draft: Draft = { ini, aud: (record(d.aud) ?? {}) as AudienceFilter, v };
  const t = str(d, 't');
  if (isType(t)) draft.t = t;
  for (const k of ['li', 'ek', 'date', 'tm'] as const) {
    const s = str(d, k);
    if (s !== undefined) draft[k] = s;
  }
  for (const k of ['wd', 'md', 'mo', 'dy'] as const) {
    const n = num(d, k);
    if (n !== undefined) draft[k] = n;
  }
  if (Array.isArray(d.picked)) draft.picked = d.picked.filter((x): x is string => typeof x === 'string');
  const vm = Object.entries(record(d.vm) ?? {}).filter((e): e is [string, { channel: ChannelName; media: InboundMedia }] => {
    const m = record(e[1]);
    return typeof m?.channel === 'string' && typeof record(m.media)?.ref === 'string';
  });
  if (vm.length) draft.vm = Object.fromEntries(vm);
  return draft;
}

export const mayNudge = (ctx: FlowContext, initiativeId: number): boolean => may(ctx.person?.memberships ?? [], 'nudge', initiativeId);
const at = (step: string, lang: string, d: Draft): FlowState => state('nudge', step, lang, { ...d } as Record<string, unknown>);
const stopRow = (): Choice[] => [choice('nd:stop', 'nudge:button.stop')];
const ask = (key: string, params?: Parameters<typeof say>[1], choices: Choice[][] = []): Reply => say(key, params, [...choices, stopRow()]);

export function beginCompose(ini: number, lang: string, ctx: FlowContext): FlowResult {
  return goTo('type', { ini, aud: {}, v: {} }, lang, ctx);
}

/** Moves to a step and asks its question. */
function goTo(step: string, d: Draft, lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  const st = at(step, lang, d);
  return result(st, lang, [...before, ...composePrompt(st, ctx)]);
}

export function composePrompt(st: FlowState, ctx: FlowContext): Reply[] {
  const d = draftOf(st);
  if (!d) return [];
  switch (st.step) {
    case 'type':
      return [ask('nudge:ask.type', undefined, TYPES.map((t) => [choice(`nd:type:${t}`, `nudge:type.${t}`)]))];
    case 'aud':
      return [ask('nudge:ask.audience', undefined, audienceChoices(d))];
    case 'audLangs': {
      const picked = d.picked ?? [];
      const opts = ctx.languages.map((l) => choice(`nd:al:${l.code}`, picked.includes(l.code) ? 'nudge:picked' : 'common:plain', picked.includes(l.code) ? { name: l.endonym } : { value: l.endonym }));
      return [ask('nudge:ask.languages', undefined, [...rows(opts, 2), [choice('nd:alDone', 'nudge:button.done')]])];
    }
    case 'born':
      return [ask('nudge:ask.born')];
    case 'text':
      // Another language may be a voice note: it reaches parents who read little, and spoken-only languages.
      return [ask((d.li ?? 'nl') === 'nl' ? 'nudge:ask.text' : 'nudge:ask.textOrVoice', { language: languageName(d.li ?? 'nl', ctx) })];
    case 'more': {
      const left = ctx.languages.filter((l) => !(l.code in d.v)).map((l) => choice(`nd:lang:${l.code}`, 'common:plain', { value: l.endonym }));
      const done = lines(say('nudge:versions', { languages: Object.keys(d.v).map((c) => languageName(c, ctx)).join(', ') }).text, say('nudge:ask.more').text);
      return [{ text: done, choices: [...rows(left, 2), [choice('nd:vDone', 'nudge:button.done')], stopRow()] }];
    }
    case 'date':
      return [ask('nudge:ask.date')];
    case 'weekday':
      return [ask('nudge:ask.weekday', undefined, rows([1, 2, 3, 4, 5, 6, 7].map((n) => choice(`nd:wd:${n}`, `nudge:weekday.${n}`)), 2))];
    case 'monthDay':
      return [ask('nudge:ask.monthDay')];
    case 'time':
      return [ask('nudge:ask.time')];
    case 'months':
      return [ask('nudge:ask.months')];
    case 'eventKind':
      return [ask('nudge:ask.eventKind', undefined, [...NUDGE_EVENT_KINDS.map((k) => [choice(`nd:ek:${k}`, `nudge:eventKind.${k}`)]), [choice('nd:ek:any', 'nudge:eventKind.any')]])];
    case 'days':
      return [ask('nudge:ask.days')];
    case 'confirm':
      return confirmReplies(d, ctx);
  }
  return [];
}

function audienceChoices(d: Draft): Choice[][] {
  const base = [[choice('nd:aud:all', 'nudge:audience.all')]];
  if (d.t === 'event') return base;
  const registered = [[choice('nd:aud:reg', 'nudge:audience.registered')], [choice('nd:aud:unreg', 'nudge:audience.notRegistered')]];
  if (d.t === 'childAge') return [...base, ...registered];
  return [...base, ...registered, [choice('nd:aud:born', 'nudge:button.born')], [choice('nd:aud:langs', 'nudge:button.languages')]];
}

/** Relative nudges go at this local time (the planner's usual hour); once and recurring ones ask. */
export const RELATIVE_AT = '10:00';

/** The moment the draft describes, once complete. */
export function momentOf(d: Draft): NudgeMoment | null {
  switch (d.t) {
    case 'once':
      return d.date && d.tm ? { type: 'once', date: d.date, at: d.tm } : null;
    case 'weekly':
      return d.wd !== undefined && d.tm ? { type: 'weekly', weekday: d.wd, at: d.tm } : null;
    case 'monthly':
      return d.md !== undefined && d.tm ? { type: 'monthly', day: d.md, at: d.tm } : null;
    case 'childAge':
      return d.mo !== undefined ? { type: 'childAge', months: d.mo, windowMonths: 1, at: RELATIVE_AT } : null;
    case 'event': {
      if (d.dy === undefined || d.ek === undefined) return null;
      const eventKind = (NUDGE_EVENT_KINDS as readonly string[]).includes(d.ek) ? (d.ek as NudgeEventKind) : null;
      return { type: 'event', eventKind, daysBefore: d.dy, windowDays: Math.max(1, d.dy), at: RELATIVE_AT };
    }
    default:
      return null;
  }
}

export const versionsOf = (d: Draft): NudgeVersionInput[] =>
  Object.entries(d.v)
    .map(([lang, t]) => ({ lang, text: t, ...(d.vm?.[lang] ? { voice: d.vm[lang] } : {}) }))
    .sort((a, b) => Number(b.lang === 'nl') - Number(a.lang === 'nl') || a.lang.localeCompare(b.lang));

function confirmReplies(d: Draft, ctx: FlowContext): Reply[] {
  const m = momentOf(d);
  if (!m) return [];
  const zone = ctx.timeZone;
  const reads = ctx.directory.broadcasts;
  const summary = [momentText(m, zone), audienceText(d.aud, ctx)];
  if (reads && kindOfMoment(m) !== 'relative') summary.push(say('nudge:count.now', { count: countText(reads.audienceCount(d.ini, d.aud, ctx.now).total) }).text);
  const [first, ...rest] = summary;
  return [
    say('nudge:preview.intro'),
    ...previewReplies(0, versionsOf(d), ctx, ctx.directory.initiativeById(d.ini)),
    { text: lines(first!, ...rest) },
    { text: say('nudge:ask.confirm').text, choices: [[choice('nd:save', 'nudge:button.save')], stopRow()] },
  ];
}

/** The step after the versions: the first question of the moment. */
function momentStep(d: Draft): string {
  return d.t === 'once' ? 'date' : d.t === 'weekly' ? 'weekday' : d.t === 'monthly' ? 'monthDay' : d.t === 'childAge' ? 'months' : 'eventKind';
}

export type Leave = (d: Draft, lang: string, ctx: FlowContext, before: Reply[], effects?: FlowResult['effects']) => FlowResult;

/** A `nd:` button of the composition; null when it is not one (or not for this step). */
export function composeChoice(what: string, arg: string | undefined, st: FlowState, ctx: FlowContext, leave: Leave): FlowResult | null {
  const d = draftOf(st);
  const lang = st.lang;
  if (!d) return null;
  if (!mayNudge(ctx, d.ini)) return null;
  switch (`${st.step}/${what}`) {
    case 'type/type':
      return isType(arg) ? goTo('aud', { ...d, t: arg, aud: {} }, lang, ctx) : null;
    case 'aud/aud':
      return audienceChosen(arg, d, lang, ctx);
    case 'audLangs/al': {
      if (!arg || !ctx.languages.some((l) => l.code === arg)) return null;
      const picked = d.picked ?? [];
      return goTo('audLangs', { ...d, picked: picked.includes(arg) ? picked.filter((c) => c !== arg) : [...picked, arg] }, lang, ctx);
    }
    case 'audLangs/alDone': {
      const picked = d.picked ?? [];
      if (!picked.length) return goTo('audLangs', d, lang, ctx, [say('nudge:problem.noLanguage')]);
      const { picked: _p, ...rest } = d;
      return goTo('text', { ...rest, aud: { ...d.aud, languages: picked }, li: 'nl' }, lang, ctx);
    }
    case 'more/lang':
      return arg && ctx.languages.some((l) => l.code === arg) && !(arg in d.v) ? goTo('text', { ...d, li: arg }, lang, ctx) : null;
    case 'more/vDone':
      return goTo(momentStep(d), d, lang, ctx);
    case 'weekday/wd': {
      const n = Number(arg);
      return Number.isInteger(n) && n >= 1 && n <= 7 ? goTo('time', { ...d, wd: n }, lang, ctx) : null;
    }
    case 'eventKind/ek':
      return arg && (arg === 'any' || (NUDGE_EVENT_KINDS as readonly string[]).includes(arg)) ? goTo('days', { ...d, ek: arg }, lang, ctx) : null;
    case 'confirm/save':
      return save(d, lang, ctx, leave);
  }
  return null;
}

function audienceChosen(arg: string | undefined, d: Draft, lang: string, ctx: FlowContext): FlowResult | null {
  const next = (aud: AudienceFilter) => goTo('text', { ...d, aud, li: 'nl' }, lang, ctx);
  switch (arg) {
    case 'all':
      return next({});
    case 'reg':
    case 'unreg':
      return d.t === 'event' ? null : next({ registered: arg === 'reg' });
    case 'born':
      return d.t === 'childAge' || d.t === 'event' ? null : goTo('born', d, lang, ctx);
    case 'langs':
      return d.t === 'childAge' || d.t === 'event' ? null : goTo('audLangs', { ...d, picked: [] }, lang, ctx);
  }
  return null;
}

function save(d: Draft, lang: string, ctx: FlowContext, leave: Leave): FlowResult {
  const moment = momentOf(d);
  const problem: NudgeProblem | null = !moment ? 'time' : (momentProblem(moment, { now: ctx.now, zone: ctx.timeZone }) ?? audienceProblem(moment, d.aud));
  if (!moment || problem) return goTo(moment ? momentStep(d) : 'type', d, lang, ctx, [say(`nudge:problem.${problem ?? 'time'}`)]);
  if (!d.v.nl?.trim()) return goTo('text', { ...d, li: 'nl' }, lang, ctx, [say('nudge:problem.noDutch')]);
  const command = { op: 'create' as const, initiativeId: d.ini, audience: d.aud, moment, versions: versionsOf(d) };
  return leave(d, lang, ctx, [say('nudge:saved')], [{ type: 'nudge', command }]);
}

/** Typed text in a step of the composition. */
export function composeText(input: FlowInput, st: FlowState, ctx: FlowContext): FlowResult | null {
  const d = draftOf(st);
  if (!d || !mayNudge(ctx, d.ini)) return null;
  const lang = st.lang;
  if (input.kind === 'media' && st.step === 'text') {
    const li = d.li ?? 'nl';
    if (li === 'nl' || input.media.type !== 'voice') return goTo(st.step, d, lang, ctx, [say(li === 'nl' ? 'nudge:problem.dutchText' : 'nudge:problem.voiceOnly')]);
    const { li: _li, ...rest } = d;
    return goTo('more', { ...rest, v: { ...d.v, [li]: input.caption?.trim() ?? '' }, vm: { ...d.vm, [li]: { channel: ctx.channel, media: input.media } } }, lang, ctx);
  }
  if (input.kind !== 'text') return null;
  const typed = input.text.trim();
  const again = (key: string, params?: Parameters<typeof say>[1]) => goTo(st.step, d, lang, ctx, [say(key, params)]);
  switch (st.step) {
    case 'born': {
      const range = parseMonthRange(typed);
      return range ? goTo('text', { ...d, aud: { ...d.aud, bornFrom: range.from, bornTo: range.to }, li: 'nl' }, lang, ctx) : again('nudge:problem.born');
    }
    case 'text': {
      if (!typed) return again('nudge:problem.empty');
      if (typed.length > MAX_TEXT) return again('nudge:problem.long');
      const { li: _li, ...rest } = d;
      // A typed text replaces a voice note given for that language before.
      const vm = d.vm ? Object.fromEntries(Object.entries(d.vm).filter(([l]) => l !== (d.li ?? 'nl'))) : undefined;
      return goTo('more', { ...rest, v: { ...d.v, [d.li ?? 'nl']: typed }, ...(vm ? { vm } : {}) }, lang, ctx);
    }
    case 'date': {
      const when = parseDayTime(typed);
      if (!when) return again('nudge:problem.date');
      const next = { ...d, date: when.date, tm: when.at };
      const problem = momentProblem(momentOf(next)!, { now: ctx.now, zone: ctx.timeZone });
      return problem ? again(`nudge:problem.${problem}`) : goTo('confirm', next, lang, ctx);
    }
    case 'time': {
      const tm = parseTime(typed);
      return tm ? goTo('confirm', { ...d, tm }, lang, ctx) : again('nudge:problem.time');
    }
    case 'monthDay': {
      const md = parseWhole(typed, 1, 31);
      return md === null ? again('nudge:problem.monthDay') : goTo('time', { ...d, md }, lang, ctx);
    }
    case 'months': {
      const mo = parseWhole(typed, 0, MAX_CHILD_AGE_MONTHS);
      return mo === null ? again('nudge:problem.months') : goTo('confirm', { ...d, mo }, lang, ctx);
    }
    case 'days': {
      const dy = parseWhole(typed, 0, MAX_DAYS_BEFORE_EVENT);
      return dy === null ? again('nudge:problem.days') : goTo('confirm', { ...d, dy }, lang, ctx);
    }
  }
  return null;
}

/** Long enough for a real message, short enough for one Telegram message (4096) with the fallback line. */
export const MAX_TEXT = 3000;
