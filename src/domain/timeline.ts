/**
 * One person's timeline: which reminder rules are due now. Pure and fast (the planner runs
 * it for every parent every minute). A candidate is produced only while it is still
 * relevant (due ≤ now + horizon and not expired), so a parent who joins late gets what
 * matters now and never a stale deadline or a pile of old messages: the windows of one
 * series (deadline −14 d, −2 d) follow each other without overlap. Each child has its own
 * timeline; event invitations and newsletters are per person.
 */
import { fromIndex, monthIndex } from './birth-month.js';
import { addDays, localAt, localDayOf, localMidnight, parseDay, type LocalDay } from './local-time.js';
import type { Candidate, DeliveryPayload, NewsletterSlot, PlanChild, PlanEvent, PlanInitiative, PlanPerson, RsvpLabel } from './nurture.types.js';
import { registrationDeadline, type RegistrationDeadline } from './registration-deadline.js';
import { isTimeBound, messageKeyOf, type ReminderRule, type RuleAudience } from './reminder-rules.js';

export interface TimelineInput {
  now: Date;
  /** Plan messages due up to this far ahead (they wait in the queue as delayed jobs). */
  horizonMs: number;
  rules: ReminderRule[];
  person: PlanPerson;
  initiative: PlanInitiative | null;
  /** Upcoming events of the person's initiative. */
  events: PlanEvent[];
  /** Newsletter slots of the person's initiative near now. */
  newsletterSlots: NewsletterSlot[];
  defaultTimeZone: string;
}

interface Window {
  dueAt: Date;
  expiresAt: Date | null;
}

const DAY_MS = 86_400_000;

