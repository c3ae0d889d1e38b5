/**
 * The outreach ladder's SQL (src/domain/outreach-ladder.ts): each parent's ladder rows (the
 * planner's memory of which step went out when: one query over the partial index
 * `deliveries_ladder`), the initiatives' settings and step-2 voice notes, and the counts the
 * coordinators' `outreach status` shows (never a list of people). Ids and dates only.
 */
import { and, eq } from 'drizzle-orm';
import { type LadderRow, type LadderSettings, LADDER_RULE_IDS } from '../domain/outreach-ladder.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { media, outreachSettings, outreachVoices } from './schema.js';

type Conn = Db | Tx;

/**
 * The ladder rows of everyone (or one person), grouped by person. The WHERE repeats the partial
 * index's own term, so SQLite reads only the index's rows (a few per silent parent).
 */
export function ladderHistory(db: Db, who?: number | { sql: (column: string) => string; args: unknown[] }): Map<number, LadderRow[]> {
  const base = "select person_id, rule_id, key, status, due_at, send_at, sent_at, expires_at from deliveries indexed by deliveries_ladder where rule_id like 'ladder%'";
  // One person, or a set or range of people (the incremental planner: src/db/planning.repo.ts personFilter).
  const filter = typeof who === 'number' ? { sql: (c: string) => `${c} = ?`, args: [who] } : who;
  const stmt = db.$client.prepare(filter === undefined ? base : `${base} and ${filter.sql('person_id')}`).raw();
  const rows = (filter === undefined ? stmt.all() : stmt.all(...filter.args)) as [number, string, string, string, number, number, number | null, number | null][];
  const out = new Map<number, LadderRow[]>();
  for (const [pid, ruleId, key, status, due, send, sent, expires] of rows) {
    const row: LadderRow = { ruleId, occurrence: key.split('|')[3] ?? '', status, at: new Date(sent ?? send), dueAt: new Date(due), expiresAt: expires === null ? null : new Date(expires) };
    const list = out.get(pid);
    if (list) list.push(row);
    else out.set(pid, [row]);
  }
  return out;
}

/** Each initiative's own settings (an initiative without a row: on, with the default cool-down). */
export function outreachSettingsMap(db: Conn): Map<number, LadderSettings> {
  const rows = db.select().from(outreachSettings).all();
  return new Map(rows.map((r) => [r.initiativeId, { enabled: r.enabled, cooldownDays: r.cooldownDays }]));
}

export function outreachSettingsOf(db: Conn, initiativeId: number, defaultCooldownDays: number): LadderSettings & { own: boolean } {
  const r = db.select().from(outreachSettings).where(eq(outreachSettings.initiativeId, initiativeId)).get();
  return r ? { enabled: r.enabled, cooldownDays: r.cooldownDays, own: true } : { enabled: true, cooldownDays: defaultCooldownDays, own: false };
}

/** Changes what is given; the first change writes the row with the default for what is not. */
export function saveOutreachSettings(db: Conn, initiativeId: number, change: { enabled?: boolean; cooldownDays?: number }, defaultCooldownDays: number, now: Date): LadderSettings {
  const was = outreachSettingsOf(db, initiativeId, defaultCooldownDays);
  const next = { enabled: change.enabled ?? was.enabled, cooldownDays: change.cooldownDays ?? was.cooldownDays };
  // An UPDATE, else an INSERT (not an upsert: SQLite lets an upsert's conflict handling override the
  // "insert or ignore" of the planner's mark triggers on this table, src/db/plan-marks.repo.ts).
  if (was.own) db.update(outreachSettings).set({ ...next, updatedAt: now }).where(eq(outreachSettings.initiativeId, initiativeId)).run();
  else db.insert(outreachSettings).values({ initiativeId, ...next, updatedAt: now }).run();
  return next;
}

