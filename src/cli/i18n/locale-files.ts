/**
 * Locale folders as flat key → text maps ("onboarding:consent.yes"), and back. The review
 * state of a language lives in its own meta.json under "review": base key → hash of the
 * Dutch source it was reviewed against, so a change to the Dutch text makes it stale.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Flat = Map<string, string>;

export interface LocaleMeta {
  endonym: string;
  dir: 'ltr' | 'rtl';
  status: 'draft' | 'reviewed';
  reviewedAt: string | null;
  review?: Record<string, string>;
}

export const SOURCE = 'nl';
const PLURAL = /_(zero|one|two|few|many|other)$/;

export const baseKey = (key: string): string => key.replace(PLURAL, '');
export const pluralSuffix = (key: string): string | undefined => PLURAL.exec(key)?.[1];

export function languagesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((l) => !l.startsWith('.') && statSync(join(dir, l)).isDirectory())
    .sort();
}

function flatten(obj: unknown, prefix: string, out: Flat): void {
  if (typeof obj === 'string') {
    out.set(prefix, obj);
    return;
  }
  if (typeof obj !== 'object' || obj === null) return;
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix.endsWith(':') ? `${prefix}${k}` : `${prefix}.${k}`, out);
}

/** Every text of a language, without meta.json (metadata is not translation). */
export function readTexts(dir: string, lang: string): Flat {
  const out: Flat = new Map();
  const folder = join(dir, lang);
  if (!existsSync(folder)) return out;
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json') && f !== 'meta.json').sort()) {
    flatten(JSON.parse(readFileSync(join(folder, file), 'utf8')), `${file.slice(0, -5)}:`, out);
  }
  return out;
}

/** Writes texts back, one file per namespace, keys in the order of the Dutch source. */
export function writeTexts(dir: string, lang: string, texts: Flat, order: string[]): void {
  const byNs = new Map<string, Record<string, unknown>>();
  const sorted = [...texts.keys()].sort((a, b) => rank(order, a) - rank(order, b));
  for (const key of sorted) {
    const [ns, path] = key.split(':', 2) as [string, string];
    const root = byNs.get(ns) ?? {};
    byNs.set(ns, root);
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1] ?? ''] = texts.get(key);
  }
  for (const [ns, content] of byNs) writeFileSync(join(dir, lang, `${ns}.json`), `${JSON.stringify(content, null, 2)}\n`);
}

function rank(order: string[], key: string): number {
  const i = order.indexOf(key);
  if (i >= 0) return i;
  const b = order.findIndex((k) => baseKey(k) === baseKey(key));
  return b >= 0 ? b + 0.5 : order.length;
}

export function readMeta(dir: string, lang: string): LocaleMeta {
  return JSON.parse(readFileSync(join(dir, lang, 'meta.json'), 'utf8')) as LocaleMeta;
}

export function writeMeta(dir: string, lang: string, meta: LocaleMeta): void {
  writeFileSync(join(dir, lang, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

/** The Dutch source of a base key: all its forms, so a change to any form makes it stale. */
export function sourceOf(source: Flat, base: string): string[] {
  return [...source.entries()].filter(([k]) => baseKey(k) === base).map(([, v]) => v);
}

export const hashSource = (forms: string[]): string => createHash('sha256').update(forms.join('\u0000')).digest('hex').slice(0, 12);
