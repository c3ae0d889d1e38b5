/**
 * Sending on whatsapp-web.js: one send at a time (the pauses are between any two sends,
 * whichever chat), a typing state and a random pause before every message, the daily cap,
 * choices as a numbered list (remembered per chat, so "2" or "Türkçe" can be read back), and
 * every failure as a SendOutcome. While disconnected, replies are kept (whatsapp-web.kept.ts)
 * and `flushKept()` sends them after the next `ready`.
 *
 * A stored file (OutboundMessage.media) goes first: OGG/Opus voice as a voice note
 * (sendAudioAsVoice), other audio as audio, JPEG/PNG/WebP photos as images, everything else as
 * a document; the text is its caption when it fits (1,024 characters; not on audio), else it
 * follows as its own message. No upload cache: whatsapp-web.js sends the bytes every time.
 */
import { createHash } from 'node:crypto';
import type { i18n } from 'i18next';
import type { Clock } from '../../../core/clock.js';
import { describeError } from '../../../core/dispatcher.js';
import type { SendOutcome } from '../../../core/errors.js';
import { baseMime, isOggOpus, type LoadedMedia, type MediaLibrary, type StoredMedia } from '../../../core/media.js';
import type { OutboundMessage } from '../../../core/messages.js';
import type { Logger, SendOptions } from '../../../core/ports.js';
import { answerHint, formatForWhatsApp, hashPhone, type PendingChoices } from '../whatsapp.text.js';
import { createKeptReplies, type KeptReply } from './whatsapp-web.kept.js';
import { classifySendError, type Pacer } from './whatsapp-web.pacing.js';
import type { WhatsAppWebMediaKind, WhatsAppWebTransport } from './whatsapp-web.transport.js';

export interface SenderOptions {
  transport: WhatsAppWebTransport;
  i18n: i18n;
  logger: Logger;
  clock: Clock;
  pacer: Pacer;
  pending: PendingChoices;
  dailyCap: number;
  keepRepliesMs: number;
  isUp(): boolean;
  stateName(): string;
  /** The chat wrote first (or is a known identity). */
  allowed(chatId: string): boolean;
  onUnreachable?: (chatId: string) => void;
  /** Stored voice notes, photos and files (OutboundMessage.media); without it the text goes alone. */
  media?: MediaLibrary;
}