export function candidatesFor(input: TimelineInput): Candidate[] {
  const { person, rules } = input;
  if (!person.proactive) return [];
  const zone = input.initiative?.timeZone ?? input.defaultTimeZone;
  const nowIdx = localMonthIndex(input.now, zone);
  // The last month a child-age message may be due in: next month for a pass a day ahead; the month
  // of now + horizon when the incremental planner looks weeks ahead for a parent's next moment.
  const lastDueIdx = input.horizonMs > 27 * DAY_MS ? Math.max(nowIdx + 1, localMonthIndex(new Date(input.now.getTime() + input.horizonMs), zone)) : nowIdx + 1;
  const out: Candidate[] = [];
  // No closures in this loop: it runs for every rule of 100,000 parents every minute.

  for (const rule of rules) {
    if (rule.consent === 'reminders' ? !person.reminders : !person.newsletter) continue;
    if (!personMatches(rule.audience, person, input.initiative)) continue;
    const t = rule.trigger;

    if (t.type === 'event') {
      for (const ev of input.events) {
        if (t.kinds && !(ev.kind !== undefined && t.kinds.includes(ev.kind))) continue;
        if (!inAgeBand(person.children, ev, zone) || !rsvpMatches(rule.audience.rsvp, ev.rsvpOf(person.id))) continue;
        const day = localDayOf(ev.startsAt, zone);
        const until = localMidnight(addDays(day, t.untilOffsetDays), zone);
        const w = { dueAt: localAt(addDays(day, t.offsetDays), t.at, zone), expiresAt: until < ev.startsAt ? until : ev.startsAt };
        if (isLive(w, input)) out.push(candidate(rule, person.id, null, `e${ev.id}`, w, { key: rule.message as string, params: {}, buttons: rule.buttons, eventId: ev.id }, null));
      }
      continue;
    }
    if (t.type === 'newsletter') {
      for (const s of input.newsletterSlots) {
        const w = { dueAt: s.at, expiresAt: new Date(s.at.getTime() + t.validDays * DAY_MS) };
        if (isLive(w, input)) out.push(candidate(rule, person.id, null, s.slot, w, { key: rule.message as string, params: {}, buttons: null, newsletterSlot: s.slot, initiativeId: s.initiativeId }, null));
      }
      continue;
    }
    if (t.type === 'joined') {
      if (!person.joinedAt) continue;
      const joinedMs = person.joinedAt.getTime();
      if (joinedMs + (t.offsetDays - 1) * DAY_MS > input.now.getTime() + input.horizonMs || joinedMs + (t.untilOffsetDays + 1) * DAY_MS < input.now.getTime()) continue;
      const day = localDayOf(person.joinedAt, zone);
      const w = { dueAt: localAt(addDays(day, t.offsetDays), t.at, zone), expiresAt: localMidnight(addDays(day, t.untilOffsetDays), zone) };
      if (isLive(w, input)) out.push(candidate(rule, person.id, null, `i${person.initiativeId ?? 0}`, w, { key: rule.message as string, params: {}, buttons: rule.buttons }, null));
      continue;
    }
    if (t.type === 'phase') {
      const ini = input.initiative;
      if (!ini?.phaseSince) continue;
      const day = localDayOf(ini.phaseSince, zone);
      const dueAt = ini.phaseSince.getTime() > localAt(day, t.at, zone).getTime() ? ini.phaseSince : localAt(day, t.at, zone);
      const w = { dueAt, expiresAt: localMidnight(addDays(day, t.validDays), zone) };
      const payload = { key: `${rule.message as string}.p${ini.phase}`, params: {}, buttons: rule.buttons, initiativeId: ini.id };
      if (isLive(w, input)) out.push(candidate(rule, person.id, null, `i${ini.id}-phase${ini.phase}`, w, payload, null));
      continue;
    }
    if (t.type === 'fixedDate') {
      const day = parseDay(t.date);
      const w = { dueAt: localAt(day, t.at, zone), expiresAt: localMidnight(addDays(day, t.validDays), zone) };
      if (isLive(w, input)) out.push(candidate(rule, person.id, null, t.date, w, { key: rule.message as string, params: {}, buttons: rule.buttons }, null));
      continue;
    }
    for (const child of person.children) {
      if (!childMatches(rule.audience, child)) continue;
      if (t.type === 'childAge') {
        // Cheap month test first: most children are nowhere near this rule's window.
        const dueIdx = monthIndex(child) + t.months;
        if (dueIdx > lastDueIdx || monthIndex(child) + t.untilMonths < nowIdx) continue;
        const w = { dueAt: firstOfMonth(dueIdx, t.at, zone), expiresAt: firstOfMonth(monthIndex(child) + t.untilMonths, '00:00', zone) };
        if (isLive(w, input)) out.push(candidate(rule, person.id, child.id, 'once', w, childPayload(rule, person, child, rule.message as string, {}, !child.expected && t.months >= 12), null));
        continue;
      }
      const known = input.initiative ? deadlineOf(child, input.initiative, person, zone) : null;
      if (!known) continue;
      const deadline = known.deadline;
      if (t.type === 'registration') {
        if (!t.deadlineKinds.includes(deadline.kind)) continue;
        const anchor = t.anchor === 'opens' ? known.opensDay : known.day;
        if (!anchor || !nearDays(anchor, t.offsetDays, t.untilOffsetDays, input)) continue;
        const key = messageKeyOf(rule, deadline.kind);
        if (!key) continue;
        const w = { dueAt: localAt(addDays(anchor, t.offsetDays), t.at, zone), expiresAt: localMidnight(addDays(anchor, t.untilOffsetDays), zone) };
        // "Within 48 h of the deadline": from 48 h before the deadline day begins, so the −2-day reminder always qualifies.
        const urgentFrom = rule.urgent && deadline.kind === 'date' ? new Date(localMidnight(anchor, zone).getTime() - 2 * DAY_MS) : null;
        const payload = childPayload(rule, person, child, key, deadlineParams(deadline), false);
        if (deadline.kind === 'date' && (t.anchor === 'opens' || t.untilOffsetDays <= 1)) {
          // "Nog 3 dagen" is computed at send time; a message that names the last day is never read after it.
          payload.countdown = deadline.date;
          const end = localMidnight(addDays(parseDay(deadline.date), 1), zone);
          if (w.expiresAt > end) w.expiresAt = end;
        }
        if (isLive(w, input)) out.push(candidate(rule, person.id, child.id, occurrenceOf(deadline), w, payload, urgentFrom));
        continue;
      }
      // keepWarm: every 6–8 weeks from some weeks after the deadline until the child turns 4.
      const start = known.day ?? known.opensDay;
      // Cheap tests first: not started yet, or the child is already at school.
      if (monthIndex(child) + t.untilMonths < nowIdx || Date.UTC(start.year, start.month - 1, start.day + t.afterDeadlineDays - 1) > input.now.getTime() + input.horizonMs) continue;
      const end = firstOfMonth(monthIndex(child) + t.untilMonths, '00:00', zone);
      // Seeded by the deadline day, not the child: twins (one deadline) share one series, so one message.
      const current = keepWarmOccurrence(start, t, person.id, start.year * 400 + start.month * 32 + start.day, input.now.getTime() + input.horizonMs, zone);
      if (!current) continue;
      const w = { dueAt: current.dueAt, expiresAt: current.nextAt < end ? current.nextAt : end };
      if (isLive(w, input)) out.push(candidate(rule, person.id, child.id, `n${current.n}`, w, childPayload(rule, person, child, rule.message as string, {}, false), null));
    }
  }
  return out;
}

