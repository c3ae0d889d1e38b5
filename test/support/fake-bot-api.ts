/**
 * A fake Telegram Bot API server on 127.0.0.1 for tests: the adapter talks real HTTP to it,
 * exactly as to api.telegram.org. It validates what Telegram validates (HTML parse mode,
 * text length after entity parsing, callback data bytes, command names) so a test fails
 * where production would, and it keeps a per-chat record of what the bot sent.
 *
 * With `limits` it also enforces Telegram's flood control (off by default), see
 * `createFloodControl`: 30 message calls per sliding second for the bot, a token bucket per
 * private chat (burst 3, 1/s) and 20 per sliding minute per group; over a limit the call gets
 * the 429 Telegram sends and is not delivered. `stats()` counts requests and 429s either way.
 *
 * Files (issue 11): sendVoice/sendAudio/sendPhoto/sendDocument take a multipart upload or a
 * file_id the fake handed out before (for a file of the same kind); an upload must hold bytes of
 * the right kind (OGG/MP3/M4A for a voice note, JPEG/PNG/WebP for a photo), a caption at most
 * 1,024 characters after parsing. getFile and `/file/bot<token>/<file_path>` serve files users
 * sent (`sendFile`) and files the bot uploaded; getFile refuses files over 20 MB as Telegram does.
 * editMessageText changes a recorded text message ("message is not modified" when nothing changes).
 *
 * One file by design: server, validation and test helpers share the same chat state.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import type { BotCommand } from 'telegraf/types';

export type FileKind = 'voice' | 'audio' | 'photo' | 'document';

export interface RecordedMessage {
  method: 'sendMessage' | 'sendDocument' | 'sendVoice' | 'sendAudio' | 'sendPhoto';
  message_id: number;
  /** Text as sent (HTML when parse_mode is HTML). */
  text?: string;
  /** Text after entity parsing: what the person sees. */
  plain?: string;
  parse_mode?: string;
  reply_markup?: unknown;
  document?: { filename: string; content: string };
  /** A file sent with sendVoice/sendAudio/sendPhoto/sendDocument: uploaded now, or by a file_id from before. */
  media?: { kind: FileKind; fileId: string; uploaded: boolean; bytes: number; sha256: string; filename?: string; duration?: number };
  /** How many times editMessageText changed it. */
  edits?: number;
}

/** A file in the fake's file store: sent by a user (`sendFile`) or uploaded by the bot. */
export interface FakeFile {
  fileId: string;
  kind: FileKind;
  data: Buffer;
  /** What getFile reports (a user's file may announce more than `data` holds, to test limits). */
  size: number;
  path: string;
  mimeType?: string;
  filename?: string;
}

export interface UserFileOptions extends UserOptions {
  caption?: string;
  mimeType?: string;
  filename?: string;
  duration?: number;
  /** The bot's message this one replies to. */
  replyTo?: number;
  /** The size Telegram announces (default: the data's length); over 20 MB getFile refuses it. */
  size?: number;
}

export interface ApiFailure {
  error_code: number;
  description: string;
  retry_after?: number;
}

export interface UserOptions {
  languageCode?: string;
  firstName?: string;
}

export interface KeyboardButtonView {
  label: string;
  data: string | undefined;
  /** A link button's address (no callback data then). */
  url?: string;
}

/** Telegram's flood limits as the fake enforces them. */
export interface TelegramLimits {
  /** Message calls for the whole bot in any sliding 1000 ms window (Telegram: about 30). */
  perSecond: number;
  /** Per private chat, a token bucket: `burst` at once, refilled at `perSecond` (Telegram: about 1/s, short bursts allowed). */
  perChat: { burst: number; perSecond: number };
  /** Per group (negative chat id), in any sliding 60 s window (Telegram: 20); the chat bucket applies as well. */
  perGroupPerMinute: number;
}

export const TELEGRAM_LIMITS: Readonly<TelegramLimits> = Object.freeze({ perSecond: 30, perChat: Object.freeze({ burst: 3, perSecond: 1 }), perGroupPerMinute: 20 });

/** `true`: Telegram's limits; an object: those with some changed; `false`/absent: no flood control. */
export type LimitsOption = boolean | { perSecond?: number; perChat?: Partial<TelegramLimits['perChat']>; perGroupPerMinute?: number };

export interface FakeBotApiOptions {
  limits?: LimitsOption;
  /** Milliseconds, monotonic; the flood control and delivery timestamps read it. Default performance.now. */
  now?: () => number;
}

export interface MethodStats {
  requests: number;
  /** Answered 429 (by the flood control or by `failNext`). */
  tooMany: number;
}

export interface FakeBotApiStats {
  /** Every API call, getUpdates included. */
  requests: number;
  /** Calls of message methods (see `isMessageMethod`), admitted or not. */
  messageRequests: number;
  /** Answers with HTTP 429. */
  tooMany: number;
  /** Message calls the flood control admitted (all of them with limits off), delivered or failed validation. */
  admitted: number;
  /** Messages recorded as sent. */
  delivered: number;
  byMethod: Record<string, MethodStats>;
  /** The most admitted message calls within any sliding 1000 ms window (with limits on, never above `perSecond`). */
  maxInAnyWindow: number;
}

export interface Delivery {
  message_id: number;
  method: RecordedMessage['method'];
  /** `now()` when the fake recorded it. */
  at: number;
}

