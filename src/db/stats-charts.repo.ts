/**
 * Charts made for a coordinator (/stats): each PNG is a `media` row of type 'photo' owned by the
 * coordinator (ON DELETE CASCADE: their erasure removes it, and erasePerson removes the file), with
 * `ref` 'chart:<kind>:<initiative>' instead of a messenger's reference, and is gone after a day
 * (`purgeExpiredCharts`, from the retention pass and before each new chart). The photo goes to the
 * coordinator as a reply: an outbox row on the chat they asked from, handed to that channel's
 * outbound scheduler like any reply of a turn.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { and, desc, eq, like, lt } from 'drizzle-orm';
import type { MediaStore } from '../core/media-store.js';
import type { ChannelName, OutboundMessage } from '../core/messages.js';
import { OUTBOX_LEASE_MS } from '../core/outbound/outbox-port.js';
import type { Db } from './client.js';
import { identities, media, outbox } from './schema.js';

/** A generated chart's `media.ref` starts with this (a messenger's reference never does). */
export const CHART_REF_PREFIX = 'chart:';
/** Charts are kept this long: long enough to be sent (again, after a restart), short enough to be nobody's archive. */
export const CHART_KEEP_MS = 24 * 3600_000;

/** Stores one chart: the row, then the file under the row's id; returns the media id. */
export function storeChart(db: Db, store: MediaStore, input: { ownerId: number; channel: ChannelName; kind: string; initiativeId: number; png: Buffer; now: Date }): number {
  return db.transaction((tx) => {
    const id = tx
      .insert(media)
      .values({
        ownerId: input.ownerId,
        channel: input.channel,
        ref: `${CHART_REF_PREFIX}${input.kind}:${input.initiativeId}`,
        type: 'photo',
        mimeType: 'image/png',
        filename: `chart-${input.kind}.png`,
        status: 'ready',
        fetchedAt: input.now,
        createdAt: input.now,
      })
      .returning({ id: media.id })
      .get().id;
    // A write that fails rolls the row back; a half-written temporary file is swept at the next start.
    const file = store.write(id, input.png);
    tx.update(media).set({ path: file.path, bytes: file.bytes, sha256: file.sha256 }).where(eq(media.id, id)).run();
    return id;
  });
}

/** The person's chat on this messenger (the newest, if they have two): where the charts go. */
export function chatOf(db: Db, personId: number, channel: ChannelName): { identityId: number; chatId: string } | null {
  const row = db
    .select({ identityId: identities.id, chatId: identities.chatId })
    .from(identities)
    .where(and(eq(identities.personId, personId), eq(identities.channel, channel)))
    .orderBy(desc(identities.id))
    .get();
  return row ?? null;
}

/** A reply after the turn (the charts): an outbox row leased by this process; returns its id. */
export function queueReply(db: Db, input: { personId: number; identityId: number; channel: ChannelName; chatId: string; message: OutboundMessage; owner: string; now: Date }): number {
  return db
    .insert(outbox)
    .values({
      personId: input.personId,
      identityId: input.identityId,
      channel: input.channel,
      chatId: input.chatId,
      message: input.message,
      createdAt: input.now,
      owner: input.owner,
      leaseUntil: new Date(input.now.getTime() + OUTBOX_LEASE_MS),
    })
    .returning({ id: outbox.id })
    .get().id;
}

/** Removes charts older than CHART_KEEP_MS, rows and files; returns how many. */
export function purgeExpiredCharts(db: Db, now: Date): number {
  const old = db
    .select({ id: media.id, path: media.path })
    .from(media)
    .where(and(like(media.ref, `${CHART_REF_PREFIX}%`), lt(media.createdAt, new Date(now.getTime() - CHART_KEEP_MS))))
    .all();
  for (const row of old) {
    try {
      if (row.path && existsSync(row.path)) unlinkSync(row.path);
    } catch {
      // Left to the orphan sweep at the next start (mediaStore.sweep): the row goes anyway.
    }
    db.delete(media).where(eq(media.id, row.id)).run();
  }
  return old.length;
}
