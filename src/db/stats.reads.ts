/**
 * The coordinators' figures from live data (issue 12, items 3 and 5): bulk SQL over the parents
 * of one initiative (or of all), each parent's facts folded into the tally of src/domain/stats.ts
 * and forgotten, then shaped (small groups suppressed). Nothing is stored: an erased parent's rows
 * are gone, so they are gone from every figure, past months included.
 *
 * A few queries, each one pass over its table for the parents in scope (`scope` below): people,
 * children, "looked at schools", activity days and read receipts folded per month in SQL (one row
 * per parent and month at most), RSVPs; then the latest broadcasts and nudges (their delivery rows
 * by key range), events with their RSVP counts, and the outreach ladder. Timings at 100,000
 * parents: scripts/bench-stats.ts.
 */
import type Database from 'better-sqlite3';
import { isHeardFrom } from '../domain/heard-from.js';
import { EVENT_KIND_NAMES, type EventKindName, type Phase } from '../domain/model.js';
import type { RegistrationRule } from '../domain/registration-deadline.js';
import { createTally, monthEnds, phaseOf, pickEvents, shapeReport, type ChildFacts, type RawEvent, type RawReach, type RawReachItem } from '../domain/stats.js';
import { ANSWER_DAYS, REACH_ITEMS, type StatsReads, type StatsReport, type StatsScope } from '../domain/stats-report.types.js';
import type { Db } from './client.js';
import { registrationRuleFor } from './municipalities.repo.js';

const DAY_MS = 86_400_000;
/** Events that started this long ago still count as "recent". */
const RECENT_EVENT_DAYS = 90;
/** Looking at schools: a "yes" to (or attending) one of these, or wanting to help with one of these phase actions. */
const SCHOOL_EVENT_KINDS: readonly EventKindName[] = ['tour', 'open_morning', 'carrousel'];
const SCHOOL_ACTIONS = ['visit_school', 'open_morning', 'school_tour'] as const;

export interface StatsReadsOptions {
  /** The zone for "all initiatives" (config.timeZone). */
  defaultTimeZone?: string;
  /**
   * Participation month by month (default true). The chat's text does without it (it shows the
   * level now, from the person's latest action and read): the heavy part, read after the commit
   * for the chart.
   */
  history?: boolean;
  /** Parents per chunk (default CHUNK; tests use small ones to cross chunk borders). */
  chunk?: number;
  /** Filled with the milliseconds each part took (scripts/bench-stats.ts). */
  timings?: Record<string, number>;
}

interface InitiativeRow {
  id: number;
  code: string;
  name: string;
  phase: number;
  municipality: string;
  time_zone: string;
}

const list = (xs: readonly string[]): string => xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(', ');

/**
 * The parents in scope, one row each: their (first) parent membership's initiative and when it
 * began (SQLite's bare columns with min(): the row of the oldest membership), for one range of
 * person ids (the report reads parents in chunks of CHUNK).
 */
const scopeCte = (one: boolean): string =>
  one
    ? `scope as (select person_id, created_at as joined_at, initiative_id from memberships
                  where role = 'parent' and initiative_id = @ini and person_id between @lo and @hi)`
    : `scope as (select person_id, created_at as joined_at, initiative_id, min(id) from memberships
                  where role = 'parent' and person_id between @lo and @hi group by person_id)`;

/** Parents read per chunk: a chunk is one short pass of each query (the async report yields between chunks). */
const CHUNK = 2_500;

/**
 * Per parent, the latest instant by each month end: `max(case when at <= end_k then at end)` for
 * every month k, one row per parent (what `levelAt` needs: the latest action and read before each
 * moment; anything in between changes nothing).
 */
const latestByMonth = (expr: string, ends: number, param: 'e' | 'd'): string => Array.from({ length: ends }, (_, i) => `max(case when ${expr} <= @${param}${i} then ${expr} end)`).join(', ');

