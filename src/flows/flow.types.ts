/**
 * The contract of every flow: a pure step function
 *   (state, input, ctx) → { state, language, replies, effects }.
 * Flows never do I/O. Reads they need go through the synchronous, read-only `Directory`
 * in the context; writes are returned as `effects` and applied by the engine in one
 * transaction together with the new state.
 */
import type { LinkRefusal } from '../core/link-attempts.js';
import type { ChannelName, InboundContent, Reply } from '../core/messages.js';
import type { RegistrationRule } from '../domain/registration-deadline.js';
import type { BroadcastCommand, BroadcastReads } from '../domain/broadcast.types.js';
import type { NudgeCommand, NudgeReads } from '../domain/nudge.types.js';
import type { RelayCommand, RelayReads } from '../domain/relay.types.js';
import type { StatsReads } from '../domain/stats-report.types.js';

/** Bump when the shape of stored state changes; older states are reset kindly. */
export const FLOW_STATE_VERSION = 1;

export type FlowName = 'onboarding' | 'menu' | 'children' | 'language' | 'privacy' | 'staff' | 'broadcast' | 'nudge' | 'relay';

export interface FlowState {
  v: number;
  flow: FlowName;
  step: string;
  /** Language chosen in this conversation (before consent it exists only here). */
  lang: string;
  data: Record<string, unknown>;
}

export interface ChildView {
  id: number;
  year: number;
  month: number;
  expected: boolean;
  /** The parent answered "registered" (optional so older call sites stay simple). */
  registered?: boolean;
}

// The vocabulary lives in src/domain/model.ts; re-exported here for older imports.
import type { HelpRoute, Phase, Role, RsvpAnswer } from '../domain/model.js';
export { PHASES, ROLES, type HelpRoute, type Phase, type Role, type RsvpAnswer } from '../domain/model.js';

export interface InitiativeView {
  id: number;
  code: string;
  name: string;
  school: string;
  neighbourhood: string;
  contact: string;
  municipality: string;
  phase: Phase;
}

export interface PersonView {
  id: number;
  language: string;
  displayName: string | null;
  pc4: string | null;
  heardFrom: string | null;
  proactive: boolean;
  /** Consent per kind of message; quiet hours chosen by the parent (null: the default). */
  reminders: boolean;
  newsletter: boolean;
  quiet: { start: string; end: string } | null;
  children: ChildView[];
  /** The initiative the person follows as a parent (the first one joined), if any. */
  initiative: InitiativeView | null;
  /** The messengers this person is linked on (one chat each), oldest first. */
  channels: ChannelName[];
  /** The messenger chosen for proactive messages (null: the best reachable one). */
  preferredChannel: ChannelName | null;
  /**
   * The privacy notice version ("2026-12") of the person's latest data consent or notice seen
   * (consent_log, kind data); null or absent: none recorded (a person made outside the chat).
   */
  consentVersion?: string | null;
  /** The parent's second language for a message not written in theirs ('en'; null or absent: Dutch). */
  fallbackLanguage?: 'en' | null;
  /** Every role the person has, per initiative (staff rights are read from these by src/domain/authorization.ts); absent: none. */
  memberships?: MembershipInfo[];
}

/** A role on an initiative; ambassadors also list the languages they speak (null: not said yet). */
export interface MembershipInfo {
  initiativeId: number;
  role: Role;
  languages: string[] | null;
}

/** An ambassador or coordinator as the initiative's coordinators see them: a first name at most, never a chat. */
export interface TeamMember {
  personId: number;
  name: string | null;
  role: 'ambassador' | 'coordinator';
  languages: string[] | null;
}

/** A staff invite as a flow may see it (never its token or hash). */
export interface InviteInfo {
  id: number;
  initiativeId: number;
  role: 'ambassador' | 'coordinator';
  expiresAt: Date;
  used: boolean;
}

