/**
 * Voice notes, photos and files on Telegram (issue 11, item 2): I/O only.
 *
 * Sending a stored file: OGG/Opus voice → sendVoice; MP3 or M4A audio (e.g. a WhatsApp voice
 * note recorded on an iPhone) → sendAudio (a player, not the voice-note bubble); any other audio
 * (AMR, AAC, WAV) → sendDocument; a JPEG/PNG/WebP photo up to 10 MB → sendPhoto, anything else →
 * sendDocument. No conversion. The first send uploads the bytes (multipart); Telegram's
 * file_id from the answer is cached on the media row and every later send uses it. A cached
 * file_id Telegram refuses is forgotten and the file uploaded once more.
 *
 * Downloading a file a person sent: getFile, then `<apiRoot>/file/bot<token>/<file_path>`
 * (Telegram lets bots download ≤ 20 MB; getFile says "file is too big" above that). The URL
 * holds the token: it is never logged, and errors are reduced to codes.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Telegraf } from 'telegraf';
import type { InlineKeyboardMarkup, Message } from 'telegraf/types';
import { baseMime, isOggOpus, type DownloadResult, type LoadedMedia, type MediaDownloader, type MediaLibrary, type StoredMedia, type TelegramMediaMethod } from '../../core/media.js';
import { fetchLimited } from '../media-download.js';
import { classifyTelegramError } from './telegram.errors.js';

/** Telegram's limit for a caption, after entity parsing (UTF-16 code units). */
export const TELEGRAM_MAX_CAPTION = 1024;
const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
const AUDIO_TYPES = new Set(['audio/mpeg', 'audio/mp3', 'audio/mp4', 'audio/x-m4a', 'audio/m4a']);
/** 400s that say "this file_id is not (any more) a file of that kind for this bot". */
const STALE_FILE_ID = /wrong file identifier|wrong remote file|file reference|can't use file of type|FILE_REFERENCE|invalid file_id|wrong type of the web page content/i;

export function telegramMethodFor(media: Pick<StoredMedia, 'type' | 'mimeType' | 'bytes'>): TelegramMediaMethod {
  const mime = baseMime(media.mimeType);
  if (media.type === 'voice') return isOggOpus(mime) ? 'voice' : AUDIO_TYPES.has(mime) ? 'audio' : 'document';
  if (media.type === 'photo') return PHOTO_TYPES.has(mime) && media.bytes <= PHOTO_MAX_BYTES ? 'photo' : 'document';
  return 'document';
}

export interface MediaExtra {
  caption?: string;
  reply_markup?: InlineKeyboardMarkup;
}

type Ready = Extract<LoadedMedia, { status: 'ready' }>;

/** Sends a stored file: by cached file_id, or uploaded (caching the new file_id). Throws what telegraf throws. */
export async function sendStoredMedia(bot: Telegraf, library: MediaLibrary, chatId: string, loaded: Ready, extra: MediaExtra): Promise<number> {
  const { media } = loaded;
  const method = telegramMethodFor(media);
  const cached = media.uploads.telegram?.as === method ? media.uploads.telegram.fileId : undefined;
  if (cached) {
    try {
      return (await call(bot, method, chatId, cached, media, extra)).message_id;
    } catch (err) {
      const outcome = classifyTelegramError(err);
      if (outcome.status !== 'invalid' || !STALE_FILE_ID.test(outcome.reason)) throw err;
      library.forgetUpload(media.id, 'telegram');
    }
  }
  const sent = await call(bot, method, chatId, { source: loaded.read(), filename: media.filename }, media, extra);
  const fileId = fileIdOf(sent, method);
  if (fileId) library.rememberUpload(media.id, { telegram: { fileId, as: method } });
  return sent.message_id;
}

type Input = string | { source: Buffer; filename: string };

function call(bot: Telegraf, method: TelegramMediaMethod, chatId: string, input: Input, media: StoredMedia, extra: MediaExtra): Promise<Message> {
  const common = { ...(extra.caption ? { caption: extra.caption, parse_mode: 'HTML' as const } : {}), ...(extra.reply_markup ? { reply_markup: extra.reply_markup } : {}) };
  const duration = media.durationSeconds !== null ? { duration: media.durationSeconds } : {};
  switch (method) {
    case 'voice':
      return bot.telegram.sendVoice(chatId, input, { ...common, ...duration });
    case 'audio':
      return bot.telegram.sendAudio(chatId, input, { ...common, ...duration });
    case 'photo':
      return bot.telegram.sendPhoto(chatId, input, common);
    case 'document':
      return bot.telegram.sendDocument(chatId, input, common);
  }
}

function fileIdOf(message: Message, method: TelegramMediaMethod): string | undefined {
  const m = message as Partial<Message.VoiceMessage & Message.AudioMessage & Message.PhotoMessage & Message.DocumentMessage>;
  if (method === 'voice') return m.voice?.file_id;
  if (method === 'audio') return m.audio?.file_id;
  if (method === 'photo') return m.photo?.at(-1)?.file_id;
  return m.document?.file_id;
}

/** Fetches files people sent, by file_id, within `maxBytes`. */
export function telegramDownloader(bot: Telegraf): MediaDownloader {
  return {
    async download(ref, maxBytes): Promise<DownloadResult> {
      let url: URL;
      try {
        const file = await bot.telegram.getFile(ref);
        if (file.file_size !== undefined && file.file_size > maxBytes) return { ok: false, failure: 'too_large', reason: `telegram: ${file.file_size} bytes` };
        if (!file.file_path) return { ok: false, failure: 'gone', reason: 'telegram: no file_path' };
        url = await bot.telegram.getFileLink(file);
      } catch (err) {
        const outcome = classifyTelegramError(err);
        if (/file is too big/i.test(outcome.reason)) return { ok: false, failure: 'too_large', reason: outcome.reason };
        if (outcome.status === 'invalid' || outcome.status === 'unreachable') return { ok: false, failure: 'gone', reason: outcome.reason };
        return { ok: false, failure: 'retry', reason: outcome.reason };
      }
      return url.protocol === 'file:' ? readLocal(url, maxBytes) : fetchLimited(url, maxBytes, 'telegram');
    },
  };
}

/** A local Bot API server (--local) answers with an absolute path on its own disk. */
async function readLocal(url: URL, maxBytes: number): Promise<DownloadResult> {
  try {
    const path = fileURLToPath(url);
    if ((await stat(path)).size > maxBytes) return { ok: false, failure: 'too_large', reason: 'telegram: local file over the limit' };
    return { ok: true, data: await readFile(path) };
  } catch (err) {
    return { ok: false, failure: 'retry', reason: `telegram: local file (${(err as { code?: string }).code ?? 'error'})` };
  }
}
