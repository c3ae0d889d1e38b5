/**
 * The coordinators' figures, pure (issue 12, items 3 and 5): a tally that takes each parent's
 * facts once (src/db/stats.reads.ts reads them in bulk) and the shaping of the exact counts into
 * a StatsReport: small groups suppressed (`shown`, groups under 10 read 'fewer'), the funnel in
 * its order, participation month by month (`levelAt` at the end of each month). Nothing here
 * knows a person's id: a fact is counted and forgotten.
 */
import { monthIndex } from './birth-month.js';
import { HEARD_FROM, isHeardFrom, type HeardFrom } from './heard-from.js';
import { addDays, formatDay, localDayOf, localMidnight, parseDay } from './local-time.js';
import { isPhase, PHASES, type Phase } from './model.js';
import { levelAt, type ParticipationLevel } from './participation.js';
import { registrationDeadline, type RegistrationRule } from './registration-deadline.js';
import { ageBand } from './relay-routing.js';
import { CALLBACK_OUTCOMES, type AgeBand } from './relay.types.js';
import { AGE_BANDS, FUNNEL_STEPS, PARTICIPATION_MONTHS, type EventFigures, type FunnelStep, type LanguageReach, type LevelCounts, type ReachItem, type StatsReport, type StatsScope } from './stats-report.types.js';
import { shown, type ShownCount } from './stats.types.js';

/** A child as the figures need it: birth month, and what the parent told us. */
export interface ChildFacts {
  year: number;
  month: number;
  expected: boolean;
  registeredAt: number | null;
  placed: boolean;
}

/** One parent, as read for the figures (epoch ms throughout). */
export interface ParentFacts {
  language: string;
  pc4: string | null;
  heardFrom: string | null;
  /** Messages not stopped and reminders on. */
  remindersOn: boolean;
  /** Said yes to or attended a tour, open morning or carrousel, or wants to help with a school visit. */
  lookedAtSchools: boolean;
  /** When they became a parent of the initiative (the first one, across initiatives). */
  joinedAt: number;
  lastActionAt: number | null;
  lastReadAt: number | null;
  /** Own actions and read receipts (any order; per-month latest is enough for `levelAt`). */
  actions: readonly number[];
  reads: readonly number[];
  children: readonly ChildFacts[];
  /** The registration rule of their initiative's municipality, and its time zone. */
  rule: RegistrationRule;
  zone: string;
}

export type DeadlineStatus = 'onTime' | 'late' | 'noDate';

/**
 * A registered child against its deadline: on time when registered before the end of the deadline
 * day (local), late after it; 'noDate' where the rule gives no day (from age 3, or a day the city
 * has not published yet). Nijmegen's later rounds count from the day the parent joined.
 */
export function deadlineStatus(child: Pick<ChildFacts, 'year' | 'month' | 'registeredAt'>, rule: RegistrationRule, joinedAt: number, zone: string): DeadlineStatus {
  if (child.registeredAt === null) return 'noDate';
  const from = rule.kind === 'schoolYearRounds' ? formatDay(localDayOf(new Date(joinedAt), zone)) : null;
  const d = registrationDeadline({ year: child.year, month: child.month }, rule, { from });
  if (d.kind !== 'date') return 'noDate';
  return child.registeredAt < localMidnight(addDays(parseDay(d.date), 1), zone).getTime() ? 'onTime' : 'late';
}

/** The months of "participation over time": oldest first, each with its last moment (the current month: now). */
export function monthEnds(now: Date, zone: string, count = PARTICIPATION_MONTHS): { month: string; end: Date }[] {
  const today = localDayOf(now, zone);
  const current = today.year * 12 + (today.month - 1);
  const out: { month: string; end: Date }[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const m = current - i;
    const year = Math.floor(m / 12);
    const month = (m % 12) + 1;
    const next = m + 1;
    const end = i === 0 ? now : new Date(localMidnight({ year: Math.floor(next / 12), month: (next % 12) + 1, day: 1 }, zone).getTime() - 1);
    out.push({ month: `${year}-${String(month).padStart(2, '0')}`, end });
  }
  return out;
}

type LevelNumbers = Record<ParticipationLevel, number>;
const zeroLevels = (): LevelNumbers => ({ active: 0, fading: 0, silent: 0 });

/** The exact counts, before suppression. */
export interface StatsTally {
  parents: number;
  ageBands: Map<AgeBand, number>;
  languages: Map<string, number>;
  postcodes: Map<string, number>;
  heardFrom: Map<HeardFrom | 'unknown', number>;
  funnel: Record<FunnelStep, number>;
  registration: { registered: number; onTime: number; late: number; noDate: number };
  levelsNow: LevelNumbers;
  months: { month: string; counts: LevelNumbers }[];
}

