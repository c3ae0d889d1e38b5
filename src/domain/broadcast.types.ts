/**
 * Broadcasts (issue 11, item 2): the shapes the chat flow (src/flows/broadcast.flow.ts), the
 * database side (src/db/broadcast*.ts), the runner (src/jobs/broadcast.runner.ts), translation
 * drafts and nudges share. A broadcast is a message of an initiative, with one version per
 * language, to an audience, at a moment; each parent it reaches gets one delivery row
 * (kind 'broadcast', rule id `b<id>`), so quiet hours, /stop, consent and the cap apply as to
 * any proactive message, and nobody is reached twice by one broadcast.
 */
import type { ChannelName, InboundMedia, MediaType } from '../core/messages.js';

/**
 * draft → (pending: waiting for a coordinator's approval) → scheduled → sending → done.
 * `paused` (while sending, by its author or a coordinator) → resume → sending;
 * `cancelled` (from any state before done); `rejected` (by a coordinator; back to draft on edit).
 */
export const BROADCAST_STATUSES = ['draft', 'pending', 'scheduled', 'sending', 'paused', 'done', 'cancelled', 'rejected'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/**
 * Who a broadcast is for. Every filter narrows (AND); a parent matches at most once, also when
 * several children match. Months are "YYYY-MM". Nothing here names a person.
 */
export interface AudienceFilter {
  /** Children born from this month … */
  bornFrom?: string;
  /** … up to and including this month. */
  bornTo?: string;
  /** A child turns 3 within this many months from the send moment. */
  turns3WithinMonths?: number;
  /** The parent answered "registered" for a matching child (true) or not yet (false). */
  registered?: boolean;
  /** Answered this event with one of these (going and waiting count as yes). */
  rsvp?: { eventId: number; answers: ('yes' | 'maybe' | 'no' | 'none')[] };
  /** Said "I want to help with this" to this phase action (src/domain/phase-actions.ts keys). */
  interest?: string;
  /** The parent's language is one of these codes. */
  languages?: string[];
  /** No message from the parent to us for at least this many weeks. */
  silentWeeks?: number;
}

/** A count as staff may see it: under 5 it is "fewer than 5", never the number. */
export type SmallCount = number | 'fewer-than-5';

export interface AudienceCount {
  total: SmallCount;
  /** Per language code of the parents (the language they read), same suppression per cell. */
  byLanguage: { lang: string; count: SmallCount }[];
}

export interface BroadcastVersionView {
  lang: string;
  text: string | null;
  media: { mediaId: number; type: MediaType } | null;
  /** A machine translation: never sent before its author approved (or edited) it. */
  machine: boolean;
  approved: boolean;
}

export interface BroadcastView {
  id: number;
  initiativeId: number;
  /** The author (null: the CLI). */
  authorId: number | null;
  status: BroadcastStatus;
  audience: AudienceFilter;
  versions: BroadcastVersionView[];
  /** null: as soon as it is confirmed. */
  sendAt: Date | null;
  /** Set when the initiative requires approval of ambassador broadcasts and the author is an ambassador. */
  needsApproval: boolean;
  createdAt: Date;
  /** A run of this coordinator nudge (null or absent: a broadcast of its own). */
  nudgeId?: number | null;
  /** When sending began and ended (null: not yet). */
  startedAt?: Date | null;
  finishedAt?: Date | null;
  /** What happened to every parent in its audience (written when it is done or cancelled). */
  summary?: BroadcastSummary | null;
}

export interface BroadcastProgress {
  sent: number;
  waiting: number;
  failed: number;
  /** Estimated end of sending (null: unknown or done). */
  estimatedEnd: Date | null;
}

/** The end of a broadcast: what happened to every parent in its audience. */
export interface BroadcastSummary {
  delivered: number;
  failed: Record<string, number>;
  /** stopped, noConsent, unreachable, quietHours (deferred past its expiry), cap, cancelled … */
  skipped: Record<string, number>;
  /** WhatsApp Cloud outside the 24-hour window: the template went out, the full message waits for their reply. */
  waitingForReply: number;
  /** The part of `skipped` counted when sending began (no delivery row: stopped, no consent, unreachable, cap). */
  atStart?: Record<string, number>;
}

/** The steps a flow asks for; applied in the turn's transaction (src/db/broadcast.effects.ts), each audited. */
export type BroadcastCommand =
  | { op: 'create'; initiativeId: number; draftKey: string }
  | { op: 'audience'; broadcastId: number; audience: AudienceFilter }
  | { op: 'version'; broadcastId: number; lang: string; text: string | null; media?: { mediaId: number; type: MediaType } | null; machine?: boolean }
  /**
   * A voice note, photo or PDF the author sent in the chat for a language: the applier records it
   * with src/db/media.repo.ts#recordInboundMedia (the bytes are fetched from the messenger after
   * the commit) and puts the new media id on the version; `caption` becomes its text if given.
   */
  | { op: 'versionMedia'; broadcastId: number; lang: string; channel: ChannelName; media: InboundMedia; caption?: string }
  | { op: 'approveVersion'; broadcastId: number; lang: string }
  | { op: 'removeVersion'; broadcastId: number; lang: string }
  | { op: 'timing'; broadcastId: number; sendAt: Date | null }
  /** The author confirms: to `pending` when approval is needed, else `scheduled` (sendAt null: now). */
  | { op: 'submit'; broadcastId: number }
  | { op: 'approve'; broadcastId: number }
  | { op: 'reject'; broadcastId: number }
  | { op: 'pause'; broadcastId: number }
  | { op: 'resume'; broadcastId: number }
  | { op: 'cancel'; broadcastId: number }
  /** Ask the translation service (if configured) for drafts of the missing languages, from the Dutch text. */
  | { op: 'requestDrafts'; broadcastId: number; languages: string[] }
  /** Whether ambassadors' broadcasts on this initiative need a coordinator's approval. */
  | { op: 'requireApproval'; initiativeId: number; required: boolean };

/** What the chat flow may read (synchronous; counts, never lists of people). */
export interface BroadcastReads {
  audienceCount(initiativeId: number, audience: AudienceFilter, now: Date): AudienceCount;
  byId(id: number): BroadcastView | null;
  /** The newest draft this person created with `draftKey` (the flow's handle on a draft it just created). */
  draftByKey(authorId: number, draftKey: string): BroadcastView | null;
  /** Broadcasts of the initiative waiting for approval, oldest first. */
  pendingApproval(initiativeId: number): BroadcastView[];
  /** This author's broadcasts that are scheduled, sending or paused. */
  activeOf(authorId: number): BroadcastView[];
  /** The initiative's broadcasts that are scheduled, sending or paused, by anyone (for its coordinators). */
  activeOn?(initiativeId: number): BroadcastView[];
  requiresApproval(initiativeId: number): boolean;
  /** Machine translation is configured (LIBRETRANSLATE_URL). */
  translationAvailable(): boolean;
  /** The last request for machine drafts: still running, and the languages that got none (the server cannot, or failed). */
  draftsState?(broadcastId: number): { finished: boolean; failed: string[] };
}

/** Counts under this are shown as "fewer than 5". */
export const SMALL_COUNT = 5;
export const smallCount = (n: number): SmallCount => (n > 0 && n < SMALL_COUNT ? 'fewer-than-5' : n);

/** The delivery rule id of a broadcast's rows. */
export const broadcastRuleId = (broadcastId: number): string => `b${broadcastId}`;
