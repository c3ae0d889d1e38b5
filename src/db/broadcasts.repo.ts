/**
 * The `broadcasts` and `broadcast_versions` tables (issue 11, item 2): drafts, versions per
 * language, status changes guarded by the expected old status (so a second process, a restart
 * or a double press never moves one broadcast twice), and the per-initiative approval flag.
 * No personal data: the author and approver only as person ids (SET NULL on erasure).
 */
import { and, asc, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { MediaType } from '../core/messages.js';
import type { AudienceFilter, BroadcastStatus, BroadcastSummary, BroadcastVersionView, BroadcastView } from '../domain/broadcast.types.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { broadcasts, broadcastSettings, broadcastVersions, initiatives } from './schema.js';
import { cached } from './statements.js';

type Conn = Db | Tx;

export interface NewBroadcast {
  initiativeId: number;
  /** Null: the CLI (or a nudge run). */
  authorId: number | null;
  audience: AudienceFilter;
  sendAt: Date | null;
  status?: BroadcastStatus;
  nudgeId?: number | null;
  draftKey?: string | null;
  needsApproval?: boolean;
  now?: Date;
}

export function createBroadcast(db: Conn, input: NewBroadcast): number {
  const row = db
    .insert(broadcasts)
    .values({
      initiativeId: input.initiativeId,
      authorId: input.authorId,
      audience: input.audience,
      sendAt: input.sendAt,
      status: input.status ?? 'draft',
      nudgeId: input.nudgeId ?? null,
      draftKey: input.draftKey ?? null,
      needsApproval: input.needsApproval ?? false,
      ...(input.now ? { createdAt: input.now } : {}),
    })
    .returning({ id: broadcasts.id })
    .get();
  return row.id;
}

export interface VersionInput {
  text: string | null;
  mediaId?: number | null;
  mediaType?: MediaType | null;
  /** A machine translation (default false). */
  machine?: boolean;
  /** Default: true for a person's version, false for a machine draft. */
  approved?: boolean;
  now?: Date;
}

/** Writes (or replaces) the version of one language. Media given as undefined keeps the version's file. */
export function setVersion(db: Conn, broadcastId: number, lang: string, v: VersionInput): void {
  const machine = v.machine ?? false;
  const approved = v.approved ?? !machine;
  const updatedAt = v.now ?? new Date();
  const media = v.mediaId === undefined ? {} : { mediaId: v.mediaId, mediaType: v.mediaId === null ? null : (v.mediaType ?? 'voice') };
  db.insert(broadcastVersions)
    .values({ broadcastId, lang, text: v.text, machine, approved, updatedAt, mediaId: v.mediaId ?? null, mediaType: v.mediaId ? (v.mediaType ?? 'voice') : null })
    .onConflictDoUpdate({ target: [broadcastVersions.broadcastId, broadcastVersions.lang], set: { text: v.text, machine, approved, updatedAt, ...media } })
    .run();
}

export function approveVersion(db: Conn, broadcastId: number, lang: string, now: Date): boolean {
  return db.update(broadcastVersions).set({ approved: true, updatedAt: now }).where(and(eq(broadcastVersions.broadcastId, broadcastId), eq(broadcastVersions.lang, lang))).run().changes === 1;
}

export function removeVersion(db: Conn, broadcastId: number, lang: string): boolean {
  return db.delete(broadcastVersions).where(and(eq(broadcastVersions.broadcastId, broadcastId), eq(broadcastVersions.lang, lang))).run().changes === 1;
}

/** Copies every version of one broadcast to another (a nudge's template to its run); replaces what the target had. */
export function copyVersions(db: Conn, fromId: number, toId: number): void {
  const rows = db.select().from(broadcastVersions).where(eq(broadcastVersions.broadcastId, fromId)).all();
  db.delete(broadcastVersions).where(eq(broadcastVersions.broadcastId, toId)).run();
  for (const r of rows) db.insert(broadcastVersions).values({ ...r, broadcastId: toId }).run();
}

type BroadcastRow = typeof broadcasts.$inferSelect;

function versionsOf(db: Conn, ids: number[]): Map<number, BroadcastVersionView[]> {
  const out = new Map<number, BroadcastVersionView[]>();
  if (!ids.length) return out;
  const rows = db.select().from(broadcastVersions).where(inArray(broadcastVersions.broadcastId, ids)).orderBy(asc(broadcastVersions.lang)).all();
  for (const r of rows) {
    const list = out.get(r.broadcastId) ?? [];
    list.push(versionView(r));
    out.set(r.broadcastId, list);
  }
  for (const list of out.values()) sortVersions(list);
  return out;
}

function versionView(r: { lang: string; text: string | null; mediaId: number | null; mediaType: string | null; machine: boolean; approved: boolean }): BroadcastVersionView {
  return {
    lang: r.lang,
    text: r.text,
    media: r.mediaId !== null ? { mediaId: r.mediaId, type: (r.mediaType ?? 'voice') as MediaType } : null,
    machine: r.machine,
    approved: r.approved,
  };
}

/** Dutch first (the required version), then by code. */
function sortVersions(list: BroadcastVersionView[]): void {
  list.sort((a, b) => (a.lang === 'nl' ? -1 : b.lang === 'nl' ? 1 : a.lang.localeCompare(b.lang)));
}

/**
 * A broadcast as the delivery worker renders one parent's copy: read for every message (a
 * cancellation or an approved translation counts from the next message on), with statements kept
 * per connection (src/db/statements.ts). Null: erased with its initiative.
 */
export function broadcastForSend(db: Db, id: number): { id: number; status: BroadcastStatus; initiativeId: number; initiativeName: string; versions: BroadcastVersionView[] } | null {
  const b = cached(db, 'select b.id, b.status, b.initiative_id, i.name from broadcasts b left join initiatives i on i.id = b.initiative_id where b.id = ?').get(id) as
    | { id: number; status: BroadcastStatus; initiative_id: number; name: string | null }
    | undefined;
  if (!b) return null;
  const rows = cached(db, 'select lang, text, media_id, media_type, machine, approved from broadcast_versions where broadcast_id = ? order by lang').all(id) as {
    lang: string;
    text: string | null;
    media_id: number | null;
    media_type: string | null;
    machine: number;
    approved: number;
  }[];
  const versions = rows.map((r) => versionView({ lang: r.lang, text: r.text, mediaId: r.media_id, mediaType: r.media_type, machine: r.machine === 1, approved: r.approved === 1 }));
  sortVersions(versions);
  return { id: b.id, status: b.status, initiativeId: b.initiative_id, initiativeName: b.name ?? '', versions };
}

function toView(r: BroadcastRow, versions: BroadcastVersionView[]): BroadcastView {
  return {
    id: r.id,
    initiativeId: r.initiativeId,
    authorId: r.authorId,
    status: r.status,
    audience: (r.audience ?? {}) as AudienceFilter,
    versions,
    sendAt: r.sendAt,
    needsApproval: r.needsApproval,
    createdAt: r.createdAt,
    nudgeId: r.nudgeId,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    summary: (r.summary as BroadcastSummary | null) ?? null,
  };
}

function viewsOf(db: Conn, rows: BroadcastRow[]): BroadcastView[] {
  const versions = versionsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toView(r, versions.get(r.id) ?? []));
}

