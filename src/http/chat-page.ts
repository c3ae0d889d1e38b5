/**
 * The local web chat page and its assets (src/http/public). The files are read once, when the
 * server is created, so a missing file fails at start rather than on the first visitor.
 * Script and style are separate files, so the page's Content-Security-Policy can forbid every
 * inline script and style: bot text that somehow slipped through as HTML still could not run.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

const PUBLIC_DIR = new URL('./public/', import.meta.url);

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // data: only for the empty favicon; downloads are blob: links, which CSP does not govern.
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface Asset {
  contentType: string;
  body: string;
}

export interface ChatAssets {
  page: Asset;
  script: Asset;
  style: Asset;
}

export function loadChatAssets(): ChatAssets {
  const read = (name: string): string => readFileSync(new URL(name, PUBLIC_DIR), 'utf8');
  return {
    page: { contentType: 'text/html; charset=utf-8', body: read('chat.html') },
    script: { contentType: 'text/javascript; charset=utf-8', body: read('chat.js') },
    style: { contentType: 'text/css; charset=utf-8', body: read('chat.css') },
  };
}

/** Shown at `/` when the local chat is switched off (e.g. in production with Telegram only). */
export const RUNNING_PAGE: Asset = {
  contentType: 'text/html; charset=utf-8',
  body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ouderbrug</title></head><body><p>Ouderbrug is running.</p></body></html>\n',
};

export function sendAsset(res: ServerResponse, asset: Asset): void {
  res.writeHead(200, {
    'Content-Type': asset.contentType,
    'Content-Security-Policy': PAGE_CSP,
    // Always revalidate: the page is small and a stale chat.js after a restart is confusing.
    'Cache-Control': 'no-cache',
    'Content-Length': Buffer.byteLength(asset.body),
  });
  res.end(asset.body);
}