export type SentListener = (chatId: number, message: RecordedMessage, at: number) => void;

export interface FakeBotApi {
  readonly apiRoot: string;
  readonly token: string;
  readonly botUsername: string;
  /** setMyCommands per language_code; '' is the default (no language_code). */
  readonly commands: Map<string, BotCommand[]>;
  readonly answeredCallbacks: { id: string; text?: string }[];
  webhook(): { url: string; secret?: string } | null;
  sendText(chatId: number, text: string, opts?: UserOptions): number;
  /** The user replies to one of the bot's messages (Telegram's "reply"). */
  replyText(chatId: number, text: string, toMessageId: number, opts?: UserOptions): number;
  /** The user sends a voice note, audio file, photo or document; returns the update id and its file_id. */
  sendFile(chatId: number, kind: FileKind, data: Buffer, opts?: UserFileOptions): { updateId: number; fileId: string };
  /** A file in the store by file_id (what the bot uploaded, what a user sent). */
  file(fileId: string): FakeFile | undefined;
  sendCommand(chatId: number, command: string, args?: string, opts?: UserOptions): number;
  press(chatId: number, callbackData: string, opts?: UserOptions): string;
  pushUpdate(raw: unknown): number;
  /** Updates queued and not yet confirmed by a later getUpdates offset. */
  pendingUpdates(): number;
  sent(chatId: number | string): RecordedMessage[];
  plainTexts(chatId: number | string): string[];
  waitForSent(chatId: number | string, count: number, timeoutMs?: number): Promise<RecordedMessage[]>;
  waitForRequests(method: string, count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  lastKeyboard(chatId: number | string): KeyboardButtonView[][] | undefined;
  /** The next `times` calls of `method` fail; with `after`, that many calls succeed first. */
  failNext(method: string, failure: ApiFailure, times?: number, after?: number): void;
  block(chatId: number): void;
  unblock(chatId: number): void;
  /** A user who started the bot long ago: the chat exists, no update is queued now. */
  meet(chatId: number): void;
  requestsOf(method: string): Record<string, unknown>[];
  /** Switches the flood control on (true or limits), off (false), or back to a fresh start. */
  setLimits(limits: LimitsOption): void;
  /** The limits in force, or null when off. */
  limits(): TelegramLimits | null;
  stats(): FakeBotApiStats;
  /** Zeroes `stats()` (e.g. after the bot's start-up calls); deliveries are kept. */
  resetStats(): void;
  /** When each message to the chat was recorded, in order. */
  deliveries(chatId: number | string): Delivery[];
  /** Called for every message recorded as sent, at once; returns the unsubscribe function. */
  onSent(listener: SentListener): () => void;
  close(): Promise<void>;
}

type Payload = Record<string, unknown>;
type Result = unknown;

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const badRequest = (detail: string): ApiError => new ApiError(400, `Bad Request: ${detail}`);
const cantParse = (detail: string): ApiError => badRequest(`can't parse entities: ${detail}`);

// ---------------------------------------------------------------- HTML parse mode

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);
const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*>/;
const ENTITY = /^&(?:(lt|gt|amp|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Telegram's HTML parse mode, strict where Telegram is: returns the plain text. */
export function parseTelegramHtml(html: string): string {
  const stack: string[] = [];
  let plain = '';
  let i = 0;
  const at = (): number => Buffer.byteLength(html.slice(0, i));
  while (i < html.length) {
    const c = html[i];
    if (c === '<') {
      const m = TAG.exec(html.slice(i));
      if (!m) throw cantParse(`unsupported start tag at byte offset ${at()}`);
      const [raw, slash, rawName = '', attrs = ''] = m;
      const name = rawName.toLowerCase();
      if (!HTML_TAGS.has(name)) throw cantParse(`unsupported start tag "${name}" at byte offset ${at()}`);
      if (slash) {
        const open = stack.pop();
        if (open === undefined) throw cantParse(`unexpected end tag at byte offset ${at()}`);
        if (open !== name) throw cantParse(`unmatched end tag at byte offset ${at()}, expected "</${open}>", found "</${name}>"`);
      } else {
        if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attrs)) throw cantParse(`unsupported start tag "span" at byte offset ${at()}`);
        stack.push(name);
      }
      i += raw.length;
    } else if (c === '&') {
      const m = ENTITY.exec(html.slice(i, i + 12));
      if (!m) throw cantParse(`unsupported HTML entity at byte offset ${at()}`);
      plain += decodeEntity(m, at());
      i += m[0].length;
    } else {
      plain += c;
      i++;
    }
  }
  const unclosed = stack.pop();
  if (unclosed !== undefined) throw cantParse(`can't find end tag corresponding to start tag "${unclosed}"`);
  return plain;
}

function decodeEntity(m: RegExpExecArray, offset: number): string {
  if (m[1] !== undefined) return NAMED[m[1]] ?? '';
  const code = m[2] !== undefined ? Number(m[2]) : parseInt(m[3] ?? '', 16);
  if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) throw cantParse(`invalid character entity at byte offset ${offset}`);
  return String.fromCodePoint(code);
}

