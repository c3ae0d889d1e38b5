/**
 * Broadcast, steps 1 and 2: the initiative (only those where the author may broadcast) and the
 * audience. The audience step is a hub: every filter narrows the group, and after each choice
 * the author sees at once how many parents it reaches and how many read each language (counts
 * under 5 as "fewer than 5"; never a name). States: `initiative`, `audience`, `bornFromYear`,
 * `bornFromMonth`, `bornToYear`, `bornToMonth`, `t3`, `reg`, `event`, `eventAnswer`, `interest`,
 * `langs`, `silent`. A filter's question goes back to the hub without changing anything.
 */
import type { Choice, Reply, Text } from '../core/messages.js';
import { initiativesFor } from '../domain/authorization.js';
import type { AudienceFilter } from '../domain/broadcast.types.js';
import { PHASE_ACTIONS } from '../domain/phase-actions.js';
import type { FlowContext } from './flow.types.js';
import { choice, monthYear, nowYearMonth, rows, say, text } from './kit.js';
import {
  ask,
  bare,
  bc,
  countText,
  draftKeyOf,
  go,
  initiativeName,
  languageName,
  lines,
  mayCompose,
  membershipsOf,
  readsOf,
  type Compose,
  type Move,
  type StepDef,
} from './broadcast-common.flow.js';

/** Birth years offered: children 0–4 and those expected (from five years back to next year). */
const YEARS_BACK = 5;
const TURNS3_MONTHS = [3, 6, 12] as const;
const SILENT_WEEKS = [2, 4, 8, 12] as const;
const RSVP_ANSWERS = ['yes', 'maybe', 'no', 'none'] as const;
/** At most this many events to choose from: the soonest. */
const MAX_EVENTS = 8;

const ym = (year: number, month: number): string => `${year}-${String(month).padStart(2, '0')}`;
const parseYm = (s: string | undefined): { year: number; month: number } | null => {
  const m = /^(\d{4})-(\d{2})$/.exec(s ?? '');
  return m ? { year: Number(m[1]), month: Number(m[2]) } : null;
};

/** A new composition on an initiative: the draft is created now and found again next turn by its key. */
export function startOn(initiativeId: number, ctx: FlowContext): Move {
  const c: Compose = { ini: initiativeId, key: draftKeyOf(ctx), aud: {} };
  return { step: 'audience', c, effects: [bc({ op: 'create', initiativeId, draftKey: c.key })] };
}

const initiative: StepDef = {
  prompt: (_c, ctx) => {
    const ids = initiativesFor(membershipsOf(ctx), 'broadcast');
    return [ask('compose:initiative.ask', undefined, ids.map((id) => [choice(`bc:ini:${id}`, 'common:plain', { value: initiativeName(id, ctx) })]))];
  },
  handle: (c, input, ctx) => {
    if (input.kind !== 'button' || input.what !== 'ini') return null;
    const id = Number(input.arg);
    if (!Number.isInteger(id) || !mayCompose(ctx, id)) return { step: 'initiative', c, say: [say('staff:refused')] };
    return startOn(id, ctx);
  },
  back: () => ({ leave: [] }),
};

/** The filters chosen so far, one line each (in the author's language). */
function filterLines(a: AudienceFilter, ctx: FlowContext, lang: string): Text[] {
  const out: Text[] = [];
  const from = parseYm(a.bornFrom);
  const to = parseYm(a.bornTo);
  if (from && to) out.push(text('compose:filter.born', { from: monthYear(from), to: monthYear(to) }));
  if (a.turns3WithinMonths !== undefined) out.push(text('compose:filter.turns3', { months: text('common:months', { count: a.turns3WithinMonths }) }));
  if (a.registered !== undefined) out.push(text(a.registered ? 'compose:filter.registered' : 'compose:filter.notRegistered'));
  if (a.rsvp) {
    const ev = ctx.directory.eventFor(a.rsvp.eventId, ctx.person?.id ?? 0);
    const title = ev ? (ev.titles[lang] ?? ev.titles.nl ?? '') : '–';
    out.push(text('compose:filter.rsvp', { answer: text(`compose:rsvp.${a.rsvp.answers[0] ?? 'yes'}`), event: title }));
  }
  if (a.interest) out.push(text('compose:filter.interest', { action: text(`phases:actions.${a.interest}.title`) }));
  if (a.languages?.length) out.push(text('compose:filter.languages', { languages: a.languages.map((l) => languageName(l, ctx)).join(', ') }));
  if (a.silentWeeks !== undefined) out.push(text('compose:filter.silent', { weeks: text('compose:weeks', { count: a.silentWeeks }) }));
  return out;
}

