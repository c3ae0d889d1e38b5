/**
 * Small pieces every HTTP route shares: the route type, typed refusals, JSON answers and a
 * bounded body reader. Kept apart from server.ts so route modules need not import the server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * `path` is matched exactly against the path (without the query string); `prefix` matches that
 * path and everything below it (`/admin/queues`, `/admin/queues/api/…`), for mounted apps.
 * Exact routes win over prefix routes. The method 'ANY' matches every method.
 *
 * `access: 'private'` routes (the local chat, /health, operator pages) are refused with 403
 * unless the Host and Origin headers name this server (host-guard.ts). Leave it unset for
 * webhooks: they arrive through a proxy under the public host name and carry their own secret.
 */
export type HttpRoute = { method: string; handler: RouteHandler; access?: 'private' } & ({ path: string; prefix?: undefined } | { prefix: string; path?: undefined });

export const MAX_BODY_BYTES = 64 * 1024;

/** A refusal: the server answers `{ error: code }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
    this.name = 'HttpError';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/** Reads at most MAX_BODY_BYTES; a bigger body is refused without buffering the rest. */
export async function readBody(req: IncomingMessage): Promise<string> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge(req);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(req: IncomingMessage): HttpError {
  // Discard the rest instead of reading it into memory; the 413 is sent meanwhile.
  req.resume();
  return new HttpError(413, 'body_too_large');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json');
  }
}

export function toSeq(value: string | undefined | null): number {
  const n = Number(value ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
