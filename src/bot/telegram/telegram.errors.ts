/**
 * Turns whatever a Bot API call threw into a SendOutcome, so callers branch on a status and
 * never on Telegram's wording. Reasons carry the error code and Telegram's description only:
 * never the message text, a chat id or an error message that may embed the request URL.
 */
import { TelegramError } from 'telegraf';
import type { SendOutcome } from '../../core/errors.js';

export type FailedOutcome = Exclude<SendOutcome, { status: 'sent' }>;

/** 400s that really mean "this person is gone", not "we built a bad request". */
const GONE_PATTERNS = [/chat not found/i, /user is deactivated/i, /PEER_ID_INVALID/];

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);
const NETWORK_NAMES = new Set(['FetchError', 'AbortError', 'TimeoutError']);
const MAX_DESCRIPTION = 200;

interface ApiErrorShape {
  code: number;
  description: string;
  retryAfter?: number;
}

export function classifyTelegramError(err: unknown): FailedOutcome {
  const api = asApiError(err);
  if (api) return classifyApiError(api);
  const network = networkCode(err);
  if (network) return { status: 'retry', reason: `network: ${network}` };
  const name = err instanceof Error ? err.name : typeof err;
  return { status: 'retry', reason: `unexpected: ${name}` };
}

function classifyApiError({ code, description, retryAfter }: ApiErrorShape): FailedOutcome {
  const reason = `telegram ${code}: ${description.slice(0, MAX_DESCRIPTION)}`;
  if (code === 403) return { status: 'unreachable', reason };
  if (code === 429) {
    const seconds = retryAfter !== undefined && retryAfter > 0 ? retryAfter : 1;
    return { status: 'wait', retryAfterMs: seconds * 1000, reason };
  }
  if (code === 400) {
    return GONE_PATTERNS.some((p) => p.test(description)) ? { status: 'unreachable', reason } : { status: 'invalid', reason };
  }
  // 5xx, 409 (a second poller), 401 (token revoked) and the unknown: a later try may work.
  return { status: 'retry', reason };
}

function asApiError(err: unknown): ApiErrorShape | null {
  // instanceof can fail across duplicated telegraf copies, hence the shape check as well.
  const e = err as { code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } } | null;
  const looksLike = err instanceof TelegramError || (e !== null && typeof e === 'object' && typeof e.code === 'number' && typeof e.description === 'string');
  if (!looksLike || typeof e?.code !== 'number') return null;
  const retryAfter = e.parameters?.retry_after;
  return {
    code: e.code,
    description: typeof e.description === 'string' ? e.description : '',
    ...(typeof retryAfter === 'number' ? { retryAfter } : {}),
  };
}

/** node-fetch wraps socket errors in a FetchError of type 'system' with the errno code. */
function networkCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { name?: unknown; code?: unknown; errno?: unknown; type?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'string' ? e.errno : undefined;
  if (code && NETWORK_CODES.has(code)) return code;
  if (e.type === 'system') return code ?? 'system';
  if (typeof e.name === 'string' && NETWORK_NAMES.has(e.name)) return code ?? e.name;
  return e.cause !== undefined && e.cause !== err ? networkCode(e.cause) : null;
}

/**
 * Code + description only: error messages may embed request URLs, payloads or, from the
 * inbound handler, personal data; handlers log their own details.
 */
export function describeTelegramError(err: unknown): string {
  const outcome = classifyTelegramError(err);
  if (!outcome.reason.startsWith('unexpected')) return outcome.reason;
  const code = errorCode(err);
  return code === undefined ? outcome.reason : `${outcome.reason} (${code})`;
}

export function errorCode(err: unknown): string | number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' || typeof code === 'string' ? code : undefined;
}
