/**
 * Coordinator nudges (issue 11, item 4): the shapes the chat flow (src/flows/nudge.flow.ts), the
 * database side (src/db/nudge*.ts), the runner (src/jobs/nudge.runner.ts) and the CLI share.
 *
 * A nudge is a message (the versions per language of its template broadcast), an audience and a
 * moment. Once and recurring nudges run as a new broadcast per occurrence (so quiet hours, /stop,
 * consent, the cap, progress and the summary come from the broadcast machinery). A relative nudge
 * is the initiative's own reminder rule (rule id `n<id>`, the schema of config/reminder-rules.json),
 * planned by the same timeline as every reminder: quiet hours, the cap, late joiners and expiry.
 */
import type { ChannelName, InboundMedia } from '../core/messages.js';
import type { AudienceFilter, SmallCount } from './broadcast.types.js';
import { EVENT_KIND_NAMES, type EventKindName } from './model.js';

export const NUDGE_KINDS = ['once', 'recurring', 'relative'] as const;
export type NudgeKind = (typeof NUDGE_KINDS)[number];

/** active → paused → active; cancelled (for good); done (a once nudge that ran). */
export const NUDGE_STATUSES = ['active', 'paused', 'cancelled', 'done'] as const;
export type NudgeStatus = (typeof NUDGE_STATUSES)[number];

/** The kinds of events a relative nudge can be "N days before". */
export const NUDGE_EVENT_KINDS = EVENT_KIND_NAMES;
export type NudgeEventKind = EventKindName;

/**
 * When a nudge goes out; local times ("HH:MM") and days in the initiative's time zone.
 * - once: one local date and time;
 * - weekly: every week on a weekday (1 = Monday … 7 = Sunday);
 * - monthly: every month on a day (29–31: the last day of a shorter month);
 * - childAge: when a parent's child turns `months` (the 1st of that month), until `windowMonths` later;
 * - event: `daysBefore` days before each event of a kind (any kind: null); it may still go up to
 *   `windowDays` days after that day, never after the event has started.
 */
export type NudgeMoment =
  | { type: 'once'; date: string; at: string }
  | { type: 'weekly'; weekday: number; at: string }
  | { type: 'monthly'; day: number; at: string }
  | { type: 'childAge'; months: number; windowMonths: number; at: string }
  | { type: 'event'; eventKind: NudgeEventKind | null; daysBefore: number; windowDays: number; at: string };

export type NudgeMomentType = NudgeMoment['type'];

export const kindOfMoment = (m: Pick<NudgeMoment, 'type'>): NudgeKind => (m.type === 'once' ? 'once' : m.type === 'weekly' || m.type === 'monthly' ? 'recurring' : 'relative');

export interface NudgeView {
  id: number;
  initiativeId: number;
  /** The coordinator who made it (null: the CLI, or erased). */
  createdBy: number | null;
  kind: NudgeKind;
  status: NudgeStatus;
  audience: AudienceFilter;
  moment: NudgeMoment;
  /** The draft broadcast that holds the versions per language. */
  templateBroadcastId: number | null;
  /** Once and recurring: the next occurrence (null: none left, paused, or relative). */
  nextAt: Date | null;
  createdAt: Date;
}

/** Counts of one run, as exact numbers (the CLI) or with small counts suppressed (the chat). */
export interface NudgeRunCounts<N = number> {
  delivered: N;
  failed: N;
  skipped: N;
  /** Still planned, queued, sending, paused or held. */
  waiting: N;
}

/**
 * One run: an occurrence of a once or recurring nudge, a "trigger now", or (relative nudges) the
 * deliveries of one local day. `broadcastId` null: a missed occurrence (the bot was down too long).
 */
export interface NudgeRunView<N = number> {
  key: string;
  at: Date;
  trigger: 'schedule' | 'manual' | 'rule';
  broadcastId: number | null;
  counts: NudgeRunCounts<N>;
}

/**
 * A version as the flow collects it: typed text (Dutch is required), or for another language a
 * voice note recorded in the chat (`voice`, kept by the effect as a media row of its maker; its
 * text may then be empty) or given to the CLI (`mediaId`, already kept).
 */
export interface NudgeVersionInput {
  lang: string;
  text: string;
  voice?: { channel: ChannelName; media: InboundMedia };
  mediaId?: number;
}

/** What a flow asks to change, applied in the turn's transaction by src/db/nudge.effects.ts (each audited). */
export type NudgeCommand =
  | { op: 'create'; initiativeId: number; audience: AudienceFilter; moment: NudgeMoment; versions: NudgeVersionInput[] }
  | { op: 'pause'; nudgeId: number }
  | { op: 'resume'; nudgeId: number }
  | { op: 'cancel'; nudgeId: number }
  /** Runs once now for the current audience (a new broadcast, fanned out after the commit). */
  | { op: 'trigger'; nudgeId: number };

/** What the chat flow may read (synchronous; counts, never people). */
export interface NudgeReads {
  byId(id: number): NudgeView | null;
  /** The initiative's nudges that are active or paused, newest first. */
  listFor(initiativeId: number): NudgeView[];
  /** The latest runs, newest first, small counts suppressed. */
  runs(nudgeId: number, limit: number): NudgeRunView<SmallCount>[];
  /** The versions of the nudge's message (lang → text), from its template broadcast. */
  versions(nudgeId: number): NudgeVersionInput[];
}

/** The rule id of a relative nudge in the planner and in its delivery rows. */
export const nudgeRuleId = (nudgeId: number): string => `n${nudgeId}`;