function plainOf(text: unknown, parseMode: unknown, maxLength: number, what: string): string {
  if (typeof text !== 'string' || text.length === 0) throw badRequest(`${what} text is empty`);
  if (parseMode !== undefined && parseMode !== 'HTML') throw badRequest(`the fake supports only the HTML parse mode, got ${String(parseMode)}`);
  const plain = parseMode === 'HTML' ? parseTelegramHtml(text) : text;
  if (plain.trim().length === 0) throw badRequest(`${what} text is empty`);
  // Telegram counts UTF-16 code units, as JavaScript's length does.
  if (plain.length > maxLength) throw badRequest(`${what} is too long`);
  return plain;
}

function validateMarkup(raw: unknown): unknown {
  if (raw === undefined) return undefined;
  const markup = typeof raw === 'string' ? parseJson(raw, "can't parse reply keyboard markup JSON object") : raw;
  const rows = (markup as { inline_keyboard?: unknown } | null)?.inline_keyboard;
  if (rows === undefined) return markup;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  for (const button of (rows as unknown[][]).flat()) {
    const b = button as { text?: unknown; callback_data?: unknown; url?: unknown } | null;
    if (typeof b?.text !== 'string' || b.text.length === 0) throw badRequest('BUTTON_TEXT_INVALID');
    if (b.callback_data !== undefined) {
      const bytes = typeof b.callback_data === 'string' ? Buffer.byteLength(b.callback_data) : 0;
      if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
      if (b.url !== undefined) throw badRequest("can't parse inline keyboard button: a button has one of callback_data and url");
    } else if (b.url === undefined) throw badRequest('text buttons are unallowed in the inline keyboard');
    else if (!linkOk(b.url)) throw badRequest('BUTTON_URL_INVALID');
  }
  return markup;
}

/** Telegram opens http, https and tg links from a button, nothing else (no javascript:, no data:, no spaces). */
function linkOk(url: unknown): boolean {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048 || /\s/.test(url)) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') ? u.hostname.length > 0 : u.protocol === 'tg:';
  } catch {
    return false;
  }
}

function parseJson(raw: string, error: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw badRequest(error);
  }
}

