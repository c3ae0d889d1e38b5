/**
 * True at the moment it is read (issue 10, item 3): every relative phrase ("nog 3 dagen", an
 * age) is computed from the real send time, never fixed in a rule's wording. Every shipped
 * rule is rendered at the first and the last minute of its window, in every language, and
 * every number in the text must be the real difference at that moment (or a fixed age of the
 * Dutch source, like "vanaf 2 jaar"). A late joiner on each day of a deadline window is checked
 * the same way.
 */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import type { Text, TextParam } from '../../src/core/messages.js';
import { formatDate, miniHtmlToPlain, renderReply } from '../../src/core/render.js';
import { languagesIn } from '../../src/cli/i18n/locale-files.js';
import { deliveryReply, type MessageLookups } from '../../src/domain/delivery-message.js';
import type { Candidate, NewsletterSlot, PlanChild, PlanEvent, PlanInitiative, PlanPerson } from '../../src/domain/nurture.types.js';
import type { CohortRule, RegistrationRule } from '../../src/domain/registration-deadline.js';
import { parseReminderRules } from '../../src/domain/reminder-rules.js';
import { candidatesFor } from '../../src/domain/timeline.js';

const AMS = 'Europe/Amsterdam';
const DAY = 86_400_000;
const RULES = parseReminderRules(JSON.parse(readFileSync('config/reminder-rules.json', 'utf8')));
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
const LANGUAGES = languagesIn(DEFAULT_LOCALES_DIR);

const at = (local: string): Date => DateTime.fromFormat(local, 'yyyy-LL-dd HH:mm', { zone: AMS }).toJSDate();

const child = (id: number, ym: string, extra: Partial<PlanChild> = {}): PlanChild => {
  const [year, month] = ym.split('-').map(Number) as [number, number];
  return { id, year, month, expected: false, registered: false, placement: null, ...extra };
};
const person = (children: PlanChild[], extra: Partial<PlanPerson> = {}): PlanPerson => ({
  id: 1,
  proactive: true,
  reminders: true,
  newsletter: false,
  quiet: null,
  initiativeId: 7,
  joinedAt: at('2026-12-01 12:00'),
  children,
  ...extra,
});
const initiative = (registration: RegistrationRule, extra: Partial<PlanInitiative> = {}): PlanInitiative => ({
  id: 7,
  phase: 2,
  timeZone: AMS,
  registration,
  hasNewsletterSchedule: true,
  phaseSince: at('2027-01-10 08:00'),
  ...extra,
});
const amsterdam = (dates: Record<string, string>): CohortRule => ({
  kind: 'cohorts',
  windows: [
    { fromMonth: 1, toMonth: 4, deadlineYearOffset: 3, deadlineMonth: 6 },
    { fromMonth: 5, toMonth: 8, deadlineYearOffset: 3, deadlineMonth: 11 },
    { fromMonth: 9, toMonth: 12, deadlineYearOffset: 4, deadlineMonth: 3 },
  ],
  dates,
});
const event = (rsvp: ('none' | 'yes' | 'going')[]): PlanEvent => ({ id: 31, initiativeId: 7, startsAt: at('2027-03-10 09:00'), minAgeMonths: 0, maxAgeMonths: 60, rsvpOf: () => rsvp });

interface World {
  person: PlanPerson;
  initiative: PlanInitiative;
  events: PlanEvent[];
  slots: NewsletterSlot[];
}

/** Worlds in which, together, every shipped rule fires. */
const WORLDS: World[] = [
  // Amsterdam with published days; twins plus an expected baby.
  {
    person: person([child(11, '2024-05'), child(12, '2024-05'), child(13, '2027-02', { expected: true })], { newsletter: true }),
    initiative: initiative(amsterdam({ '2027-11': '2027-11-04', '2028-03': '2028-03-02' })),
    events: [event(['none'])],
    slots: [{ initiativeId: 7, slot: '2027-01-11T10:00', at: at('2027-01-11 10:00') }],
  },
  // Amsterdam before the day is published; one child; joined without the newsletter; going to the event.
  { person: person([child(21, '2024-10')], { joinedAt: at('2027-02-01 12:00') }), initiative: initiative(amsterdam({})), events: [event(['yes', 'going'])], slots: [] },
  // A town where registration opens at 3.
  { person: person([child(31, '2024-06'), child(32, '2027-01')]), initiative: initiative({ kind: 'fromAge3' }), events: [], slots: [] },
];

