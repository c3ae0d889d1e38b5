/**
 * The whatsapp-web.js channel (pilots only: it drives WhatsApp Web from a phone number, which
 * breaks WhatsApp's terms; organisations use the Cloud API). I/O only, over our own
 * WhatsAppWebTransport so it is tested against a fake.
 *
 * Inbound: own messages, status updates and groups are ignored; text goes through the shared
 * WhatsApp text layer (numbers, option texts, keywords); voice notes, audio, photos and
 * documents become 'media' (ref = the message's hashed ref; `fetchMedia(ref)` downloads it while
 * this process still knows the message), video, stickers… 'unsupported' (the bot answers
 * kindly). A quote of one of our messages carries `replyTo` = messageRef(its id), the id `send`
 * reports. The chat is remembered as having written first.
 * Outbound (whatsapp-web.send.ts): only to chats that wrote first; a typing state and a random
 * pause before every message, a daily cap; while disconnected, replies are kept until the next
 * `ready`. Connection (whatsapp-web.lifecycle.ts): off → starting (QR shown) → up ⇄ down → off.
 * Phone numbers never reach a log: `hashPhone` only.
 */
import type { i18n } from 'i18next';
import type { Clock } from '../../../core/clock.js';
import { describeError } from '../../../core/dispatcher.js';
import type { DownloadResult, MediaDownloader, MediaLibrary } from '../../../core/media.js';
import type { InboundContent, InboundMedia, InboundMessage, MediaType, UnsupportedKind } from '../../../core/messages.js';
import type { ChannelAdapter, ChannelHealth, InboundHandler, Logger } from '../../../core/ports.js';
import { languageForPhone } from '../../../domain/phone-language.js';
import { buildKeywordIndex, createPendingChoices, hashPhone, mapWhatsAppText } from '../whatsapp.text.js';
import { createLifecycle } from './whatsapp-web.lifecycle.js';
import { createPacer } from './whatsapp-web.pacing.js';
import { createSender, messageRef } from './whatsapp-web.send.js';
import type { WhatsAppWebMessage, WhatsAppWebMessageType, WhatsAppWebTransport } from './whatsapp-web.transport.js';

export { whatsappQrRoute, QR_PATH } from './whatsapp-web.qr.js';
export { messageRef } from './whatsapp-web.send.js';

export interface WhatsAppWebChannelOptions {
  transport: WhatsAppWebTransport;
  i18n: i18n;
  /** Shipped language codes (keywords are accepted in each). */
  languages: string[];
  logger: Logger;
  onInbound: InboundHandler;
  /** A kept reply, sent after a reconnect, found the number is not on WhatsApp. */
  onUnreachable?: (chatId: string) => void;
  clock: Clock;
  minDelayMs: number;
  maxDelayMs: number;
  /** Messages (parts) per calendar day in `timeZone`. */
  dailyCap: number;
  /** Wrote to us before this process started, or a known identity. */
  knownChat(chatId: string): boolean;
  defaultLanguage: string;
  /** The calendar day of the cap. Default Europe/Amsterdam. */
  timeZone?: string;
  /** [0, 1) for the pauses; tests pin it. */
  random?: () => number;
  /** Reconnect backoff. Defaults: 5 s doubling up to 5 min. */
  retry?: { firstDelayMs?: number; maxDelayMs?: number };
  /** A new session when neither `ready` nor a QR code came this long after a start. Default 3 min. */
  readyTimeoutMs?: number;
  /** How long a reply is kept while disconnected. Default 6 h. */
  keepRepliesMs?: number;
  /** Where the QR code is printed; default stderr (stdout carries the JSON logs). */
  terminal?: { write(text: string): unknown };
  /** Stored voice notes, photos and files (OutboundMessage.media). */
  media?: MediaLibrary;
}

export interface WhatsAppWebChannel extends ChannelAdapter {
  readonly name: 'whatsapp';
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): ChannelHealth;
  /** The current login QR code, or null (linked, or not asked for yet). */
  qr(): string | null;
  /**
   * Fetches a file a person sent, by its media ref, while this process still knows the message
   * (in memory: after a restart such a file is gone, and the fetcher marks it failed).
   */
  downloader: MediaDownloader;
}

/** Files we keep, by whatsapp-web.js type ('ptt' is a voice note recorded in the chat). */
const MEDIA: Partial<Record<WhatsAppWebMessageType, MediaType>> = { ptt: 'voice', audio: 'voice', image: 'photo', document: 'document' };

const UNSUPPORTED: Partial<Record<WhatsAppWebMessageType, UnsupportedKind>> = {
  ptt: 'voice',
  audio: 'voice',
  image: 'photo',
  video: 'video',
  document: 'file',
  sticker: 'sticker',
  location: 'location',
  vcard: 'contact',
};
/** One person's chat: a phone number (…@c.us) or WhatsApp's newer hidden id (…@lid); not groups, channels or broadcasts. */
const PRIVATE_CHAT = /@(c\.us|lid)$/;
const MAX_REMEMBERED = 100_000;

