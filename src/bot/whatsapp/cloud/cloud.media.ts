/**
 * Voice notes, photos and files on the WhatsApp Cloud API (issue 11, item 2): I/O only.
 *
 * Sending a stored file: it is uploaded once (POST /{phone-number-id}/media) and the media id
 * cached on the row for 29 days (WhatsApp keeps it 30); later sends use the id. A cached id
 * WhatsApp refuses is forgotten and the file uploaded again. What each file becomes:
 *   voice: OGG/Opus, AAC, AMR, MP3, M4A → an audio message (OGG/Opus plays as a voice note; a
 *     Telegram voice note is OGG/Opus, so it arrives as one); anything else → a document.
 *     Audio has no caption: the adapter sends the text as its own message.
 *   photo: JPEG or PNG up to 5 MB → an image (WebP is for stickers on WhatsApp) ; else a document.
 *   document → a document with its file name.
 * No conversion.
 *
 * Downloading a file a person sent: GET /{media-id} gives a short-lived URL, fetched with the
 * bearer token, within the byte limit.
 */
import type { Clock } from '../../../core/clock.js';
import { baseMime, type DownloadResult, type LoadedMedia, type MediaDownloader, type MediaLibrary, type StoredMedia } from '../../../core/media.js';
import { fetchLimited } from '../../media-download.js';
import type { GraphApi, GraphResult } from './cloud.api.js';

/** WhatsApp's caption limit for images and documents. */
export const CLOUD_MAX_CAPTION = 1024;
/** A cached media id is used for 29 days (WhatsApp keeps uploads 30). */
export const MEDIA_ID_TTL_MS = 29 * 24 * 3600_000;
const AUDIO_TYPES = new Set(['audio/ogg', 'audio/opus', 'audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);
const IMAGE_MAX_BYTES = 5 * 1024 * 1024;

export type CloudMediaKind = 'audio' | 'image' | 'document';
type Ready = Extract<LoadedMedia, { status: 'ready' }>;

export function cloudKindFor(media: Pick<StoredMedia, 'type' | 'mimeType' | 'bytes'>): CloudMediaKind {
  const mime = baseMime(media.mimeType);
  if (media.type === 'voice') return AUDIO_TYPES.has(mime) ? 'audio' : 'document';
  if (media.type === 'photo') return IMAGE_TYPES.has(mime) && media.bytes <= IMAGE_MAX_BYTES ? 'image' : 'document';
  return 'document';
}

/** WhatsApp wants "audio/ogg" for OGG/Opus (not "audio/opus", not with codecs). */
const uploadType = (mimeType: string): string => (baseMime(mimeType) === 'audio/opus' ? 'audio/ogg' : baseMime(mimeType) || 'application/octet-stream');

export interface CloudMedia {
  /** Sends a stored file (by cached id, or uploaded first). A caption only where WhatsApp shows one. */
  send(to: string, loaded: Ready, caption?: string): Promise<GraphResult>;
  downloader: MediaDownloader;
}

export function createCloudMedia(api: GraphApi, library: MediaLibrary | undefined, clock: Clock): CloudMedia {
  async function upload(media: StoredMedia, loaded: Ready): Promise<GraphResult> {
    const result = await api.uploadMedia({ data: loaded.read(), mimeType: uploadType(media.mimeType), filename: media.filename });
    if (result.ok) library?.rememberUpload(media.id, { whatsapp: { id: result.id, at: clock.now().getTime() } });
    return result;
  }

  return {
    async send(to, loaded, caption) {
      const { media } = loaded;
      const kind = cloudKindFor(media);
      const extra = { ...(caption && kind !== 'audio' ? { caption } : {}), ...(kind === 'document' ? { filename: media.filename } : {}) };
      const cached = media.uploads.whatsapp;
      if (cached && clock.now().getTime() - cached.at < MEDIA_ID_TTL_MS) {
        const sent = await api.sendMedia(to, kind, { id: cached.id, ...extra });
        // Refused (an id WhatsApp no longer has, or never had): upload again, once.
        if (sent.ok || sent.outcome.status !== 'invalid' || sent.templateNeeded || sent.tokenRejected) return sent;
        library?.forgetUpload(media.id, 'whatsapp');
      }
      const uploaded = await upload(media, loaded);
      if (!uploaded.ok) return uploaded;
      return api.sendMedia(to, kind, { id: uploaded.id, ...extra });
    },
    downloader: {
      async download(ref, maxBytes): Promise<DownloadResult> {
        const info = await api.mediaInfo(ref);
        if (!info.ok) {
          const failure = info.outcome.status === 'retry' || info.outcome.status === 'wait' || info.tokenRejected ? 'retry' : 'gone';
          return { ok: false, failure, reason: info.outcome.reason };
        }
        if (info.bytes !== undefined && info.bytes > maxBytes) return { ok: false, failure: 'too_large', reason: `whatsapp: ${info.bytes} bytes` };
        const got = await fetchLimited(info.url, maxBytes, 'whatsapp', api.authHeader());
        return got.ok && info.mimeType ? { ...got, mimeType: info.mimeType } : got;
      },
    },
  };
}
