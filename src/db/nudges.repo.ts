/**
 * The `nudges` and `nudge_runs` tables (issue 11, item 4). A nudge's message lives in its template
 * broadcast (status 'draft', `nudge_id` set); each run of a once or recurring nudge is a new
 * broadcast with the template's versions, fanned out by the broadcast machinery. A relative nudge
 * keeps its reminder rule in `rule`, which the planner loads per initiative (`activeNudgeRules`).
 * Every change is audited (ids only).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { broadcastRuleId, type AudienceFilter, type BroadcastSummary } from '../domain/broadcast.types.js';
import { dayString, nextOccurrence, type Occurrence } from '../domain/nudge-schedule.js';
import { nudgeRule, type NudgeRuleRef } from '../domain/nudge-rules.js';
import { kindOfMoment, nudgeRuleId, type NudgeMoment, type NudgeRunCounts, type NudgeRunView, type NudgeStatus, type NudgeVersionInput, type NudgeView } from '../domain/nudge.types.js';
import type { ReminderRule } from '../domain/reminder-rules.js';
import { localDayOf } from '../domain/local-time.js';
import { writeAudit } from './audit.repo.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { copyVersions, createBroadcast, setVersion } from './broadcasts.repo.js';
import { broadcasts, broadcastVersions, deliveries, initiatives, nudgeRuns, nudges } from './schema.js';

type Conn = Db | Tx;

/** An initiative's own rules for the planner, with the nudge each rule id belongs to. */
export interface InitiativeNudgeRules {
  rules: ReminderRule[];
  refs: Map<string, NudgeRuleRef>;
}

export interface NewNudge {
  initiativeId: number;
  createdBy: number | null;
  audience: AudienceFilter;
  moment: NudgeMoment;
  versions: NudgeVersionInput[];
}

type NudgeRow = typeof nudges.$inferSelect;

const view = (r: NudgeRow): NudgeView => ({
  id: r.id,
  initiativeId: r.initiativeId,
  createdBy: r.createdBy,
  kind: r.kind,
  status: r.status,
  audience: r.audience as AudienceFilter,
  moment: r.moment as NudgeMoment,
  templateBroadcastId: r.templateBroadcastId,
  nextAt: r.nextAt,
  createdAt: r.createdAt,
});

export function zoneOfInitiative(db: Conn, initiativeId: number, fallback: string): string {
  return db.select({ zone: initiatives.timeZone }).from(initiatives).where(eq(initiatives.id, initiativeId)).get()?.zone ?? fallback;
}

/** Creates the nudge, its template broadcast with the versions and (relative) its rule; returns its id. */
export function createNudge(tx: Tx, n: NewNudge, actor: string, now: Date, zone: string): number {
  const kind = kindOfMoment(n.moment);
  const nextAt = kind === 'relative' ? null : (nextOccurrence(n.moment, now, zone)?.at ?? null);
  const id = tx
    .insert(nudges)
    .values({ initiativeId: n.initiativeId, createdBy: n.createdBy, kind, audience: n.audience, moment: n.moment, status: 'active', nextAt, createdAt: now })
    .returning({ id: nudges.id })
    .get().id;
  const template = createBroadcast(tx, { initiativeId: n.initiativeId, authorId: n.createdBy, audience: n.audience, sendAt: null, status: 'draft', nudgeId: id });
  for (const v of n.versions) setVersion(tx, template, v.lang, { text: v.text.trim() || null, ...(v.mediaId !== undefined ? { mediaId: v.mediaId, mediaType: 'voice' as const } : {}) });
  tx.update(nudges)
    .set({ templateBroadcastId: template, rule: nudgeRule(id, n.moment, n.audience) })
    .where(eq(nudges.id, id))
    .run();
  writeAudit(tx, { actor, action: 'nudge.create', subjectType: 'nudge', subjectId: id, detail: { initiativeId: n.initiativeId, kind, moment: n.moment.type } }, now);
  return id;
}

