/**
 * Who is asking, as far as HTTP can tell:
 *
 * - `createHostGuard`: the Host header must name this server (localhost, 127.0.0.1, [::1], or
 *   the address it listens on; with the port the request arrived on), and an Origin header, if
 *   present, must name the same host. A DNS-rebinding page has its own host name in both, so
 *   it is refused. Used for the local chat, /health and operator routes; webhooks are exempt
 *   (they arrive through a proxy under the public host name and carry their own secrets).
 * - `directFromLoopback`: the socket is a loopback one and no proxy header of any kind is
 *   present (a reverse proxy on the same machine connects from loopback too).
 */
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { isLoopbackHost } from './local-chat.policy.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

export type HostGuard = (req: IncomingMessage) => boolean;

/** `listenHost` is HTTP_HOST: a concrete address is allowed as a Host; a wildcard allows the machine's own addresses. */
export function createHostGuard(listenHost: string): HostGuard {
  const names = new Set(LOOPBACK_NAMES);
  const host = listenHost.toLowerCase();
  if (WILDCARDS.has(host)) for (const address of ownAddresses()) names.add(address);
  else if (!isLoopbackHost(host)) names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

  return (req) => {
    const port = req.socket.localPort;
    const given = (req.headers.host ?? '').toLowerCase();
    if (!allowedHost(given, names, port)) return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${given}`).host;
    } catch {
      // "null" (a sandboxed frame, a file:// page) and anything unreadable.
      return false;
    }
  };
}

function allowedHost(given: string, names: Set<string>, port: number | undefined): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(given);
  if (!match?.[1] || !names.has(match[1])) return false;
  // Without a port the browser means 80.
  return Number(match[2] ?? 80) === port;
}

function ownAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4') out.push(info.address);
      // A scoped (link-local) address cannot appear in a Host header without its zone; skip it.
      else if (!info.address.includes('%') && info.scopeid === 0) out.push(`[${info.address.toLowerCase()}]`);
    }
  }
  return out;
}

/**
 * Header names that mean "a proxy relayed this request". Any header starting with
 * `x-forwarded` counts too (X-Forwarded-For, -Host, -Proto, -Server, …).
 */
export const PROXY_HEADERS = [
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'cf-connecting-ipv6',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-originating-ip',
  'x-remote-ip',
  'x-remote-addr',
  'x-proxyuser-ip',
  'x-envoy-external-address',
  'x-azure-clientip',
  'x-appengine-user-ip',
  'akamai-client-ip',
] as const;

const PROXY_HEADER_SET = new Set<string>(PROXY_HEADERS);

export function hasProxyHeader(req: IncomingMessage): boolean {
  // rawHeaders: every header as sent, including repeats and ones node folds or drops.
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    if (name.startsWith('x-forwarded') || PROXY_HEADER_SET.has(name)) return true;
  }
  return false;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  const a = (address ?? '').toLowerCase();
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

/** Directly from this machine: a loopback socket and no sign of a proxy in between. */
export const directFromLoopback = (req: IncomingMessage): boolean => isLoopbackAddress(req.socket.remoteAddress) && !hasProxyHeader(req);
