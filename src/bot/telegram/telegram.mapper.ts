/**
 * Telegram ⇄ core translation, pure: a Bot API update becomes an InboundMessage, and an
 * OutboundMessage becomes HTML chunks and an inline keyboard. No I/O here.
 *
 * Updates arrive over the wire, so their declared type is a hope, not a fact: every field
 * is read defensively and anything unexpected maps to null instead of throwing.
 */
import type { InlineKeyboardMarkup, Update } from 'telegraf/types';
import type { InboundContent, InboundMedia, InboundMessage, OutboundMessage, UnsupportedKind } from '../../core/messages.js';
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

/**
 * Why an update became no message, for the log: the update's kind and a reason, never its
 * content or chat id. Kinds we do not handle at all (channel posts, polls, …) are named too.
 */
export function dropReason(update: Update): { kind: string; reason: string } {
  const raw = update as unknown;
  if (!isRec(raw)) return { kind: 'unknown', reason: 'not an object' };
  const kind = Object.keys(raw).find((k) => k !== 'update_id') ?? 'empty';
  if (int(raw.update_id) === undefined) return { kind, reason: 'no update_id' };
  const message = isRec(raw.message) ? raw.message : isRec(raw.edited_message) ? raw.edited_message : undefined;
  if (message) {
    if (privateChatId(message.chat) === null) return { kind, reason: 'not a private chat' };
    return { kind, reason: 'service message' };
  }
  if (isRec(raw.callback_query)) return { kind, reason: isRec(raw.callback_query.message) ? 'not a private chat' : 'inline-mode button' };
  return { kind, reason: 'update kind not handled' };
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
  const replyTo = replyToOf(message);
  if (text !== undefined) {
    const content = parseText(text);
    return content.kind === 'text' && replyTo ? { ...content, replyTo } : content;
  }
  const media = mediaOf(message);
  if (media) {
    const caption = str(message.caption);
    return { kind: 'media', media, ...(caption?.trim() ? { caption } : {}), ...(replyTo ? { replyTo } : {}) };
  }
  for (const [field, what] of UNSUPPORTED_FIELDS) {
    if (message[field] !== undefined) return { kind: 'unsupported', what };
  }
  if (SERVICE_FIELDS.some((field) => message[field] !== undefined)) return null;
  return { kind: 'unsupported', what: 'other' };
}

/**
 * The message this one replies to, as our adapter reports a sent message's id (its
 * message_id). Only replies to the bot's own messages count: quoting the parent's own message
 * says nothing to us.
 */
function replyToOf(message: Rec): string | undefined {
  const reply = message.reply_to_message;
  if (!isRec(reply)) return undefined;
  if (isRec(reply.from) && reply.from.is_bot !== true) return undefined;
  const id = int(reply.message_id);
  return id === undefined ? undefined : String(id);
}

/**
 * A voice note, audio file, photo or document we can keep. The photo is its largest size (the
 * last of `photo`). An animation also carries a `document`: it is a video, not a file.
 */
function mediaOf(message: Rec): InboundMedia | null {
  if (message.animation !== undefined || message.sticker !== undefined) return null;
  const file = (f: unknown, type: InboundMedia['type']): InboundMedia | null => {
    if (!isRec(f)) return null;
    const ref = str(f.file_id);
    if (!ref) return null;
    const media: InboundMedia = { type, ref };
    const mimeType = str(f.mime_type);
    const filename = str(f.file_name);
    const duration = int(f.duration);
    const bytes = int(f.file_size);
    if (mimeType) media.mimeType = mimeType;
    if (filename) media.filename = filename;
    if (duration !== undefined) media.durationSeconds = duration;
    if (bytes !== undefined) media.bytes = bytes;
    return media;
  };
  if (message.voice !== undefined) return file(message.voice, 'voice');
  if (message.audio !== undefined) return file(message.audio, 'voice');
  if (Array.isArray(message.photo)) {
    const largest = message.photo.at(-1);
    const photo = file(largest, 'photo');
    if (photo && !photo.mimeType) photo.mimeType = 'image/jpeg'; // Telegram re-encodes photos as JPEG
    return photo;
  }
  if (message.document !== undefined) return file(message.document, 'document');
  return null;
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
      // A link opens in the browser (Telegram asks first) and never reaches the bot as a callback.
      .map((row) => row.map((c) => (c.url !== undefined ? { text: miniHtmlToPlain(c.label), url: c.url } : { text: miniHtmlToPlain(c.label), callback_data: encodeCallbackData(c.value) }))),
  };
}