/** The figures now, read and counted at once (the chat's turn, the CLI). */
export function statsReport(db: Db, initiativeId: number | null, now: Date, opts: StatsReadsOptions = {}): StatsReport | null {
  const steps = reportSteps(db, initiativeId, now, opts);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The same, giving the event loop back between chunks of parents and between broadcasts (the chart
 * listener after the commit: a report of 100,000 parents takes seconds, and other chats go on meanwhile).
 */
export async function statsReportAsync(db: Db, initiativeId: number | null, now: Date, opts: StatsReadsOptions = {}): Promise<StatsReport | null> {
  const steps = reportSteps(db, initiativeId, now, opts);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function* reportSteps(db: Db, initiativeId: number | null, now: Date, opts: StatsReadsOptions): Generator<void, StatsReport | null> {
  const s = db.$client;
  const one = initiativeId !== null;
  const inis = (one ? s.prepare('select id, code, name, phase, municipality, time_zone from initiatives where id = ?').all(initiativeId) : s.prepare('select id, code, name, phase, municipality, time_zone from initiatives').all()) as InitiativeRow[];
  const only = inis[0];
  if (one && !only) return null;
  const zone = one && only ? only.time_zone : (opts.defaultTimeZone ?? 'Europe/Amsterdam');
  const scope: StatsScope = one && only ? { kind: 'initiative', initiativeId: only.id, code: only.code, name: only.name, phase: phaseOf(only.phase) ?? 0 } : { kind: 'all' };
  const byId = new Map(inis.map((i) => [i.id, { rule: registrationRuleFor(db, i.municipality), zone: i.time_zone }]));
  const fallback: { rule: RegistrationRule; zone: string } = { rule: { kind: 'fromAge3' }, zone };

  const months = monthEnds(now, zone);
  const params: Record<string, number> = { ini: initiativeId ?? 0, lo: 0, hi: 0 };
  months.forEach((m, i) => {
    params[`e${i}`] = m.end.getTime();
    // An activity day counts by a month end when its day number is at most the end's (days since 1970, UTC).
    params[`d${i}`] = Math.floor(m.end.getTime() / DAY_MS);
  });
  const history = opts.history !== false;
  const prepared = new Map<string, Database.Statement>();
  const withScope = (sql: string): Database.Statement => {
    let st = prepared.get(sql);
    if (!st) prepared.set(sql, (st = s.prepare(`with ${scopeCte(one)} ${sql}`)));
    return st;
  };
  // Only the parameters a statement names (better-sqlite3 refuses unknown ones).
  const names = new Map<Database.Statement, string[]>();
  const named = (st: Database.Statement): Record<string, number> => {
    let keys = names.get(st);
    if (!keys) names.set(st, (keys = Object.keys(params).filter((k) => new RegExp(`@${k}\\b`).test(st.source))));
    return Object.fromEntries(keys.map((k) => [k, params[k]!]));
  };
  const run = (st: Database.Statement): unknown[] => st.all(named(st));
  const iterateRaw = (st: Database.Statement): IterableIterator<unknown> => st.raw(true).iterate(named(st));
  let t0 = performance.now();
  const lap = (part: string): void => {
    const t = performance.now();
    if (opts.timings) opts.timings[part] = (opts.timings[part] ?? 0) + (t - t0);
    t0 = t;
  };

  // The parents' ids, cut into chunks of CHUNK (each chunk: a range of ids).
  const ids = s
    .prepare(
      one
        ? "select person_id from memberships where role = 'parent' and initiative_id = ? order by person_id"
        : "select distinct person_id from memberships where role = 'parent' order by person_id",
    )
    .pluck()
    .all(...(one ? [initiativeId] : [])) as number[];
  const tally = createTally(now, zone, history ? months : []);
  lap('parents');
  const chunk = opts.chunk ?? CHUNK;
  for (let c = 0; c < ids.length; c += chunk) {
    params.lo = ids[c]!;
    params.hi = ids[Math.min(c + chunk, ids.length) - 1]!;
    tallyChunk();
    yield;
  }

  function tallyChunk(): void {
    // Children, "looked at schools", and each parent's history (actions and reads, latest per month).
    const kids = new Map<number, ChildFacts[]>();
    for (const c of run(withScope('select c.person_id, c.birth_year, c.birth_month, c.expected, c.registered_at, c.placement from scope join children c on c.person_id = scope.person_id')) as {
      person_id: number;
      birth_year: number;
      birth_month: number;
      expected: number;
      registered_at: number | null;
      placement: string | null;
    }[]) {
      const l = kids.get(c.person_id) ?? [];
      l.push({ year: c.birth_year, month: c.birth_month, expected: c.expected === 1, registeredAt: c.registered_at, placed: c.placement === 'yes' });
      kids.set(c.person_id, l);
    }
    lap('children');
    const looked = new Set(
      (
        run(
          withScope(
            `select r.person_id from scope join event_rsvps r on r.person_id = scope.person_id join events e on e.id = r.event_id
              where e.kind in (${list(SCHOOL_EVENT_KINDS)}) and (r.answer = 'yes' or r.attended = 1)
             union select i.person_id from scope join interests i on i.person_id = scope.person_id where i.action_key in (${list(SCHOOL_ACTIONS)})`,
          ),
        ) as { person_id: number }[]
      ).map((r) => r.person_id),
    );
    lap('looked at schools');
    const actions = new Map<number, number[]>();
    const reads = new Map<number, number[]>();
    const push = (m: Map<number, number[]>, id: number, at: number | null): void => {
      if (at === null) return;
      const l = m.get(id);
      if (l) l.push(at);
      else m.set(id, [at]);
    };
    /** Rows as arrays [person_id, latest by month end 0 … n-1], streamed: many parents make no garbage of objects. */
    const fold = (m: Map<number, number[]>, st: Database.Statement, scale: number): void => {
      for (const row of iterateRaw(st) as IterableIterator<(number | null)[]>) {
        const id = row[0]!;
        let prev: number | null = null;
        for (let i = 1; i < row.length; i++) {
          const at = row[i] ?? null;
          if (at !== null && at !== prev) push(m, id, at * scale);
          prev = at;
        }
      }
    };
    const n = months.length;
    if (history) {
      // Scope first (CROSS JOIN keeps SQLite's order): each parent's rows by the primary key or the person index.
      fold(actions, withScope(`select a.person_id, ${latestByMonth('a.day', n, 'd')} from scope cross join activity_days a on a.person_id = scope.person_id group by a.person_id`), DAY_MS);
      lap('activity days');
      fold(
        reads,
        withScope(
          `select d.person_id, ${latestByMonth('d.channel_status_at', n, 'e')} from scope cross join deliveries d on d.person_id = scope.person_id
            where d.channel_status = 'read' and d.channel_status_at is not null group by d.person_id`,
        ),
        1,
      );
      lap('read receipts');
    }
    for (const r of run(
      withScope(
        `select r.person_id, r.answered_at, case when r.attended = 1 then e.starts_at end as attended_at from scope join event_rsvps r on r.person_id = scope.person_id join events e on e.id = r.event_id`,
      ),
    ) as { person_id: number; answered_at: number; attended_at: number | null }[]) {
      push(actions, r.person_id, r.answered_at);
      push(actions, r.person_id, r.attended_at);
    }
    lap('rsvps');
    for (const p of run(
      withScope(
        `select scope.person_id as id, scope.joined_at, scope.initiative_id, p.language, p.pc4, p.heard_from, p.proactive, p.reminders, p.last_action_at, p.last_read_at
           from scope join people p on p.id = scope.person_id`,
      ),
    ) as {
      id: number;
      joined_at: number;
      initiative_id: number;
      language: string;
      pc4: string | null;
      heard_from: string | null;
      proactive: number;
      reminders: number;
      last_action_at: number | null;
      last_read_at: number | null;
    }[]) {
      const ini = byId.get(p.initiative_id) ?? fallback;
      tally.add({
        language: p.language,
        pc4: p.pc4,
        heardFrom: p.heard_from && isHeardFrom(p.heard_from) ? p.heard_from : null,
        remindersOn: p.proactive === 1 && p.reminders === 1,
        lookedAtSchools: looked.has(p.id),
        joinedAt: p.joined_at,
        lastActionAt: p.last_action_at,
        lastReadAt: p.last_read_at,
        actions: actions.get(p.id) ?? [],
        reads: reads.get(p.id) ?? [],
        children: kids.get(p.id) ?? [],
        rule: ini.rule,
        zone: ini.zone,
      });
    }
    lap('people and tally');
  }

  const byPhase = new Map<Phase, number>();
  for (const r of s
    .prepare(
      `select i.phase, count(distinct m.person_id) as n from memberships m join initiatives i on i.id = m.initiative_id where m.role = 'parent' ${one ? 'and m.initiative_id = @ini' : ''} group by i.phase`,
    )
    .all(one ? { ini: initiativeId } : {}) as { phase: number; n: number }[]) {
    const phase = phaseOf(r.phase);
    if (phase !== null) byPhase.set(phase, r.n);
  }
  lap('phases');
  const reach: RawReachItem[] = [];
  for (const item of reachItems(s, one ? initiativeId : null)) {
    reach.push(reachOf(s, item));
    lap('reach');
    yield;
  }
  const events = eventsOf(s, one ? initiativeId : null, now);
  lap('events');
  const scoped = one ? 'and m.initiative_id = @ini' : '';
  const ladderMessages = new Map(
    (
      s
        .prepare(
          `select d.rule_id, count(*) as n from (select distinct m.person_id from memberships m where m.role = 'parent' ${scoped}) m
             cross join deliveries d on d.person_id = m.person_id where d.rule_id like 'ladder%' and d.status = 'sent' group by d.rule_id`,
        )
        .all(one ? { ini: initiativeId } : {}) as { rule_id: string; n: number }[]
    ).map((r) => [r.rule_id, r.n]),
  );
  const callbacks = new Map(
    (
      s
        .prepare(
          `select coalesce(t.outcome, 'open') as outcome, count(*) as n from relay_threads t where t.kind = 'callback' and t.source = 'ladder' ${one ? 'and t.initiative_id = @ini' : ''} group by 1`,
        )
        .all(one ? { ini: initiativeId } : {}) as { outcome: string; n: number }[]
    ).map((r) => [r.outcome, r.n]),
  );
  lap('ladder');
  return shapeReport({ scope, now, zone, initiatives: inis.length, tally: tally.result(), byPhase, reach, events, ladderMessages, callbacks });
}

interface ReachSource {
  kind: 'broadcast' | 'nudge';
  broadcastId: number | null;
  nudgeId: number | null;
  initiativeId: number;
  at: number;
  /** Its delivery rows' keys start with this. */
  prefix: string;
  /** What a question about it is filed under (relay_threads.source_ref), for broadcasts. */
  ref: string | null;
}

/** The latest broadcasts (runs of once and recurring nudges are broadcasts too) and relative nudges, newest first. */
function reachItems(s: Database.Database, initiativeId: number | null): ReachSource[] {
  const where = initiativeId === null ? '' : 'and initiative_id = @ini';
  const args = initiativeId === null ? {} : { ini: initiativeId };
  const sent = s
    .prepare(`select id, nudge_id, initiative_id, started_at as at from broadcasts where started_at is not null and status != 'draft' ${where} order by started_at desc, id desc limit ${REACH_ITEMS}`)
    .all(args) as { id: number; nudge_id: number | null; initiative_id: number; at: number }[];
  // A relative nudge's deliveries are reminder rows keyed `n<id>|p…` (src/domain/nurture.types.ts#deliveryKey).
  const relative = s
    .prepare(
      `select n.id, n.initiative_id, (select max(d.sent_at) from deliveries d where d.key >= 'n' || n.id || '|' and d.key < 'n' || n.id || '}' and d.status = 'sent') as at
         from nudges n where n.kind = 'relative' ${where}`,
    )
    .all(args) as { id: number; initiative_id: number; at: number | null }[];
  return [
    ...sent.map((r): ReachSource => ({ kind: r.nudge_id === null ? 'broadcast' : 'nudge', broadcastId: r.id, nudgeId: r.nudge_id, initiativeId: r.initiative_id, at: r.at, prefix: `b${r.id}|`, ref: String(r.id) })),
    ...relative.flatMap((r): ReachSource[] => (r.at === null ? [] : [{ kind: 'nudge', broadcastId: null, nudgeId: r.id, initiativeId: r.initiative_id, at: r.at, prefix: `n${r.id}|`, ref: null }])),
  ]
    .sort((a, b) => b.at - a.at)
    .slice(0, REACH_ITEMS);
}

/**
 * One item's reach per language. A delivery counts when it was sent; read where the channel said
 * so; answered when the parent was active on the day of delivery or the ANSWER_DAYS days after it,
 * or asked about it.
 */
function reachOf(s: Database.Database, item: ReachSource): RawReachItem {
  const byLanguage = s
    .prepare(
      `select p.language as lang, count(*) as delivered, sum(d.channel_status is not null) as reported, sum(d.channel_status = 'read') as read,
              sum(exists (select 1 from activity_days a where a.person_id = d.person_id and a.day between d.sent_at / ${DAY_MS} and d.sent_at / ${DAY_MS} + ${ANSWER_DAYS})
                  or exists (select 1 from relay_threads t where t.person_id = d.person_id and t.source = 'broadcast' and t.source_ref = @ref
                             and t.created_at between d.sent_at and d.sent_at + ${ANSWER_DAYS + 1} * ${DAY_MS})) as answered
         from deliveries d join people p on p.id = d.person_id
        where d.key >= @lo and d.key < @hi and d.status = 'sent' and d.sent_at is not null
        group by p.language`,
    )
    .all({ lo: item.prefix, hi: `${item.prefix.slice(0, -1)}}`, ref: item.ref ?? '' }) as (RawReach & { lang: string })[];
  const sum = (k: keyof RawReach): number => byLanguage.reduce((n, l) => n + (l[k] ?? 0), 0);
  return {
    kind: item.kind,
    broadcastId: item.broadcastId,
    nudgeId: item.nudgeId,
    initiativeId: item.initiativeId,
    at: new Date(item.at),
    delivered: sum('delivered'),
    reported: sum('reported'),
    read: sum('read'),
    answered: sum('answered'),
    byLanguage,
  };
}

/** Events that started in the last RECENT_EVENT_DAYS days and coming ones, with their answers and attendance. */
function eventsOf(s: Database.Database, initiativeId: number | null, now: Date): RawEvent[] {
  const rows = s
    .prepare(
      `select e.id, e.initiative_id, e.kind, e.starts_at, e.cancelled_at, e.titles, i.time_zone,
              coalesce(sum(r.answer = 'yes' and r.status = 'going'), 0) as going, coalesce(sum(r.answer = 'yes' and r.status = 'waiting'), 0) as waiting,
              coalesce(sum(r.answer = 'maybe'), 0) as maybe, coalesce(sum(r.answer = 'no'), 0) as no,
              coalesce(sum(r.attended = 1), 0) as attended, coalesce(sum(r.attended = 0), 0) as absent
         from events e join initiatives i on i.id = e.initiative_id left join event_rsvps r on r.event_id = e.id
        where e.starts_at >= @since ${initiativeId === null ? '' : 'and e.initiative_id = @ini'}
        group by e.id`,
    )
    .all({ since: now.getTime() - RECENT_EVENT_DAYS * DAY_MS, ...(initiativeId === null ? {} : { ini: initiativeId }) }) as {
    id: number;
    initiative_id: number;
    kind: string;
    starts_at: number;
    cancelled_at: number | null;
    titles: string;
    time_zone: string;
    going: number;
    waiting: number;
    maybe: number;
    no: number;
    attended: number;
    absent: number;
  }[];
  const events = rows.map(
    (r): RawEvent => ({
      id: r.id,
      initiativeId: r.initiative_id,
      kind: (EVENT_KIND_NAMES as readonly string[]).includes(r.kind) ? (r.kind as EventKindName) : 'tour',
      startsAt: new Date(r.starts_at),
      timeZone: r.time_zone,
      cancelled: r.cancelled_at !== null,
      titles: parseTitles(r.titles),
      going: r.going,
      waiting: r.waiting,
      maybe: r.maybe,
      no: r.no,
      attended: r.attended,
      absent: r.absent,
    }),
  );
  return pickEvents(events, now);
}

function parseTitles(json: string): Record<string, string> {
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    // A title that cannot be read is shown as the event's kind.
  }
  return {};
}

/**
 * Directory.stats. The chat's turn reads the figures without their history (`history: false`);
 * the chart listener reads them with it after the commit, giving the event loop back between
 * chunks. The last few reports are kept by initiative and moment, so the same moment is read once.
 * Counts only; a new moment always reads live data.
 */
export function createStatsReads(db: Db, opts: StatsReadsOptions = {}): StatsReads {
  const recent = new Map<string, StatsReport | null>();
  const key = (initiativeId: number, now: Date, history: boolean): string => `${initiativeId}@${now.getTime()}@${history}`;
  const keep = (k: string, report: StatsReport | null): StatsReport | null => {
    recent.set(k, report);
    while (recent.size > 4) recent.delete(recent.keys().next().value as string);
    return report;
  };
  return {
    report(initiativeId, now, read = {}) {
      const history = read.history !== false;
      // A report with its history serves a request without it too.
      for (const k of history ? [key(initiativeId, now, true)] : [key(initiativeId, now, false), key(initiativeId, now, true)]) if (recent.has(k)) return recent.get(k) ?? null;
      return keep(key(initiativeId, now, history), statsReport(db, initiativeId, now, { ...opts, history }));
    },
    async reportWithHistory(initiativeId, now) {
      const k = key(initiativeId, now, true);
      if (recent.has(k)) return recent.get(k) ?? null;
      return keep(k, await statsReportAsync(db, initiativeId, now, { ...opts, history: true }));
    },
  };
}