/** Who the message is for, how many that are, and how many read each language. */
export function audienceSummary(c: Compose, ctx: FlowContext, lang: string): Reply {
  const name = initiativeName(c.ini, ctx);
  const filters = filterLines(c.aud, ctx, lang);
  const head = filters.length ? lines(text('compose:audience.filtered', { name }), ...filters) : text('compose:audience.everyone', { name });
  const count = readsOf(ctx)?.audienceCount(c.ini, c.aud, ctx.now) ?? { total: 0, byLanguage: [] };
  const perLanguage = count.byLanguage.filter((l) => l.count !== 0).map((l) => text('compose:count.lang', { language: languageName(l.lang, ctx), n: countText(l.count) }));
  return { text: lines(head, text('compose:count.total', { n: countText(count.total) }), ...perLanguage) };
}

const audience: StepDef = {
  prompt: (c, ctx) => {
    const hasEvents = ctx.directory.upcomingEvents(c.ini, ctx.now).length > 0;
    const filtered = Object.keys(c.aud).length > 0;
    const items: Choice[][] = [
      [choice('bc:a:born', 'compose:audience.born')],
      [choice('bc:a:t3', 'compose:audience.turns3')],
      [choice('bc:a:reg', 'compose:audience.registered')],
      ...(hasEvents ? [[choice('bc:a:ev', 'compose:audience.event')]] : []),
      [choice('bc:a:int', 'compose:audience.interest')],
      [choice('bc:a:lang', 'compose:audience.language')],
      [choice('bc:a:silent', 'compose:audience.silent')],
      ...(filtered ? [[choice('bc:a:all', 'compose:audience.all')]] : []),
      [choice('bc:a:done', 'compose:audience.done')],
    ];
    return [audienceSummary(c, ctx, ctx.person?.language ?? 'nl'), ask('compose:audience.ask', undefined, items)];
  },
  handle: (c, input, ctx) => {
    if (input.kind !== 'button' || input.what !== 'a') return null;
    switch (input.arg) {
      case 'born':
        return go('bornFromYear', c);
      case 't3':
        return go('t3', c);
      case 'reg':
        return go('reg', c);
      case 'ev':
        return ctx.directory.upcomingEvents(c.ini, ctx.now).length ? go('event', c) : go('audience', c, [say('compose:audience.noEvents')]);
      case 'int':
        return go('interest', c);
      case 'lang':
        return go('langs', c);
      case 'silent':
        return go('silent', c);
      case 'all':
        return go('audience', { ...c, aud: {} });
      case 'done':
        return audienceDone(c, ctx);
    }
    return null;
  },
  back: (c) => ({ step: 'initiative', c }),
};

/** The audience is chosen: saved on the draft; the languages to write are fixed (Dutch first, then by size). */
function audienceDone(c: Compose, ctx: FlowContext): Move {
  const count = readsOf(ctx)?.audienceCount(c.ini, c.aud, ctx.now);
  if (!count || count.total === 0 || c.bid === undefined) return go('audience', c, [say('compose:audience.nobody')]);
  const langs = ['nl', ...count.byLanguage.filter((l) => l.count !== 0 && l.lang !== 'nl').map((l) => l.lang)];
  return go('version', { ...c, langs, li: 0 }, undefined, [bc({ op: 'audience', broadcastId: c.bid, audience: c.aud })]);
}

const toHub = (c: Compose): Move => go('audience', bare(c));
const setFilter = (c: Compose, patch: Partial<AudienceFilter>): Move => toHub({ ...c, aud: { ...c.aud, ...patch } });