export function getNudge(db: Conn, id: number): NudgeView | null {
  const r = db.select().from(nudges).where(eq(nudges.id, id)).get();
  return r ? view(r) : null;
}

/** The initiative's nudges, newest first; by default only those still active or paused. */
export function listNudges(db: Conn, initiativeId: number, opts: { all?: boolean } = {}): NudgeView[] {
  return db
    .select()
    .from(nudges)
    .where(and(eq(nudges.initiativeId, initiativeId), opts.all ? undefined : inArray(nudges.status, ['active', 'paused'])))
    .orderBy(desc(nudges.id))
    .all()
    .map(view);
}

/** The versions of a nudge's message, Dutch first. */
export function nudgeVersions(db: Conn, nudgeId: number): NudgeVersionInput[] {
  const n = getNudge(db, nudgeId);
  if (!n?.templateBroadcastId) return [];
  return db
    .select({ lang: broadcastVersions.lang, text: broadcastVersions.text, mediaId: broadcastVersions.mediaId })
    .from(broadcastVersions)
    .where(eq(broadcastVersions.broadcastId, n.templateBroadcastId))
    .all()
    .flatMap((v) => (v.text || v.mediaId ? [{ lang: v.lang, text: v.text ?? '', ...(v.mediaId ? { mediaId: v.mediaId } : {}) }] : []))
    .sort((a, b) => Number(b.lang === 'nl') - Number(a.lang === 'nl') || a.lang.localeCompare(b.lang));
}

/** Active relative nudges as each initiative's own rules (one small query; the planner runs it every minute). */
export function activeNudgeRules(db: Db): Map<number, InitiativeNudgeRules> {
  const rows = db.$client
    .prepare("select id, initiative_id, rule, template_broadcast_id from nudges where kind = 'relative' and status = 'active' and rule is not null and template_broadcast_id is not null")
    .all() as { id: number; initiative_id: number; rule: string; template_broadcast_id: number }[];
  const out = new Map<number, InitiativeNudgeRules>();
  for (const r of rows) {
    const rule = JSON.parse(r.rule) as ReminderRule;
    let entry = out.get(r.initiative_id);
    if (!entry) out.set(r.initiative_id, (entry = { rules: [], refs: new Map() }));
    entry.rules.push(rule);
    entry.refs.set(rule.id, { nudgeId: r.id, broadcastId: r.template_broadcast_id });
  }
  return out;
}

const STATUS_CHANGE: Record<'pause' | 'resume' | 'cancel', { from: NudgeStatus[]; to: NudgeStatus }> = {
  pause: { from: ['active'], to: 'paused' },
  resume: { from: ['paused'], to: 'active' },
  cancel: { from: ['active', 'paused'], to: 'cancelled' },
};

/**
 * Pause, resume or cancel. Pausing or cancelling stops future rows: the rule leaves the planner,
 * runs not yet fanned out are cancelled and rows planned or queued for it are skipped (a job
 * already in Redis finds its row skipped and does nothing). Resuming plans from now on: moments
 * that passed while paused are not sent afterwards. Returns false when the status did not allow it.
 */
export function changeNudgeStatus(tx: Tx, id: number, op: 'pause' | 'resume' | 'cancel', actor: string, now: Date, zone: string): boolean {
  const n = getNudge(tx, id);
  const change = STATUS_CHANGE[op];
  if (!n || !change.from.includes(n.status)) return false;
  const nextAt = op === 'resume' && n.kind !== 'relative' ? (nextOccurrence(n.moment, now, zone)?.at ?? null) : n.nextAt;
  const done = op === 'resume' && n.kind === 'once' && nextAt === null;
  tx.update(nudges)
    .set({ status: done ? 'done' : change.to, nextAt: op === 'cancel' ? null : nextAt })
    .where(and(eq(nudges.id, id), eq(nudges.status, n.status)))
    .run();
  if (op !== 'resume') stopPending(tx, n, op === 'pause' ? 'nudge paused' : 'nudge cancelled');
  writeAudit(tx, { actor, action: `nudge.${op}`, subjectType: 'nudge', subjectId: id, detail: { initiativeId: n.initiativeId } }, now);
  return true;
}

