/**
 * The Telegram channel: I/O only. Updates go through the mapper to `onInbound`; outbound
 * messages go through the mapper to the Bot API, and every failure becomes a SendOutcome.
 * Starting, stopping and reconnecting live in telegram.lifecycle.ts: the process never
 * crashes because Telegram is unreachable. Stored voice notes, photos and files go through
 * telegram.media.ts (the text as their caption when it fits in 1,024 characters, else the text
 * first as its own message); `edit` replaces a sent text and its buttons (editMessageText).
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Telegraf } from 'telegraf';
import type { Context } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { ChannelAdapter, ChannelHealth, InboundHandler, Logger } from '../../core/ports.js';
import type { SendOutcome } from '../../core/errors.js';
import type { LoadedMedia, MediaDownloader, MediaLibrary } from '../../core/media.js';
import type { OutboundMessage } from '../../core/messages.js';
import { miniHtmlToPlain } from '../../core/render.js';
import { dropReason, toInbound, toInlineKeyboard } from './telegram.mapper.js';
import { sendStoredMedia, TELEGRAM_MAX_CAPTION, telegramDownloader } from './telegram.media.js';
import { splitForTelegram } from './telegram.split.js';
import { classifyTelegramError, describeTelegramError as describe, errorCode } from './telegram.errors.js';
import { createLifecycle } from './telegram.lifecycle.js';

export interface TelegramCommandSet {
  language: string;
  commands: { command: string; description: string }[];
}

export interface TelegramChannelOptions {
  token: string;
  apiRoot: string;
  webhook?: { url: string; secret: string };
  logger: Logger;
  onInbound: InboundHandler;
  /** Called when a person blocks the bot (my_chat_member → kicked). */
  onUnreachable?: (chatId: string) => void;
  commands: TelegramCommandSet[];
  defaultLanguage: string;
  /** Reconnect backoff; tests shorten it. Defaults: 1 s doubling up to 60 s. */
  retry?: { firstDelayMs?: number; maxDelayMs?: number };
  /** Stored voice notes, photos and files (OutboundMessage.media); without it such a message is refused as invalid. */
  media?: MediaLibrary;
}

export interface TelegramWebhook {
  /** URL path Telegram posts to; mount `handler` there. */
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface TelegramChannel extends ChannelAdapter {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): ChannelHealth;
  /** Present in webhook mode only. */
  webhook?: TelegramWebhook;
  /** Fetches files people sent (by file_id). */
  downloader: MediaDownloader;
}

export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const { logger } = options;
  const bot = new Telegraf(options.token, { telegram: telegramOptions(options.apiRoot) });
  // The default handler rethrows and sets exitCode=1; an update must never take us down.
  bot.catch((err) => logger.error({ error: describe(err) }, 'telegram update handling failed'));
  bot.use((ctx) => handleUpdate(ctx, options));

  const lifecycle = createLifecycle(bot, options);
  const channel: TelegramChannel = {
    name: 'telegram',
    send: (chatId, message, opts) => sendMessage(bot, logger, options.media, chatId, message, opts?.fromPart ?? 0, opts?.pace),
    edit: (chatId, externalId, message) => editMessage(bot, logger, chatId, externalId, message),
    downloader: telegramDownloader(bot),
    start: lifecycle.start,
    stop: lifecycle.stop,
    health: lifecycle.health,
  };
  if (options.webhook) {
    const secret = options.webhook.secret;
    const path = webhookPath(options.webhook.url);
    // A wrong or missing X-Telegram-Bot-Api-Secret-Token fails telegraf's filter → 403.
    const callback = bot.webhookCallback(path, { secretToken: secret });
    channel.webhook = { path, handler: (req, res) => callback(req, res) };
  }
  return channel;
}

