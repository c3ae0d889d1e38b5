/**
 * The shapes a relay flow and its database side share (issue 11, item 5: parents' questions
 * answered by an ambassador who speaks their language).
 */

/** What started a thread: the menu item, free text the bot did not understand, "help" under a
 * fallback broadcast, "help me" under a deadline reminder, "I want to help" under a phase action,
 * or a call-back request. */
export const RELAY_SOURCES = ['menu', 'text', 'broadcast', 'helpRequest', 'interest', 'callback'] as const;
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

/** What a flow asks to change, applied in the turn's transaction by src/db/relay.effects.ts. */
export type RelayCommand = { op: 'placeholder' };

/** What a flow may read (synchronous, no personal data beyond what the role may see). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RelayReads {}