function stopPending(tx: Tx, n: NudgeView, reason: string): void {
  tx.update(deliveries)
    .set({ status: 'skipped', lastError: reason })
    .where(and(eq(deliveries.ruleId, nudgeRuleId(n.id)), inArray(deliveries.status, ['planned', 'queued'])))
    .run();
  tx.update(broadcasts)
    .set({ status: 'cancelled' })
    .where(and(eq(broadcasts.nudgeId, n.id), eq(broadcasts.status, 'scheduled'), sql`${broadcasts.id} != coalesce(${n.templateBroadcastId}, -1)`))
    .run();
}

/**
 * One run: a row in nudge_runs (unique per nudge and key, so an occurrence fires once, also across
 * restarts and with two processes) and a new broadcast with the template's audience and versions,
 * scheduled for the occurrence. Returns the broadcast id, or null when this key already ran.
 * `authorId`: who gets the run's progress and summary in the chat (the coordinator who pressed
 * "send now"); scheduled runs have none, their counts are in the nudge's runs.
 */
export function createRun(tx: Tx, n: NudgeView, o: Occurrence, trigger: 'schedule' | 'manual', authorId: number | null = null): number | null {
  const run = tx.insert(nudgeRuns).values({ nudgeId: n.id, runKey: o.key, trigger, at: o.at }).onConflictDoNothing().returning({ id: nudgeRuns.id }).get();
  if (!run || n.templateBroadcastId === null) return null;
  const id = createBroadcast(tx, { initiativeId: n.initiativeId, authorId, audience: n.audience, sendAt: o.at, status: 'scheduled', nudgeId: n.id });
  copyVersions(tx, n.templateBroadcastId, id);
  tx.update(nudgeRuns).set({ broadcastId: id }).where(eq(nudgeRuns.id, run.id)).run();
  return id;
}

/** An occurrence the bot could not send in time (it was down): listed as missed, never sent late. */
export function recordMissed(tx: Tx, nudgeId: number, o: Occurrence): void {
  tx.insert(nudgeRuns).values({ nudgeId, runKey: o.key, trigger: 'schedule', at: o.at }).onConflictDoNothing().run();
}

/** "Trigger now": one run for the current audience, audited. Returns the run's broadcast id (null: no message). */
export function triggerNudge(tx: Tx, id: number, actor: string, now: Date, authorId: number | null = null): number | null {
  const n = getNudge(tx, id);
  if (!n || n.status === 'cancelled') return null;
  const broadcastId = createRun(tx, n, { key: `now:${now.getTime()}`, at: now }, 'manual', authorId);
  writeAudit(tx, { actor, action: 'nudge.trigger', subjectType: 'nudge', subjectId: id, detail: { initiativeId: n.initiativeId, broadcastId } }, now);
  return broadcastId;
}

/** Active once and recurring nudges whose next occurrence has come. */
export function dueNudges(db: Conn, now: Date): NudgeView[] {
  return db
    .select()
    .from(nudges)
    .where(and(eq(nudges.status, 'active'), inArray(nudges.kind, ['once', 'recurring']), sql`${nudges.nextAt} <= ${now.getTime()}`))
    .all()
    .map(view);
}

/** Moves a nudge past an occurrence: its next one, or done (a once nudge). */
export function advanceNudge(tx: Tx, id: number, expected: Date, next: Date | null): boolean {
  const changed = tx
    .update(nudges)
    .set(next ? { nextAt: next } : { nextAt: null, status: 'done' })
    .where(and(eq(nudges.id, id), eq(nudges.status, 'active'), eq(nudges.nextAt, expected)))
    .run();
  return changed.changes > 0;
}

