/**
 * WhatsApp Cloud API webhook payloads → what the core understands. Pure: no I/O.
 *
 *   text → mapWhatsAppText (keywords, numbered answers) · interactive button_reply /
 *   list_reply and template quick replies → a choice by id · audio/voice, image and document
 *   → media (the media id is the reference; the caption kept) · video, sticker, location,
 *   contacts → unsupported · reactions and system notices → nothing · statuses
 *   sent/delivered/read/failed → status events. A text or file that quotes one of our messages
 *   carries `replyTo` = the quoted wamid (`context.id`), the id our adapter reports when sending.
 */
import type { InboundContent, InboundMedia, MediaType, UnsupportedKind } from '../../../core/messages.js';
import { mapWhatsAppText, type FlatChoice, type KeywordIndex } from '../whatsapp.text.js';

export interface CloudInbound {
  /** The sender's WhatsApp id (a phone number, digits only): the chat id. */
  from: string;
  id: string;
  at: Date | null;
  content: InboundContent;
}

export type CloudStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface CloudStatusEvent {
  messageId: string;
  recipient: string | null;
  status: CloudStatus;
  at: Date | null;
  errorCode?: number;
  /** WhatsApp's short description of the failure ("Re-engagement message"), for the delivery row. */
  errorTitle?: string;
}

export interface CloudEvents {
  messages: CloudInbound[];
  statuses: CloudStatusEvent[];
  /** Changes for another phone number of the same business account. */
  ignored: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Files we keep (a broadcast's voice note or flyer), by webhook message type. */
const MEDIA: Record<string, MediaType> = { audio: 'voice', voice: 'voice', image: 'photo', document: 'document' };

const UNSUPPORTED: Record<string, UnsupportedKind> = {
  audio: 'voice',
  voice: 'voice',
  image: 'photo',
  video: 'video',
  document: 'file',
  sticker: 'sticker',
  location: 'location',
  contacts: 'contact',
};
/** Nothing to answer: a 👍 on an old message, "this person changed number", a deleted message. */
const SILENT = new Set(['reaction', 'system', 'ephemeral', 'request_welcome']);
const STATUSES = new Set<string>(['sent', 'delivered', 'read', 'failed']);

export interface MapperDeps {
  phoneNumberId: string;
  keywords: KeywordIndex;
  pending(chatId: string): FlatChoice[] | undefined;
}

export function parseCloudWebhook(body: unknown, deps: MapperDeps): CloudEvents {
  const events: CloudEvents = { messages: [], statuses: [], ignored: 0 };
  if (!isObj(body)) return events;
  for (const entry of arr(body.entry)) {
    if (!isObj(entry)) continue;
    for (const change of arr(entry.changes)) {
      if (!isObj(change) || change.field !== 'messages' || !isObj(change.value)) continue;
      const value = change.value;
      const numberId = isObj(value.metadata) ? str(value.metadata.phone_number_id) : undefined;
      if (numberId && numberId !== deps.phoneNumberId) {
        events.ignored++;
        continue;
      }
      for (const m of arr(value.messages)) {
        const inbound = toInbound(m, deps);
        if (inbound) events.messages.push(inbound);
      }
      for (const s of arr(value.statuses)) {
        const status = toStatus(s);
        if (status) events.statuses.push(status);
      }
    }
  }
  return events;
}

function toInbound(m: unknown, deps: MapperDeps): CloudInbound | null {
  if (!isObj(m)) return null;
  const from = str(m.from);
  const id = str(m.id);
  const type = str(m.type) ?? 'unknown';
  if (!from || !/^\d{5,20}$/.test(from) || !id || SILENT.has(type)) return null;
  const content = contentOf(m, type, from, deps);
  return content ? { from, id, at: timeOf(m.timestamp), content } : null;
}

function contentOf(m: Obj, type: string, from: string, deps: MapperDeps): InboundContent | null {
  const replyTo = isObj(m.context) && m.context.forwarded !== true ? str(m.context.id) : undefined;
  if (type === 'text') {
    const body = isObj(m.text) ? str(m.text.body) : undefined;
    if (!body?.trim()) return null;
    const content = mapWhatsAppText(body, deps.pending(from), deps.keywords);
    return content.kind === 'text' && replyTo ? { ...content, replyTo } : content;
  }
  const mediaType = MEDIA[type];
  if (mediaType && isObj(m[type])) {
    const file = m[type] as Obj;
    const ref = str(file.id);
    if (ref) {
      const media: InboundMedia = { type: mediaType, ref };
      const mimeType = str(file.mime_type);
      const filename = str(file.filename);
      if (mimeType) media.mimeType = mimeType;
      if (filename) media.filename = filename;
      const caption = str(file.caption);
      return { kind: 'media', media, ...(caption?.trim() ? { caption } : {}), ...(replyTo ? { replyTo } : {}) };
    }
  }
  if (type === 'interactive' && isObj(m.interactive)) {
    const reply = m.interactive.button_reply ?? m.interactive.list_reply;
    const value = isObj(reply) ? str(reply.id) : undefined;
    return value ? { kind: 'choice', value } : { kind: 'stale_choice' };
  }
  if (type === 'button' && isObj(m.button)) {
    // A quick-reply button of a template: the payload we set at send time, else its text.
    const payload = str(m.button.payload);
    if (payload) return { kind: 'choice', value: payload };
    const text = str(m.button.text);
    return text ? mapWhatsAppText(text, deps.pending(from), deps.keywords) : { kind: 'stale_choice' };
  }
  return { kind: 'unsupported', what: UNSUPPORTED[type] ?? 'other' };
}

function toStatus(s: unknown): CloudStatusEvent | null {
  if (!isObj(s)) return null;
  const messageId = str(s.id);
  const status = str(s.status);
  if (!messageId || !status || !STATUSES.has(status)) return null;
  const error = arr(s.errors)[0];
  const errorCode = isObj(error) && typeof error.code === 'number' ? error.code : undefined;
  const errorTitle = isObj(error) ? (str(error.title) ?? str(error.message)) : undefined;
  return { messageId, recipient: str(s.recipient_id) ?? null, status: status as CloudStatus, at: timeOf(s.timestamp), ...(errorCode !== undefined ? { errorCode } : {}), ...(errorTitle ? { errorTitle: errorTitle.slice(0, 100) } : {}) };
}

/** WhatsApp sends Unix seconds as a string. */
function timeOf(v: unknown): Date | null {
  const seconds = Number(v);
  return typeof v === 'string' && Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}
