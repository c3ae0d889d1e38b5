/**
 * A voice note given to the CLI as a file (`--voice tr=groet.ogg`), for broadcasts and nudges:
 * read and checked before the transaction, then kept like one recorded in the chat (a `media`
 * row owned by the staff member who made it, erased with them; the bytes in the media store).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { sniffMime } from '../core/media.js';
import type { MediaStore } from '../core/media-store.js';
import type { MediaType } from '../core/messages.js';
import type { Db } from '../db/client.js';
import type { Tx } from '../db/effects.apply.js';
import { markMediaReady, recordInboundMedia } from '../db/media.repo.js';
import { CliError } from './context.js';

export interface VoiceFile {
  data: Buffer;
  mimeType: string;
  type: MediaType;
  filename: string;
}

export function voiceFile(path: string): VoiceFile {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    throw new CliError(`cannot read ${path}.`);
  }
  const mimeType = sniffMime(data);
  if (!mimeType || !/^audio\//.test(mimeType)) throw new CliError(`${path} is not a voice note (OGG, MP3 or M4A).`);
  return { data, mimeType, type: 'voice', filename: basename(path) };
}

/** Keeps the file in the caller's transaction: the media row (ready at once) and its bytes; returns the media id. */
export function keepVoiceFile(tx: Tx | Db, store: MediaStore, ownerId: number, f: VoiceFile, now: Date): number {
  const mediaId = recordInboundMedia(tx, { ownerId, channel: 'local', media: { type: f.type, ref: `cli:${f.filename}`, mimeType: f.mimeType, filename: f.filename, bytes: f.data.length } }, now);
  const stored = store.write(mediaId, f.data);
  markMediaReady(tx as unknown as Db, mediaId, { ...stored, mimeType: f.mimeType, filename: f.filename }, now);
  return mediaId;
}
