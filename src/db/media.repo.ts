/**
 * The `media` table: voice notes, photos and files people sent in the chat (issue 11, item 2).
 *
 *   recordInboundMedia — in a turn's transaction: a pending row for a file the flow keeps.
 *   pending / ready / failed — the fetcher (src/jobs/media-fetch.ts) downloads the bytes after
 *     the commit and stores them (src/core/media-store.ts) as `<data dir>/media/<id>`.
 *   uploads — per messenger, the reference of an upload already done (Telegram file_id, WhatsApp
 *     media id + when), so the next send of the same file goes by reference.
 *   removePersonMediaFiles — erasePerson calls it before the person's rows cascade away: the
 *     files go too (ids in logs only, never names or content).
 */
import { existsSync, unlinkSync } from 'node:fs';
import { and, asc, eq, lt, or, isNull } from 'drizzle-orm';
import { defaultFilename, sniffMime, type LoadedMedia, type MediaLibrary, type MediaUploads } from '../core/media.js';
import type { MediaStore } from '../core/media-store.js';
import type { ChannelName, InboundMedia, MediaType } from '../core/messages.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { media } from './schema.js';

export type MediaRow = typeof media.$inferSelect;
export type MediaFailure = 'too_large' | 'gone' | 'error';

/** A file name shown to a recipient: letters, digits, dot, dash, underscore and spaces only, at most 100 characters. */
export function safeFilename(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const cleaned = [...name.normalize('NFC')]
    .map((c) => (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? '_' : c))
    .join('')
    .replace(/[\\/:*?"<>|]+/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(-100);
  return cleaned || undefined;
}

/** A pending row for a file the person just sent; returns its id. Call it inside the turn's transaction. */
export function recordInboundMedia(tx: Db | Tx, input: { ownerId: number; channel: ChannelName; media: InboundMedia }, now: Date = new Date()): number {
  const m = input.media;
  const filename = safeFilename(m.filename);
  return tx
    .insert(media)
    .values({
      ownerId: input.ownerId,
      channel: input.channel,
      ref: m.ref,
      type: m.type,
      mimeType: m.mimeType ?? null,
      filename: filename ?? null,
      durationSeconds: m.durationSeconds ?? null,
      bytes: m.bytes ?? null,
      status: 'pending',
      createdAt: now,
    })
    .returning({ id: media.id })
    .get().id;
}

export function mediaById(db: Db | Tx, id: number): MediaRow | null {
  return db.select().from(media).where(eq(media.id, id)).get() ?? null;
}

/** Pending rows to fetch, oldest first; a row tried less than `retryAfterMs` ago waits. */
export function pendingMedia(db: Db, now: Date, limit = 20, retryAfterMs = 60_000): MediaRow[] {
  return db
    .select()
    .from(media)
    .where(and(eq(media.status, 'pending'), or(isNull(media.fetchedAt), lt(media.fetchedAt, new Date(now.getTime() - retryAfterMs)))))
    .orderBy(asc(media.id))
    .limit(limit)
    .all();
}

/** Claims a pending row for one fetch attempt (counts it; false: someone else has it, or it is gone). */
export function claimMediaFetch(db: Db, id: number, attempts: number, now: Date): boolean {
  return db.update(media).set({ attempts: attempts + 1, fetchedAt: now }).where(and(eq(media.id, id), eq(media.status, 'pending'), eq(media.attempts, attempts))).run().changes === 1;
}

/** The file is stored. False: the row is gone (erased meanwhile) or no longer pending; the caller removes the file. */
export function markMediaReady(db: Db, id: number, file: { path: string; bytes: number; sha256: string; mimeType: string | null; filename?: string | undefined }, now: Date): boolean {
  const set: Partial<typeof media.$inferInsert> = { status: 'ready', path: file.path, bytes: file.bytes, sha256: file.sha256, fetchedAt: now, failure: null };
  if (file.mimeType) set.mimeType = file.mimeType;
  const name = safeFilename(file.filename);
  if (name) set.filename = name;
  return db.update(media).set(set).where(and(eq(media.id, id), eq(media.status, 'pending'))).run().changes === 1;
}

export function markMediaFailed(db: Db, id: number, failure: MediaFailure, now: Date): void {
  db.update(media).set({ status: 'failed', failure, fetchedAt: now }).where(and(eq(media.id, id), eq(media.status, 'pending'))).run();
}

/** Remembers an upload to a messenger (merged with the others). */
export function saveMediaUpload(db: Db, id: number, upload: MediaUploads): void {
  const row = db.select({ uploads: media.uploads }).from(media).where(eq(media.id, id)).get();
  if (!row) return;
  db.update(media)
    .set({ uploads: { ...(row.uploads ?? {}), ...upload } })
    .where(eq(media.id, id))
    .run();
}

/** Forgets an upload the messenger no longer knows (an expired WhatsApp id, a refused file_id). */
export function dropMediaUpload(db: Db, id: number, channel: keyof MediaUploads): void {
  const row = db.select({ uploads: media.uploads }).from(media).where(eq(media.id, id)).get();
  if (!row?.uploads?.[channel]) return;
  const { [channel]: _dropped, ...rest } = row.uploads;
  db.update(media).set({ uploads: rest }).where(eq(media.id, id)).run();
}

/**
 * Removes the stored files of a person (erasure). Called inside erasePerson's transaction just
 * before the person's row is deleted (the rows cascade with it). A file that is already gone is
 * fine; a file that cannot be removed is left to the orphan sweep (mediaStore.sweep).
 */
export function removePersonMediaFiles(tx: Db | Tx, personId: number): number {
  let removed = 0;
  for (const row of tx.select({ path: media.path }).from(media).where(eq(media.ownerId, personId)).all()) {
    if (!row.path) continue;
    try {
      unlinkSync(row.path);
      removed++;
    } catch {
      // ENOENT: already gone; anything else: the sweep at the next start removes it.
    }
  }
  return removed;
}

/** Ids of every media row (the sweep keeps their files). */
export function mediaIds(db: Db): Set<number> {
  return new Set(
    db
      .select({ id: media.id })
      .from(media)
      .all()
      .map((r) => r.id),
  );
}

/** For /mydata: what files are stored for the person (type, date, state), never the content. */
export function mediaOfPerson(db: Db, personId: number): { id: number; type: MediaType; status: string; bytes: number | null; at: Date }[] {
  return db
    .select({ id: media.id, type: media.type, status: media.status, bytes: media.bytes, at: media.createdAt })
    .from(media)
    .where(eq(media.ownerId, personId))
    .orderBy(asc(media.id))
    .all();
}

/** The adapters' view of stored media (src/core/media.ts): a ready row with its file, and the upload cache. */
export function createMediaLibrary(db: Db, store: MediaStore): MediaLibrary {
  return {
    load(mediaId): LoadedMedia {
      const row = mediaById(db, mediaId);
      if (!row) return { status: 'gone', reason: `media ${mediaId} was erased` };
      if (row.status === 'pending') return { status: 'pending' };
      if (row.status === 'failed' || !row.path) return { status: 'gone', reason: `media ${mediaId} could not be fetched (${row.failure ?? 'error'})` };
      const path = row.path;
      if (!existsSync(path)) return { status: 'gone', reason: `media ${mediaId}: the stored file is missing` };
      const read = (): Buffer => store.read(path);
      const mimeType = row.mimeType ?? sniffMime(read().subarray(0, 16)) ?? 'application/octet-stream';
      return {
        status: 'ready',
        read,
        media: {
          id: row.id,
          type: row.type,
          mimeType,
          filename: row.filename ?? defaultFilename(row.id, row.type, mimeType),
          bytes: row.bytes ?? 0,
          durationSeconds: row.durationSeconds,
          uploads: row.uploads ?? {},
        },
      };
    },
    rememberUpload: (mediaId, upload) => saveMediaUpload(db, mediaId, upload),
    forgetUpload: (mediaId, channel) => dropMediaUpload(db, mediaId, channel),
  };
}
