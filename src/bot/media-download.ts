/**
 * Downloading a file from a messenger with a byte limit, for every channel (Telegram's file
 * URL, the WhatsApp Cloud API's media URL). Errors are reduced to codes: the URL may hold a token.
 */
import type { DownloadResult } from '../core/media.js';

const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * GET with a byte limit: refused by Content-Length when it says too much, else counted while
 * streaming and cut off at the limit. `headers`: e.g. the Cloud API's bearer token.
 */
export async function fetchLimited(url: URL | string, maxBytes: number, who: string, headers: Record<string, string> = {}): Promise<DownloadResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), DOWNLOAD_TIMEOUT_MS);
  try {
    const res = await fetch(url, { headers, signal: abort.signal, redirect: 'follow' });
    if (res.status === 404 || res.status === 410) return { ok: false, failure: 'gone', reason: `${who}: download ${res.status}` };
    if (!res.ok || !res.body) return { ok: false, failure: res.status >= 400 && res.status < 500 && res.status !== 429 ? 'gone' : 'retry', reason: `${who}: download ${res.status}` };
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      abort.abort();
      return { ok: false, failure: 'too_large', reason: `${who}: ${declared} bytes` };
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) {
        abort.abort();
        return { ok: false, failure: 'too_large', reason: `${who}: more than ${maxBytes} bytes` };
      }
      chunks.push(Buffer.from(chunk));
    }
    const type = res.headers.get('content-type');
    return { ok: true, data: Buffer.concat(chunks), ...(type && !/octet-stream/.test(type) ? { mimeType: type } : {}) };
  } catch (err) {
    // Never the error's message: it may hold the URL (and in it, the token).
    const code = (err as { cause?: { code?: string }; name?: string }).cause?.code ?? (err as { name?: string }).name ?? 'error';
    return { ok: false, failure: 'retry', reason: `${who}: download failed (${code})` };
  } finally {
    clearTimeout(timer);
  }
}
