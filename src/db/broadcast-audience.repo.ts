/**
 * A broadcast's audience in SQL (fast at 100,000 parents): the parents of one initiative (role
 * 'parent' memberships, so a parent of initiative B is never in A's audience) matching every
 * filter of an AudienceFilter. `p.id in (…)` makes one row per parent, however many children or
 * memberships match. Counts for staff, selection for the fan-out; ids and settings only.
 */
import type { ChannelName } from '../core/messages.js';
import { monthIndex } from '../domain/birth-month.js';
import type { AudienceFilter } from '../domain/broadcast.types.js';
import { localDayOf } from '../domain/local-time.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';

type Conn = Db | Tx;
type Arg = string | number;

/** The better-sqlite3 handle of a database or of a transaction (prepared statements for the bulk paths). */
export const clientOf = (db: Conn): Db['$client'] => (db as unknown as { $client?: Db['$client'] }).$client ?? (db as unknown as { session: { client: Db['$client'] } }).session.client;

const YM = /^(\d{4})-(\d{2})$/;
const ymIndex = (s: string): number | null => {
  const m = YM.exec(s);
  if (!m) return null;
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? monthIndex({ year: Number(m[1]), month }) : null;
};

const WEEK_MS = 7 * 86_400_000;

/** The WHERE clause (on `people p`) of an initiative's parents matching the filter. */
export function audienceWhere(initiativeId: number, a: AudienceFilter, now: Date, zone: string): { sql: string; args: Arg[] } {
  const parts = ["p.id in (select m.person_id from memberships m where m.initiative_id = ? and m.role = 'parent')"];
  const args: Arg[] = [initiativeId];
  // Child filters hold for one and the same child (born in the range AND not registered…).
  const child: string[] = [];
  const childArgs: Arg[] = [];
  const idx = '(c.birth_year * 12 + c.birth_month - 1)';
  const from = a.bornFrom ? ymIndex(a.bornFrom) : null;
  const to = a.bornTo ? ymIndex(a.bornTo) : null;
  if (from !== null) {
    child.push(`${idx} >= ?`);
    childArgs.push(from);
  }
  if (to !== null) {
    child.push(`${idx} <= ?`);
    childArgs.push(to);
  }
  if (a.turns3WithinMonths !== undefined) {
    const today = localDayOf(now, zone);
    const nowIdx = monthIndex(today);
    // The month of the third birthday is this month or within the next N months.
    child.push(`${idx} + 36 between ? and ?`);
    childArgs.push(nowIdx, nowIdx + Math.max(0, Math.floor(a.turns3WithinMonths)));
  }
  if (a.registered !== undefined) child.push(a.registered ? 'c.registered_at is not null' : 'c.registered_at is null');
  if (child.length) {
    parts.push(`exists (select 1 from children c where c.person_id = p.id and c.expected = 0 and ${child.join(' and ')})`);
    args.push(...childArgs);
  }
  if (a.rsvp) {
    const answers = a.rsvp.answers.filter((x) => x !== 'none');
    const ors: string[] = [];
    if (answers.length) {
      ors.push(`exists (select 1 from event_rsvps r where r.event_id = ? and r.person_id = p.id and r.answer in (${answers.map(() => '?').join(',')}))`);
      args.push(a.rsvp.eventId, ...answers);
    }
    if (a.rsvp.answers.includes('none')) {
      ors.push('not exists (select 1 from event_rsvps r where r.event_id = ? and r.person_id = p.id)');
      args.push(a.rsvp.eventId);
    }
    parts.push(ors.length ? `(${ors.join(' or ')})` : '0');
  }
  if (a.interest) {
    parts.push('exists (select 1 from interests x where x.person_id = p.id and x.initiative_id = ? and x.action_key = ?)');
    args.push(initiativeId, a.interest);
  }
  if (a.languages?.length) {
    parts.push(`p.language in (${a.languages.map(() => '?').join(',')})`);
    args.push(...a.languages);
  }
  if (a.silentWeeks !== undefined) {
    // Their last message to us on any chat (the 24-hour window's clock, and the conversation's last turn).
    parts.push(
      'coalesce((select max(max(coalesce(i.last_inbound_at, 0), coalesce(cv.updated_at, 0))) from identities i left join conversations cv on cv.identity_id = i.id where i.person_id = p.id), 0) < ?',
    );
    args.push(now.getTime() - Math.max(0, a.silentWeeks) * WEEK_MS);
  }
  return { sql: parts.join(' and '), args };
}

/** Who can be reached by a broadcast: not stopped, consent to messages of the initiative, a chat that works. */
export const REACHABLE_SQL = 'p.proactive = 1 and p.reminders = 1 and exists (select 1 from identities i2 where i2.person_id = p.id and i2.unreachable_at is null)';

/** The initiative's time zone (months and "within N months" are local). */
export function initiativeZone(db: Conn, initiativeId: number, fallback: string): string {
  const row = clientOf(db).prepare('select time_zone from initiatives where id = ?').get(initiativeId) as { time_zone: string } | undefined;
  return row?.time_zone ?? fallback;
}

/** Per language: the parents a broadcast would reach now (the total is their sum). Exact numbers: suppress before showing. */
export function countAudience(db: Conn, initiativeId: number, a: AudienceFilter, now: Date, zone: string): Map<string, number> {
  const w = audienceWhere(initiativeId, a, now, zone);
  const rows = clientOf(db)
    .prepare(`select p.language as lang, count(*) as n from people p where ${w.sql} and ${REACHABLE_SQL} group by p.language order by n desc, p.language`)
    .all(...w.args) as { lang: string; n: number }[];
  return new Map(rows.map((r) => [r.lang, r.n]));
}

export interface AudienceMember {
  id: number;
  language: string;
  proactive: boolean;
  reminders: boolean;
  quiet: { start: string; end: string } | null;
  /** The chat proactive messages go to (the chosen one while reachable, else the best one); null: none reachable. */
  channel: ChannelName | null;
}

/**
 * Every parent matching the filter (also those who stopped or cannot be reached: the fan-out
 * counts them as skipped), with the channel the planner would pick. One query (a parent with two
 * chats comes twice, next to each other): 100,000 parents in well under a second.
 */
export function selectAudience(db: Conn, initiativeId: number, a: AudienceFilter, now: Date, zone: string, rank: (c: ChannelName) => number): AudienceMember[] {
  const w = audienceWhere(initiativeId, a, now, zone);
  const rows = clientOf(db)
    .prepare(
      `select p.id, p.language, p.proactive, p.reminders, p.quiet_start, p.quiet_end, p.preferred_channel, i.channel from people p
       left join identities i on i.person_id = p.id and i.unreachable_at is null
       where ${w.sql} order by p.id, i.id`,
    )
    .raw()
    .all(...w.args) as [number, string, number, number, string | null, string | null, ChannelName | null, ChannelName | null][];
  const out: AudienceMember[] = [];
  let last: AudienceMember | undefined;
  for (const [id, language, proactive, reminders, qs, qe, pref, channel] of rows) {
    if (last?.id !== id) {
      last = { id, language, proactive: proactive === 1, reminders: reminders === 1, quiet: qs && qe ? { start: qs, end: qe } : null, channel };
      out.push(last);
      continue;
    }
    // The same choice as the planner (src/db/planning.repo.ts): the chosen channel while reachable, else the best one.
    const had = last.channel;
    if (!channel || (had && had === pref)) continue;
    if (!had || channel === pref || rank(channel) >= rank(had)) last.channel = channel;
  }
  return out;
}
