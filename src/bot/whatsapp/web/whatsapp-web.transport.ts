/**
 * Our own small surface over whatsapp-web.js, so the channel (whatsapp-web.adapter.ts) is
 * tested against a fake and the real library stays in this one thin file.
 *
 * Events: qr(code) · ready · message(WhatsAppWebMessage) · disconnected(reason) ·
 * message_ack(id, ack: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played).
 *
 * The real transport creates a fresh whatsapp-web.js `Client` on every initialize(): after a
 * disconnect or a session that never became ready, the library's advice is destroy() and a
 * new Client, not a second initialize() on the old one.
 */
import { EventEmitter } from 'node:events';
import wwebjs from 'whatsapp-web.js';
import type { Client as WwebjsClient, Message as WwebjsMessage } from 'whatsapp-web.js';
import type { Attachment } from '../../../core/messages.js';

/** The message types the channel tells apart; everything else is 'other'. */
export const WHATSAPP_WEB_TYPES = ['chat', 'ptt', 'audio', 'image', 'document', 'video', 'sticker', 'location', 'vcard'] as const;
export type WhatsAppWebMessageType = (typeof WHATSAPP_WEB_TYPES)[number] | 'other';

export interface WhatsAppWebMessage {
  /** The library's serialized id: unique per message, used for de-duplication. */
  id: string;
  /** The chat it came from, e.g. "31612345678@c.us" (or "…@lid", "…@g.us" for groups). */
  from: string;
  body: string;
  type: WhatsAppWebMessageType;
  fromMe: boolean;
  /** A status update (status@broadcast), not a message to us. */
  isStatus: boolean;
  /** The file a voice note, photo or document carries (as announced; fetched with downloadMedia). */
  media?: { mimeType?: string; filename?: string; bytes?: number; durationSeconds?: number };
  /** The serialized id of one of OUR messages this one quotes (WhatsApp's "reply"), if any. */
  quotedId?: string;
}

export type WhatsAppWebMediaKind = 'voice' | 'audio' | 'photo' | 'document';

/** A file to send or one downloaded: bytes and type. */
export interface WhatsAppWebFile {
  mimeType: string;
  data: Buffer;
  filename?: string;
}

export interface WhatsAppWebEvents {
  qr: [qr: string];
  ready: [];
  message: [message: WhatsAppWebMessage];
  disconnected: [reason: string];
  message_ack: [id: string, ack: number];
}

export type WhatsAppWebEvent = keyof WhatsAppWebEvents;

export interface WhatsAppWebTransport {
  on<E extends WhatsAppWebEvent>(event: E, listener: (...args: WhatsAppWebEvents[E]) => void): unknown;
  off<E extends WhatsAppWebEvent>(event: E, listener: (...args: WhatsAppWebEvents[E]) => void): unknown;
  /** Starts the browser and WhatsApp Web; `qr` or `ready` follow. Rejects when the start fails. */
  initialize(): Promise<void>;
  sendMessage(chatId: string, text: string): Promise<{ id: string }>;
  /** A file (the /mydata export, a calendar invitation) as a document. */
  sendDocument(chatId: string, file: Attachment): Promise<{ id: string }>;
  /**
   * A stored voice note (sendAudioAsVoice), other audio (a player), photo or document, with an
   * optional caption (photos and documents show it; audio has none).
   */
  sendMedia(chatId: string, file: WhatsAppWebFile, as: WhatsAppWebMediaKind, caption?: string): Promise<{ id: string }>;
  /**
   * The file of a message received earlier (by its serialized id), or null when WhatsApp no
   * longer has it (expired, deleted, or the message is not in this session any more).
   */
  downloadMedia(messageId: string): Promise<WhatsAppWebFile | null>;
  /** Shows "typing…" in the chat (cleared by the next message or after ~25 s). */
  sendTyping(chatId: string): Promise<void>;
  /** WhatsApp Web's state ("CONNECTED", "UNPAIRED", …) or null when there is no page. */
  getState(): Promise<string | null>;
  destroy(): Promise<void>;
}

export interface WwebjsTransportOptions {
  /** LocalAuth keeps the browser profile (the linked session) in `<sessionDir>/session`. */
  sessionDir: string;
  chromiumPath: string;
}

/** Chromium flags that work as root and in containers (LIBRARIES.md §2). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const KNOWN_TYPES = new Set<string>(WHATSAPP_WEB_TYPES);
const MEDIA_TYPES = new Set<string>(['ptt', 'audio', 'image', 'document']);
/** Received media messages kept for downloadMedia (the download follows the turn within seconds). */
const KEEP_MEDIA_MESSAGES = 500;

type LibraryMessage = Pick<WwebjsMessage, 'id' | 'from' | 'body' | 'type' | 'fromMe' | 'isStatus'> & { hasMedia?: boolean; duration?: string | number; _data?: unknown };

