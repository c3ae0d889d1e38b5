/**
 * The shapes a relay flow and its database side share (issue 11, item 5: parents' questions
 * answered by an ambassador who speaks their language).
 */

/** What started a thread: the menu item, free text the bot did not understand, "help" under a
 * fallback broadcast, "help me" under a deadline reminder, "I want to help" under a phase action,
 * a call-back request, or the outreach ladder (src/domain/outreach-ladder.ts: a parent's "I'd
 * like help" under its question, or its call-back task for an ambassador). */
export const RELAY_SOURCES = ['menu', 'text', 'broadcast', 'helpRequest', 'interest', 'callback', 'ladder'] as const;
export type RelaySource = (typeof RELAY_SOURCES)[number];

/** A question is answered in a chat; a call-back request is a task with an outcome. */
export const RELAY_KINDS = ['question', 'callback'] as const;
export type RelayKind = (typeof RELAY_KINDS)[number];

/** open (nobody claimed it yet) → claimed (someone answers) → closed. */
export const RELAY_STATUSES = ['open', 'claimed', 'closed'] as const;
export type RelayStatus = (typeof RELAY_STATUSES)[number];

/** Who closed a thread. */
export const RELAY_CLOSERS = ['parent', 'staff', 'operator', 'outcome'] as const;
export type RelayCloser = (typeof RELAY_CLOSERS)[number];

/** The outcome of a call-back task. `declined` ("does not want contact") is final. */
export const CALLBACK_OUTCOMES = ['reached', 'noAnswer', 'wrongNumber', 'declined'] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/** "Does not want contact" closes a call-back task for good (people.contact_declined_at). */
export const isFinalOutcome = (o: CallbackOutcome): boolean => o === 'declined';

/**
 * What a flow asks to change, applied in the turn's transaction by src/db/relay.effects.ts. The
 * acting person is the turn's person; every staff command is checked again there (role on the
 * thread's initiative, src/domain/authorization.ts) besides the flow's own check.
 */
export type RelayCommand =
  /**
   * A parent asks (a question or a call-back). An open thread of the same kind on the same
   * initiative gets the text added instead of a second thread. A new thread is offered to the
   * first tier that has someone (src/domain/relay-routing.ts).
   */
  | { op: 'ask'; initiativeId: number; kind: RelayKind; source: RelaySource; sourceRef?: string | null; text: string | null; phone?: string | null }
  /** The parent writes in their own thread (relayed to whoever claimed it). */
  | { op: 'parentMessage'; threadId: number; text: string }
  /** "I'll answer": one UPDATE … WHERE claimed_by IS NULL; the loser hears "someone else took it". */
  | { op: 'claim'; threadId: number }
  /** Staff write to the parent (claims an unclaimed thread first, race-safe like `claim`). */
  | { op: 'answer'; threadId: number; text: string }
  | { op: 'close'; threadId: number }
  /** A call-back task's outcome (the claimer, or a coordinator); deletes the number; `declined` is final. */
  | { op: 'outcome'; threadId: number; outcome: CallbackOutcome };

/** A thread as a flow may see it (no texts, no number: those are in the staff card). */
export interface ThreadView {
  id: number;
  initiativeId: number;
  /** The parent who asked. */
  personId: number;
  kind: RelayKind;
  source: RelaySource;
  sourceRef: string | null;
  language: string;
  status: RelayStatus;
  tier: number;
  claimedBy: number | null;
  createdAt: Date;
  outcome: CallbackOutcome | null;
  /** The parent gave a number for this call-back (still kept). */
  hasPhone: boolean;
}

/** A child as staff may see it: an age band, never a birth month. */
export type AgeBand = 'expected' | 'under1' | 'y1' | 'y2' | 'y3' | 'y4plus';

/**
 * What a staff member sees of a thread: the parent's first name (if given), language, their
 * children's age bands and what was said; never a phone number or a chat handle. `phone` is
 * filled only for the staff member who claimed a call-back task (and only while it is kept).
 */
export interface StaffCard {
  thread: ThreadView;
  firstName: string | null;
  language: string;
  ageBands: AgeBand[];
  messages: { fromParent: boolean; text: string; at: Date }[];
  /** The broadcast's Dutch text a "help" under a fallback broadcast is about (an excerpt). */
  about: string | null;
  phone: string | null;
}

/** One line of the staff list ("Vragen van ouders"): number, language, kind, status; no texts. */
export interface ThreadLine {
  id: number;
  initiativeId: number;
  kind: RelayKind;
  language: string;
  status: RelayStatus;
  mine: boolean;
  createdAt: Date;
}

/** What a flow may read (synchronous). Staff reads are filtered by the flow's authorization check. */
export interface RelayReads {
  thread(id: number): ThreadView | null;
  /** The parent's newest thread that is not closed, of this kind (question by default). */
  openThreadOf(personId: number, kind?: RelayKind): ThreadView | null;
  /** The thread of our message that `externalId` is (a notice to this person); null: none of ours. */
  threadOfMessage(personId: number, externalId: string): number | null;
  /** Open (unclaimed) threads of these initiatives, and those claimed by `staffId`, oldest first. */
  staffLines(staffId: number, initiativeIds: readonly number[], kind: RelayKind): ThreadLine[];
  /** The card of one thread for `staffId` (the number only if they claimed the call-back). */
  staffCard(threadId: number, staffId: number, now: Date): StaffCard | null;
  /** The broadcast a "help" typed now would be about: the newest one sent to the parent since `since` in another language than theirs. */
  fallbackBroadcast(personId: number, since: Date): number | null;
}