export interface EventInfo {
  id: number;
  initiativeId: number;
  startsAt: Date;
  endsAt: Date;
  cancelled: boolean;
  capacity: number | null;
  /** People with a place, not counting the asking person. */
  goingOthers: number;
  titles: Record<string, string>;
  places: Record<string, string>;
  timeZone: string;
}

/** A coming event of an initiative, for the "Events" list (RSVPs are read with `eventFor`). */
export interface UpcomingEvent {
  id: number;
  startsAt: Date;
  endsAt: Date;
  /** The age band of the children it is for, in whole months at the event's local date. */
  minAgeMonths: number;
  maxAgeMonths: number;
  titles: Record<string, string>;
  places: Record<string, string>;
  timeZone: string;
}

export interface Directory {
  initiativeByCode(code: string): InitiativeView | null;
  initiativeById(id: number): InitiativeView | null;
  initiativesForPostcode(pc4: string): InitiativeView[];
  /** An event as the person answering sees it (their own place not counted). */
  eventFor(eventId: number, personId: number): EventInfo | null;
  /** Who a parent's "help me" or "I want to help" would reach now (src/db/help-route.repo.ts). */
  helpRoute(initiativeId: number, askingPersonId: number): HelpRoute;
  /** The registration rule of the initiative's municipality, with its published days (unknown city or initiative: from age 3). */
  registrationRule(initiativeId: number): RegistrationRule;
  /** The initiative's events that start after `from`, not cancelled, soonest first. */
  upcomingEvents(initiativeId: number, from: Date): UpcomingEvent[];
  /** A staff invite by its token (looked up by hash); null: no such invite. */
  inviteByToken(token: string): InviteInfo | null;
  /** The initiative's ambassadors and coordinators (for its coordinators' "Team"); absent in old tests. */
  team?(initiativeId: number): TeamMember[];
  /** Broadcasts: drafts, audience counts, approvals (src/db/broadcast.reads.ts); absent in old tests. */
  broadcasts?: BroadcastReads;
  /** Coordinator nudges (src/db/nudge.reads.ts). */
  nudges?: NudgeReads;
  /** Questions relayed to ambassadors (src/db/relay.reads.ts). */
  relay?: RelayReads;
  /** Coordinators' figures, computed from live data (src/db/stats.reads.ts). */
  stats?: StatsReads;
}

export interface LanguageInfo {
  code: string;
  endonym: string;
}

/** The person a one-time link code belongs to (read by the engine through the store). */
export interface LinkTarget {
  person: PersonView;
  expiresAt: Date;
}

/** Linking a second messenger: what a flow may know without doing I/O. */
export interface LinkContext {
  /** A fresh random code (12 symbols, canonical form) drawn by the engine for this turn; used only if the flow hands out a code. */
  freshCode: string;
  /** False on a chat where codes may not be redeemed (the local web chat, unless LOCAL_CHAT_LINKING=true). */
  redeemAllowed: boolean;
  /** Which wrong-code limit this chat is over ('channel': everyone on it must wait), or null; read from the database when called. */
  refusal(): LinkRefusal | null;
  /** The owner of a code, live or expired; null when no such code exists (wrong or used). */
  find(code: string): LinkTarget | null;
}

export interface FlowContext {
  now: Date;
  timeZone: string;
  channel: ChannelName;
  person: PersonView | null;
  directory: Directory;
  /** Shipped languages, in menu order. */
  languages: LanguageInfo[];
  defaultLanguage: string;
  languageHint?: string;
  link: LinkContext;
  /** A fresh invite token (≥128 random bits) drawn by the engine for this turn; used only if the flow creates an invite. */
  inviteToken?: string;
  /** The Telegram bot's username, for invite deep links (absent: the text code only). */
  botUsername?: string;
}

