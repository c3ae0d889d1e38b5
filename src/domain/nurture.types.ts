/**
 * The shapes shared by the planner, the delivery worker and the rules: a snapshot of one
 * person as the timeline sees it, and the candidate messages it yields. Ids only; the
 * snapshot carries no name, postcode or chat id.
 */
import type { RegistrationRule } from './registration-deadline.js';
import type { ButtonSet } from './reminder-rules.js';
import type { EventKindName } from './model.js';

export interface PlanChild {
  id: number;
  year: number;
  month: number;
  expected: boolean;
  registered: boolean;
  placement: 'yes' | 'no' | 'unknown' | null;
}

export type { QuietHours } from './model.js';
import type { QuietHours } from './model.js';

export interface PlanPerson {
  id: number;
  proactive: boolean;
  reminders: boolean;
  newsletter: boolean;
  /** The parent's own quiet hours, or null for the default. */
  quiet: QuietHours | null;
  initiativeId: number | null;
  joinedAt: Date | null;
  children: PlanChild[];
  /** Participation signals (src/domain/participation.ts); absent in older callers. */
  lastActionAt?: Date | null;
  lastReadAt?: Date | null;
  /** The parent told an ambassador they do not want contact: never laddered again. */
  contactDeclined?: boolean;
  /** The parent's language now (the outreach ladder's voice note is per language); absent in older callers. */
  language?: string;
}

export interface PlanInitiative {
  id: number;
  phase: number;
  timeZone: string;
  registration: RegistrationRule;
  hasNewsletterSchedule: boolean;
  /** When the initiative last moved to its current phase (from the audit log); null when never moved. */
  phaseSince?: Date | null;
}

export type RsvpLabel = 'none' | 'yes' | 'maybe' | 'no' | 'going' | 'waiting';

export interface PlanEvent {
  id: number;
  initiativeId: number;
  startsAt: Date;
  /** tour, play_morning … (a rule may be about some kinds only); absent in older callers. */
  kind?: EventKindName;
  minAgeMonths: number;
  maxAgeMonths: number;
  /** The person's answer and place: e.g. ['yes', 'going']; ['none'] when they have not answered. */
  rsvpOf(personId: number): RsvpLabel[];
}

export interface NewsletterSlot {
  initiativeId: number;
  /** Local "YYYY-MM-DDTHH:MM", the occurrence of the schedule. */
  slot: string;
  at: Date;
}

export type MessageKind = 'reminder' | 'newsletter' | 'notice' | 'broadcast';

/** JSON-safe text parameters (rendered at send time in the parent's language of that moment). */
export type PayloadParam = string | number | { yearMonth: { year: number; month: number } } | { date: string } | { key: string };

export interface PayloadLink {
  label: string;
  url: string;
}

export interface DeliveryPayload {
  key: string;
  params: Record<string, PayloadParam>;
  buttons: ButtonSet | null;
  /**
   * Link buttons after the answer buttons, one row each: `label` is an i18n key, `url` an https
   * address (e.g. the city's page in a notice to coordinators). They open a page; nothing comes back.
   */
  links?: PayloadLink[];
  childId?: number;
  eventId?: number;
  newsletterSlot?: string;
  initiativeId?: number;
  /** For a notice about another person (a help request): resolved at send time, skipped once erased. */
  aboutPersonId?: number;
  /** The children this message is about (siblings in the same window share one message). */
  children?: { id: number; year: number; month: number }[];
  /** Name the children in the text (the parent has more than one child). */
  nameChildren?: boolean;
  /** Say the children's age, computed at send time. */
  age?: boolean;
  /** A local day "YYYY-MM-DD": the days left until it are computed at send time. */
  countdown?: string;
  /** A broadcast's copy: its text, file and language version are read at send time (src/domain/broadcast.types.ts). */
  broadcastId?: number;
  /** A relayed question's thread (src/domain/relay.types.ts): notices about it carry its number and buttons. */
  threadId?: number;
  /** The thread message a relay notice carries (its text is read at send time; gone with the thread). */
  relayMessageId?: number;
  /** A coordinator nudge (src/domain/nudge.types.ts) whose run wrote this row. */
  nudgeId?: number;
  /**
   * Not a message but a task the worker carries out instead of sending (src/jobs/outreach-task.ts):
   * 'outreachCallback' makes the outreach ladder's call-back task (src/domain/outreach-ladder.ts).
   */
  task?: 'outreachCallback';
  /** The initiative's outreach voice note in the reader's language (read at send time) is this message's media. */
  outreachVoice?: boolean;
}

export interface Candidate {
  ruleId: string;
  personId: number;
  childId: number | null;
  occurrence: string;
  kind: MessageKind;
  dueAt: Date;
  expiresAt: Date | null;
  priority: number;
  /** From this moment the message may break the frequency cap (48 h before a deadline). */
  urgentFrom: Date | null;
  /** Bound to a moment (an event, a deadline, a phase change): never pushed out by a keep-warm or a newsletter. */
  timeBound?: boolean;
  payload: DeliveryPayload;
  /** The siblings' own candidates merged into this one message (their keys get companion rows). */
  siblings?: Candidate[];
}

/** The unique key of a delivery: one row per (rule, person, child, occurrence), ever. */
export const deliveryKey = (c: Pick<Candidate, 'ruleId' | 'personId' | 'childId' | 'occurrence'>): string =>
  `${c.ruleId}|p${c.personId}|c${c.childId ?? '-'}|${c.occurrence}`;