function candidates(w: World, now: Date, horizonMs = 0): Candidate[] {
  return candidatesFor({ now, horizonMs, rules: RULES, person: w.person, initiative: w.initiative, events: w.events, newsletterSlots: w.slots, defaultTimeZone: AMS });
}

/** The first candidate of each rule, by sweeping every world day by day at 12:00 and at 10:00. */
function firstOfEachRule(): Map<string, { world: World; c: Candidate }> {
  const found = new Map<string, { world: World; c: Candidate }>();
  for (const world of WORLDS) {
    for (let t = at('2026-12-01 10:00').getTime(); t < at('2029-01-01 10:00').getTime(); t += DAY / 2) {
      for (const c of candidates(world, new Date(t), DAY)) if (!found.has(c.ruleId)) found.set(c.ruleId, { world, c });
    }
  }
  return found;
}

const localDay = (d: Date) => DateTime.fromJSDate(d, { zone: AMS }).startOf('day');
/** The real number of days from the reader's local day to the deadline day. */
const realDaysLeft = (deadline: string, now: Date): number => Math.round(DateTime.fromISO(deadline, { zone: AMS }).diff(localDay(now), 'days').days);
/** The real age in whole months on the reader's local day. */
const realAgeMonths = (c: { year: number; month: number }, now: Date): number => {
  const d = localDay(now);
  return d.year * 12 + d.month - (c.year * 12 + c.month);
};

const ARABIC_DIGITS = /[٠-٩]/g;
const toAscii = (s: string): string => s.replace(ARABIC_DIGITS, (d) => String(d.charCodeAt(0) - 0x0660));

/** Every date the text carries, as the reader sees it (removed before numbers are compared). */
function datesIn(param: TextParam | undefined, lang: string, out: string[] = []): string[] {
  if (param === undefined || typeof param !== 'object') return out;
  if ('key' in param) {
    for (const p of Object.values((param as Text).params ?? {})) datesIn(p, lang, out);
    return out;
  }
  out.push(formatDate(lang, param));
  return out;
}

/** The numbers of a Dutch source text that are fixed facts ("vanaf 2 jaar"), not relative ones. */
function fixedNumbers(key: string): string[] {
  const [ns, path] = key.split(':') as [string, string];
  const text = String(i18n.getResource('nl', ns, path) ?? '');
  return [...text.replace(/\{\{[^}]+\}\}/g, '').matchAll(/\d+/g)].map((m) => m[0]);
}

function render(c: Candidate, lang: string, now: Date): { text: string; params: Text } {
  const look: MessageLookups = { initiative: { name: 'Samen naar school', school: 'De Linde' }, event: { title: 'Rondleiding', place: 'Hoofdweg', startsAt: at('2027-03-10 09:00'), timeZone: AMS }, newsletterText: 'Hallo', now, timeZone: AMS };
  const reply = deliveryReply(c.payload, look);
  return { text: toAscii(miniHtmlToPlain(renderReply(i18n, lang, reply).text)), params: reply.text };
}

/** The numbers in a rendered text once its dates are removed. */
function numbersIn(text: string, params: Text, lang: string): string[] {
  let rest = text.replace(/[\u2068\u2069\u200f\u200e]/g, '');
  const dates = datesIn(params, lang).map((d) => toAscii(d));
  // The event's time, as the renderer writes it.
  dates.push(toAscii(formatDate(lang, { dateTime: at('2027-03-10 09:00').toISOString(), timeZone: AMS })));
  for (const d of dates.sort((a, b) => b.length - a.length)) rest = rest.split(d).join(' ');
  return [...rest.matchAll(/\d+/g)].map((m) => m[0]);
}

