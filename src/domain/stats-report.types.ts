/**
 * The coordinators' figures as a report (issue 12, items 3 and 5): what src/db/stats.reads.ts
 * computes from live data, what the chat (/stats), the CLI (`stats`) and the charts show. Every
 * count is a ShownCount: groups of 1–9 read 'fewer' (src/domain/stats.types.ts). Counts only:
 * no person ids, no names, never a list of people. Definitions of each figure: docs/domain.md
 * ("Cijfers").
 */
import type { HeardFrom } from './heard-from.js';
import type { EventKindName, Phase } from './model.js';
import type { ParticipationLevel } from './participation.js';
import type { AgeBand, CallbackOutcome } from './relay.types.js';
import type { ShownCount } from './stats.types.js';

/** The funnel, in order. `joined`: a parent member of the initiative (nothing exists before consent, ADR 0002). */
export const FUNNEL_STEPS = ['joined', 'consented', 'lookedAtSchools', 'registered', 'placed'] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** The age bands, youngest first (src/domain/relay-routing.ts#ageBand). */
export const AGE_BANDS: readonly AgeBand[] = ['expected', 'under1', 'y1', 'y2', 'y3', 'y4plus'];

/** How many months "participation over time" looks back (the current month included). */
export const PARTICIPATION_MONTHS = 12;
/** How many of the latest broadcasts and nudges "reach" shows. */
export const REACH_ITEMS = 5;
/** A parent who wrote or tapped on the day of delivery or the next this many days "answered". */
export const ANSWER_DAYS = 3;

export type LevelCounts = Record<ParticipationLevel, ShownCount>;

/** `read` is null when the channel reported nothing (only WhatsApp Cloud reports reads). */
export interface ReachCounts {
  delivered: ShownCount;
  read: ShownCount | null;
  answered: ShownCount;
}

export interface LanguageReach extends ReachCounts {
  lang: string;
}

export interface ReachItem extends ReachCounts {
  /** A broadcast, or a coordinator's nudge (a run of a once/recurring one, or a relative one). */
  kind: 'broadcast' | 'nudge';
  /** The broadcast (a nudge's run is one too); null for a relative nudge (a reminder rule per family). */
  broadcastId: number | null;
  nudgeId: number | null;
  initiativeId: number;
  /** When it started going out (a relative nudge: its latest delivery), ISO. */
  at: string;
  byLanguage: LanguageReach[];
}

export interface EventFigures {
  id: number;
  initiativeId: number;
  kind: EventKindName;
  startsAt: string;
  timeZone: string;
  cancelled: boolean;
  /** Per language; Dutch is always there. */
  titles: Record<string, string>;
  /** "Yes" with a place; "yes" on the waiting list; "maybe"; "no". */
  going: ShownCount;
  waiting: ShownCount;
  maybe: ShownCount;
  no: ShownCount;
  /** Attendance as recorded (`event attendance`): present and absent. */
  attended: ShownCount;
  absent: ShownCount;
}

export type StatsScope = { kind: 'initiative'; initiativeId: number; code: string; name: string; phase: Phase } | { kind: 'all' };

export interface StatsReport {
  scope: StatsScope;
  /** The moment of the figures (ISO) and the zone its months and ages are read in. */
  generatedAt: string;
  timeZone: string;
  /** How many initiatives the figures cover. */
  initiatives: number;
  /** Parents (a 'parent' membership), each counted once. */
  parents: ShownCount;
  /** Parents per phase of their initiative (one initiative: its phase only). */
  byPhase: { phase: Phase; parents: ShownCount }[];
  /** Parents with a child in the band (a parent with two children may count in two bands). */
  byAgeBand: { band: AgeBand; parents: ShownCount }[];
  /** Parents per language they chose (a delivery setting, counted, never listed). */
  byLanguage: { lang: string; parents: ShownCount }[];
  /** Parents per 4-digit postcode they gave ('unknown': none given). */
  byPostcode: { pc4: string; parents: ShownCount }[];
  /** "How did you hear of us" ('unknown': not answered). */
  heardFrom: { source: HeardFrom | 'unknown'; parents: ShownCount }[];
  /** In FUNNEL_STEPS order; each step counts the parents for whom it is true (see docs/domain.md). */
  funnel: { step: FunnelStep; parents: ShownCount }[];
  /** Children registered, and of those: before their deadline day, after it, or without a known day. */
  registration: { registered: ShownCount; onTime: ShownCount; late: ShownCount; noDate: ShownCount };
  /** The latest REACH_ITEMS broadcasts and nudges, newest first. */
  reach: ReachItem[];
  /** Those items together, per language. */
  reachByLanguage: LanguageReach[];
  /** Events of the last 90 days (at most 5) and coming ones (at most 5), by start. */
  events: EventFigures[];
  /** The outreach ladder: its messages sent per step, and its call-back tasks by outcome. */
  ladder: { messages: { ruleId: string; delivered: ShownCount }[]; callbacks: { outcome: CallbackOutcome | 'open'; tasks: ShownCount }[] };
  /**
   * Parents per participation level now, and at the end of each of the last months ("YYYY-MM"; the
   * current month: now). `months` is empty when the report was read without its history (the chat's text).
   */
  participation: { now: LevelCounts; months: { month: string; counts: LevelCounts }[] };
}

/** What a flow may read (Directory.stats): synchronous, counts only. */
export interface StatsReads {
  /**
   * The figures of one initiative at `now` (null: no such initiative). `history: false` leaves out
   * participation month by month (the heavy part; the chat's text does not show it).
   */
  report(initiativeId: number, now: Date, read?: { history?: boolean }): StatsReport | null;
  /** The figures with their history, read in chunks that give the event loop back (after the commit: the charts; not for flows). */
  reportWithHistory(initiativeId: number, now: Date): Promise<StatsReport | null>;
}