const WWEB_MAX_CAPTION = 1024;
const AUDIO_TYPES = new Set(['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export function wwebKindFor(media: Pick<StoredMedia, 'type' | 'mimeType'>): WhatsAppWebMediaKind {
  const mime = baseMime(media.mimeType);
  if (media.type === 'voice') return isOggOpus(mime) ? 'voice' : AUDIO_TYPES.has(mime) ? 'audio' : 'document';
  if (media.type === 'photo') return IMAGE_TYPES.has(mime) ? 'photo' : 'document';
  return 'document';
}

type Part = { kind: 'text'; text: string } | { kind: 'media'; caption?: string } | { kind: 'attachment' };

/** A stand-in for a message id: whatsapp-web.js ids contain the phone number, and processed ids are stored before consent. */
export const messageRef = (id: string): string => `wweb:${createHash('sha256').update(id).digest('base64url').slice(0, 24)}`;

type Failed = Exclude<SendOutcome, { status: 'sent' }>;
type Partial = <T extends { status: 'retry' | 'wait' }>(outcome: T) => T;

export function createSender(options: SenderOptions) {
  const { transport, logger, pacer, pending } = options;
  const hint = answerHint(options.i18n);
  const now = (): number => options.clock.now().getTime();
  const kept = createKeptReplies({ now, ttlMs: options.keepRepliesMs, max: 1000 });
  let chain: Promise<unknown> = Promise.resolve();
  let capLoggedUntil = 0;

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  function failed(chatId: string, stage: string, outcome: Failed): Failed {
    logger.warn({ channel: 'whatsapp', chat: hashPhone(chatId), stage, outcome: outcome.status, reason: outcome.reason }, 'whatsapp send failed');
    return outcome;
  }

  function capOutcome(chatId: string, partial: Partial): Failed {
    const retryAfterMs = pacer.untilMidnightMs();
    if (now() >= capLoggedUntil) {
      capLoggedUntil = now() + retryAfterMs;
      logger.warn({ channel: 'whatsapp', cap: options.dailyCap, retryAfterMs }, 'whatsapp daily cap reached; sending resumes tomorrow');
    }
    return failed(chatId, 'cap', partial({ status: 'wait', retryAfterMs, reason: `daily cap of ${options.dailyCap} messages reached` }));
  }

  /** The parts from `fromPart` on, inside the send queue. `cutAt`: parts sent before a disconnect. */
  /** The message's stored file: ready, still being fetched, or gone (then the text goes alone; logged with ids). */
  function storedMedia(chatId: string, message: OutboundMessage): LoadedMedia | { status: 'none' } {
    if (!message.media) return { status: 'none' };
    const loaded: LoadedMedia = options.media ? options.media.load(message.media.mediaId) : { status: 'gone', reason: 'no media library on this channel' };
    if (loaded.status === 'gone') logger.warn({ channel: 'whatsapp', chat: hashPhone(chatId), mediaId: message.media.mediaId, reason: loaded.reason }, 'whatsapp: stored media is gone; sending the text only');
    return loaded;
  }

  async function deliver(chatId: string, message: OutboundMessage, fromPart: number, proactive: boolean): Promise<{ outcome: SendOutcome; cutAt?: number }> {
    const stored = storedMedia(chatId, message);
    if (stored.status === 'pending') return { outcome: { status: 'retry', reason: 'media not fetched yet' } };
    const media = stored.status === 'ready' ? stored : undefined;
    const { parts: formatted, choices } = formatForWhatsApp(message, hint);
    const texts = formatted.filter((p) => p.trim());
    if (texts.length === 0 && !message.attachment && !media) return { outcome: failed(chatId, 'prepare', { status: 'invalid', reason: stored.status === 'gone' ? stored.reason : 'message text is empty' }) };
    if (choices.length) pending.set(chatId, choices);
    else if (!proactive) pending.clear(chatId);
    const kind = media ? wwebKindFor(media.media) : undefined;
    const [only] = texts;
    const caption = media && texts.length === 1 && only !== undefined && kind !== 'voice' && kind !== 'audio' && only.length <= WWEB_MAX_CAPTION ? only : undefined;
    const parts: Part[] = [
      ...(media ? [caption !== undefined ? ({ kind: 'media', caption } as Part) : ({ kind: 'media' } as Part)] : []),
      ...(caption !== undefined ? [] : texts.map((text): Part => ({ kind: 'text', text }))),
      ...(message.attachment ? [{ kind: 'attachment' } as Part] : []),
    ];
    const total = parts.length;
    let partsSent = 0;
    let lastId: string | undefined;
    const partial: Partial = (o) => (partsSent > 0 ? { ...o, partsSent } : o);
    for (let i = fromPart; i < total; i++) {
      if (pacer.capReached()) return { outcome: capOutcome(chatId, partial) };
      if (options.isUp()) await transport.sendTyping(chatId).catch((err: unknown) => logger.debug({ channel: 'whatsapp', err: describeError(err) }, 'typing state failed'));
      if (options.isUp()) await pacer.pause();
      if (!options.isUp()) return { outcome: failed(chatId, 'disconnected', partial({ status: 'retry', reason: `whatsapp ${options.stateName()}` })), cutAt: partsSent };
      try {
        const part = parts[i];
        if (part?.kind === 'text') lastId = (await transport.sendMessage(chatId, part.text)).id;
        else if (part?.kind === 'media' && media && kind) {
          const file = { mimeType: media.media.mimeType, data: media.read(), filename: media.media.filename };
          lastId = (await transport.sendMedia(chatId, file, kind, part.caption)).id;
        } else lastId = (await transport.sendDocument(chatId, message.attachment!)).id;
      } catch (err) {
        const outcome = classifySendError(err);
        return { outcome: failed(chatId, `part ${i + 1}/${total}`, outcome.status === 'retry' ? partial(outcome) : outcome) };
      }
      pacer.sent();
      partsSent++;
    }
    return { outcome: { status: 'sent', ...(lastId ? { externalId: messageRef(lastId) } : {}) } };
  }

  /** One delivery; a reply cut off by a disconnect is kept from the part it reached. */
  async function sendNow(chatId: string, message: OutboundMessage, fromPart: number, proactive: boolean): Promise<SendOutcome> {
    const { outcome, cutAt } = await serial(() => deliver(chatId, message, fromPart, proactive));
    if (cutAt !== undefined && !proactive) kept.keep(kept.keyFor(chatId, message, fromPart + cutAt), chatId, message, fromPart + cutAt);
    return outcome;
  }

  async function send(chatId: string, message: OutboundMessage, opts?: SendOptions): Promise<SendOutcome> {
    const fromPart = opts?.fromPart ?? 0;
    const proactive = opts?.proactive !== undefined;
    if (!options.allowed(chatId)) return failed(chatId, 'prepare', { status: 'invalid', reason: 'never wrote first' });
    const key = kept.keyFor(chatId, message, fromPart);
    const entry = kept.get(key);
    if (entry?.status === 'sending' && entry.done) {
      await entry.done;
      return send(chatId, message, opts); // now sent, waiting again, or gone
    }
    if (entry?.status === 'sent') {
      kept.delete(key);
      return { status: 'sent', ...(entry.externalId ? { externalId: entry.externalId } : {}) };
    }
    if (!options.isUp()) {
      // Reminders are not kept: their queue retries them after re-checking /stop, quiet hours and the cap.
      if (!proactive && !entry) kept.keep(key, chatId, message, fromPart);
      return { status: 'retry', reason: `whatsapp ${options.stateName()}${proactive ? '' : '; reply kept until reconnected'}` };
    }
    if (entry) kept.delete(key); // this caller sends it now
    return sendNow(chatId, message, fromPart, proactive);
  }

  async function flushKept(): Promise<void> {
    const { entries, expired } = kept.waiting();
    if (expired) logger.warn({ channel: 'whatsapp', count: expired }, 'kept whatsapp replies expired before reconnecting');
    if (entries.length) logger.info({ channel: 'whatsapp', count: entries.length }, 'sending replies kept while disconnected');
    for (const entry of entries) {
      if (!options.isUp()) return;
      if (kept.get(entry.key) !== entry || entry.status !== 'pending') continue;
      entry.status = 'sending';
      entry.done = sendKept(entry);
      const outcome = await entry.done;
      if (outcome.status === 'retry' || outcome.status === 'wait') return;
    }
  }

  async function sendKept(entry: KeptReply): Promise<SendOutcome> {
    const { outcome, cutAt } = await serial(() => deliver(entry.chatId, entry.message, entry.fromPart, false));
    delete entry.done;
    if (cutAt !== undefined) {
      // Disconnected again: keep it from the part it reached.
      kept.delete(entry.key);
      const next = entry.fromPart + cutAt;
      kept.keep(kept.keyFor(entry.chatId, entry.message, next), entry.chatId, entry.message, next);
    } else if (outcome.status === 'sent') {
      // Remembered a while as sent: the caller's own retry of this reply gets 'sent', not a second copy.
      Object.assign(entry, { status: 'sent', keptAt: now(), externalId: outcome.externalId });
    } else if (outcome.status === 'retry' || outcome.status === 'wait') {
      entry.status = 'pending';
    } else {
      kept.delete(entry.key);
      if (outcome.status === 'unreachable') {
        try {
          options.onUnreachable?.(entry.chatId);
        } catch (err) {
          logger.error({ channel: 'whatsapp', what: 'onUnreachable', err: describeError(err) }, 'whatsapp-web callback failed');
        }
      }
    }
    return outcome;
  }

  return {
    send,
    flushKept,
    /** Resolves when the sends queued so far have finished. */
    idle: (): Promise<void> => chain.then(() => undefined),
  };
}