/** What a file's first bytes say it is. */
function magic(data: Buffer): string {
  const head = data.subarray(0, 12).toString('latin1');
  if (head.startsWith('OggS')) return 'ogg';
  if (head.startsWith('ID3') || (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  if (head.slice(4, 8) === 'ftyp') return 'm4a';
  if (data[0] === 0xff && data[1] === 0xd8) return 'jpeg';
  if (head.startsWith('\x89PNG')) return 'png';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  if (head.startsWith('%PDF-')) return 'pdf';
  return 'unknown';
}

// ---------------------------------------------------------------- request bodies

async function readBody(req: http.IncomingMessage): Promise<Payload> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://fake').searchParams);
  if (body.length === 0) return query;
  if (type.startsWith('application/json')) {
    const parsed = parseJson(body.toString('utf8'), "can't parse JSON");
    return { ...query, ...(typeof parsed === 'object' && parsed !== null ? (parsed as Payload) : {}) };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return { ...query, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  if (type.startsWith('multipart/form-data')) {
    // Node 20's fetch Request parses multipart for us: no extra dependency.
    const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
    const payload: Payload = { ...query };
    for (const [key, value] of form.entries()) {
      payload[key] = typeof value === 'string' ? value : { filename: value.name, content: await value.text(), data: Buffer.from(await value.arrayBuffer()) };
    }
    return payload;
  }
  throw badRequest('unsupported content type');
}

/** Form fields arrive as strings; JSON-valued fields need decoding. */
const jsonField = (v: unknown): unknown => (typeof v === 'string' && /^[[{]/.test(v) ? parseJson(v, "can't parse JSON field") : v);
const numField = (v: unknown, fallback: number): number => (v === undefined || v === '' ? fallback : Number(v));

// ---------------------------------------------------------------- flood control

/**
 * Methods that send or change a message in a chat: what Telegram's flood limits count.
 * sendChatAction, answerCallbackQuery and the bot's own set-up calls are not counted.
 */
export function isMessageMethod(method: string): boolean {
  return (/^send[A-Z]/.test(method) && method !== 'sendChatAction') || /^(copy|forward)Messages?$/.test(method) || /^editMessage[A-Z]/.test(method) || method === 'stopPoll';
}

export function resolveLimits(option: LimitsOption | undefined): TelegramLimits | null {
  if (!option) return null;
  if (option === true) return { ...TELEGRAM_LIMITS, perChat: { ...TELEGRAM_LIMITS.perChat } };
  return {
    perSecond: option.perSecond ?? TELEGRAM_LIMITS.perSecond,
    perChat: { ...TELEGRAM_LIMITS.perChat, ...option.perChat },
    perGroupPerMinute: option.perGroupPerMinute ?? TELEGRAM_LIMITS.perGroupPerMinute,
  };
}

export type FloodDecision = { ok: true } | { ok: false; scope: 'global' | 'chat' | 'group'; retryAfter: number };

/** Timestamps in a sliding window, oldest first; amortised O(1) per call. */
class SlidingWindow {
  private times: number[] = [];
  private head = 0;
  constructor(private readonly windowMs: number) {}
  /** How many lie within (t - windowMs, t]. */
  count(t: number): number {
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= t - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }
  /** Whole seconds (≥ 1) until the oldest leaves the window. */
  retryAfter(t: number): number {
    return Math.max(1, Math.ceil(((this.times[this.head] ?? t) + this.windowMs - t) / 1000));
  }
  add(t: number): void {
    this.times.push(t);
  }
}

/**
 * Telegram's flood control, deterministic given the arrival times: a message call is admitted
 * when the bot has had fewer than `perSecond` admitted calls in the last 1000 ms, the chat's
 * bucket holds a whole token and (for a group) fewer than `perGroupPerMinute` in the last
 * 60 s. Only admitted calls use up budget: a refused one costs nothing (Telegram does not
 * document whether refused attempts count; this is the lenient reading, so a sender that
 * hammers is measured by its 429 count, not locked out).
 */
export function createFloodControl(limits: TelegramLimits): { admit(chatId: string | undefined, t: number): FloodDecision } {
  const global = new SlidingWindow(1000);
  const buckets = new Map<string, { tokens: number; at: number }>();
  const groups = new Map<string, SlidingWindow>();
  const { burst, perSecond: refill } = limits.perChat;
  return {
    admit(chatId, t) {
      if (global.count(t) >= limits.perSecond) return { ok: false, scope: 'global', retryAfter: global.retryAfter(t) };
      if (chatId === undefined) {
        global.add(t);
        return { ok: true };
      }
      const bucket = buckets.get(chatId) ?? { tokens: burst, at: t };
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * refill);
      bucket.at = t;
      buckets.set(chatId, bucket);
      if (bucket.tokens < 1) return { ok: false, scope: 'chat', retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / refill)) };
      const group = chatId.startsWith('-') ? (groups.get(chatId) ?? new SlidingWindow(60_000)) : undefined;
      if (group) {
        groups.set(chatId, group);
        if (group.count(t) >= limits.perGroupPerMinute) return { ok: false, scope: 'group', retryAfter: group.retryAfter(t) };
        group.add(t);
      }
      bucket.tokens -= 1;
      global.add(t);
      return { ok: true };
    },
  };
}

// ---------------------------------------------------------------- the server

interface ChatState {
  id: number;
  firstName: string;
  languageCode?: string;
  blocked: boolean;
  nextMessageId: number;
  sent: RecordedMessage[];
  /** clock() when each of `sent` was recorded. */
  sentAt: number[];
  lastBotMessage?: Payload;
}

interface Poll {
  offset: number;
  limit: number;
  respond: (result: Result | ApiError) => void;
}

const TOKEN = '123456:TEST-abcdefghijklmnopqrstuvwxyz';
const BOT = { id: 123456, is_bot: true, first_name: 'Ouderbrug Test', username: 'OuderbrugTestBot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false };

const emptyStats = (): FakeBotApiStats => ({ requests: 0, messageRequests: 0, tooMany: 0, admitted: 0, delivered: 0, byMethod: {}, maxInAnyWindow: 0 });

export async function startFakeBotApi(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
  const clock = options.now ?? (() => performance.now());
  let limits = resolveLimits(options.limits);
  let flood = limits ? createFloodControl(limits) : null;
  let stats = emptyStats();
  let admittedWindow = new SlidingWindow(1000);
  const sentListeners = new Set<SentListener>();
  const events = new EventEmitter();
  const chats = new Map<string, ChatState>();
  const queue: { update_id: number; type: string | undefined; body: unknown }[] = [];
  const requests: { method: string; payload: Payload }[] = [];
  const failures = new Map<string, (ApiFailure | null)[]>();
  const openCallbacks = new Set<string>();
  const commands = new Map<string, BotCommand[]>();
  const answeredCallbacks: { id: string; text?: string }[] = [];
  let webhook: { url: string; secret?: string } | null = null;
  let allowedUpdates: string[] = [];
  let poll: Poll | null = null;
  let nextUpdateId = 700_000;
  let nextCallbackId = 1;
  const files = new Map<string, FakeFile>();
  let nextFileId = 1;
  const now = (): number => Math.floor(Date.now() / 1000);

  const chatOf = (chatId: unknown): ChatState => {
    if (chatId === undefined || chatId === '') throw badRequest('chat_id is empty');
    const chat = chats.get(String(chatId));
    if (!chat) throw badRequest('chat not found');
    if (chat.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return chat;
  };

  const ensureChat = (chatId: number, opts: UserOptions = {}): ChatState => {
    const chat = chats.get(String(chatId)) ?? { id: chatId, firstName: 'Parent', blocked: false, nextMessageId: 1, sent: [], sentAt: [] };
    if (opts.firstName) chat.firstName = opts.firstName;
    if (opts.languageCode) chat.languageCode = opts.languageCode;
    chats.set(String(chatId), chat);
    return chat;
  };

  const userOf = (chat: ChatState): Payload => ({ id: chat.id, is_bot: false, first_name: chat.firstName, ...(chat.languageCode ? { language_code: chat.languageCode } : {}) });
  const privateChat = (chat: ChatState): Payload => ({ id: chat.id, type: 'private', first_name: chat.firstName });

  /** Hands queued updates to a waiting long poll, dropping types it did not ask for. */
  const deliverable = (offset: number, limit: number): unknown[] => {
    const wanted = (u: (typeof queue)[number]): boolean => u.update_id >= offset && (u.type === undefined || allowedUpdates.length === 0 || allowedUpdates.includes(u.type));
    // Confirmed updates and types the bot did not ask for are gone for good, as on Telegram.
    // Compacted in place: one pass, no spread of a long queue into call arguments.
    let kept = 0;
    for (const u of queue) if (wanted(u)) queue[kept++] = u;
    queue.length = kept;
    return queue.slice(0, limit).map((u) => u.body);
  };

  const wakePoll = (): void => {
    if (!poll) return;
    const updates = deliverable(poll.offset, poll.limit);
    if (updates.length > 0) poll.respond(updates);
  };

  const pushUpdate = (raw: unknown): number => {
    const rec = typeof raw === 'object' && raw !== null ? (raw as Payload) : null;
    const given = rec?.update_id;
    const updateId = typeof given === 'number' ? given : nextUpdateId;
    nextUpdateId = Math.max(nextUpdateId, updateId) + 1;
    const body = rec && typeof given !== 'number' ? { update_id: updateId, ...rec } : raw;
    const type = rec ? Object.keys(rec).find((k) => k !== 'update_id') : undefined;
    queue.push({ update_id: updateId, type, body });
    wakePoll();
    return updateId;
  };

  const record = (chat: ChatState, entry: Omit<RecordedMessage, 'message_id'>, message: Payload): Payload => {
    const messageId = chat.nextMessageId++;
    const full = { message_id: messageId, from: BOT, chat: privateChat(chat), date: now(), ...message };
    const recorded = { ...entry, message_id: messageId };
    const at = clock();
    chat.sent.push(recorded);
    chat.sentAt.push(at);
    chat.lastBotMessage = full;
    stats.delivered++;
    events.emit('sent');
    for (const listener of sentListeners) listener(chat.id, recorded, at);
    return full;
  };

  const addFile = (kind: FileKind, data: Buffer, extra: { mimeType?: string; filename?: string; size?: number } = {}): FakeFile => {
    const n = nextFileId++;
    const prefix = { voice: 'AwACAgQ', audio: 'CQACAgQ', photo: 'AgACAgQ', document: 'BQACAgQ' }[kind];
    const ext = { voice: 'oga', audio: 'm4a', photo: 'jpg', document: 'bin' }[kind];
    const file: FakeFile = { fileId: `${prefix}-${n}`, kind, data, size: extra.size ?? data.length, path: `${kind}s/file_${n}.${ext}`, ...(extra.mimeType ? { mimeType: extra.mimeType } : {}), ...(extra.filename ? { filename: extra.filename } : {}) };
    files.set(file.fileId, file);
    return file;
  };

  /** The Bot API's file object for a message (photo: two sizes, the full one last). */
  const fileObject = (file: FakeFile, duration?: number): unknown => {
    const base = { file_id: file.fileId, file_unique_id: `u${file.fileId}`, file_size: file.size };
    if (file.kind === 'photo') return [{ ...base, file_id: `${file.fileId}-thumb`, width: 90, height: 90, file_size: Math.min(file.size, 1000) }, { ...base, width: 1280, height: 1280 }];
    return { ...base, ...(file.mimeType ? { mime_type: file.mimeType } : {}), ...(file.filename ? { file_name: file.filename } : {}), ...(duration !== undefined && file.kind !== 'document' ? { duration } : {}) };
  };

  /** sendVoice/sendAudio/sendPhoto/sendDocument: an upload (multipart) or a file_id of a file of the same kind. */
  const sendFileMessage = (kind: FileKind, p: Payload): Payload => {
    const chat = chatOf(p.chat_id);
    const given = p[kind] as { filename?: unknown; content?: unknown; data?: unknown } | string | undefined;
    if (given === undefined || given === '') throw badRequest(`there is no ${kind} in the request`);
    const caption = p.caption === undefined ? undefined : plainOf(p.caption, p.parse_mode, 1024, 'message caption');
    const markup = validateMarkup(jsonField(p.reply_markup));
    const duration = p.duration === undefined ? undefined : Number(p.duration);
    if (duration !== undefined && !(Number.isInteger(duration) && duration >= 0)) throw badRequest('wrong duration specified');
    let file: FakeFile;
    let uploaded = false;
    if (typeof given === 'string') {
      const known = files.get(given);
      if (!known) throw badRequest('wrong file identifier/HTTP URL specified');
      if (known.kind !== kind) throw badRequest(`can't use file of type ${known.kind} as ${kind}`);
      file = known;
    } else {
      const data = Buffer.isBuffer(given.data) ? given.data : Buffer.from(String(given.content ?? ''));
      const filename = String(given.filename ?? '');
      if (data.length === 0 && kind !== 'document') throw badRequest('file must be non-empty');
      if (data.length > 50 * 1024 * 1024) throw new ApiError(413, 'Request Entity Too Large');
      if (kind === 'voice' && !['ogg', 'mp3', 'm4a'].includes(magic(data))) throw badRequest('the fake takes only OGG/Opus, MP3 or M4A as a voice note');
      if (kind === 'audio' && !['mp3', 'm4a'].includes(magic(data))) throw badRequest('the fake takes only MP3 or M4A as audio');
      if (kind === 'photo' && !['jpeg', 'png', 'webp'].includes(magic(data))) throw badRequest('IMAGE_PROCESS_FAILED');
      if (kind === 'photo' && data.length > 10 * 1024 * 1024) throw badRequest('PHOTO_SAVE_FILE_INVALID');
      const mimeType = { ogg: 'audio/ogg', mp3: 'audio/mpeg', m4a: 'audio/mp4', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', pdf: 'application/pdf' }[magic(data)];
      file = addFile(kind, data, { ...(mimeType ? { mimeType } : {}), ...(filename ? { filename } : {}) });
      uploaded = true;
    }
    const media = { kind, fileId: file.fileId, uploaded, bytes: file.data.length, sha256: createHash('sha256').update(file.data).digest('hex'), ...(file.filename ? { filename: file.filename } : {}), ...(duration !== undefined ? { duration } : {}) };
    const method = `send${kind[0]!.toUpperCase()}${kind.slice(1)}` as RecordedMessage['method'];
    const entry = {
      method,
      media,
      ...(kind === 'document' ? { document: { filename: file.filename ?? '', content: file.data.toString('utf8') } } : {}),
      ...(caption ? { plain: caption, text: p.caption as string } : {}),
      ...(markup ? { reply_markup: markup } : {}),
    };
    return record(chat, entry, { [kind]: fileObject(file, duration), ...(caption ? { caption } : {}), ...(markup ? { reply_markup: markup } : {}) });
  };

  const methods: Record<string, (p: Payload, req: http.IncomingMessage) => Result | Promise<Result>> = {
    getMe: () => BOT,
    deleteWebhook: (p) => {
      webhook = null;
      if (p.drop_pending_updates === true || p.drop_pending_updates === 'true') queue.length = 0;
      return true;
    },
    setWebhook: (p) => {
      const url = typeof p.url === 'string' ? p.url : '';
      if (!url.startsWith('https://')) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const secret = typeof p.secret_token === 'string' ? p.secret_token : undefined;
      if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) throw badRequest('secret token contains unallowed characters');
      webhook = { url, ...(secret ? { secret } : {}) };
      const allowed = jsonField(p.allowed_updates);
      if (Array.isArray(allowed)) allowedUpdates = allowed.map(String);
      return true;
    },
    getUpdates: (p, req) => getUpdates(p, req),
    sendMessage: (p) => {
      const chat = chatOf(p.chat_id);
      const plain = plainOf(p.text, p.parse_mode, 4096, 'message');
      const markup = validateMarkup(jsonField(p.reply_markup));
      const entry = { method: 'sendMessage' as const, text: p.text as string, plain, ...(p.parse_mode ? { parse_mode: String(p.parse_mode) } : {}), ...(markup ? { reply_markup: markup } : {}) };
      return record(chat, entry, { text: plain, ...(markup ? { reply_markup: markup } : {}) });
    },
    sendDocument: (p) => sendFileMessage('document', p),
    sendVoice: (p) => sendFileMessage('voice', p),
    sendAudio: (p) => sendFileMessage('audio', p),
    sendPhoto: (p) => sendFileMessage('photo', p),
    editMessageText: (p) => {
      const chat = chatOf(p.chat_id);
      const target = chat.sent.find((m) => m.message_id === numField(p.message_id, -1));
      if (!target) throw badRequest('message to edit not found');
      if (target.method !== 'sendMessage') throw badRequest('there is no text in the message to edit');
      const plain = plainOf(p.text, p.parse_mode, 4096, 'message');
      const markup = validateMarkup(jsonField(p.reply_markup));
      if (p.text === target.text && JSON.stringify(markup ?? null) === JSON.stringify(target.reply_markup ?? null)) {
        throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      }
      Object.assign(target, { text: p.text as string, plain, edits: (target.edits ?? 0) + 1 });
      if (markup) target.reply_markup = markup;
      else delete target.reply_markup;
      events.emit('sent');
      return { message_id: target.message_id, from: BOT, chat: privateChat(chat), date: now(), edit_date: now(), text: plain, ...(markup ? { reply_markup: markup } : {}) };
    },
    getFile: (p) => {
      const file = files.get(String(p.file_id ?? ''));
      if (!file) throw badRequest('invalid file_id');
      if (file.size > 20 * 1024 * 1024) throw badRequest('file is too big');
      return { file_id: file.fileId, file_unique_id: `u${file.fileId}`, file_size: file.size, file_path: file.path };
    },
    answerCallbackQuery: (p) => {
      const id = String(p.callback_query_id ?? '');
      if (!openCallbacks.delete(id)) throw badRequest('query is too old and response timeout expired or query ID is invalid');
      answeredCallbacks.push({ id, ...(typeof p.text === 'string' ? { text: p.text } : {}) });
      return true;
    },
    setMyCommands: (p) => {
      const list = jsonField(p.commands);
      if (!Array.isArray(list) || list.length > 100) throw badRequest('commands must be an array of at most 100 BotCommand');
      for (const c of list as { command?: unknown; description?: unknown }[]) {
        if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
        if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      }
      const language = typeof p.language_code === 'string' ? p.language_code : '';
      if (language && !/^[a-z]{2}$/.test(language)) throw badRequest('invalid language code specified');
      commands.set(language, list as BotCommand[]);
      return true;
    },
    editMessageReplyMarkup: (p) => {
      const chat = chatOf(p.chat_id);
      const target = chat.sent.find((m) => m.message_id === numField(p.message_id, -1));
      if (!target) throw badRequest('message to edit not found');
      const markup = validateMarkup(jsonField(p.reply_markup));
      target.reply_markup = markup;
      return { message_id: target.message_id, from: BOT, chat: privateChat(chat), date: now(), ...(markup ? { reply_markup: markup } : {}) };
    },
    sendChatAction: (p) => {
      chatOf(p.chat_id);
      if (typeof p.action !== 'string' || !p.action) throw badRequest('wrong parameter action in request');
      return true;
    },
  };

  function getUpdates(p: Payload, req: http.IncomingMessage): Promise<Result> | Result {
    if (webhook) throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = numField(p.offset, 0);
    const limit = Math.min(100, Math.max(1, numField(p.limit, 100)));
    const allowed = jsonField(p.allowed_updates);
    if (Array.isArray(allowed) && allowed.length > 0) allowedUpdates = allowed.map(String);
    // Like Telegram: a newer poll terminates the one still waiting.
    poll?.respond(new ApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
    const ready = deliverable(offset, limit);
    const timeoutMs = numField(p.timeout, 0) * 1000;
    if (ready.length > 0 || timeoutMs <= 0) return ready;
    return new Promise((resolve) => {
      const mine: Poll = {
        offset,
        limit,
        respond: (result) => {
          clearTimeout(timer);
          req.off('close', onClose);
          if (poll === mine) poll = null;
          resolve(result);
        },
      };
      const timer = setTimeout(() => mine.respond([]), timeoutMs);
      // The client gave up (telegraf aborts its poll on stop): forget this poll.
      const onClose = (): void => mine.respond([]);
      req.on('close', onClose);
      poll = mine;
    });
  }

  const methodStats = (method: string): MethodStats => (stats.byMethod[method] ??= { requests: 0, tooMany: 0 });

  /** Counted at arrival (once the body is read): throws the 429 Telegram would send. */
  const floodCheck = (chatId: unknown): void => {
    const t = clock();
    stats.messageRequests++;
    const decision = flood ? flood.admit(chatId === undefined || chatId === '' ? undefined : String(chatId), t) : ({ ok: true } as const);
    if (!decision.ok) throw new ApiError(429, `Too Many Requests: retry after ${decision.retryAfter}`, decision.retryAfter);
    stats.admitted++;
    admittedWindow.add(t);
    stats.maxInAnyWindow = Math.max(stats.maxInAnyWindow, admittedWindow.count(t));
  };

  const server = http.createServer((req, res) => void serve(req, res));

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let method = '';
    const reply = (status: number, body: Payload): void => {
      if (status === 429) {
        stats.tooMany++;
        methodStats(method).tooMany++;
      }
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const pathname = new URL(req.url ?? '/', 'http://fake').pathname;
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(pathname);
    if (download) {
      requests.push({ method: 'file', payload: { path: download[2] } });
      const file = download[1] === TOKEN ? [...files.values()].find((f) => f.path === download[2]) : undefined;
      if (!file || req.method !== 'GET') return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.data.length) }).end(file.data);
      return;
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(pathname);
    if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    const token = match[1];
    method = match[2] ?? '';
    if (token !== TOKEN) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    try {
      const payload = await readBody(req);
      requests.push({ method, payload });
      stats.requests++;
      methodStats(method).requests++;
      events.emit('request');
      const failure = failures.get(method)?.shift();
      if (failure) throw new ApiError(failure.error_code, failure.description, failure.retry_after);
      if (isMessageMethod(method)) floodCheck(payload.chat_id);
      const handler = methods[method];
      if (!handler) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      const result = await handler(payload, req);
      if (result instanceof ApiError) throw result;
      reply(200, { ok: true, result });
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'Internal Server Error');
      reply(e.code, { ok: false, error_code: e.code, description: e.description, ...(e.retryAfter !== undefined ? { parameters: { retry_after: e.retryAfter } } : {}) });
    }
  }

  // A long backlog: a crowd's bot may open hundreds of connections at once, which Telegram would take.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;

  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        events.off('sent', attempt);
        events.off('request', attempt);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Bot API: timed out after ${timeoutMs}ms waiting for ${describe()}`));
      }, timeoutMs);
      events.on('sent', attempt);
      events.on('request', attempt);
      attempt();
    });

  const sent = (chatId: number | string): RecordedMessage[] => [...(chats.get(String(chatId))?.sent ?? [])];
  const requestsOf = (method: string): Payload[] => requests.filter((r) => r.method === method).map((r) => r.payload);

  const memberUpdate = (chatId: number, status: string): void => {
    const chat = ensureChat(chatId);
    const member = (s: string): Payload => ({ user: BOT, status: s, ...(s === 'kicked' ? { until_date: 0 } : {}) });
    pushUpdate({ my_chat_member: { chat: privateChat(chat), from: userOf(chat), date: now(), old_chat_member: member(status === 'kicked' ? 'member' : 'kicked'), new_chat_member: member(status) } });
  };

  const sendText = (chatId: number, text: string, opts?: UserOptions): number => {
    const chat = ensureChat(chatId, opts);
    const command = /^\/\S+/.exec(text)?.[0];
    const entities = command ? { entities: [{ type: 'bot_command', offset: 0, length: command.length }] } : {};
    return pushUpdate({ message: { message_id: chat.nextMessageId++, from: userOf(chat), chat: privateChat(chat), date: now(), text, ...entities } });
  };

  const replyText = (chatId: number, text: string, toMessageId: number, opts?: UserOptions): number => {
    const chat = ensureChat(chatId, opts);
    const original = chat.sent.find((m) => m.message_id === toMessageId);
    const quoted = { message_id: toMessageId, from: BOT, chat: privateChat(chat), date: now(), ...(original?.plain !== undefined ? { text: original.plain } : {}) };
    return pushUpdate({ message: { message_id: chat.nextMessageId++, from: userOf(chat), chat: privateChat(chat), date: now(), text, reply_to_message: quoted } });
  };

  const sendFile = (chatId: number, kind: FileKind, data: Buffer, opts: UserFileOptions = {}): { updateId: number; fileId: string } => {
    const chat = ensureChat(chatId, opts);
    const mimeType = opts.mimeType ?? ({ voice: 'audio/ogg', audio: 'audio/mp4', photo: undefined, document: 'application/octet-stream' } as const)[kind];
    const file = addFile(kind, data, { ...(mimeType ? { mimeType } : {}), ...(opts.filename ? { filename: opts.filename } : {}), ...(opts.size !== undefined ? { size: opts.size } : {}) });
    const reply = opts.replyTo !== undefined ? { reply_to_message: { message_id: opts.replyTo, from: BOT, chat: privateChat(chat), date: now() } } : {};
    const updateId = pushUpdate({
      message: { message_id: chat.nextMessageId++, from: userOf(chat), chat: privateChat(chat), date: now(), [kind]: fileObject(file, opts.duration ?? (kind === 'document' || kind === 'photo' ? undefined : 3)), ...(opts.caption ? { caption: opts.caption } : {}), ...reply },
    });
    return { updateId, fileId: file.fileId };
  };

  return {
    apiRoot: `http://127.0.0.1:${port}/`,
    token: TOKEN,
    botUsername: BOT.username,
    commands,
    answeredCallbacks,
    webhook: () => webhook,
    sendText,
    replyText,
    sendFile,
    file: (fileId) => files.get(fileId),
    sendCommand: (chatId, command, args, opts) => sendText(chatId, `/${command.replace(/^\//, '')}${args ? ` ${args}` : ''}`, opts),
    press: (chatId, callbackData, opts) => {
      const chat = ensureChat(chatId, opts);
      const id = String(nextCallbackId++);
      openCallbacks.add(id);
      // With no bot message to point at, Telegram sends an "inaccessible message" (date 0).
      const message = chat.lastBotMessage ?? { message_id: 0, date: 0, chat: privateChat(chat) };
      pushUpdate({ callback_query: { id, from: userOf(chat), message, chat_instance: `ci-${chat.id}`, data: callbackData } });
      return id;
    },
    pushUpdate,
    pendingUpdates: () => queue.length,
    sent,
    plainTexts: (chatId) => sent(chatId).flatMap((m) => (m.plain !== undefined ? [m.plain] : [])),
    waitForSent: (chatId, count, timeoutMs = 5000) =>
      waitUntil(
        () => (sent(chatId).length >= count ? sent(chatId) : undefined),
        timeoutMs,
        () => `${count} message(s) to chat ${chatId}, got ${JSON.stringify(sent(chatId).map((m) => m.plain ?? m.document?.filename))}`,
      ),
    waitForRequests: (method, count, timeoutMs = 5000) =>
      waitUntil(
        () => (requestsOf(method).length >= count ? requestsOf(method) : undefined),
        timeoutMs,
        () => `${count} ${method} request(s), got ${requestsOf(method).length}`,
      ),
    lastKeyboard: (chatId) => {
      const markup = sent(chatId).findLast((m) => m.reply_markup !== undefined)?.reply_markup as { inline_keyboard?: { text: string; callback_data?: string; url?: string }[][] } | undefined;
      return markup?.inline_keyboard?.map((row) => row.map((b) => ({ label: b.text, data: b.callback_data, ...(b.url === undefined ? {} : { url: b.url }) })));
    },
    failNext: (method, failure, times = 1, after = 0) => {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < after; i++) list.push(null);
      for (let i = 0; i < times; i++) list.push(failure);
      failures.set(method, list);
    },
    block: (chatId) => {
      ensureChat(chatId).blocked = true;
      memberUpdate(chatId, 'kicked');
    },
    meet: (chatId) => void ensureChat(chatId),
    unblock: (chatId) => {
      ensureChat(chatId).blocked = false;
      memberUpdate(chatId, 'member');
    },
    requestsOf,
    setLimits: (option) => {
      limits = resolveLimits(option);
      flood = limits ? createFloodControl(limits) : null;
    },
    limits: () => (limits ? { ...limits, perChat: { ...limits.perChat } } : null),
    stats: () => ({ ...stats, byMethod: Object.fromEntries(Object.entries(stats.byMethod).map(([k, v]) => [k, { ...v }])) }),
    resetStats: () => {
      stats = emptyStats();
      admittedWindow = new SlidingWindow(1000);
    },
    deliveries: (chatId) => {
      const chat = chats.get(String(chatId));
      return chat ? chat.sent.map((m, i) => ({ message_id: m.message_id, method: m.method, at: chat.sentAt[i] ?? 0 })) : [];
    },
    onSent: (listener) => {
      sentListeners.add(listener);
      return () => sentListeners.delete(listener);
    },
    close: async () => {
      poll?.respond([]);
      // Let that answer flush before the sockets go, or the poller sees a reset and waits 5 s.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** POSTs an update to a webhook URL as Telegram would; resolves with the HTTP status. */
export function postWebhook(url: string, update: unknown, secret?: string): Promise<number> {
  const body = JSON.stringify(update);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret;
  return new Promise((resolve, reject) => {
    // agent:false → one connection per call, closed afterwards: nothing keeps vitest alive.
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