export function createWhatsAppWebChannel(options: WhatsAppWebChannelOptions): WhatsAppWebChannel {
  const { transport, logger, clock } = options;
  const pending = createPendingChoices(undefined, () => clock.now().getTime());
  const keywords = buildKeywordIndex(options.i18n, options.languages);
  const pacer = createPacer({ ...options, timeZone: options.timeZone ?? 'Europe/Amsterdam' });
  const wroteFirst = new Set<string>();
  const recentIds = new Set<string>();
  /** Media refs → the library's message id (which holds the phone number, so it never leaves memory). */
  const mediaIds = new Map<string, string>();

  const lifecycle = createLifecycle({
    ...options,
    onReady: () => {
      logger.info({ channel: 'whatsapp', sentToday: pacer.sentToday(), cap: options.dailyCap }, 'whatsapp-web ready');
      sender.flushKept().catch((err: unknown) => logger.error({ channel: 'whatsapp', err: describeError(err) }, 'sending kept replies failed'));
    },
  });
  const sender = createSender({
    ...options,
    pacer,
    pending,
    keepRepliesMs: options.keepRepliesMs ?? 6 * 3600_000,
    isUp: lifecycle.isUp,
    stateName: lifecycle.state,
    allowed,
  });

  function allowed(chatId: string): boolean {
    if (wroteFirst.has(chatId)) return true;
    try {
      return options.knownChat(chatId);
    } catch (err) {
      logger.error({ channel: 'whatsapp', what: 'knownChat', err: describeError(err) }, 'whatsapp-web callback failed');
      return false;
    }
  }

  function remember(set: Set<string>, value: string): void {
    set.delete(value);
    set.add(value);
    if (set.size > MAX_REMEMBERED) set.delete(set.values().next().value as string);
  }

  function contentOf(m: WhatsAppWebMessage, ref: string): InboundContent | null {
    const replyTo = m.quotedId ? messageRef(m.quotedId) : undefined;
    if (m.type === 'chat') {
      if (!m.body.trim()) return null;
      const content = mapWhatsAppText(m.body, pending.get(m.from), keywords);
      return content.kind === 'text' && replyTo ? { ...content, replyTo } : content;
    }
    const mediaType = MEDIA[m.type];
    if (mediaType && m.media) {
      mediaIds.set(ref, m.id);
      if (mediaIds.size > MAX_REMEMBERED) mediaIds.delete(mediaIds.keys().next().value as string);
      const media: InboundMedia = { type: mediaType, ref, ...m.media };
      const caption = m.body.trim() ? m.body : undefined;
      return { kind: 'media', media, ...(caption ? { caption } : {}), ...(replyTo ? { replyTo } : {}) };
    }
    return { kind: 'unsupported', what: UNSUPPORTED[m.type] ?? 'other' };
  }

  async function onMessage(m: WhatsAppWebMessage): Promise<void> {
    if (m.fromMe || m.isStatus || !PRIVATE_CHAT.test(m.from)) return;
    const ref = messageRef(m.id);
    const chat = hashPhone(m.from);
    if (recentIds.has(ref)) {
      logger.debug({ channel: 'whatsapp', chat }, 'duplicate whatsapp message ignored');
      return;
    }
    remember(recentIds, ref);
    remember(wroteFirst, m.from);
    const content = contentOf(m, ref);
    if (!content) return;
    const message: InboundMessage = { address: { channel: 'whatsapp', chatId: m.from }, content, externalId: ref };
    // A …@lid id is not a phone number: no country code to suggest a language from.
    const hinted = m.from.endsWith('@c.us') ? languageForPhone(m.from) : undefined;
    if (hinted) message.languageHint = hinted;
    logger.debug({ channel: 'whatsapp', chat, kind: content.kind, type: m.type }, 'whatsapp message received');
    try {
      await options.onInbound(message);
    } catch (err) {
      logger.error({ channel: 'whatsapp', chat, err: describeError(err) }, 'inbound handler failed');
    }
  }

  const onMessageEvent = (m: WhatsAppWebMessage): void => void onMessage(m);
  const onAck = (_id: string, ack: number): void => {
    if (ack < 0) logger.warn({ channel: 'whatsapp', ack }, 'whatsapp message failed on the phone side');
  };

  async function download(ref: string, maxBytes: number): Promise<DownloadResult> {
    const id = mediaIds.get(ref);
    if (!id) return { ok: false, failure: 'gone', reason: 'whatsapp-web: the message is not known to this session' };
    if (!lifecycle.isUp()) return { ok: false, failure: 'retry', reason: `whatsapp ${lifecycle.state()}` };
    try {
      const file = await transport.downloadMedia(id);
      if (!file) return { ok: false, failure: 'gone', reason: 'whatsapp-web: the file is no longer available' };
      if (file.data.length > maxBytes) return { ok: false, failure: 'too_large', reason: `whatsapp-web: ${file.data.length} bytes` };
      return { ok: true, data: file.data, mimeType: file.mimeType, ...(file.filename ? { filename: file.filename } : {}) };
    } catch (err) {
      return { ok: false, failure: 'retry', reason: `whatsapp-web: download failed (${describeError(err).name})` };
    }
  }

  return {
    name: 'whatsapp',
    send: sender.send,
    downloader: { download },
    qr: lifecycle.qr,
    health() {
      const state = lifecycle.state();
      const detail = lifecycle.detail() ?? (state === 'up' ? `${pacer.sentToday()}/${options.dailyCap} sent today` : undefined);
      return { name: 'whatsapp', state, ...(detail ? { detail } : {}) };
    },
    async start() {
      if (lifecycle.state() !== 'off') return;
      transport.on('message', onMessageEvent);
      transport.on('message_ack', onAck);
      // In the background: a browser start can take a minute (or hang); the bot runs meanwhile.
      lifecycle.start();
    },
    async stop() {
      transport.off('message', onMessageEvent);
      transport.off('message_ack', onAck);
      await lifecycle.stop(sender.idle);
    },
  };
}
