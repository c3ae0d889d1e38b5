/**
 * Turns a Graph API failure into a SendOutcome, so callers branch on a status and never on
 * Meta's wording. Reasons carry the error code and Meta's message only, with anything that
 * looks like a phone number blanked out: never the message text or a recipient.
 *
 *   130429 throughput · 131056 pair rate · HTTP 429 · app/account rate limits → wait
 *   5xx, 131000/131016/133004 (Meta's own trouble), network → retry
 *   131026 undeliverable · 131050 stopped marketing messages → unreachable
 *   131047 outside the 24-hour window → invalid, `templateNeeded` (the adapter sends a template)
 *   132000–132999 template errors → invalid, `template` (reported on the delivery row)
 *   401 / 190 (token) → invalid, `tokenRejected` (logged loudly); other 4xx → invalid
 */
import type { SendOutcome } from '../../../core/errors.js';

export type FailedOutcome = Exclude<SendOutcome, { status: 'sent' }>;

export interface CloudFailure {
  outcome: FailedOutcome;
  code?: number;
  /** 131047: the customer-service window is closed; only a template may go out. */
  templateNeeded?: boolean;
  /** The access token is expired, revoked or lacks permission: an operator must act. */
  tokenRejected?: boolean;
  /** A template error (132xxx): the template is missing, paused or its parameters do not fit. */
  template?: boolean;
}

/** What the Graph API answers on failure: `{ error: { code, message, error_subcode } }`. */
export interface GraphErrorBody {
  code?: number;
  message?: string;
  error_subcode?: number;
}

/** Throughput (130429): the number's messages per second; a short pause is enough. */
export const THROUGHPUT_WAIT_MS = 2_000;
/** Pair rate (131056): WhatsApp allows about one message per 6 s to the same person. */
export const PAIR_RATE_WAIT_MS = 6_000;
/** App or account limits (HTTP 429 with code 4, 17, 80007): counted per hour. */
export const APP_LIMIT_WAIT_MS = 60_000;
const DEFAULT_429_WAIT_MS = 5_000;

const META_TROUBLE = new Set([1, 2, 131000, 131016, 133004]);
const APP_LIMITS = new Set([4, 17, 80007]);
const TOKEN_CODES = new Set([190, 10, 102]);
const UNREACHABLE = new Set([131026, 131050]);
const MAX_MESSAGE = 200;

export function classifyGraphError(httpStatus: number, body: unknown, retryAfterHeader?: string | null): CloudFailure {
  const error = asGraphError(body);
  const code = error?.code;
  const reason = `whatsapp ${code ?? httpStatus}: ${scrub(error?.message ?? `HTTP ${httpStatus}`)}`;
  const result = (outcome: FailedOutcome, extra: Partial<CloudFailure> = {}): CloudFailure => ({ outcome, ...(code !== undefined ? { code } : {}), ...extra });

  if (code === 130429) return result({ status: 'wait', retryAfterMs: THROUGHPUT_WAIT_MS, reason });
  if (code === 131056) return result({ status: 'wait', retryAfterMs: PAIR_RATE_WAIT_MS, reason });
  if (code !== undefined && UNREACHABLE.has(code)) return result({ status: 'unreachable', reason });
  if (code === 131047) return result({ status: 'invalid', reason: `window closed: ${reason}` }, { templateNeeded: true });
  if (code !== undefined && code >= 132000 && code < 133000) return result({ status: 'invalid', reason: `template: ${reason}` }, { template: true });
  if (httpStatus === 401 || (code !== undefined && TOKEN_CODES.has(code))) return result({ status: 'invalid', reason: `token: ${reason}` }, { tokenRejected: true });
  if (httpStatus === 429 || (code !== undefined && APP_LIMITS.has(code))) {
    const fromHeader = Number(retryAfterHeader);
    const waitMs = Number.isFinite(fromHeader) && fromHeader > 0 ? fromHeader * 1000 : code !== undefined && APP_LIMITS.has(code) ? APP_LIMIT_WAIT_MS : DEFAULT_429_WAIT_MS;
    return result({ status: 'wait', retryAfterMs: waitMs, reason });
  }
  if (httpStatus >= 500 || (code !== undefined && META_TROUBLE.has(code))) return result({ status: 'retry', reason });
  if (httpStatus >= 400) return result({ status: 'invalid', reason });
  // A 2xx without a message id, or an unknown status: a later try may work.
  return result({ status: 'retry', reason });
}

/** fetch rejects on network trouble and on our own timeout; both are worth another try. */
export function classifyNetworkError(err: unknown): CloudFailure {
  const name = err instanceof Error ? err.name : typeof err;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return { outcome: { status: 'retry', reason: `network: ${code ?? name}` } };
}

function asGraphError(body: unknown): GraphErrorBody | null {
  if (typeof body !== 'object' || body === null) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { code?: unknown; message?: unknown; error_subcode?: unknown };
  return {
    ...(typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.message === 'string' ? { message: e.message } : {}),
    ...(typeof e.error_subcode === 'number' ? { error_subcode: e.error_subcode } : {}),
  };
}

/** Meta's messages sometimes quote the recipient; logs and delivery rows must not. */
export function scrub(message: string): string {
  return message.replace(/\+?\d[\d\s().-]{5,}\d/g, '[number]').slice(0, MAX_MESSAGE);
}
