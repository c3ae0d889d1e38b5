/**
 * The figures for coordinators (issue 12, items 3 and 5): `/stats`, or "Cijfers" in the staff
 * menu. Only a coordinator of the initiative sees them (src/domain/authorization.ts, 'stats.view');
 * anyone else gets the polite refusal. The reply is the figures as text, three short messages in
 * the coordinator's language, read through Directory.stats (computed from live data, small groups
 * suppressed); the `stats` effect audits the view, and after the commit the three charts follow as
 * photos (src/jobs/stats-charts.ts). Choice values: `st:ini:<initiative id>`.
 */
import type { Choice, Reply, Text, TextParam } from '../core/messages.js';
import { initiativesFor, may } from '../domain/authorization.js';
import { localDayOf, formatDay } from '../domain/local-time.js';
import type { EventFigures, LanguageReach, ReachCounts, StatsReport } from '../domain/stats-report.types.js';
import type { ShownCount } from '../domain/stats.types.js';
import type { FlowContext, FlowResult } from './flow.types.js';
import { choice, result, say, state, text } from './kit.js';
import { mainMenu } from './menu.flow.js';

const PREFIX = 'st:';
export const isStatsChoice = (value: string): boolean => value.startsWith(PREFIX);

const memberships = (ctx: FlowContext) => ctx.person?.memberships ?? [];
const nameOf = (id: number, ctx: FlowContext): string => ctx.directory.initiativeById(id)?.name ?? '';

/** "Cijfers (name)" in the staff menu, once per initiative the person coordinates. */
export function statsMenuItems(ctx: FlowContext): Choice[][] {
  return initiativesFor(memberships(ctx), 'stats.view').map((id) => [choice(`st:ini:${id}`, 'stats:staffItem', { name: nameOf(id, ctx) })]);
}

const refuse = (lang: string, ctx: FlowContext): FlowResult => mainMenu(lang, ctx, [say('staff:refused')]);

/** `/stats`: the figures of the one initiative the person coordinates, or the question which one. */
export function beginStats(lang: string, ctx: FlowContext): FlowResult {
  const ids = initiativesFor(memberships(ctx), 'stats.view');
  if (ids.length === 0) return refuse(lang, ctx);
  if (ids.length === 1) return showStats(ids[0]!, lang, ctx);
  return result(state('staff', 'menu', lang), lang, [say('stats:which', undefined, [...statsMenuItems(ctx), [choice('staff:menu', 'staff:back')]])]);
}

/** A `st:` button; null when it is not one of ours (the router says "old button"). */
export function handleStatsChoice(value: string, lang: string, ctx: FlowContext): FlowResult | null {
  const m = /^st:ini:(\d{1,9})$/.exec(value);
  return m ? showStats(Number(m[1]), lang, ctx) : null;
}

function showStats(initiativeId: number, lang: string, ctx: FlowContext): FlowResult {
  if (!may(memberships(ctx), 'stats.view', initiativeId)) return refuse(lang, ctx);
  // Without the month-by-month history: the text does not show it, and the chart listener reads it after the commit.
  const report = ctx.directory.stats?.report(initiativeId, ctx.now, { history: false });
  if (!report || report.scope.kind !== 'initiative') return refuse(lang, ctx);
  return result(state('staff', 'menu', lang), lang, statsReplies(report, lang, ctx), [{ type: 'stats', initiativeId }]);
}

/* ── The text ─────────────────────────────────────────────────────────────────────────────── */

/** Texts one below the other in one message. */
function lines(first: Text, ...rest: Text[]): Text {
  const [next, ...more] = rest;
  return next ? text('stats:join', { first, rest: lines(next, ...more) }) : first;
}