/** Runs' broadcasts that are scheduled and due (the runner fans them out; also after a restart). */
export function dueRunBroadcasts(db: Conn, now: Date): number[] {
  return db
    .select({ id: broadcasts.id })
    .from(broadcasts)
    .innerJoin(nudgeRuns, eq(nudgeRuns.broadcastId, broadcasts.id))
    .where(and(eq(broadcasts.status, 'scheduled'), sql`${broadcasts.sendAt} <= ${now.getTime()}`))
    .all()
    .map((r) => r.id);
}

const empty = (): NudgeRunCounts => ({ delivered: 0, failed: 0, skipped: 0, waiting: 0 });

function addStatus(c: NudgeRunCounts, status: string, n: number): void {
  if (status === 'sent') c.delivered += n;
  else if (status === 'failed' || status === 'unreachable') c.failed += n;
  else if (status === 'skipped' || status === 'expired') c.skipped += n;
  else c.waiting += n;
}

const sum = (r: Record<string, number> | undefined): number => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

/** Counts per status of the rows whose key starts with `prefix|` (the unique key index: no scan). */
function rowCounts(db: Db, prefix: string): { status: string; n: number; h: number }[] {
  return db.$client
    .prepare("select status, count(*) as n, coalesce(sent_at, send_at) / 3600000 as h from deliveries where key >= ? and key < ? and coalesce(last_error, '') not like 'merged into%' group by status, h")
    .all(`${prefix}|`, `${prefix}}`) as { status: string; n: number; h: number }[];
}

/**
 * What each run sent, newest first. Once and recurring: per run, from its broadcast's summary
 * once it is finished, else from its rows (plus those skipped at the start). Relative: the rule's
 * rows per local day of sending.
 */
export function listRuns(db: Db, n: NudgeView, zone: string, limit = 20): NudgeRunView[] {
  if (n.kind === 'relative') return relativeRuns(db, n, zone, limit);
  const runs = db
    .select({ key: nudgeRuns.runKey, at: nudgeRuns.at, trigger: nudgeRuns.trigger, broadcastId: nudgeRuns.broadcastId, summary: broadcasts.summary, finishedAt: broadcasts.finishedAt })
    .from(nudgeRuns)
    .leftJoin(broadcasts, eq(broadcasts.id, nudgeRuns.broadcastId))
    .where(eq(nudgeRuns.nudgeId, n.id))
    .orderBy(desc(nudgeRuns.at), desc(nudgeRuns.id))
    .limit(limit)
    .all();
  return runs.map((r) => {
    const c = empty();
    const s = r.summary as BroadcastSummary | null;
    if (s && r.finishedAt) Object.assign(c, { delivered: s.delivered, failed: sum(s.failed), skipped: sum(s.skipped), waiting: s.waitingForReply });
    else if (r.broadcastId !== null) {
      for (const row of rowCounts(db, broadcastRuleId(r.broadcastId))) addStatus(c, row.status, row.n);
      c.skipped += sum(s?.atStart);
    }
    return { key: r.key, at: r.at, trigger: r.trigger, broadcastId: r.broadcastId, counts: c };
  });
}

function relativeRuns(db: Db, n: NudgeView, zone: string, limit: number): NudgeRunView[] {
  // Per hour in SQL (few rows), then per local day here (in the initiative's zone).
  const days = new Map<string, NudgeRunView>();
  for (const r of rowCounts(db, nudgeRuleId(n.id))) {
    const at = new Date(Math.floor(r.h) * 3600_000);
    const key = dayString(localDayOf(at, zone));
    let run = days.get(key);
    if (!run) days.set(key, (run = { key, at, trigger: 'rule', broadcastId: n.templateBroadcastId, counts: empty() }));
    if (at < run.at) run.at = at;
    addStatus(run.counts, r.status, r.n);
  }
  return [...days.values()].sort((a, b) => b.key.localeCompare(a.key)).slice(0, limit);
}
