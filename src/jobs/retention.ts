/**
 * The retention job (ADR 0006), run by the planner once an hour:
 *   1. a parent whose data is no longer needed (src/domain/retention.ts) gets one notice 30 days
 *      ahead, in their language, with a "keep in touch" button (a notice row: quiet hours apply);
 *   2. then everything about them is erased exactly as /delete does (`erasePerson`), audited with
 *      ids only, and the WAL is checkpointed so no trace stays in the files;
 *   3. delivery rows and outbox texts are kept only as long as /mydata needs them: 90 days after
 *      they were sent or ended (and never while their reminder's window is still open).
 */
import { dateFormat } from '../core/intl-cache.js';
import type { Logger } from '../core/ports.js';
import { LADDER_KEEP_ROWS_DAYS, RETENTION_KEEP_ROWS_DAYS } from '../domain/retention-rows.js';
import { ACTIVITY_KEEP_DAYS } from '../db/participation.repo.js';
import { dayNumber } from '../domain/participation.js';
import { retentionDue, retentionStep, type RetentionChild } from '../domain/retention.js';
import { readAppKey, storeAppKey } from '../db/app-keys.repo.js';
import type { Db } from '../db/client.js';
import { checkpoint } from '../db/client.js';
import { insertNotice } from '../db/deliveries.repo.js';
import { erasePerson, KEEP_IN_TOUCH } from '../db/effects.apply.js';
import { purgeExpiredCharts } from '../db/stats-charts.repo.js';

const DAY_MS = 86_400_000;

export interface RetentionReport {
  noticed: number;
  erased: number;
  purgedDeliveries: number;
  purgedOutbox: number;
}

type RetentionDeps = { db: Db; logger: Logger; defaultTimeZone: string; writeGate?: <T>(write: () => T) => T };

/** Deletes the rows a read selects, by id, in slices of this many (each a short write transaction). */
const PURGE_SLICE = 500;

function purgeByIds(deps: RetentionDeps, table: 'deliveries' | 'outbox' | 'activity_days', select: string, args: unknown[], idColumn = 'id'): number {
  const ids = deps.db.$client.prepare(select).pluck().all(...args) as number[];
  const del = deps.db.$client.prepare(`delete from ${table} where ${idColumn} in (select value from json_each(?))`);
  let purged = 0;
  for (let i = 0; i < ids.length; i += PURGE_SLICE) {
    const slice = JSON.stringify(ids.slice(i, i + PURGE_SLICE));
    purged += deps.writeGate ? deps.writeGate(() => del.run(slice).changes) : del.run(slice).changes;
  }
  return purged;
}

/** Parents looked at per run: at least this many, and enough to see everyone within RUNS_PER_ROUND runs. */
export const RETENTION_MIN_SLICE = 10_000;
/**
 * The pass runs hourly and looks at a slice of the parents each time, so its cost stays bounded
 * at a million parents (~12 µs a parent: 12 s for everyone, on the planner thread, every hour,
 * would hold up the minutely ticks; a slice is about 1 s). Everyone is looked at within 12 runs:
 * an erasure due at 10:00 (the 1st of a month) happens by 22:00 the same day, the date the notice
 * named; a notice due 30 days ahead goes out the same day too.
 */
export const RETENTION_RUNS_PER_ROUND = 12;
const CURSOR_KEY = 'retention.cursor';

interface RetentionPerson {
  id: number;
  proactive: number;
  kept_at: number | null;
  zone: string | null;
  chats: number;
}

/** This run's parents: the next slice after the stored cursor, wrapping to the start; and the new cursor. */
function nextSlice(deps: RetentionDeps, minSlice: number): { people: RetentionPerson[]; cursor: number } {
  const sqlite = deps.db.$client;
  const total = sqlite.prepare('select count(*) from people').pluck().get() as number;
  const size = Math.max(minSlice, Math.ceil(total / RETENTION_RUNS_PER_ROUND));
  const cursor = Number(readAppKey(deps.db, CURSOR_KEY) ?? 0) || 0;
  const select = (range: string) =>
    sqlite.prepare(
      `select p.id, p.proactive,
              (select max(at) from consent_log k where k.person_id = p.id and k.kind = 'data' and k.given = 1 and k.version = ?) as kept_at,
              (select i.time_zone from memberships m join initiatives i on i.id = m.initiative_id where m.person_id = p.id order by m.id limit 1) as zone,
              (select count(*) from identities d where d.person_id = p.id and d.unreachable_at is null) as chats
         from people p where ${range} order by p.id limit ?`,
    );
  const people = select('p.id > ?').all(KEEP_IN_TOUCH, cursor, size) as RetentionPerson[];
  if (people.length < size) for (const p of select('p.id <= ?').all(KEEP_IN_TOUCH, cursor, size - people.length) as RetentionPerson[]) people.push(p);
  return { people, cursor: people.length ? people[people.length - 1]!.id : 0 };
}