/** Library message → ours. Pure, exported for tests. `quotedId`: our quoted message, looked up by the caller. */
export function toTransportMessage(msg: LibraryMessage, quotedId?: string): WhatsAppWebMessage {
  const type = String(msg.type);
  const message: WhatsAppWebMessage = {
    id: msg.id._serialized,
    from: msg.from,
    body: typeof msg.body === 'string' ? msg.body : '',
    type: KNOWN_TYPES.has(type) ? (type as WhatsAppWebMessageType) : 'other',
    fromMe: msg.fromMe,
    isStatus: msg.isStatus || msg.from === 'status@broadcast',
  };
  if (msg.hasMedia === true && MEDIA_TYPES.has(type)) {
    const data = (typeof msg._data === 'object' && msg._data !== null ? msg._data : {}) as Record<string, unknown>;
    const media: NonNullable<WhatsAppWebMessage['media']> = {};
    if (typeof data.mimetype === 'string' && data.mimetype) media.mimeType = data.mimetype;
    if (typeof data.filename === 'string' && data.filename) media.filename = data.filename;
    if (typeof data.size === 'number' && Number.isSafeInteger(data.size)) media.bytes = data.size;
    const duration = Number(msg.duration);
    if (msg.duration !== undefined && Number.isFinite(duration) && duration >= 0) media.durationSeconds = Math.round(duration);
    message.media = media;
  }
  if (quotedId) message.quotedId = quotedId;
  return message;
}

export function createWwebjsTransport(options: WwebjsTransportOptions): WhatsAppWebTransport {
  // Only `Client` is a detectable named ESM export of this CommonJS package: a named
  // `import { LocalAuth }` type-checks but throws at runtime.
  const { Client, LocalAuth, MessageMedia } = wwebjs;
  const events = new EventEmitter<WhatsAppWebEvents>();
  let client: WwebjsClient | null = null;
  /** Media messages by serialized id, newest last: downloadMedia needs the library's Message. */
  const mediaMessages = new Map<string, WwebjsMessage>();
  /** Messages are passed on in the order they came, also when a quoted message is looked up first. */
  let order: Promise<unknown> = Promise.resolve();

  async function quotedIdOf(msg: WwebjsMessage): Promise<string | undefined> {
    if (!msg.hasQuotedMsg) return undefined;
    try {
      const quoted = await msg.getQuotedMessage();
      return quoted?.fromMe ? quoted.id._serialized : undefined;
    } catch {
      return undefined; // a reply we cannot resolve is still a message
    }
  }

  function onLibraryMessage(msg: WwebjsMessage): void {
    if (msg.hasMedia && !msg.fromMe) {
      mediaMessages.set(msg.id._serialized, msg);
      if (mediaMessages.size > KEEP_MEDIA_MESSAGES) mediaMessages.delete(mediaMessages.keys().next().value as string);
    }
    const looked = quotedIdOf(msg);
    // A listener that throws must not stop the messages after it.
    order = order.then(async () => events.emit('message', toTransportMessage(msg, await looked))).catch(() => undefined);
  }

  const current = (): WwebjsClient => {
    if (!client) throw new Error('whatsapp-web.js client is not initialised');
    return client;
  };

  async function destroy(): Promise<void> {
    const old = client;
    client = null;
    if (!old) return;
    old.removeAllListeners();
    await old.destroy().catch(() => undefined);
  }

  return {
    on(event, listener) {
      events.on(event, listener as never);
    },
    off(event, listener) {
      events.off(event, listener as never);
    },
    async initialize() {
      await destroy();
      const next = new Client({
        authStrategy: new LocalAuth({ dataPath: options.sessionDir }),
        puppeteer: { executablePath: options.chromiumPath, args: CHROMIUM_ARGS, headless: true },
      });
      next.on('qr', (qr: string) => events.emit('qr', qr));
      next.on('ready', () => events.emit('ready'));
      next.on('message', onLibraryMessage);
      next.on('disconnected', (reason: unknown) => events.emit('disconnected', String(reason)));
      next.on('message_ack', (msg: WwebjsMessage, ack: number) => events.emit('message_ack', msg.id._serialized, Number(ack)));
      client = next;
      await next.initialize();
    },
    async sendMessage(chatId, text) {
      const sent = await current().sendMessage(chatId, text);
      return { id: sent.id._serialized };
    },
    async sendDocument(chatId, file) {
      const media = new MessageMedia(file.mimeType, Buffer.from(file.content, 'utf8').toString('base64'), file.filename);
      const sent = await current().sendMessage(chatId, media, { sendMediaAsDocument: true });
      return { id: sent.id._serialized };
    },
    async sendMedia(chatId, file, as, caption) {
      const media = new MessageMedia(file.mimeType, file.data.toString('base64'), file.filename ?? null, file.data.length);
      const captioned = caption && (as === 'photo' || as === 'document') ? { caption } : {};
      const options = as === 'voice' ? { sendAudioAsVoice: true } : as === 'document' ? { sendMediaAsDocument: true, ...captioned } : captioned;
      const sent = await current().sendMessage(chatId, media, options);
      return { id: sent.id._serialized };
    },
    async downloadMedia(messageId) {
      const msg = mediaMessages.get(messageId) ?? (await current().getMessageById(messageId).catch(() => null));
      if (!msg) return null;
      const media = await msg.downloadMedia();
      if (!media?.data) return null;
      mediaMessages.delete(messageId);
      return { mimeType: media.mimetype, data: Buffer.from(media.data, 'base64'), ...(media.filename ? { filename: media.filename } : {}) };
    },
    async sendTyping(chatId) {
      const chat = await current().getChatById(chatId);
      await chat.sendStateTyping();
    },
    async getState() {
      if (!client) return null;
      return (await client.getState()) ?? null;
    },
    destroy,
  };
}
