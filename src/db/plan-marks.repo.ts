/**
 * Marks: parents whose timeline changed since the planner last looked (issue 13, ADR 0012). The
 * planner's minutely tick plans only the marked parents and those whose stored next moment
 * (`people.next_plan_at`) has come, so its cost follows what is due, not who exists.
 *
 * Who marks. Every fact the timeline reads lives in a table, and a trigger on that table marks
 * the parents it concerns in the same transaction as the write (PLAN_MARK_TRIGGERS below, created
 * by migration 0013 and checked again when the planner starts): no caller, CLI command, test or
 * later feature can forget to mark. What SQL cannot resolve (which initiatives a municipality's
 * rule applies to: names, aliases) is marked by the repo that writes it (markMunicipality in
 * src/db/municipalities.repo.ts). A change of the reminder rules or the planner's configuration is
 * a full rebuild (src/jobs/plan-tick.ts), not a mark.
 *
 * Marks hold ids and a time only; they go with the person (ON DELETE CASCADE).
 */
import { readAppKey, storeAppKey } from './app-keys.repo.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { planMarks } from './schema.js';
import { sql } from 'drizzle-orm';

type Conn = Db | Tx;

/** Wall-clock milliseconds in SQL (a mark's `at` is for diagnostics; taking marks does not compare it). */
const NOW_MS = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

export function markPerson(conn: Conn, personId: number, at: Date): void {
  conn.insert(planMarks).values({ personId, at: at.getTime() }).onConflictDoNothing().run();
}

/** The parents of an initiative (one INSERT … SELECT over its memberships). */
export function markInitiative(conn: Conn, initiativeId: number, at: Date): void {
  conn.run(sql`insert or ignore into plan_marks (person_id, at) select person_id, ${at.getTime()} from memberships where initiative_id = ${initiativeId} and role = 'parent'`);
}

export function markInitiatives(conn: Conn, initiativeIds: readonly number[], at: Date): void {
  for (const id of initiativeIds) markInitiative(conn, id, at);
}

/**
 * Everyone: the next ticks re-plan every person (in bounded slices). For a change that concerns
 * everybody at runtime; at start, a changed rule set runs the full rebuild instead (faster).
 */
export function markEveryone(conn: Conn, at: Date): void {
  conn.run(sql`insert or ignore into plan_marks (person_id, at) select id, ${at.getTime()} from people`);
}

/**
 * Takes (deletes and returns) up to `limit` marks in one statement. Atomic: a mark written after
 * this moment (during the tick that follows) stays for the next tick, so a change committed while
 * the planner works is never lost. Without marks this is one lookup of an empty table.
 */
export function takeMarks(db: Db, limit: number): number[] {
  return db.$client.prepare('delete from plan_marks where person_id in (select person_id from plan_marks limit ?) returning person_id').pluck().all(limit) as number[];
}

/** People whose next moment has come, earliest first (a range scan of people_next_plan_at). */
export function duePeople(db: Db, now: Date, limit: number): number[] {
  return db.$client.prepare('select id from people where next_plan_at <= ? order by next_plan_at limit ?').pluck().all(now.getTime(), limit) as number[];
}

const FINGERPRINT_KEY = 'planner.fingerprint';

/** The fingerprint of the rules and configuration the stored next moments were computed with (src/jobs/plan-tick.ts). */
export function readPlanFingerprint(db: Db): string | null {
  return readAppKey(db, FINGERPRINT_KEY);
}

export function storePlanFingerprint(db: Db, fingerprint: string): void {
  storeAppKey(db, FINGERPRINT_KEY, fingerprint);
}

// ── the triggers ────────────────────────────────────────────────────────────────────────────

/*
 * The triggers never rely on a conflict clause of their own: the statement that fires a trigger
 * imposes its conflict handling on the trigger's statements (an upsert on event_rsvps would turn
 * an "insert or ignore" into a UNIQUE error). So each insert skips, with NOT EXISTS, the people who
 * are marked already, and cannot conflict at all.
 */