/** The languages in which each initiative has a step-2 voice note that is ready to send. */
export function outreachVoiceLanguages(db: Conn): Map<number, Set<string>> {
  const rows = db
    .select({ initiativeId: outreachVoices.initiativeId, lang: outreachVoices.lang })
    .from(outreachVoices)
    .innerJoin(media, and(eq(media.id, outreachVoices.mediaId), eq(media.status, 'ready')))
    .all();
  const out = new Map<number, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.initiativeId) ?? new Set<string>();
    set.add(r.lang);
    out.set(r.initiativeId, set);
  }
  return out;
}

/** The step-2 voice note of an initiative in a language (read at send time); null: none, the text goes alone. */
export function outreachVoiceOf(db: Conn, initiativeId: number, lang: string): { mediaId: number } | null {
  const r = db
    .select({ mediaId: outreachVoices.mediaId })
    .from(outreachVoices)
    .innerJoin(media, and(eq(media.id, outreachVoices.mediaId), eq(media.status, 'ready')))
    .where(and(eq(outreachVoices.initiativeId, initiativeId), eq(outreachVoices.lang, lang)))
    .get();
  return r ?? null;
}

export function saveOutreachVoice(db: Conn, initiativeId: number, lang: string, mediaId: number, now: Date): void {
  // Not an upsert (see saveOutreachSettings).
  const changed = db
    .update(outreachVoices)
    .set({ mediaId, updatedAt: now })
    .where(and(eq(outreachVoices.initiativeId, initiativeId), eq(outreachVoices.lang, lang)))
    .run().changes;
  if (!changed) db.insert(outreachVoices).values({ initiativeId, lang, mediaId, updatedAt: now }).run();
}

export function removeOutreachVoice(db: Conn, initiativeId: number, lang: string): boolean {
  return db.delete(outreachVoices).where(and(eq(outreachVoices.initiativeId, initiativeId), eq(outreachVoices.lang, lang))).run().changes > 0;
}

export function outreachVoicesOf(db: Conn, initiativeId: number): { lang: string; mediaId: number; ready: boolean }[] {
  return db
    .select({ lang: outreachVoices.lang, mediaId: outreachVoices.mediaId, status: media.status })
    .from(outreachVoices)
    .innerJoin(media, eq(media.id, outreachVoices.mediaId))
    .where(eq(outreachVoices.initiativeId, initiativeId))
    .orderBy(outreachVoices.lang)
    .all()
    .map((r) => ({ lang: r.lang, mediaId: r.mediaId, ready: r.status === 'ready' }));
}

export interface OutreachStatus {
  /** Per step: delivery rows by status ('held' counts as sent: the WhatsApp stand-in went out). */
  steps: { step: number; byStatus: Record<string, number> }[];
  /** The call-back tasks the ladder made: open, claimed, and closed by outcome. */
  tasks: Record<string, number>;
}

/** Counts for one initiative (its parents' ladder rows and the tasks of its relay), never a list of people. */
export function outreachStatus(db: Db, initiativeId: number): OutreachStatus {
  const rows = db.$client
    .prepare(
      `select d.rule_id, case when d.status = 'held' then 'sent' else d.status end as s, count(*) from deliveries d indexed by deliveries_ladder
       where d.rule_id like 'ladder%' and json_extract(d.payload, '$.initiativeId') = ? group by d.rule_id, s`,
    )
    .raw()
    .all(initiativeId) as [string, string, number][];
  const steps = LADDER_RULE_IDS.map((ruleId, i) => ({
    step: i + 1,
    byStatus: Object.fromEntries(rows.filter((r) => r[0] === ruleId).map((r) => [r[1], r[2]])) as Record<string, number>,
  }));
  const tasks = db.$client
    .prepare(
      `select case when status = 'closed' then coalesce(outcome, 'closed') else status end as s, count(*) from relay_threads
       where initiative_id = ? and source = 'ladder' and kind = 'callback' group by s`,
    )
    .raw()
    .all(initiativeId) as [string, number][];
  return { steps, tasks: Object.fromEntries(tasks) };
}