/** What the numbers of a message must be at `now`: the real difference, and the source's fixed facts. */
function expectTrue(c: Candidate, lang: string, now: Date): void {
  const { text, params } = render(c, lang, now);
  expect(text, `${c.ruleId} ${lang}`).not.toMatch(/\{\{|nurture:/);
  const allowed = new Set(fixedNumbers(c.payload.key));
  if (c.payload.countdown) {
    const days = realDaysLeft(c.payload.countdown, now);
    expect(days, `${c.ruleId}: the window never reaches past the deadline day`).toBeGreaterThanOrEqual(0);
    if (days === 0) expect(text).toContain(i18n.getFixedT(lang)('nurture:left.today'));
    else {
      expect(text, `${c.ruleId} ${lang} at ${now.toISOString()}`).toMatch(new RegExp(`(^|\\D)${days}(\\D|$)`));
      allowed.add(String(days));
    }
  }
  if (c.payload.age) {
    const months = realAgeMonths(c.payload.children![0]!, now);
    const years = Math.floor(months / 12);
    const rest = months % 12;
    for (const n of [years, rest].filter((n) => n > 0)) {
      expect(text, `${c.ruleId} ${lang}: age`).toMatch(new RegExp(`(^|\\D)${n}(\\D|$)`));
      allowed.add(String(n));
    }
  }
  for (const n of numbersIn(text, params, lang)) expect(allowed, `${c.ruleId} ${lang}: "${n}" in «${text}»`).toContain(n);
}

describe('true at the moment it is read', () => {
  const firsts = firstOfEachRule();

  it('the worlds cover every shipped rule', () => {
    expect([...firsts.keys()].sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  const cases = RULES.flatMap((r) => LANGUAGES.map((lang) => [r.id, lang] as const));
  it.each(cases)('%s in %s: the numbers are true at the first and the last minute of the window', (ruleId, lang) => {
    const { c } = firsts.get(ruleId)!;
    const first = c.dueAt;
    const last = new Date((c.expiresAt ?? new Date(c.dueAt.getTime() + 30 * DAY)).getTime() - 60_000);
    expect(last.getTime()).toBeGreaterThan(first.getTime());
    expectTrue(c, lang, first);
    expectTrue(c, lang, last);
  });

  it('no Dutch text of a rule says a relative number in fixed words', () => {
    // "over 6 weken", "nog 2 dagen", "bijna 2 jaar": such phrases come from {{left}} or {{age}} only.
    for (const r of RULES) {
      const keys = typeof r.message === 'string' ? (r.trigger.type === 'phase' ? [0, 1, 2, 3, 4, 5].map((n) => `${r.message as string}.p${n}`) : [r.message]) : Object.values(r.message);
      for (const key of keys) {
        const [ns, path] = (key as string).split(':') as [string, string];
        const text = String(i18n.getResource('nl', ns, path));
        expect(text, key as string).not.toMatch(/\b(over|nog|bijna|ruim)\s+\d+\s+(dag|dagen|week|weken|maand|maanden|jaar)\b/i);
      }
    }
  });

  const DEADLINE_RULES = ['group-registration', 'deadline-14', 'deadline-2', 'registration-opens'];
  it.each(DEADLINE_RULES)('%s: a late joiner on each day of the window reads true numbers in every language', (ruleId) => {
    const { world, c } = firsts.get(ruleId)!;
    let days = 0;
    for (let t = c.dueAt.getTime(); t < (c.expiresAt?.getTime() ?? 0); t += DAY) {
      // Joining that day at 14:00: the planner finds the message at once (due in the past, not expired).
      const now = new Date(Math.min(t + 4 * 3_600_000, (c.expiresAt?.getTime() ?? t) - 60_000));
      const late = candidates({ ...world, person: { ...world.person, joinedAt: now } }, now).find((x) => x.ruleId === ruleId && x.occurrence === c.occurrence && x.childId === c.childId);
      expect(late, `${ruleId} on ${now.toISOString()}`).toBeDefined();
      for (const lang of LANGUAGES) expectTrue(late!, lang, now);
      days++;
    }
    expect(days).toBeGreaterThan(1);
  });

  it('the day itself says "today", not "2 days left"', () => {
    const { c } = firsts.get('deadline-2')!;
    const deadlineDay = at(`${c.payload.countdown!} 12:00`);
    const { text } = render(c, 'nl', deadlineDay);
    expect(text).toContain('Vandaag is de laatste dag!');
    expect(text).not.toMatch(/Nog \d+ dag/);
    expect(render(c, 'nl', new Date(deadlineDay.getTime() - DAY)).text).toContain('Nog 1 dag!');
    expect(render(c, 'nl', new Date(deadlineDay.getTime() - 2 * DAY)).text).toContain('Nog 2 dagen!');
  });

  it('a 27-month-old is not "almost 2": the age is counted at the send time', () => {
    const { c } = firsts.get('toddler-groups')!;
    const born = c.payload.children![0]!;
    const at27 = at(`${DateTime.fromObject({ year: born.year, month: born.month }).plus({ months: 27 }).toFormat('yyyy-LL')}-15 12:00`);
    expect(render(c, 'nl', at27).text).toContain('nu 2 jaar en 3 maanden oud');
    expect(render(c, 'en', at27).text).toContain('now 2 years and 3 months old');
  });
});