/** `minSlice`: tests use a small one to see the slices turn round; the planner uses the default. */
export function retentionPass(deps: RetentionDeps, now: Date, opts: { minSlice?: number } = {}): RetentionReport {
  const sqlite = deps.db.$client;
  const gated = <T>(write: () => T): T => (deps.writeGate ? deps.writeGate(write) : write());
  const report: RetentionReport = { noticed: 0, erased: 0, purgedDeliveries: 0, purgedOutbox: 0 };
  const { people, cursor } = nextSlice(deps, opts.minSlice ?? RETENTION_MIN_SLICE);
  const kids = new Map<number, RetentionChild[]>();
  const childRows = sqlite
    .prepare('select person_id, birth_year, birth_month, expected from children where person_id in (select value from json_each(?))')
    .all(JSON.stringify(people.map((p) => p.id))) as { person_id: number; birth_year: number; birth_month: number; expected: number }[];
  for (const c of childRows) {
    const list = kids.get(c.person_id) ?? [];
    list.push({ year: c.birth_year, month: c.birth_month, expected: c.expected === 1 });
    kids.set(c.person_id, list);
  }
  const noticeOf = sqlite.prepare('select status, sent_at from deliveries where key = ?');
  for (const p of people) {
    const zone = p.zone ?? deps.defaultTimeZone;
    const due = retentionDue(kids.get(p.id) ?? [], p.kept_at === null ? null : new Date(p.kept_at), zone);
    if (!due) continue;
    // One formatter per zone, kept (src/core/intl-cache.ts): one per parent cost 1.3 GB at 50k.
    const day = dateFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(due.at);
    const key = `retention|p${p.id}|c-|${day}`;
    const row = noticeOf.get(key) as { status: string; sent_at: number | null } | undefined;
    const step = retentionStep(due, now, row ? { status: row.status, sentAt: row.sent_at === null ? null : new Date(row.sent_at) } : null, p.proactive === 1 && p.chats > 0);
    if (step.do === 'notice') {
      const children = kids.get(p.id) ?? [];
      const expected = due.reason === 'unconfirmed' ? children.filter((c) => c.expected).sort((a, b) => b.year * 12 + b.month - (a.year * 12 + a.month))[0] : undefined;
      const payload = {
        key: expected ? 'nurture:retention.noticeExpected' : 'nurture:retention.notice',
        params: { date: { date: day }, ...(expected ? { birth: { yearMonth: { year: expected.year, month: expected.month } } } : {}) },
        buttons: 'retention' as const,
      };
      if (gated(() => deps.db.transaction((tx) => insertNotice(tx, { personId: p.id, ruleId: 'retention', occurrence: day, payload, now })))) report.noticed++;
    } else if (step.do === 'erase') {
      gated(() => deps.db.transaction((tx) => erasePerson(tx, p.id, now, 'retention')));
      report.erased++;
    }
  }
  gated(() => storeAppKey(deps.db, CURSOR_KEY, String(cursor)));
  const cutoff = now.getTime() - RETENTION_KEEP_ROWS_DAYS * DAY_MS;
  // Old rows are found by a read (no lock) and deleted by id in slices, each its own short write
  // (through the planner's write gate when there is one): a single DELETE over a large table holds
  // SQLite's write lock for its whole scan, and replies on the other thread would wait for it.
  report.purgedDeliveries = purgeByIds(
    deps,
    'deliveries',
    "select id from deliveries where status not in ('planned', 'queued', 'sending') and coalesce(sent_at, send_at) < ? and (expires_at is null or expires_at < ?) and rule_id not like 'ladder%'",
    [cutoff, cutoff],
  );
  // The outreach ladder's rows (no text: a key and the step) are its memory for the cool-down: kept longer.
  const ladderCutoff = now.getTime() - LADDER_KEEP_ROWS_DAYS * DAY_MS;
  report.purgedDeliveries += purgeByIds(
    deps,
    'deliveries',
    "select id from deliveries indexed by deliveries_ladder where rule_id like 'ladder%' and status not in ('planned', 'queued', 'sending') and coalesce(sent_at, send_at) < ?",
    [ladderCutoff],
  );
  // Participation over time looks back 12 months; older activity days go.
  purgeByIds(deps, 'activity_days', 'select rowid from activity_days where day < ?', [dayNumber(now) - ACTIVITY_KEEP_DAYS], 'rowid');
  report.purgedOutbox = purgeByIds(deps, 'outbox', "select id from outbox where status != 'pending' and coalesce(sent_at, created_at) < ?", [cutoff]);
  // Charts made for /stats live a day (src/db/stats-charts.repo.ts).
  const charts = purgeExpiredCharts(deps.db, now);
  if (charts) deps.logger.info({ charts }, 'expired stats charts removed');
  if (report.erased || report.purgedDeliveries || report.purgedOutbox) checkpoint(deps.db);
  if (report.noticed || report.erased || report.purgedDeliveries || report.purgedOutbox) deps.logger.info({ ...report }, 'retention pass');
  return report;
}
