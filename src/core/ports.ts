/**
 * Ports: what the core needs from the outside world, as plain interfaces.
 * Implementations live at the edges (src/db, src/bot/*, src/main.ts wires them).
 *
 * - ChannelAdapter: sends a rendered message on one messenger; classifies every failure.
 * - Store: the database as the engine sees it; `commitTurn` is one transaction.
 * - Logger: structured logs; callers pass ids only, never names, handles, postcodes or dates of birth.
 */
import type { Address, ChannelName, InboundMessage, MediaType, OutboundMessage } from './messages.js';
import type { SendOutcome } from './errors.js';
import type { Effect, PersonView } from '../flows/flow.types.js';

export interface SendOptions {
  fromPart?: number;
  /**
   * Awaited before each part after the first (a long text in pieces, then a file): the outbound
   * scheduler takes one more token from the channel's budget, so every request counts.
   */
  pace?: () => Promise<void>;
  /**
   * Set for proactive messages (reminders, notices): the message key and its parameters as
   * rendered text, so a channel that may only send approved templates outside a conversation
   * window (WhatsApp Cloud API) can pick the template for this kind and language.
   */
  proactive?: {
    key: string;
    lang: string;
    params: Record<string, string>;
    /** The message has a button per child (siblings), which a template's fixed buttons cannot show. */
    perChild?: boolean;
    /** The initiative's name, for a stand-in ("a message from …; reply to read it"). */
    initiative?: string;
    /** The reader's second language ('en' when they chose English), for a stand-in their language lacks. */
    fallbackLang?: string;
  };
}

export interface ChannelAdapter {
  readonly name: ChannelName;
  /** Sends one message (split into parts if the messenger needs it), from part `fromPart` on. Never throws. */
  send(chatId: string, message: OutboundMessage, options?: SendOptions): Promise<SendOutcome>;
  /**
   * Replaces the text (and buttons) of a message sent earlier (`externalId` from its SendOutcome),
   * e.g. a broadcast's progress. Absent: the messenger cannot edit (WhatsApp); callers then send
   * a message at the start and one at the end. Never throws.
   */
  edit?(chatId: string, externalId: string, message: OutboundMessage): Promise<SendOutcome>;
}

export type InboundHandler = (message: InboundMessage) => Promise<void>;

export interface ChannelHealth {
  name: ChannelName;
  state: 'starting' | 'up' | 'down' | 'off';
  detail?: string;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface IdentityRef {
  personId: number;
  identityId: number;
}

export interface CommitTurnInput {
  address: Address;
  /** Null before this turn's consent effect has created the person. */
  identity: IdentityRef | null;
  state: unknown;
  effects: Effect[];
  outbound: OutboundMessage[];
  externalId?: string;
}

export interface CommitTurnResult {
  /** Null when the person was erased in this turn (or never consented). */
  identity: IdentityRef | null;
  /** Outbox row ids, one per outbound message, in order; empty when nothing was stored. */
  outboxIds: number[];
}

export interface Store {
  findIdentity(address: Address): IdentityRef | null;
  loadPerson(personId: number): PersonView | null;
  loadConversation(identityId: number): { state: unknown; turn: number } | null;
  /** New state, effects and outbound messages in one transaction (side effects happen after). */
  commitTurn(input: CommitTurnInput): CommitTurnResult;
  /** True if this update was handled before (a redelivery). */
  alreadyHandled(channel: ChannelName, externalId: string): boolean;
  /**
   * Before consent: records the update as handled together with its replies in the outbox, in
   * one transaction, so a crash in between cannot lose the answer or send it twice. The rows
   * hold only the chat address and are deleted once delivered (ADR 0005). Returns their ids.
   */
  commitPreConsent(input: { address: Address; outbound: OutboundMessage[]; externalId?: string }): number[];
  markUnreachable(address: Address): void;
  exportPerson(personId: number): PersonExport | null;
  ping(): boolean;
}

/** Everything stored about one person, for /mydata. */
export interface PersonExport {
  exportedAt: string;
  person: {
    id: number;
    language: string;
    displayName: string | null;
    postcode: string | null;
    heardFrom: string | null;
    proactiveMessages: boolean;
    reminders: boolean;
    newsletter: boolean;
    quietHours: { start: string; end: string } | null;
    /** The second language for messages not written in theirs ('en'; null: Dutch). */
    fallbackLanguage: 'en' | null;
    createdAt: string;
  };
  channels: { channel: ChannelName; createdAt: string; unreachable: boolean }[];
  children: { id: number; year: number; month: number; expected: boolean; registered: string | null; placement: string | null }[];
  events: { event: number; answer: string; status: string; attended: boolean | null; answeredAt: string }[];
  /** Proactive messages: what was planned or sent, when (the text is rendered only when sent). */
  deliveries: { rule: string; status: string; sendAt: string; sentAt: string | null }[];
  memberships: { initiative: string; school: string; role: string; since: string }[];
  interests: { initiative: string; action: string; at: string }[];
  consents: { kind: string; given: boolean; version: string; at: string }[];
  messagesStored: number;
  /** Voice notes, photos and files the person sent that we keep (type, state, date; never the content). */
  files?: { type: MediaType; status: string; at: string }[];
  /** Broadcasts the person wrote or approved as staff (issue 11), with the texts they wrote. */
  broadcasts?: { id: number; initiative: string; role: 'author' | 'approver'; status: string; createdAt: string; texts: Record<string, string | null> }[];
  /**
   * Questions and call-back requests relayed to staff (issue 11, item 5), with what was said; who
   * answered is not named (staff are people too). `callbackPhone`: only while it is kept.
   */
  questions?: {
    id: number;
    kind: string;
    status: string;
    createdAt: string;
    closedAt: string | null;
    outcome: string | null;
    callbackPhone: string | null;
    messages: { from: 'you' | 'staff'; text: string; at: string }[];
  }[];
  /** When the parent told us they want no personal contact (null: never). */
  contactDeclinedAt?: string | null;
  /**
   * Participation signals (ADR 0010): the last own action, the last read receipt and the days on
   * which the parent wrote or tapped anything ("YYYY-MM-DD", the last 13 months).
   */
  participation?: { lastActionAt: string | null; lastReadAt: string | null; activeDays: string[] };
}