export type Effect =
  /** Creates the person, the channel identity and the consent record. */
  | { type: 'consent'; language: string; noticeVersion: string }
  /** A consented person was shown a changed privacy notice (same purpose: informed, not asked again). */
  | { type: 'noticeSeen'; noticeVersion: string }
  | { type: 'setProfile'; patch: Partial<{ displayName: string | null; language: string; pc4: string | null; heardFrom: string | null; fallbackLanguage: 'en' | null }> }
  | { type: 'addChild'; year: number; month: number; expected: boolean }
  | { type: 'updateChild'; childId: number; year: number; month: number; expected: boolean }
  | { type: 'removeChild'; childId: number }
  | { type: 'join'; initiativeId: number }
  | { type: 'interest'; initiativeId: number; actionKey: string }
  | { type: 'proactive'; enabled: boolean }
  /** Consent for one kind of message; switching off cancels what was planned of that kind. */
  | { type: 'consentKind'; kind: 'reminders' | 'newsletter'; enabled: boolean }
  | { type: 'quietHours'; quiet: { start: string; end: string } | null }
  | { type: 'registered'; childId: number }
  | { type: 'placement'; childId: number; answer: 'yes' | 'no' | 'unknown' }
  /** Records the answer; a place freed on a full event goes to the first on the waiting list. */
  | { type: 'rsvp'; eventId: number; answer: RsvpAnswer }
  /** "Help me register": the initiative's ambassadors (else its coordinators, else the operator log) hear of it. */
  | { type: 'helpRequest'; childId: number }
  /** A one-time code to link another messenger; replaces the person's older codes. */
  | { type: 'linkCode'; code: string; expiresAt: Date }
  /** Attaches this chat to the code's person and uses up the code (an empty own profile is dropped). */
  | { type: 'linkChat'; personId: number; code: string }
  /** A wrong link code from this chat: counted by the engine (in memory) against guessing. */
  | { type: 'linkMiss' }
  /** The messenger proactive messages go to. */
  | { type: 'preferredChannel'; channel: ChannelName }
  /** Irreversibly removes the person and everything linked to them. */
  | { type: 'erase' }
  /** "Keep in touch" under the retention notice: keep the data another year. */
  | { type: 'keepData' }
  /** A coordinator's one-time invite (only the token's hash is stored; audited). */
  | { type: 'createInvite'; initiativeId: number; role: 'ambassador' | 'coordinator'; token: string; expiresAt: Date }
  /** Uses the invite up and grants its role to this person (audited). */
  | { type: 'redeemInvite'; inviteId: number }
  /** A used or expired invite was tried (audited only). */
  | { type: 'inviteRefused'; inviteId: number; reason: 'expired' | 'used' }
  /** The languages an ambassador speaks, on their membership of the initiative. */
  | { type: 'ambassadorLanguages'; initiativeId: number; languages: string[] }
  /** A coordinator takes a staff role away (re-checked and audited; never the last coordinator). */
  | { type: 'revokeRole'; initiativeId: number; personId: number; role: 'ambassador' | 'coordinator' }
  /** Ask the engine to send everything stored (readable text plus a JSON file). */
  | { type: 'exportData' }
  /** A step of a broadcast (draft, version, audience, submit, approve, pause…): src/db/broadcast.effects.ts. */
  | { type: 'broadcast'; command: BroadcastCommand }
  /** A coordinator nudge (create, pause, trigger…): src/db/nudge.effects.ts. */
  | { type: 'nudge'; command: NudgeCommand }
  /** A relayed question (ask, claim, answer, close, call-back outcome): src/db/relay.effects.ts. */
  | { type: 'relay'; command: RelayCommand }
  /** A coordinator looked at the figures (audited, ids only); after the commit the charts follow (src/jobs/stats-charts.ts). */
  | { type: 'stats'; initiativeId: number };

export interface FlowResult {
  /** Null: nothing to remember (e.g. after a refusal or an erasure). */
  state: FlowState | null;
  language: string;
  replies: Reply[];
  effects: Effect[];
}

export type FlowInput = InboundContent;