/**
 * Siblings share one message: candidates of one rule for several children of the person that
 * are due at the same moment (twins; siblings with one deadline) become one candidate naming
 * each child, with the others' candidates in `siblings` (their keys are kept as companion rows,
 * so none of them is ever sent on its own). Input order is kept.
 */
export function mergeSiblings(candidates: Candidate[]): Candidate[] {
  // Nothing to merge without two children's candidates of one rule (one child, or no such pair):
  // the candidates themselves, no copies (the planner asks this for every parent).
  if (!twoOfOneRule(candidates)) return candidates.slice();
  const groups = new Map<string, Candidate>();
  const out: Candidate[] = [];
  for (const c of candidates) {
    if (c.childId === null || !c.payload.children) {
      out.push(c);
      continue;
    }
    const group = `${c.ruleId}|${c.payload.key}|${c.dueAt.getTime()}|${c.expiresAt?.getTime() ?? '-'}`;
    const first = groups.get(group);
    if (!first) {
      const own = { ...c, payload: { ...c.payload, children: [...c.payload.children] }, siblings: [] as Candidate[] };
      groups.set(group, own);
      out.push(own);
      continue;
    }
    first.siblings!.push(c);
    first.payload.children!.push(...c.payload.children);
    first.payload.nameChildren = true;
    if (c.urgentFrom && (!first.urgentFrom || c.urgentFrom < first.urgentFrom)) first.urgentFrom = c.urgentFrom;
  }
  for (const c of out) if (c.siblings?.length === 0) delete c.siblings;
  return out;
}

/** Whether two candidates for children (with `payload.children`) share a rule: only those can be merged. */
function twoOfOneRule(candidates: Candidate[]): boolean {
  for (let i = 0; i < candidates.length; i++) {
    const a = candidates[i]!;
    if (a.childId === null || !a.payload.children) continue;
    for (let j = i + 1; j < candidates.length; j++) {
      const b = candidates[j]!;
      if (b.ruleId === a.ruleId && b.childId !== null && b.payload.children) return true;
    }
  }
  return false;
}

function isLive(w: Window, input: TimelineInput): boolean {
  // Compared as numbers (a Date compared with > converts through valueOf: the same, slower).
  const expires = w.expiresAt === null ? null : w.expiresAt.getTime();
  return w.dueAt.getTime() <= input.now.getTime() + input.horizonMs && (expires === null || (expires > input.now.getTime() && expires > w.dueAt.getTime()));
}

