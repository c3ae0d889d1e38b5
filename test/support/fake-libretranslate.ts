/**
 * A fake LibreTranslate server on 127.0.0.1 for tests: the translator talks real HTTP to it, as to
 * a self-hosted LibreTranslate. It answers like LibreTranslate 1.6 (libretranslate/app.py):
 * `GET /languages` → `[{ code, name, targets }]`; `POST /translate` (JSON or form) with q, source,
 * target, format ('text' | 'html'), api_key → `{ translatedText }`; errors as `{ error }` with
 * 400 (missing parameter, "xx is not supported", "… is not available as a target language from …",
 * text over the character limit, an API key required), 403 (an invalid API key), 429 (slow down)
 * and 500 (the model failed) — the last two on demand. The "translation" is `[<target>] <q>`,
 * so a test can see which language a draft came from. It counts every call.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLanguage {
  code: string;
  name: string;
  targets: string[];
}

export interface FakeLtRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeLtFailure {
  status: 429 | 500 | 502 | 503;
  /** Sent as a Retry-After header (seconds). */
  retryAfter?: number;
}

export interface FakeLibreTranslate {
  readonly url: string;
  /** Every request, in order (refused ones too). */
  readonly requests: FakeLtRequest[];
  /** How many calls each path had. */
  calls(path: '/translate' | '/languages'): number;
  /** The next `times` /translate calls fail with this status. */
  failNext(failure: FakeLtFailure, times?: number): void;
  /** The next `times` requests (any path) answer only after `ms` (for timeouts). */
  delayNext(ms: number, times?: number): void;
  close(): Promise<void>;
}

export interface FakeLtOptions {
  /** Keys the server accepts; with any, a request without one gets 400 and a wrong one 403 (LibreTranslate --api-keys --require-api-key-secret). */
  apiKeys?: string[];
  /** The installed languages (default: LibreTranslate's set of our languages: no Somali, no Tigrinya). */
  languages?: FakeLanguage[];
  /** Characters per request (LibreTranslate --char-limit); -1: none. */
  charLimit?: number;
  /** Leave `targets` out of /languages, as LibreTranslate before 1.3 did. */
  legacyLanguages?: boolean;
}

const NAMES: Record<string, string> = { nl: 'Dutch', en: 'English', ar: 'Arabic', bg: 'Bulgarian', pl: 'Polish', pt: 'Portuguese', tr: 'Turkish', uk: 'Ukrainian', de: 'German' };

/** Every installed language translates into every other (LibreTranslate pivots through English). */
export function fakeLanguages(codes: string[] = ['en', 'nl', 'ar', 'bg', 'pl', 'pt', 'tr', 'uk']): FakeLanguage[] {
  return codes.map((code) => ({ code, name: NAMES[code] ?? code, targets: codes.filter((c) => c !== code) }));
}

export async function startFakeLibreTranslate(opts: FakeLtOptions = {}): Promise<FakeLibreTranslate> {
  const languages = opts.languages ?? fakeLanguages();
  const charLimit = opts.charLimit ?? 5000;
  const keys = new Set(opts.apiKeys ?? []);
  const requests: FakeLtRequest[] = [];
  const counts = new Map<string, number>();
  const failures: FakeLtFailure[] = [];
  const delays: number[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'];
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      let body: Record<string, unknown> = {};
      if (contentType?.startsWith('application/json')) {
        try {
          const parsed = JSON.parse(raw) as unknown;
          body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { __invalid: true };
        } catch {
          body = { __invalid: true };
        }
      } else if (raw) {
        body = Object.fromEntries(new URLSearchParams(raw));
      }
      requests.push({ method: req.method ?? '', path, contentType, body });
      counts.set(path, (counts.get(path) ?? 0) + 1);
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(payload));
        };
        const delay = delays.shift();
        if (delay) setTimeout(send, delay).unref();
        else send();
      };
      if (path === '/languages' && req.method === 'GET') {
        return reply(200, opts.legacyLanguages ? languages.map(({ code, name }) => ({ code, name })) : languages);
      }
      if (path !== '/translate') return reply(404, { error: 'Not Found' });
      if (req.method !== 'POST') return reply(405, { error: 'Method Not Allowed' });
      if (body.__invalid) return reply(400, { error: 'Invalid JSON format' });
      // access_check: an unknown key is refused; no key, when keys are required, asks for one.
      const key = typeof body.api_key === 'string' && body.api_key ? body.api_key : undefined;
      if (keys.size && key !== undefined && !keys.has(key)) return reply(403, { error: 'Invalid API key' });
      if (keys.size && key === undefined) return reply(400, { error: 'Please contact the server operator to get an API key' });
      const failure = failures.shift();
      if (failure) {
        const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {};
        if (failure.status === 429) return reply(429, { error: 'Slowdown: 30 per 1 minute' }, headers);
        return reply(failure.status, { error: `Cannot translate text: model failed on "${String(body.q)}"` }, headers);
      }
      for (const name of ['q', 'source', 'target'] as const) {
        if (!body[name]) return reply(400, { error: `Invalid request: missing ${name} parameter` });
      }
      const { q, source, target } = body as { q: unknown; source: string; target: string };
      const texts = Array.isArray(q) ? q.map(String) : [String(q)];
      const chars = texts.reduce((n, t) => n + t.length, 0);
      if (charLimit !== -1 && chars > charLimit) return reply(400, { error: `Invalid request: request (${chars}) exceeds text limit (${charLimit})` });
      const src = languages.find((l) => l.code === source);
      if (!src) return reply(400, { error: `${source} is not supported` });
      const tgt = languages.find((l) => l.code === target);
      if (!tgt) return reply(400, { error: `${target} is not supported` });
      const format = body.format ?? 'text';
      if (format !== 'text' && format !== 'html') return reply(400, { error: `${String(format)} format is not supported` });
      if (!src.targets.includes(target)) {
        return reply(400, { error: `${tgt.name} (${tgt.code}) is not available as a target language from ${src.name} (${src.code})` });
      }
      const out = texts.map((t) => `[${target}] ${t}`);
      return reply(200, { translatedText: Array.isArray(q) ? out : out[0] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (path) => counts.get(path) ?? 0,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    delayNext(ms, times = 1) {
      for (let i = 0; i < times; i++) delays.push(ms);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
