/**
 * HTTP Basic auth (any user name; one password) with a login lockout in front of it. Used by
 * the queue dashboard, the WhatsApp QR page and the local web chat when it has a password.
 *
 * Order per request: lockout first (429 + Retry-After, the password is not even read), then the
 * password (compared as SHA-256 digests in constant time). A request without credentials is
 * the browser asking for the login dialog: 401, and it does not count as a failure.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoginLockout } from './login-lockout.js';

export interface BasicAuthOptions {
  /** Shown by the browser's login dialog. */
  realm: string;
  password: string;
  lockout: LoginLockout;
}

/** True when the request may go on; otherwise it has been answered (401 or 429). */
export type BasicAuth = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createBasicAuth(options: BasicAuthOptions): BasicAuth {
  const { lockout } = options;
  const challenge = `Basic realm="${options.realm.replace(/["\\]/g, '')}"`;
  const expected = digest(options.password);
  return (req, res) => {
    // The socket's own address: a forwarded-for header is whatever the client wants it to be.
    const client = req.socket.remoteAddress ?? 'unknown';
    const lock = lockout.check(client);
    if (lock.locked) {
      res.writeHead(429, { 'Retry-After': String(lock.retryAfterSeconds), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('Too many wrong passwords. Try again later.\n');
      return false;
    }
    const given = basicPassword(req.headers.authorization);
    if (given !== null && timingSafeEqual(digest(given), expected)) {
      lockout.succeed(client);
      return true;
    }
    if (req.headers.authorization !== undefined) lockout.fail(client);
    res.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('Authentication required.\n');
    return false;
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The password of an `Authorization: Basic base64(user:password)` header; the user name is ignored. */
function basicPassword(header: string | undefined): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}