function candidate(rule: ReminderRule, personId: number, childId: number | null, occurrence: string, w: Window, payload: DeliveryPayload, urgentFrom: Date | null): Candidate {
  const kind = rule.consent === 'newsletter' ? 'newsletter' : 'reminder';
  return { ruleId: rule.id, personId, kind, priority: rule.priority, childId, occurrence, dueAt: w.dueAt, expiresAt: w.expiresAt, urgentFrom, timeBound: isTimeBound(rule), payload };
}

function childPayload(rule: ReminderRule, person: PlanPerson, child: PlanChild, key: string, params: DeliveryPayload['params'], age: boolean): DeliveryPayload {
  const payload: DeliveryPayload = {
    key,
    params: { birth: { yearMonth: { year: child.year, month: child.month } }, ...params },
    buttons: rule.buttons,
    childId: child.id,
    children: [{ id: child.id, year: child.year, month: child.month }],
  };
  if (person.children.length > 1) payload.nameChildren = true;
  if (age) payload.age = true;
  return payload;
}

/** Per zone: the local month (monthIndex) of instants asked often (now, now + horizon, event starts: the same for every parent). Bounded. */
const monthIndexes = new Map<string, Map<number, number>>();

function localMonthIndex(instant: Date, zone: string): number {
  let byMs = monthIndexes.get(zone);
  if (!byMs) monthIndexes.set(zone, (byMs = new Map()));
  const ms = instant.getTime();
  let idx = byMs.get(ms);
  if (idx === undefined) {
    idx = monthIndex(localDayOf(instant, zone));
    if (byMs.size > 10_000) byMs.clear();
    byMs.set(ms, idx);
  }
  return idx;
}

const firstDay = (ym: { year: number; month: number }): LocalDay => ({ year: ym.year, month: ym.month, day: 1 });

function firstOfMonth(index: number, time: string, zone: string): Date {
  return localAt(firstDay(fromIndex(index)), time, zone);
}

interface KnownDeadline {
  /** What it was computed from (a child's deadline is asked for by every registration rule, in every pass). */
  registration: PlanInitiative['registration'];
  year: number;
  month: number;
  joinedMs: number | null;
  zone: string;
  deadline: RegistrationDeadline;
  /** deadlineDay(deadline) and the first day of the month registration opens. */
  day: LocalDay | null;
  opensDay: LocalDay;
}

const knownDeadlines = new WeakMap<PlanChild, KnownDeadline>();

/** A child's registration deadline, remembered per child object while its inputs stay the same (the function is pure). */
function deadlineOf(child: PlanChild, ini: PlanInitiative, person: PlanPerson, zone: string): KnownDeadline {
  const joinedMs = person.joinedAt?.getTime() ?? null;
  const had = knownDeadlines.get(child);
  if (had && had.registration === ini.registration && had.year === child.year && had.month === child.month && had.joinedMs === joinedMs && had.zone === zone) return had;
  const deadline = registrationDeadline(child, ini.registration, { from: joinedDay(ini, person, zone) });
  const known = { registration: ini.registration, year: child.year, month: child.month, joinedMs, zone, deadline, day: deadlineDay(deadline), opensDay: firstDay(deadline.opens) };
  knownDeadlines.set(child, known);
  return known;
}