const notMarked = (id: string): string => `not exists (select 1 from plan_marks k where k.person_id = ${id})`;
/** Marks one person, if they still exist (a row deleted by an erasure's cascade marks nobody). */
const markOne = (id: string): string => `insert into plan_marks (person_id, at) select ${id}, ${NOW_MS} where exists (select 1 from people where id = ${id}) and ${notMarked(id)};`;
/** Marks the parents of an initiative. */
const markParents = (id: string): string => `insert into plan_marks (person_id, at) select m.person_id, ${NOW_MS} from memberships m where m.initiative_id = ${id} and m.role = 'parent' and ${notMarked('m.person_id')};`;

const PEOPLE_COLUMNS = ['proactive', 'reminders', 'newsletter', 'quiet_start', 'quiet_end', 'preferred_channel', 'last_action_at', 'last_read_at', 'contact_declined_at', 'language'];
const changed = (columns: readonly string[]): string => columns.map((c) => `old.${c} is not new.${c}`).join(' or ');
/** Rows that count towards the frequency cap (src/db/deliveries.repo.ts capHistory). */
const COUNTED = "('planned', 'queued', 'sending', 'sent')";

function onRowOf(table: string, name: string, mark: (ref: 'new' | 'old') => string, opts: { update?: readonly string[]; when?: (ref: 'new' | 'old') => string } = {}): [string, string][] {
  const when = (ref: 'new' | 'old', extra?: string): string => {
    const parts = [opts.when?.(ref), extra].filter(Boolean);
    return parts.length ? ` when ${parts.map((p) => `(${p})`).join(' and ')}` : '';
  };
  const out: [string, string][] = [
    [`plan_mark_${name}_insert`, `CREATE TRIGGER plan_mark_${name}_insert after insert on ${table}${when('new')} begin ${mark('new')} end`],
    [`plan_mark_${name}_delete`, `CREATE TRIGGER plan_mark_${name}_delete after delete on ${table}${when('old')} begin ${mark('old')} end`],
  ];
  if (opts.update) {
    const cols = opts.update;
    // Both sides: a row that moved to another person or initiative changes the timelines of both.
    out.push([`plan_mark_${name}_update`, `CREATE TRIGGER plan_mark_${name}_update after update of ${cols.join(', ')} on ${table}${when('new', changed(cols))} begin ${mark('new')} ${mark('old')} end`]);
  }
  return out;
}

/**
 * Every trigger that marks, by name. The same statements are in drizzle/0013_incremental-planning.sql;
 * test/db/plan-marks.test.ts checks that a migrated database has each of them, word for word.
 */
