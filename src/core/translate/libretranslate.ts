/**
 * A Translator for a LibreTranslate-compatible HTTP API (self-hosted, so parents' messages never
 * leave our own servers; ADR 0009). `POST {url}/translate` with `q`, `source`, `target`,
 * `format: 'text'` and `api_key` (when configured); `GET {url}/languages` tells which targets each
 * source has (cached, so a broadcast with six languages asks once). Every request has a timeout.
 *
 * LibreTranslate answers errors as `{ "error": "…" }` with 400 (a missing parameter, a text over
 * its character limit, "xx is not supported", "… is not available as a target language from …",
 * or "Please contact the server operator to get an API key"), 403 (an invalid key, or banned),
 * 429 (slow down) and 500 (the model failed). The server's message is read only to classify it;
 * it may quote the text, so it is never kept, logged or returned.
 */
import { failure, type TargetsOutcome, type TranslateFailure, type TranslateOutcome, type Translator } from './translator.js';

export interface LibreTranslateOptions {
  /** The server's root, e.g. `http://127.0.0.1:5000` or `https://mt.example.org/lt`. */
  url: string;
  apiKey?: string;
  /** Per request. */
  timeoutMs: number;
  /** How long the answer of /languages is kept (default 10 minutes). */
  languagesTtlMs?: number;
  /** For tests. */
  now?: () => number;
}

const DEFAULT_LANGUAGES_TTL_MS = 10 * 60_000;

interface HttpAnswer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

export function createLibreTranslate(options: LibreTranslateOptions): Translator {
  const root = options.url.replace(/\/+$/, '');
  const ttl = options.languagesTtlMs ?? DEFAULT_LANGUAGES_TTL_MS;
  const now = options.now ?? Date.now;
  let languages: { at: number; pairs: Map<string, Set<string>> } | null = null;
  let loading: Promise<Map<string, Set<string>> | TranslateFailure> | null = null;

  async function request(path: string, init: { method: 'GET' | 'POST'; body?: string }): Promise<HttpAnswer | TranslateFailure> {
    try {
      const res = await fetch(`${root}${path}`, {
        method: init.method,
        headers: init.body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const raw = await res.text();
      let body: unknown = null;
      try {
        body = raw ? (JSON.parse(raw) as unknown) : null;
      } catch {
        body = null;
      }
      return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      return networkFailure(err);
    }
  }

  async function loadLanguages(): Promise<Map<string, Set<string>> | TranslateFailure> {
    const res = await request('/languages', { method: 'GET' });
    if ('ok' in res) return res;
    if (res.status !== 200) return httpFailure(res);
    if (!Array.isArray(res.body)) return failure('invalid', 'languages: not a list');
    const entries = res.body.filter((l): l is { code: string; targets?: unknown } => typeof (l as { code?: unknown } | null)?.code === 'string');
    const all = entries.map((l) => l.code);
    const pairs = new Map<string, Set<string>>();
    for (const l of entries) {
      // Servers before LibreTranslate 1.3 list no targets: every language pairs with every other (through English).
      const targets = Array.isArray(l.targets) ? l.targets.filter((t): t is string => typeof t === 'string') : all;
      pairs.set(l.code, new Set(targets.filter((t) => t !== l.code)));
    }
    languages = { at: now(), pairs };
    return pairs;
  }

  return {
    name: 'libretranslate',
    async targets(from): Promise<TargetsOutcome> {
      if (!languages || now() - languages.at >= ttl) {
        loading ??= loadLanguages().finally(() => {
          loading = null;
        });
        const got = await loading;
        if (!(got instanceof Map)) return got;
      }
      return { ok: true, targets: languages?.pairs.get(from) ?? new Set<string>() };
    },
    async translate(text, from, to): Promise<TranslateOutcome> {
      if (!text.trim()) return failure('invalid', 'empty text');
      if (from === to) return { ok: true, text };
      const body = JSON.stringify({ q: text, source: from, target: to, format: 'text', ...(options.apiKey ? { api_key: options.apiKey } : {}) });
      const res = await request('/translate', { method: 'POST', body });
      if ('ok' in res) return res;
      if (res.status !== 200) return httpFailure(res, `${from}-${to}`);
      const translated = (res.body as { translatedText?: unknown } | null)?.translatedText;
      if (typeof translated !== 'string' || !translated.trim()) return failure('invalid', 'no translatedText');
      return { ok: true, text: translated };
    },
  };
}

/** Classifies a non-200 answer; reads the server's message only to tell its 400s apart. */
function httpFailure(res: HttpAnswer, pair?: string): TranslateFailure {
  const status = res.status;
  const message = String((res.body as { error?: unknown } | null)?.error ?? '');
  if (status === 429) return failure('retry', 'http 429', retryAfterMs(res.retryAfter));
  if (status >= 500) return failure('retry', `http ${status}`, retryAfterMs(res.retryAfter));
  if (status === 401 || status === 403) return failure('unavailable', `http ${status}`);
  if (status === 404 || status === 405) return failure('unavailable', `http ${status}: not a LibreTranslate API at this URL`);
  if (status === 400) {
    if (/not supported|not available as a target/i.test(message)) return failure('unsupported', pair ? `pair ${pair}` : 'http 400: language');
    if (/api key/i.test(message)) return failure('unavailable', 'http 400: API key required');
    if (/exceeds text limit/i.test(message)) return failure('invalid', 'http 400: text too long');
    return failure('invalid', 'http 400');
  }
  return failure('invalid', `http ${status}`);
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : undefined;
}

function networkFailure(err: unknown): TranslateFailure {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return failure('retry', 'timeout');
  const code = String((err as { cause?: { code?: unknown } } | null)?.cause?.code ?? '');
  return failure('unavailable', code ? `unreachable (${code})` : 'unreachable');
}
