/**
 * Voice notes, photos and files: the words every layer shares (issue 11, item 2). No I/O here.
 *
 *   MEDIA_LIMITS — the largest file we keep, per type: the smallest that every messenger we send
 *     on accepts and Telegram lets a bot download (20 MB). A voice note of 5 minutes is ~0.5 MB.
 *   MediaLibrary — what a channel adapter reads to send a stored file (src/db/media.repo.ts
 *     implements it over the `media` table and the media store) and where it caches its upload.
 *   MediaDownloader — what a channel gives to fetch a file a person sent (by the messenger's ref).
 */
import type { InboundMedia, MediaType } from './messages.js';

const MB = 1024 * 1024;

/**
 * Bytes per type. Voice: WhatsApp's audio limit (16 MB). Photo: WhatsApp's image limit (5 MB;
 * Telegram re-encodes photos to well under that). Document: Telegram's download limit for bots
 * (20 MB; WhatsApp takes 100 MB, Telegram uploads 50 MB).
 */
export const MEDIA_LIMITS: Readonly<Record<MediaType, number>> = Object.freeze({ voice: 16 * MB, photo: 5 * MB, document: 20 * MB });

/** The limit in whole megabytes, for the kind refusal ("at most 16 MB"). */
export const mediaLimitMb = (type: MediaType): number => Math.floor(MEDIA_LIMITS[type] / MB);

/** The messenger announced a size over our limit (unknown sizes are checked while downloading). */
export const mediaTooLarge = (media: Pick<InboundMedia, 'type' | 'bytes'>): boolean => media.bytes !== undefined && media.bytes > MEDIA_LIMITS[media.type];

/** Where a stored file was uploaded to a messenger already, so it is sent by reference next time. */
export interface MediaUploads {
  /** Telegram's file_id (valid for this bot, without expiry). */
  telegram?: { fileId: string; as: TelegramMediaMethod };
  /** A WhatsApp Cloud media id: valid for 30 days after `at` (epoch ms). */
  whatsapp?: { id: string; at: number };
}

export type TelegramMediaMethod = 'voice' | 'audio' | 'photo' | 'document';

/** A stored file, ready to send. */
export interface StoredMedia {
  id: number;
  type: MediaType;
  mimeType: string;
  /** A safe name to show (never used in a path); a default per type when the sender gave none. */
  filename: string;
  bytes: number;
  durationSeconds: number | null;
  uploads: MediaUploads;
}

export type LoadedMedia =
  | { status: 'ready'; media: StoredMedia; read(): Buffer }
  /** Not fetched yet: the send should be tried again in a while. */
  | { status: 'pending' }
  /** Erased with its owner, failed to download, or its file is missing: it will never be sent. */
  | { status: 'gone'; reason: string };

export interface MediaLibrary {
  load(mediaId: number): LoadedMedia;
  rememberUpload(mediaId: number, upload: MediaUploads): void;
  /** The messenger no longer knows that reference (an expired WhatsApp id, a refused file_id). */
  forgetUpload(mediaId: number, channel: keyof MediaUploads): void;
}

export type DownloadResult =
  | { ok: true; data: Buffer; mimeType?: string; filename?: string }
  /** too_large: over the limit · gone: the messenger no longer has it · retry: try again later. */
  | { ok: false; failure: 'too_large' | 'gone' | 'retry'; reason: string };

export interface MediaDownloader {
  /** Fetches the file behind the messenger's reference; never more than `maxBytes`. Never throws. */
  download(ref: string, maxBytes: number): Promise<DownloadResult>;
}

/** A file name to show when the sender gave none. */
export function defaultFilename(id: number, type: MediaType, mimeType: string): string {
  const ext = extensionOf(mimeType);
  const base = type === 'voice' ? 'spraakbericht' : type === 'photo' ? 'foto' : 'bestand';
  return `${base}-${id}${ext}`;
}

const EXTENSIONS: Record<string, string> = {
  'audio/ogg': '.ogg',
  'audio/opus': '.ogg',
  'audio/mpeg': '.mp3',
  'audio/mp4': '.m4a',
  'audio/aac': '.aac',
  'audio/amr': '.amr',
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'application/pdf': '.pdf',
};

export const extensionOf = (mimeType: string): string => EXTENSIONS[baseMime(mimeType)] ?? '';

/** "audio/ogg; codecs=opus" → "audio/ogg". */
export const baseMime = (mimeType: string): string => mimeType.split(';')[0]?.trim().toLowerCase() ?? '';

/** An OGG file with Opus inside: what Telegram and WhatsApp play as a voice note. */
export const isOggOpus = (mimeType: string): boolean => ['audio/ogg', 'audio/opus'].includes(baseMime(mimeType));

/** The type a file's first bytes say it is (used when the messenger announced none). */
export function sniffMime(data: Buffer): string | undefined {
  if (data.subarray(0, 4).toString('latin1') === 'OggS') return 'audio/ogg';
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (data.subarray(0, 3).toString('latin1') === 'ID3' || (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (data.subarray(4, 8).toString('latin1') === 'ftyp') return 'audio/mp4';
  if (data.subarray(0, 6).toString('latin1') === '#!AMR\n') return 'audio/amr';
  return undefined;
}