export function getBroadcast(db: Conn, id: number): BroadcastView | null {
  const row = db.select().from(broadcasts).where(eq(broadcasts.id, id)).get();
  return row ? viewsOf(db, [row])[0]! : null;
}

export function getBroadcastRow(db: Conn, id: number): BroadcastRow | null {
  return db.select().from(broadcasts).where(eq(broadcasts.id, id)).get() ?? null;
}

export function draftByKey(db: Conn, authorId: number, draftKey: string): BroadcastView | null {
  const row = db
    .select()
    .from(broadcasts)
    .where(and(eq(broadcasts.authorId, authorId), eq(broadcasts.draftKey, draftKey)))
    .orderBy(desc(broadcasts.id))
    .get();
  return row ? viewsOf(db, [row])[0]! : null;
}

export function listBroadcasts(db: Conn, where: { initiativeId?: number; statuses?: BroadcastStatus[]; authorId?: number; limit?: number } = {}): BroadcastView[] {
  const rows = db
    .select()
    .from(broadcasts)
    .where(
      and(
        where.initiativeId === undefined ? undefined : eq(broadcasts.initiativeId, where.initiativeId),
        where.statuses ? inArray(broadcasts.status, where.statuses) : undefined,
        where.authorId === undefined ? undefined : eq(broadcasts.authorId, where.authorId),
      ),
    )
    .orderBy(asc(broadcasts.id))
    .limit(where.limit ?? 1000)
    .all();
  return viewsOf(db, rows);
}

