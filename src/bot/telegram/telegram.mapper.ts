/**
 * Telegram ⇄ core translation, pure: a Bot API update becomes an InboundMessage, and an
 * OutboundMessage becomes HTML chunks and an inline keyboard. No I/O here.
 *
 * Updates arrive over the wire, so their declared type is a hope, not a fact: every field
 * is read defensively and anything unexpected maps to null instead of throwing.
 */
import type { InlineKeyboardMarkup, Update } from 'telegraf/types';
import type { InboundContent, InboundMessage, OutboundMessage, UnsupportedKind } from '../../core/messages.js';
import { miniHtmlToPlain } from '../../core/render.js';

/** Version prefix of our callback data: buttons from an older bot decode as stale. */
const CALLBACK_VERSION = '1';
const CALLBACK_MAX_BYTES = 64;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

/** Message fields that mean "the person sent something we cannot read", in checking order. */
const UNSUPPORTED_FIELDS: [string, UnsupportedKind][] = [
  ['sticker', 'sticker'],
  ['photo', 'photo'],
  ['voice', 'voice'],
  ['audio', 'voice'],
  ['video_note', 'video'],
  ['animation', 'video'],
  ['video', 'video'],
  ['document', 'file'],
  ['venue', 'location'],
  ['location', 'location'],
  ['contact', 'contact'],
];

/**
 * Service messages Telegram generates itself (pins, auto-delete timers, …): the person did
 * not say anything, so answering "I can't read that" would be wrong.
 */
const SERVICE_FIELDS = [
  'pinned_message',
  'message_auto_delete_timer_changed',
  'write_access_allowed',
  'users_shared',
  'user_shared',
  'chat_shared',
  'successful_payment',
  'connected_website',
  'new_chat_members',
  'left_chat_member',
  'new_chat_title',
  'new_chat_photo',
  'delete_chat_photo',
  'group_chat_created',
  'proximity_alert_triggered',
  'chat_background_set',
];

export function toInbound(update: Update): InboundMessage | null {
  try {
    return mapUpdate(update as unknown);
  } catch {
    // Defensive reads should make this unreachable; a bad update must never stop the bot.
    return null;
  }
}

function mapUpdate(raw: unknown): InboundMessage | null {
  if (!isRec(raw)) return null;
  const updateId = int(raw.update_id);
  if (updateId === undefined) return null;
  if (isRec(raw.message)) return fromMessage(raw.message, updateId, contentOfMessage(raw.message));
  if (isRec(raw.edited_message)) return fromMessage(raw.edited_message, updateId, { kind: 'unsupported', what: 'edit' });
  if (isRec(raw.callback_query)) return fromCallback(raw.callback_query, updateId);
  return null;
}

function fromMessage(message: Rec, updateId: number, content: InboundContent | null): InboundMessage | null {
  const chatId = privateChatId(message.chat);
  if (chatId === null || content === null) return null;
  return build(chatId, content, message.from, updateId);
}

function fromCallback(query: Rec, updateId: number): InboundMessage | null {
  // Without `message` the button sat on an inline-mode message: not a conversation with us.
  if (!isRec(query.message)) return null;
  const chatId = privateChatId(query.message.chat);
  if (chatId === null) return null;
  return build(chatId, decodeCallbackData(query.data), query.from, updateId);
}

function build(chatId: string, content: InboundContent, from: unknown, updateId: number): InboundMessage {
  const message: InboundMessage = { address: { channel: 'telegram', chatId }, content, externalId: String(updateId) };
  const languageHint = isRec(from) ? str(from.language_code) : undefined;
  if (languageHint) message.languageHint = languageHint;
  return message;
}

function privateChatId(chat: unknown): string | null {
  if (!isRec(chat) || chat.type !== 'private') return null;
  const id = int(chat.id);
  return id === undefined ? null : String(id);
}

function contentOfMessage(message: Rec): InboundContent | null {
  const text = str(message.text);
  if (text !== undefined) return parseText(text);
  for (const [field, what] of UNSUPPORTED_FIELDS) {
    if (message[field] !== undefined) return { kind: 'unsupported', what };
  }
  if (SERVICE_FIELDS.some((field) => message[field] !== undefined)) return null;
  return { kind: 'unsupported', what: 'other' };
}

/** "/Start@OuderbrugBot  abc" → command "start", args "abc". A lone "/" is just text. */
const COMMAND = /^\/([^\s@/]+)(?:@\S*)?(?:\s+([\s\S]*))?$/u;

function parseText(text: string): InboundContent {
  const match = COMMAND.exec(text.trim());
  const command = match?.[1];
  if (!match || command === undefined) return { kind: 'text', text };
  return { kind: 'command', command: command.toLowerCase(), args: (match[2] ?? '').trim() };
}

function decodeCallbackData(data: unknown): InboundContent {
  const value = str(data);
  const bar = value?.indexOf('|') ?? -1;
  if (value === undefined || bar < 0 || value.slice(0, bar) !== CALLBACK_VERSION) return { kind: 'stale_choice' };
  const choice = value.slice(bar + 1);
  return choice ? { kind: 'choice', value: choice } : { kind: 'stale_choice' };
}

/** Our callback data for a choice. Too long or empty is a bug in a flow, so it throws. */
export function encodeCallbackData(value: string): string {
  const data = `${CALLBACK_VERSION}|${value}`;
  if (!value) throw new Error('Callback value is empty');
  const bytes = Buffer.byteLength(data, 'utf8');
  if (bytes > CALLBACK_MAX_BYTES) throw new Error(`Callback data is ${bytes} bytes, Telegram allows ${CALLBACK_MAX_BYTES}`);
  return data;
}

/** Choice rows → an inline keyboard. Labels are mini-HTML; buttons show plain text. */
export function toInlineKeyboard(choices: NonNullable<OutboundMessage['choices']>): InlineKeyboardMarkup {
  return {
    inline_keyboard: choices
      .filter((row) => row.length > 0)
      .map((row) => row.map((c) => ({ text: miniHtmlToPlain(c.label), callback_data: encodeCallbackData(c.value) }))),
  };
}

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