function yearButtons(fromYear: number, ctx: FlowContext): Choice[][] {
  const now = nowYearMonth(ctx).year;
  const years: Choice[] = [];
  for (let y = Math.max(fromYear, now - YEARS_BACK); y <= now + 1; y++) years.push(choice(`bc:y:${y}`, 'common:plain', { value: String(y) }));
  return rows(years, 4);
}

const monthButtons = (fromMonth: number): Choice[][] =>
  rows(
    Array.from({ length: 13 - fromMonth }, (_, i) => choice(`bc:m:${fromMonth + i}`, 'common:plain', { value: { monthName: fromMonth + i } })),
    3,
  );

/** A year from a button, within the offered range. */
function pickedYear(input: Parameters<StepDef['handle']>[1], min: number, ctx: FlowContext): number | null {
  if (input.kind !== 'button' || input.what !== 'y') return null;
  const y = Number(input.arg);
  const now = nowYearMonth(ctx).year;
  return Number.isInteger(y) && y >= Math.max(min, now - YEARS_BACK) && y <= now + 1 ? y : null;
}

function pickedMonth(input: Parameters<StepDef['handle']>[1], min: number): number | null {
  if (input.kind !== 'button' || input.what !== 'm') return null;
  const m = Number(input.arg);
  return Number.isInteger(m) && m >= min && m <= 12 ? m : null;
}

const born: Record<string, StepDef> = {
  bornFromYear: {
    prompt: (_c, ctx) => [ask('compose:born.fromYear', undefined, yearButtons(0, ctx))],
    handle: (c, input, ctx) => {
      const y = pickedYear(input, 0, ctx);
      return y === null ? null : { step: 'bornFromMonth', c: { ...c, y } };
    },
    back: toHub,
  },
  bornFromMonth: {
    prompt: (c) => [ask('compose:born.fromMonth', { year: String(c.y ?? '') }, monthButtons(1))],
    handle: (c, input) => {
      const m = pickedMonth(input, 1);
      return m === null || c.y === undefined ? null : { step: 'bornToYear', c: { ...c, from: ym(c.y, m) } };
    },
    back: (c) => go('bornFromYear', c),
  },
  bornToYear: {
    prompt: (c, ctx) => [ask('compose:born.toYear', undefined, yearButtons(parseYm(c.from)?.year ?? 0, ctx))],
    handle: (c, input, ctx) => {
      const from = parseYm(c.from);
      const y = from ? pickedYear(input, from.year, ctx) : null;
      return y === null ? null : { step: 'bornToMonth', c: { ...c, y } };
    },
    back: (c) => go('bornFromYear', c),
  },
  bornToMonth: {
    prompt: (c) => {
      const from = parseYm(c.from);
      const min = from && from.year === c.y ? from.month : 1;
      return [ask('compose:born.toMonth', { year: String(c.y ?? '') }, monthButtons(min))];
    },
    handle: (c, input) => {
      const from = parseYm(c.from);
      if (!from || c.y === undefined) return null;
      const m = pickedMonth(input, from.year === c.y ? from.month : 1);
      return m === null ? null : setFilter(c, { bornFrom: c.from, bornTo: ym(c.y, m) });
    },
    back: (c) => go('bornFromYear', c),
  },
};