/** A count as it may be shown: the number, or "minder dan 10". */
export const countParam = (n: ShownCount): TextParam => (n === 'fewer' ? text('stats:fewer') : n);
const readParam = (n: ShownCount | null): TextParam => (n === null ? text('stats:notReported') : countParam(n));
const item = (label: TextParam, n: ShownCount): Text => text('stats:item', { label, n: countParam(n) });
const languageName = (code: string, ctx: FlowContext): string => ctx.languages.find((l) => l.code === code)?.endonym ?? code;
const dayOf = (iso: string, zone: string): TextParam => ({ day: formatDay(localDayOf(new Date(iso), zone)) });
const reachParams = (r: ReachCounts): Record<string, TextParam> => ({ delivered: countParam(r.delivered), read: readParam(r.read), answered: countParam(r.answered) });

/** Three messages: who the parents are; how far they got; what reached them. The charts follow. */
export function statsReplies(report: StatsReport, lang: string, ctx: FlowContext): Reply[] {
  if (report.scope.kind !== 'initiative') return [];
  const zone = report.timeZone;
  const heard = report.heardFrom.filter((h) => h.parents !== 0);
  const who = lines(
    text('stats:head', { name: report.scope.name, date: dayOf(report.generatedAt, zone), phase: text(`phases:p${report.scope.phase}.name`), parents: countParam(report.parents) }),
    text('stats:ages.title'),
    ...report.byAgeBand.map((b) => item(text(`relay:band.${b.band}`), b.parents)),
    text('stats:languages.title'),
    ...(report.byLanguage.length ? report.byLanguage.map((l) => item(languageName(l.lang, ctx), l.parents)) : [text('stats:none')]),
    text('stats:heard.title'),
    ...(heard.length ? heard.map((h) => item(text(h.source === 'unknown' ? 'stats:unknown' : `onboarding:heardFrom.${h.source}`), h.parents)) : [text('stats:none')]),
  );
  const r = report.registration;
  const p = report.participation.now;
  const ladder = report.ladder;
  const hasLadder = ladder.messages.length > 0 || ladder.callbacks.some((c) => c.tasks !== 0);
  const callbacks = Object.fromEntries(ladder.callbacks.map((c) => [c.outcome, countParam(c.tasks)]));
  const progress = lines(
    text('stats:funnel.title'),
    ...report.funnel.map((f) => item(text(`stats:step.${f.step}`), f.parents)),
    text('stats:registration', { registered: countParam(r.registered), onTime: countParam(r.onTime), late: countParam(r.late), noDate: countParam(r.noDate) }),
    text('stats:participation', { active: countParam(p.active), fading: countParam(p.fading), silent: countParam(p.silent) }),
    ...(hasLadder
      ? [
          text('stats:ladder.title'),
          ...ladder.messages.map((m) => text('stats:ladder.messages', { step: m.ruleId.replace(/^ladder/, ''), n: countParam(m.delivered) })),
          text('stats:ladder.callbacks', callbacks),
        ]
      : []),
  );
  const reach = lines(
    text('stats:reach.title'),
    ...(report.reach.length
      ? [
          ...report.reach.map((x) => text('stats:reach.item', { what: text(`stats:reach.${x.kind}`), date: dayOf(x.at, zone), ...reachParams(x) })),
          text('stats:reach.perLanguage'),
          ...report.reachByLanguage.map((l: LanguageReach) => text('stats:reach.language', { language: languageName(l.lang, ctx), ...reachParams(l) })),
        ]
      : [text('stats:reach.none')]),
    text('stats:events.title'),
    ...(report.events.length ? report.events.map((e) => eventLine(e, lang)) : [text('stats:events.none')]),
    text('stats:footer'),
  );
  return [{ text: who }, { text: progress }, { text: reach, choices: [[choice('staff:menu', 'staff:back')]] }];
}

function eventLine(e: EventFigures, lang: string): Text {
  const title = e.titles[lang] ?? e.titles.nl ?? Object.values(e.titles)[0] ?? '';
  const date = dayOf(e.startsAt, e.timeZone);
  if (e.cancelled) return text('stats:events.cancelled', { title, date });
  return text('stats:events.item', {
    title,
    date,
    going: countParam(e.going),
    waiting: countParam(e.waiting),
    maybe: countParam(e.maybe),
    no: countParam(e.no),
    attended: countParam(e.attended),
  });
}