const bump = <K>(m: Map<K, number>, k: K, by = 1): void => void m.set(k, (m.get(k) ?? 0) + by);

/** Counts parents one at a time (nothing about a parent is kept after `add`). */
export function createTally(now: Date, zone: string, months = monthEnds(now, zone)) {
  const today = localDayOf(now, zone);
  const todayIndex = monthIndex({ year: today.year, month: today.month });
  const t: StatsTally = {
    parents: 0,
    ageBands: new Map(),
    languages: new Map(),
    postcodes: new Map(),
    heardFrom: new Map(),
    funnel: { joined: 0, consented: 0, lookedAtSchools: 0, registered: 0, placed: 0 },
    registration: { registered: 0, onTime: 0, late: 0, noDate: 0 },
    levelsNow: zeroLevels(),
    months: months.map((m) => ({ month: m.month, counts: zeroLevels() })),
  };
  return {
    add(p: ParentFacts): void {
      t.parents++;
      bump(t.languages, p.language);
      bump(t.postcodes, p.pc4 ?? 'unknown');
      bump(t.heardFrom, p.heardFrom && isHeardFrom(p.heardFrom) ? p.heardFrom : 'unknown');
      const bands = new Set(p.children.map((c) => ageBand(c.expected ? null : Math.max(0, todayIndex - monthIndex(c)))));
      for (const b of bands) bump(t.ageBands, b);
      t.funnel.joined++;
      if (p.remindersOn) t.funnel.consented++;
      if (p.lookedAtSchools) t.funnel.lookedAtSchools++;
      if (p.children.some((c) => c.registeredAt !== null)) t.funnel.registered++;
      if (p.children.some((c) => c.placed)) t.funnel.placed++;
      for (const c of p.children) {
        if (c.registeredAt === null) continue;
        t.registration.registered++;
        t.registration[deadlineStatus(c, p.rule, p.joinedAt, p.zone)]++;
      }
      // The history: every action and read we know of, the person's latest ones included (the
      // level now is the same function at `now`, so "now" and the current month always agree).
      const history = {
        joinedAt: new Date(p.joinedAt),
        actions: p.lastActionAt === null ? p.actions : [...p.actions, p.lastActionAt],
        reads: p.lastReadAt === null ? p.reads : [...p.reads, p.lastReadAt],
      };
      t.levelsNow[levelAt(history, now) ?? 'active']++;
      for (let i = 0; i < months.length; i++) {
        // The latest action and read only count once they happened, so the last ones are safe to pass for every month.
        const level = levelAt(history, months[i]!.end);
        if (level) t.months[i]!.counts[level]++;
      }
    },
    result: (): StatsTally => t,
  };
}

/** Exact reach of one item or language group; `reported`: delivered messages whose channel reported a status. */
export interface RawReach {
  delivered: number;
  reported: number;
  read: number;
  answered: number;
}

export interface RawReachItem extends RawReach {
  kind: 'broadcast' | 'nudge';
  broadcastId: number | null;
  nudgeId: number | null;
  initiativeId: number;
  at: Date;
  byLanguage: (RawReach & { lang: string })[];
}

export type RawEvent = Omit<EventFigures, 'going' | 'waiting' | 'maybe' | 'no' | 'attended' | 'absent' | 'startsAt'> & {
  startsAt: Date;
  going: number;
  waiting: number;
  maybe: number;
  no: number;
  attended: number;
  absent: number;
};

export interface RawFigures {
  scope: StatsScope;
  now: Date;
  zone: string;
  initiatives: number;
  tally: StatsTally;
  /** Parents per phase of their initiatives (a parent of two initiatives counts in each phase). */
  byPhase: Map<Phase, number>;
  reach: RawReachItem[];
  events: RawEvent[];
  ladderMessages: Map<string, number>;
  callbacks: Map<string, number>;
}

const levels = (n: LevelNumbers): LevelCounts => ({ active: shown(n.active), fading: shown(n.fading), silent: shown(n.silent) });

/** `read` only where the channel reported statuses; every count suppressed under 10. */
export const shownReach = (r: RawReach): { delivered: ShownCount; read: ShownCount | null; answered: ShownCount } => ({
  delivered: shown(r.delivered),
  read: r.reported === 0 ? null : shown(r.read),
  answered: shown(r.answered),
});