export const PLAN_MARK_TRIGGERS: readonly [string, string][] = [
  // A new person is planned at the next tick; a change of what the timeline reads of them re-plans them.
  ['plan_mark_people_insert', `CREATE TRIGGER plan_mark_people_insert after insert on people begin ${markOne('new.id')} end`],
  ['plan_mark_people_update', `CREATE TRIGGER plan_mark_people_update after update of ${PEOPLE_COLUMNS.join(', ')} on people when ${changed(PEOPLE_COLUMNS)} begin ${markOne('new.id')} end`],
  ...onRowOf('children', 'children', (r) => markOne(`${r}.person_id`), { update: ['person_id', 'birth_year', 'birth_month', 'expected', 'registered_at', 'placement'] }),
  ...onRowOf('memberships', 'memberships', (r) => markOne(`${r}.person_id`), { update: ['person_id', 'initiative_id', 'role', 'created_at'] }),
  ...onRowOf('identities', 'identities', (r) => markOne(`${r}.person_id`), { update: ['person_id', 'channel', 'unreachable_at'] }),
  ...onRowOf('event_rsvps', 'event_rsvps', (r) => markOne(`${r}.person_id`), { update: ['event_id', 'person_id', 'answer', 'status'] }),
  // Facts of an initiative concern all its parents.
  ...onRowOf('events', 'events', (r) => markParents(`${r}.initiative_id`), { update: ['initiative_id', 'kind', 'starts_at', 'min_age_months', 'max_age_months', 'cancelled_at'] }),
  ['plan_mark_initiatives_update', `CREATE TRIGGER plan_mark_initiatives_update after update of phase, time_zone, municipality, archived_at on initiatives when ${changed(['phase', 'time_zone', 'municipality', 'archived_at'])} begin ${markParents('new.id')} end`],
  // The phase rule reads the moment of the last phase change from the audit log.
  ['plan_mark_audit_phase', `CREATE TRIGGER plan_mark_audit_phase after insert on audit_log when new.action = 'initiative.phase' and new.subject_id is not null begin ${markParents('new.subject_id')} end`],
  ...onRowOf('newsletter_schedules', 'newsletter_schedules', (r) => markParents(`${r}.initiative_id`), { update: ['every_weeks', 'first_date', 'time', 'active'] }),
  // A newsletter written for a slot that was waiting for one (issuing it, by the planner, marks nobody).
  ['plan_mark_newsletters_insert', `CREATE TRIGGER plan_mark_newsletters_insert after insert on newsletters begin ${markParents('new.initiative_id')} end`],
  // Relative nudges are the initiative's own reminder rules.
  ...onRowOf('nudges', 'nudges', (r) => markParents(`${r}.initiative_id`), { update: ['kind', 'rule', 'status', 'template_broadcast_id'], when: (r) => `${r}.kind = 'relative'` }),
  ...onRowOf('outreach_settings', 'outreach_settings', (r) => markParents(`${r}.initiative_id`), { update: ['enabled', 'cooldown_days'] }),
  ...onRowOf('outreach_voices', 'outreach_voices', (r) => markParents(`${r}.initiative_id`), { update: ['lang', 'media_id'] }),
  [
    'plan_mark_media_voice',
    `CREATE TRIGGER plan_mark_media_voice after update of status on media when old.status is not new.status and exists (select 1 from outreach_voices where media_id = new.id) begin ` +
      `insert into plan_marks (person_id, at) select distinct m.person_id, ${NOW_MS} from memberships m join outreach_voices v on v.initiative_id = m.initiative_id where v.media_id = new.id and m.role = 'parent' and ${notMarked('m.person_id')}; end`,
  ],
  // The outreach ladder reads its own rows (a step sent: the next is due 10 days later; not sent: the episode ended).
  [
    'plan_mark_deliveries_ladder',
    `CREATE TRIGGER plan_mark_deliveries_ladder after update of status, send_at, sent_at on deliveries when new.rule_id like 'ladder%' and (${changed(['status', 'send_at', 'sent_at'])}) begin ${markOne('new.person_id')} end`,
  ],
  ['plan_mark_deliveries_ladder_delete', `CREATE TRIGGER plan_mark_deliveries_ladder_delete after delete on deliveries when old.rule_id like 'ladder%' begin ${markOne('old.person_id')} end`],
  // Room in the frequency cap: a row that stops counting, or moves later, may let a waiting message in.
  [
    'plan_mark_deliveries_cap',
    `CREATE TRIGGER plan_mark_deliveries_cap after update of status, send_at on deliveries when new.kind != 'notice' and old.status in ${COUNTED} and (new.status not in ${COUNTED} or new.send_at > old.send_at) begin ${markOne('new.person_id')} end`,
  ],
];

/**
 * Creates any trigger that is missing or differs (a later migration that rebuilt a table drops
 * that table's triggers). Returns the names it had to (re)create, so the planner can say so and
 * rebuild.
 */
export function ensurePlanMarkTriggers(db: Db): string[] {
  const have = new Map((db.$client.prepare("select name, sql from sqlite_master where type = 'trigger' and name like 'plan_mark_%'").all() as { name: string; sql: string }[]).map((t) => [t.name, t.sql]));
  const stale = PLAN_MARK_TRIGGERS.filter(([name, statement]) => have.get(name) !== statement);
  if (stale.length) {
    db.$client.transaction(() => {
      for (const [name, statement] of stale) db.$client.exec(`drop trigger if exists ${name}; ${statement}`);
    })();
  }
  return stale.map(([name]) => name);
}