export function setAudience(db: Conn, id: number, audience: AudienceFilter): void {
  db.update(broadcasts).set({ audience }).where(eq(broadcasts.id, id)).run();
}

export function setSendAt(db: Conn, id: number, sendAt: Date | null): void {
  db.update(broadcasts).set({ sendAt }).where(eq(broadcasts.id, id)).run();
}

/** Moves a broadcast from one of `from` to `to`; false when it was not in one of them (someone else moved it first). */
export function moveStatus(db: Conn, id: number, from: readonly BroadcastStatus[], to: BroadcastStatus, patch: Partial<typeof broadcasts.$inferInsert> = {}): boolean {
  return (
    db
      .update(broadcasts)
      .set({ ...patch, status: to })
      .where(and(eq(broadcasts.id, id), inArray(broadcasts.status, [...from])))
      .run().changes === 1
  );
}

export function setProgressRef(db: Conn, id: number, ref: { identityId: number | null; externalId: string | null; at: Date }): void {
  db.update(broadcasts).set({ progressIdentityId: ref.identityId, progressExternalId: ref.externalId, progressAt: ref.at }).where(eq(broadcasts.id, id)).run();
}

export function setSummary(db: Conn, id: number, summary: BroadcastSummary): void {
  db.update(broadcasts).set({ summary }).where(eq(broadcasts.id, id)).run();
}

/** Scheduled broadcasts whose moment has come (send_at null: at once), oldest first. */
export function dueBroadcasts(db: Conn, now: Date): number[] {
  return db
    .select({ id: broadcasts.id })
    .from(broadcasts)
    .where(and(eq(broadcasts.status, 'scheduled'), sql`coalesce(${broadcasts.sendAt}, 0) <= ${now.getTime()}`))
    .orderBy(asc(broadcasts.id))
    .all()
    .map((r) => r.id);
}

/** Whether ambassadors' broadcasts on the initiative need a coordinator's approval. */
export function requiresApproval(db: Conn, initiativeId: number): boolean {
  return db.select({ on: broadcastSettings.ambassadorApproval }).from(broadcastSettings).where(eq(broadcastSettings.initiativeId, initiativeId)).get()?.on ?? false;
}

export function setRequiresApproval(db: Conn, initiativeId: number, required: boolean, now: Date): void {
  db.insert(broadcastSettings)
    .values({ initiativeId, ambassadorApproval: required, updatedAt: now })
    .onConflictDoUpdate({ target: broadcastSettings.initiativeId, set: { ambassadorApproval: required, updatedAt: now } })
    .run();
}

/** For /mydata: the broadcasts a person wrote or approved (with the texts of the versions). Erasure sets both references to null. */
export function broadcastsOfPerson(db: Conn, personId: number): { id: number; initiative: string; role: 'author' | 'approver'; status: string; createdAt: string; texts: Record<string, string | null> }[] {
  const rows = db
    .select({ id: broadcasts.id, initiative: initiatives.name, authorId: broadcasts.authorId, status: broadcasts.status, createdAt: broadcasts.createdAt })
    .from(broadcasts)
    .innerJoin(initiatives, eq(initiatives.id, broadcasts.initiativeId))
    .where(or(eq(broadcasts.authorId, personId), eq(broadcasts.approvedBy, personId)))
    .orderBy(asc(broadcasts.id))
    .all();
  const versions = versionsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    initiative: r.initiative,
    role: r.authorId === personId ? 'author' : 'approver',
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    texts: Object.fromEntries((versions.get(r.id) ?? []).map((v) => [v.lang, v.text])),
  }));
}