/** Languages by size (largest first), then by code: a stable order that says nothing more than the counts. */
const bySize = <K extends string>(m: Map<K, number>): [K, number][] => [...m].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** The exact figures → what may be shown: every count through `shown`, groups in a fixed order. */
export function shapeReport(raw: RawFigures): StatsReport {
  const t = raw.tally;
  const together = new Map<string, RawReach>();
  for (const item of raw.reach)
    for (const l of item.byLanguage) {
      const sum = together.get(l.lang) ?? { delivered: 0, reported: 0, read: 0, answered: 0 };
      together.set(l.lang, { delivered: sum.delivered + l.delivered, reported: sum.reported + l.reported, read: sum.read + l.read, answered: sum.answered + l.answered });
    }
  const reachByLanguage: LanguageReach[] = [...together]
    .sort((a, b) => b[1].delivered - a[1].delivered || a[0].localeCompare(b[0]))
    .map(([lang, r]) => ({ lang, ...shownReach(r) }));
  const phases = raw.scope.kind === 'initiative' ? [raw.scope.phase] : PHASES.filter((p) => (raw.byPhase.get(p) ?? 0) > 0);
  return {
    scope: raw.scope,
    generatedAt: raw.now.toISOString(),
    timeZone: raw.zone,
    initiatives: raw.initiatives,
    parents: shown(t.parents),
    byPhase: phases.map((phase) => ({ phase, parents: shown(raw.scope.kind === 'initiative' ? t.parents : (raw.byPhase.get(phase) ?? 0)) })),
    byAgeBand: AGE_BANDS.map((band) => ({ band, parents: shown(t.ageBands.get(band) ?? 0) })),
    byLanguage: bySize(t.languages).map(([lang, n]) => ({ lang, parents: shown(n) })),
    byPostcode: [...t.postcodes]
      .filter(([, n]) => n > 0)
      .sort((a, b) => (a[0] === 'unknown' ? 1 : b[0] === 'unknown' ? -1 : a[0].localeCompare(b[0])))
      .map(([pc4, n]) => ({ pc4, parents: shown(n) })),
    heardFrom: [...HEARD_FROM, 'unknown' as const].map((source) => ({ source, parents: shown(t.heardFrom.get(source) ?? 0) })),
    funnel: FUNNEL_STEPS.map((step) => ({ step, parents: shown(t.funnel[step]) })),
    registration: { registered: shown(t.registration.registered), onTime: shown(t.registration.onTime), late: shown(t.registration.late), noDate: shown(t.registration.noDate) },
    reach: raw.reach.map(
      (item): ReachItem => ({
        kind: item.kind,
        broadcastId: item.broadcastId,
        nudgeId: item.nudgeId,
        initiativeId: item.initiativeId,
        at: item.at.toISOString(),
        ...shownReach(item),
        byLanguage: [...item.byLanguage].sort((a, b) => b.delivered - a.delivered || a.lang.localeCompare(b.lang)).map((l) => ({ lang: l.lang, ...shownReach(l) })),
      }),
    ),
    reachByLanguage,
    events: raw.events.map((e) => ({
      ...e,
      startsAt: e.startsAt.toISOString(),
      going: shown(e.going),
      waiting: shown(e.waiting),
      maybe: shown(e.maybe),
      no: shown(e.no),
      attended: shown(e.attended),
      absent: shown(e.absent),
    })),
    ladder: {
      messages: [...raw.ladderMessages].sort((a, b) => a[0].localeCompare(b[0])).map(([ruleId, n]) => ({ ruleId, delivered: shown(n) })),
      callbacks: [...CALLBACK_OUTCOMES, 'open' as const].map((outcome) => ({ outcome, tasks: shown(raw.callbacks.get(outcome) ?? 0) })),
    },
    participation: { now: levels(t.levelsNow), months: t.months.map((m) => ({ month: m.month, counts: levels(m.counts) })) },
  };
}

/** Events to show: the latest `each` that started (the caller reads only recent ones) and the next `each` coming ones, by start. */
export function pickEvents<E extends { startsAt: Date }>(events: readonly E[], now: Date, each = 5): E[] {
  const sorted = [...events].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const past = sorted.filter((e) => e.startsAt.getTime() <= now.getTime()).slice(-each);
  const coming = sorted.filter((e) => e.startsAt.getTime() > now.getTime()).slice(0, each);
  return [...past, ...coming];
}

/** A stored phase number as a Phase (an unknown one is left out of "per phase"). */
export const phaseOf = (n: number): Phase | null => (isPhase(n) ? n : null);