/** The local day the parent joined, for a rule with later rounds (a late joiner gets the next one). */
function joinedDay(ini: PlanInitiative, person: PlanPerson, zone: string): string | null {
  if (ini.registration.kind !== 'schoolYearRounds' || !person.joinedAt) return null;
  const d = localDayOf(person.joinedAt, zone);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** The deadline day; for a month whose day is not published yet, the 1st of that month. */
function deadlineDay(d: RegistrationDeadline): LocalDay | null {
  if (d.kind === 'date') return parseDay(d.date);
  if (d.kind === 'monthOnly') return firstDay(d.deadline);
  return null;
}

const occurrenceOf = (d: RegistrationDeadline): string =>
  d.kind === 'date' ? d.date : d.kind === 'monthOnly' ? `${d.deadline.year}-${String(d.deadline.month).padStart(2, '0')}` : `opens-${d.opens.year}-${d.opens.month}`;

function deadlineParams(d: RegistrationDeadline): DeliveryPayload['params'] {
  if (d.kind === 'date') return { deadline: { date: d.date }, opens: { yearMonth: d.opens } };
  if (d.kind === 'monthOnly') return { deadlineMonth: { yearMonth: d.deadline }, opens: { yearMonth: d.opens } };
  return { opens: { yearMonth: d.opens } };
}

/** A quick test in whole days (a day of margin for time zones) before any calendar work. */
function nearDays(anchor: LocalDay, fromDays: number, untilDays: number, input: TimelineInput): boolean {
  const anchorMs = Date.UTC(anchor.year, anchor.month - 1, anchor.day);
  const now = input.now.getTime();
  return anchorMs + (fromDays - 1) * DAY_MS <= now + input.horizonMs && anchorMs + (untilDays + 1) * DAY_MS > now;
}

/** A stable pseudo-random number per (person, child, n): spreads keep-warm messages over 6–8 weeks. */
function spread(personId: number, childId: number, n: number, range: number): number {
  let h = (personId * 2654435761) ^ (childId * 40503) ^ (n * 2246822519);
  h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
  return range > 0 ? h % (range + 1) : 0;
}

function keepWarmOccurrence(
  start: LocalDay,
  t: { afterDeadlineDays: number; minDays: number; maxDays: number; at: string },
  personId: number,
  childId: number,
  upTo: number,
  zone: string,
): { n: number; dueAt: Date; nextAt: Date } | null {
  let day = addDays(start, t.afterDeadlineDays);
  let dueAt = localAt(day, t.at, zone);
  if (dueAt.getTime() > upTo) return null;
  for (let n = 0; n < 100; n++) {
    const nextDay = addDays(day, t.minDays + spread(personId, childId, n, t.maxDays - t.minDays));
    const nextAt = localAt(nextDay, t.at, zone);
    if (nextAt.getTime() > upTo) return { n, dueAt, nextAt };
    day = nextDay;
    dueAt = nextAt;
  }
  return null;
}

function personMatches(a: RuleAudience, p: PlanPerson, ini: PlanInitiative | null): boolean {
  if (a.member !== undefined && a.member !== (p.initiativeId !== null)) return false;
  if (a.phases && (!ini || !a.phases.includes(ini.phase))) return false;
  if (a.hasNewsletterSchedule !== undefined && a.hasNewsletterSchedule !== (ini?.hasNewsletterSchedule ?? false)) return false;
  if (a.newsletterConsent !== undefined && a.newsletterConsent !== p.newsletter) return false;
  return true;
}

function childMatches(a: RuleAudience, c: PlanChild): boolean {
  if (a.expected !== undefined && a.expected !== c.expected) return false;
  if (a.registered !== undefined && a.registered !== c.registered) return false;
  if (a.notPlaced !== undefined && a.notPlaced !== (c.placement === 'no')) return false;
  return true;
}

/** Ages are counted in whole months at the event's local date (a 00:30 event on the 1st is that month). */
function inAgeBand(children: PlanChild[], ev: PlanEvent, zone: string): boolean {
  const at = localMonthIndex(ev.startsAt, zone);
  return children.some((c) => !c.expected && at - monthIndex(c) >= ev.minAgeMonths && at - monthIndex(c) <= ev.maxAgeMonths);
}

function rsvpMatches(wanted: RsvpLabel[] | undefined, labels: RsvpLabel[]): boolean {
  return !wanted || labels.some((l) => wanted.includes(l));
}
