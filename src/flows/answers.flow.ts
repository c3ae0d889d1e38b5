/**
 * What the chat answers on demand, from the parent's own children and initiative: each
 * child's registration deadline by the initiative's city rule ("Meld je kind op tijd aan"),
 * and the coming events that fit the children's ages ("Events" in the menu), with the same
 * RSVP buttons as an invitation (`ev:<event>:yes|maybe|no`, answered in nurture.flow.ts).
 * No states of their own: the conversation stays at the menu.
 */
import type { Choice, Reply, Text } from '../core/messages.js';
import { yearMonthIn } from '../core/clock.js';
import { monthIndex, type YearMonth } from '../domain/birth-month.js';
import { ageText } from '../domain/delivery-message.js';
import { formatDay, localDayOf } from '../domain/local-time.js';
import { firstRegistrationAgeMonths, registrationDeadline, ymKey, type RegistrationRule } from '../domain/registration-deadline.js';
import type { ChildView, FlowContext, FlowResult, UpcomingEvent } from './flow.types.js';
import { choice, monthYear, nowYearMonth, result, say, state, text } from './kit.js';

/** At most this many events in the list: the soonest ones. */
export const MAX_LISTED_EVENTS = 5;

const back = (): Choice[] => [choice('menu:main', 'menu:back')];

/** Texts one below the other, in one message. */
function lines(first: Text, ...rest: Text[]): Text {
  const [next, ...more] = rest;
  return next ? text('phases:deadline.join', { first, rest: lines(next, ...more) }) : first;
}

/** The birth months of the children who are born (twins share one line: they share a deadline). */
function bornMonths(children: ChildView[]): (YearMonth & { registered: boolean })[] {
  const byMonth = new Map<string, YearMonth & { registered: boolean }>();
  for (const c of [...children].sort((a, b) => monthIndex(a) - monthIndex(b))) {
    if (c.expected) continue;
    const key = `${c.year}-${c.month}`;
    const seen = byMonth.get(key);
    byMonth.set(key, { year: c.year, month: c.month, registered: (seen?.registered ?? true) && c.registered === true });
  }
  return [...byMonth.values()];
}

/**
 * One child's line: registered already; "you can register from <month>, then your child is
 * <age>" while that is still ahead; else the deadline's day, or its month while the city has
 * not published the day, or "register at the school" where there is no central deadline.
 */
export function deadlineLine(child: YearMonth & { registered: boolean }, rule: RegistrationRule, today: string, now: YearMonth): Text {
  const born = monthYear(child);
  if (child.registered) return text('phases:deadline.registered', { born });
  const d = registrationDeadline(child, rule, { from: today });
  if (monthIndex(now) < monthIndex(d.opens)) {
    return text('phases:deadline.opens', { born, opens: monthYear(d.opens), age: ageText(monthIndex(d.opens) - monthIndex(child)) });
  }
  switch (d.kind) {
    case 'date':
      return d.date < today ? text('phases:deadline.passedDay', { born, date: { date: d.date } }) : text('phases:deadline.date', { born, date: { date: d.date } });
    case 'monthOnly':
      return ymKey(d.deadline) < today.slice(0, 7) ? text('phases:deadline.passedMonth', { born, month: monthYear(d.deadline) }) : text('phases:deadline.month', { born, month: monthYear(d.deadline) });
    case 'fromAge3':
      return text('phases:deadline.atSchool', { born });
  }
}

/** "Meld je kind op tijd aan": the city's first registration age, then each child's own deadline. */
export function registrationAnswer(lang: string, ctx: FlowContext): FlowResult {
  const initiative = ctx.person?.initiative;
  const rule: RegistrationRule = initiative ? ctx.directory.registrationRule(initiative.id) : { kind: 'fromAge3' };
  const today = formatDay(localDayOf(ctx.now, ctx.timeZone));
  const now = nowYearMonth(ctx);
  const children = bornMonths(ctx.person?.children ?? []);
  const body = lines(
    text('phases:deadline.intro', { age: ageText(firstRegistrationAgeMonths(rule)) }),
    ...children.map((c) => deadlineLine(c, rule, today, now)),
    text('phases:deadline.outro'),
  );
  const buttons: Choice[][] = initiative ? [[choice('help:register_on_time', 'phases:wantToHelp')], [choice('menu:now', 'menu:backToNow')]] : [back()];
  return result(state('menu', 'main', lang), lang, [{ text: body, choices: buttons }]);
}

/** Whether a born child is in the event's age band, counted in whole months at the event's local date. */
export function fitsAgeBand(children: ChildView[], ev: Pick<UpcomingEvent, 'startsAt' | 'timeZone' | 'minAgeMonths' | 'maxAgeMonths'>): boolean {
  const at = monthIndex(yearMonthIn(ev.startsAt, ev.timeZone));
  return children.some((c) => !c.expected && at - monthIndex(c) >= ev.minAgeMonths && at - monthIndex(c) <= ev.maxAgeMonths);
}

/** "Events": the initiative's coming events for the parent's children, each with the RSVP buttons of an invitation. */
export function eventsList(lang: string, ctx: FlowContext): FlowResult {
  const menuState = state('menu', 'main', lang);
  const initiative = ctx.person?.initiative;
  if (!initiative) return result(menuState, lang, [say('menu:noInitiative', undefined, [[choice('menu:find', 'menu:item.find')], back()])]);
  const children = ctx.person?.children ?? [];
  const coming = ctx.directory
    .upcomingEvents(initiative.id, ctx.now)
    .filter((ev) => fitsAgeBand(children, ev))
    .slice(0, MAX_LISTED_EVENTS);
  if (coming.length === 0) return result(menuState, lang, [say('menu:events.none', undefined, [back()])]);
  const replies: Reply[] = coming.map((ev, i) => {
    const params = {
      title: ev.titles[lang] ?? ev.titles.nl ?? '',
      place: ev.places[lang] ?? ev.places.nl ?? '',
      when: { dateTime: ev.startsAt.toISOString(), timeZone: ev.timeZone },
    };
    const rsvp = [choice(`ev:${ev.id}:yes`, 'nurture:button.yes'), choice(`ev:${ev.id}:maybe`, 'nurture:button.maybe'), choice(`ev:${ev.id}:no`, 'nurture:button.no')];
    return say('menu:events.item', params, i === coming.length - 1 ? [rsvp, back()] : [rsvp]);
  });
  return result(menuState, lang, [say('menu:events.intro'), ...replies]);
}
