/**
 * Splitting long messages. Telegram limits a message to 4096 UTF-16 code units of text
 * AFTER entity parsing, so tags weigh nothing and "&amp;" weighs one. We cut at the last
 * paragraph break that fits, else the last line break, else the last space, else between
 * two characters, never inside a tag, an entity or a surrogate pair. Tags open at a cut
 * are closed at the end of the chunk and reopened at the start of the next, so every chunk
 * is valid HTML on its own.
 */
interface Token {
  raw: string;
  /** Length after parsing, in UTF-16 code units. */
  len: number;
  /** Tag name when this is a tag; `close` tells which side. */
  tag?: string;
  close?: boolean;
}

const TOKEN = /<(\/?)([a-z][a-z0-9-]*)(?:\s[^<>]*)?>|&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]+);|[\s\S]/giu;

function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  for (const m of html.matchAll(TOKEN)) {
    const raw = m[0];
    if (m[2] !== undefined) tokens.push({ raw, len: 0, tag: m[2].toLowerCase(), close: m[1] === '/' });
    else tokens.push({ raw, len: raw.length > 2 && raw.startsWith('&') ? entityLength(raw) : raw.length });
  }
  return tokens;
}

function entityLength(raw: string): number {
  if (!raw.startsWith('&#')) return 1;
  const code = raw[2] === 'x' || raw[2] === 'X' ? parseInt(raw.slice(3, -1), 16) : parseInt(raw.slice(2, -1), 10);
  return code > 0xffff && code <= 0x10ffff ? 2 : 1;
}

const isSpace = (t: Token | undefined): boolean => t !== undefined && t.tag === undefined && /^\s$/u.test(t.raw);
const isNewline = (t: Token | undefined): boolean => t !== undefined && t.raw === '\n';

/** Where to cut in tokens[from, end]: the best separator position, or `end` for a hard cut. */
function findCut(tokens: Token[], from: number, end: number): number {
  const finders: ((j: number) => boolean)[] = [
    (j) => isNewline(tokens[j]) && isNewline(tokens[j + 1]),
    (j) => isNewline(tokens[j]),
    (j) => tokens[j]?.raw === ' ',
  ];
  for (const found of finders) {
    for (let j = Math.min(end, tokens.length - 1); j > from; j--) {
      if (found(j) && hasText(tokens, from, j)) return j;
    }
  }
  return Math.max(end, from + 1);
}

function hasText(tokens: Token[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (t && t.tag === undefined && !isSpace(t)) return true;
  }
  return false;
}

export function splitForTelegram(miniHtml: string, limit = 4096): string[] {
  const tokens = tokenize(miniHtml);
  const chunks: string[] = [];
  let open: Token[] = [];
  let start = 0;
  while (start < tokens.length) {
    let used = 0;
    let end = start;
    while (end < tokens.length && used + (tokens[end]?.len ?? 0) <= limit) used += tokens[end++]?.len ?? 0;
    const cut = end >= tokens.length ? tokens.length : findCut(tokens, start, end);
    const body = tokens.slice(start, cut);
    const reopen = open.map((t) => t.raw).join('');
    open = applyTags(open, body);
    const closeAll = [...open].reverse().map((t) => `</${t.tag ?? ''}>`).join('');
    if (hasText(tokens, start, cut)) chunks.push(reopen + body.map((t) => t.raw).join('') + closeAll);
    // The separator we cut at is dropped; Telegram trims whitespace at the edges anyway.
    start = cut;
    while (start < tokens.length && isSpace(tokens[start])) start++;
  }
  return chunks;
}

/** The stack of open tags after `body`; a stray closing tag just closes its latest opener. */
function applyTags(open: Token[], body: Token[]): Token[] {
  const stack = [...open];
  for (const t of body) {
    if (t.tag === undefined) continue;
    if (!t.close) stack.push(t);
    else {
      const at = stack.map((o) => o.tag).lastIndexOf(t.tag);
      if (at >= 0) stack.splice(at, 1);
    }
  }
  return stack;
}