const simple: Record<string, StepDef> = {
  t3: {
    prompt: () => [ask('compose:turns3.ask', undefined, [TURNS3_MONTHS.map((n) => choice(`bc:t3:${n}`, 'common:months', { count: n }))])],
    handle: (c, input) => {
      const n = input.kind === 'button' && input.what === 't3' ? Number(input.arg) : NaN;
      return (TURNS3_MONTHS as readonly number[]).includes(n) ? setFilter(c, { turns3WithinMonths: n }) : null;
    },
    back: toHub,
  },
  reg: {
    prompt: () => [ask('compose:registered.ask', undefined, [[choice('bc:reg:yes', 'compose:registered.yes')], [choice('bc:reg:no', 'compose:registered.no')]])],
    handle: (c, input) => {
      if (input.kind !== 'button' || input.what !== 'reg' || (input.arg !== 'yes' && input.arg !== 'no')) return null;
      return setFilter(c, { registered: input.arg === 'yes' });
    },
    back: toHub,
  },
  silent: {
    prompt: () => [ask('compose:silent.ask', undefined, rows(SILENT_WEEKS.map((n) => choice(`bc:sw:${n}`, 'compose:weeks', { count: n })), 2))],
    handle: (c, input) => {
      const n = input.kind === 'button' && input.what === 'sw' ? Number(input.arg) : NaN;
      return (SILENT_WEEKS as readonly number[]).includes(n) ? setFilter(c, { silentWeeks: n }) : null;
    },
    back: toHub,
  },
  interest: {
    prompt: (c, ctx) => {
      const phase = ctx.directory.initiativeById(c.ini)?.phase ?? 0;
      return [ask('compose:interest.ask', undefined, PHASE_ACTIONS[phase].map((a) => [choice(`bc:int:${a.key}`, `phases:actions.${a.key}.title`)]))];
    },
    handle: (c, input, ctx) => {
      if (input.kind !== 'button' || input.what !== 'int') return null;
      const phase = ctx.directory.initiativeById(c.ini)?.phase ?? 0;
      const key = PHASE_ACTIONS[phase].find((a) => a.key === input.arg)?.key;
      return key ? setFilter(c, { interest: key }) : null;
    },
    back: toHub,
  },
  langs: {
    prompt: (c, ctx) => {
      const picked = c.aud.languages ?? [];
      const options = ctx.languages.map((l) => choice(`bc:lg:${l.code}`, picked.includes(l.code) ? 'staff:picked' : 'common:plain', picked.includes(l.code) ? { name: l.endonym } : { value: l.endonym }));
      return [ask('compose:languages.ask', undefined, [...rows(options, 2), [choice('bc:lgdone', 'compose:button.done')]])];
    },
    handle: (c, input, ctx) => {
      if (input.kind !== 'button') return null;
      const { languages: picked = [], ...rest } = c.aud;
      if (input.what === 'lgdone') return toHub(c);
      const code = input.arg;
      if (input.what !== 'lg' || !code || !ctx.languages.some((l) => l.code === code)) return null;
      const next = picked.includes(code) ? picked.filter((l) => l !== code) : [...picked, code];
      return go('langs', { ...c, aud: next.length ? { ...rest, languages: next } : rest });
    },
    back: toHub,
  },
};

const events: Record<string, StepDef> = {
  event: {
    prompt: (c, ctx) => {
      const lang = ctx.person?.language ?? 'nl';
      const list = ctx.directory.upcomingEvents(c.ini, ctx.now).slice(0, MAX_EVENTS);
      const buttons = list.map((ev) => [
        choice(`bc:ev:${ev.id}`, 'compose:event.label', { title: ev.titles[lang] ?? ev.titles.nl ?? '', when: { dateTime: ev.startsAt.toISOString(), timeZone: ev.timeZone } }),
      ]);
      return [ask('compose:event.ask', undefined, buttons)];
    },
    handle: (c, input, ctx) => {
      if (input.kind !== 'button' || input.what !== 'ev') return null;
      const id = Number(input.arg);
      // Only the initiative's own coming events: an id of another initiative is refused, nothing changes.
      if (!ctx.directory.upcomingEvents(c.ini, ctx.now).some((e) => e.id === id)) return go('event', c, [say('compose:event.notOurs')]);
      return { step: 'eventAnswer', c: { ...c, ev: id } };
    },
    back: toHub,
  },
  eventAnswer: {
    prompt: () => [ask('compose:event.answerAsk', undefined, RSVP_ANSWERS.map((a) => [choice(`bc:rsvp:${a}`, `compose:event.answer.${a}`)]))],
    handle: (c, input) => {
      if (input.kind !== 'button' || input.what !== 'rsvp' || c.ev === undefined) return null;
      const answer = RSVP_ANSWERS.find((a) => a === input.arg);
      return answer ? setFilter(c, { rsvp: { eventId: c.ev, answers: [answer] } }) : null;
    },
    back: (c) => go('event', c),
  },
};

export const AUDIENCE_STEPS: Record<string, StepDef> = { initiative, audience, ...born, ...simple, ...events };