function telegramOptions(apiRoot: string): { apiRoot: string; webhookReply: boolean; agent?: https.Agent } {
  // telegraf resolves './bot<token>/<method>' against apiRoot: without a trailing slash
  // the last path segment would be silently dropped.
  const root = apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/`;
  // webhookReply would fold answerCallbackQuery into the webhook response, where its
  // failure is invisible; every call goes over HTTP instead.
  const base = { apiRoot: root, webhookReply: false };
  // IPv4 only: hosts with broken IPv6 time out otherwise (telegraf#1961).
  return root.startsWith('https:') ? { ...base, agent: new https.Agent({ keepAlive: true, family: 4 }) } : base;
}

function webhookPath(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

async function handleUpdate(ctx: Context, options: TelegramChannelOptions): Promise<void> {
  const update: Update = ctx.update;
  const updateId = typeof update.update_id === 'number' ? update.update_id : undefined;
  if ('callback_query' in update) await answerCallback(ctx, options.logger, updateId);
  if ('my_chat_member' in update) notifyIfBlocked(update.my_chat_member as unknown, options);
  const message = toInbound(update);
  if (!message) {
    // Ids and kinds only: what was dropped, never what it said or who sent it.
    const { kind, reason } = dropReason(update);
    if (kind === 'my_chat_member') options.logger.debug({ updateId, kind }, 'telegram update handled without a message');
    else options.logger.info({ updateId, kind, reason }, 'telegram update dropped');
    return;
  }
  try {
    await options.onInbound(message);
  } catch (err) {
    options.logger.error({ updateId, error: describe(err) }, 'inbound handler failed');
  }
}

/** Always answer, even stale or unreadable presses: otherwise the button spins for long. */
async function answerCallback(ctx: Context, logger: Logger, updateId: number | undefined): Promise<void> {
  try {
    await ctx.answerCbQuery();
  } catch (err) {
    logger.warn({ updateId, method: 'answerCallbackQuery', error: describe(err) }, 'telegram call failed');
  }
}

function notifyIfBlocked(member: unknown, options: TelegramChannelOptions): void {
  const m = member as { chat?: { id?: unknown; type?: unknown }; new_chat_member?: { status?: unknown } } | null;
  if (m?.new_chat_member?.status !== 'kicked' || m.chat?.type !== 'private' || typeof m.chat.id !== 'number') return;
  try {
    options.onUnreachable?.(String(m.chat.id));
  } catch (err) {
    options.logger.error({ error: describe(err) }, 'onUnreachable failed');
  }
}

type Part = { kind: 'text'; html: string; last: boolean } | { kind: 'media'; caption?: string } | { kind: 'attachment' };

/** The text in Telegram-sized parts and the buttons; only our own encoder throws (callback data too long or empty): a bug in a flow. */
function prepare(logger: Logger, stage: string, message: OutboundMessage): { chunks: string[]; keyboard: ReturnType<typeof toInlineKeyboard> | undefined } | SendOutcome {
  try {
    return { chunks: splitForTelegram(message.text), keyboard: message.choices?.length ? toInlineKeyboard(message.choices) : undefined };
  } catch (err) {
    return failed(logger, stage, { status: 'invalid', reason: `bad outbound message: ${err instanceof Error ? err.message : 'unknown'}` });
  }
}

async function sendMessage(bot: Telegraf, logger: Logger, library: MediaLibrary | undefined, chatId: string, message: OutboundMessage, fromPart: number, pace?: () => Promise<void>): Promise<SendOutcome> {
  const prepared = prepare(logger, 'prepare', message);
  if ('status' in prepared) return prepared;
  const { chunks, keyboard } = prepared;
  const stored = loadMedia(logger, library, message);
  if (stored.status === 'pending') return { status: 'retry', reason: 'media not fetched yet' };
  const ready = stored.status === 'ready' ? stored : undefined;
  if (chunks.length === 0 && !ready && (keyboard || !message.attachment)) {
    return failed(logger, 'prepare', { status: 'invalid', reason: stored.status === 'gone' ? stored.reason : 'message text is empty' });
  }
  // The text rides as the file's caption when it fits; else it goes first, on its own.
  const asCaption = ready && chunks.length === 1 && miniHtmlToPlain(message.text).length <= TELEGRAM_MAX_CAPTION;
  const parts: Part[] = [
    ...(asCaption ? [] : chunks.map((html, i): Part => ({ kind: 'text', html, last: !ready && i === chunks.length - 1 }))),
    ...(ready ? [asCaption ? ({ kind: 'media', caption: chunks[0] } as Part) : ({ kind: 'media' } as Part)] : []),
    ...(message.attachment ? [{ kind: 'attachment' } as Part] : []),
  ];
  let lastId: number | undefined;
  let partsSent = 0;
  // The scheduler took a token for the first request; each later one takes its own.
  const next = async (): Promise<void> => {
    if (partsSent > 0 || lastId !== undefined) await pace?.();
  };
  try {
    // Parts: the text chunks (unless a caption), the stored file, then the attachment; a retry resumes at the part that failed.
    for (const [i, part] of parts.entries()) {
      if (i < fromPart) continue;
      await next();
      if (part.kind === 'text') {
        const markup = keyboard && part.last ? { reply_markup: keyboard } : {};
        lastId = (await bot.telegram.sendMessage(chatId, part.html, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...markup })).message_id;
      } else if (part.kind === 'media' && ready && library) {
        lastId = await sendStoredMedia(bot, library, chatId, ready, { ...(part.caption ? { caption: part.caption } : {}), ...(keyboard ? { reply_markup: keyboard } : {}) });
      } else if (message.attachment) {
        const { content, filename } = message.attachment;
        lastId = (await bot.telegram.sendDocument(chatId, { source: Buffer.from(content), filename })).message_id;
      }
      partsSent++;
    }
  } catch (err) {
    const outcome = classifyTelegramError(err);
    const resumable = (outcome.status === 'retry' || outcome.status === 'wait') && partsSent > 0 ? { ...outcome, partsSent } : outcome;
    return failed(logger, lastId === undefined ? 'first part' : 'later part', resumable, err);
  }
  return { status: 'sent', ...(lastId !== undefined ? { externalId: String(lastId) } : {}) };
}

/** The message's stored file, if it has one; a file that is gone is logged (ids only) and the text goes alone. */
function loadMedia(logger: Logger, library: MediaLibrary | undefined, message: OutboundMessage): LoadedMedia | { status: 'none' } {
  if (!message.media) return { status: 'none' };
  const loaded: LoadedMedia = library ? library.load(message.media.mediaId) : { status: 'gone', reason: 'no media library on this channel' };
  if (loaded.status === 'gone') logger.warn({ method: 'send', mediaId: message.media.mediaId, reason: loaded.reason }, 'telegram: stored media is gone; sending the text only');
  return loaded;
}

/** Replaces a sent message's text and buttons. "Not modified" (the same text again) counts as sent. */
async function editMessage(bot: Telegraf, logger: Logger, chatId: string, externalId: string, message: OutboundMessage): Promise<SendOutcome> {
  const messageId = Number(externalId);
  if (!Number.isSafeInteger(messageId) || messageId <= 0) return failed(logger, 'edit', { status: 'invalid', reason: 'not a Telegram message id' });
  const prepared = prepare(logger, 'edit', message);
  if ('status' in prepared) return prepared;
  const { chunks, keyboard } = prepared;
  const [text] = chunks;
  if (text === undefined || chunks.length > 1) return failed(logger, 'edit', { status: 'invalid', reason: 'an edit must fit in one message' });
  try {
    await bot.telegram.editMessageText(chatId, messageId, undefined, text, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(keyboard ? { reply_markup: keyboard } : {}) });
  } catch (err) {
    const outcome = classifyTelegramError(err);
    if (outcome.status === 'invalid' && /message is not modified/i.test(outcome.reason)) return { status: 'sent', externalId };
    return failed(logger, 'edit', outcome, err);
  }
  return { status: 'sent', externalId };
}

function failed(logger: Logger, stage: string, outcome: Exclude<SendOutcome, { status: 'sent' }>, err?: unknown): SendOutcome {
  // No chat id, no text: the outcome's reason is code + Telegram's description only.
  logger.warn({ method: 'send', stage, code: errorCode(err), outcome: outcome.status, reason: outcome.reason }, 'telegram send failed');
  return outcome;
}
