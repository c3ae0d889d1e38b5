/** Typed errors: a `code` to branch on and whether trying again can help. */
export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The outcome of one attempt to deliver a message, as every channel reports it. A message a
 * channel sends in parts (long texts, a file) reports how many parts went out before a
 * retryable failure, so a retry resumes there instead of repeating them.
 */
export type SendOutcome =
  /**
   * `held`: outside a messenger's window only a stand-in went out ("a message is waiting; reply to
   * read it", WhatsApp Cloud); the message itself waits for the reader's reply (`reason` says why).
   */
  | { status: 'sent'; externalId?: string; held?: true; reason?: string }
  /** Network trouble or a server error: try again with backoff. */
  | { status: 'retry'; reason: string; partsSent?: number }
  /** The messenger asked us to slow down. */
  | { status: 'wait'; retryAfterMs: number; reason: string; partsSent?: number }
  /** The person blocked the bot or cannot be reached: stop proactive messages. */
  | { status: 'unreachable'; reason: string }
  /** We sent something the messenger refuses: a bug. Log, never retry forever. */
  | { status: 'invalid'; reason: string };
