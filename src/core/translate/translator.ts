/**
 * Machine translation (issue 11, item 3): a provider turns a text from one language into another
 * and says, as a value, why it could not. Drafts it makes are stored as machine versions that are
 * never sent before their author approved or edited them (src/jobs/broadcast-translate.ts).
 *
 * Failures, so callers can act on them without reading a server's message:
 * - `retry`: the server asked us to slow down (429) or failed for a moment (5xx, a timeout); try again later.
 * - `unavailable`: it cannot be reached or refuses us (connection refused, 401/403: a wrong or missing key).
 * - `unsupported`: it cannot translate between this pair of languages.
 * - `invalid`: it refused this request (empty, too long) or answered something we cannot read; trying again will not help.
 *
 * A provider never logs or returns the text in a failure's `reason` (a parent initiative's message
 * may name a child or a street): reasons are short codes such as `http 429` or `timeout`.
 */

export const TRANSLATE_FAILURES = ['retry', 'unavailable', 'unsupported', 'invalid'] as const;
export type TranslateFailureKind = (typeof TRANSLATE_FAILURES)[number];

export interface TranslateFailure {
  ok: false;
  failure: TranslateFailureKind;
  /** A short code for logs and the CLI (`http 503`, `timeout`, `pair nl-so`); never the text. */
  reason: string;
  /** `retry` only: how long the server asked us to wait, when it said. */
  retryAfterMs?: number;
}

export type TranslateOutcome = { ok: true; text: string } | TranslateFailure;

/** The languages a provider can translate into from one source language. */
export type TargetsOutcome = { ok: true; targets: ReadonlySet<string> } | TranslateFailure;

export interface Translator {
  /** A short name for logs and the CLI (`libretranslate`). */
  readonly name: string;
  /** Translates plain text; never throws, never logs the text. */
  translate(text: string, from: string, to: string): Promise<TranslateOutcome>;
  /** The target languages for `from` (cached by the provider). Never throws. */
  targets(from: string): Promise<TargetsOutcome>;
}

export const failure = (kind: TranslateFailureKind, reason: string, retryAfterMs?: number): TranslateFailure =>
  retryAfterMs === undefined ? { ok: false, failure: kind, reason } : { ok: false, failure: kind, reason, retryAfterMs };
