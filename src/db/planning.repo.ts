/**
 * Loads what the planner needs in a few bulk queries (not one per parent): everyone who
 * still wants messages, their children, their initiative with its municipality rule,
 * upcoming events with RSVPs, newsletter slots, the channel to use, the recent send
 * history for the frequency cap, and the outreach ladder's rows, settings and voice languages. Also loads the same for one person (the worker's re-check).
 * Ids and dates only: no names, postcodes or chat ids leave this module.
 */
import { CHANNEL_INFO, type ChannelName } from '../core/messages.js';
import { newsletterSlots } from '../domain/newsletter-slots.js';
import type { EventKindName } from '../domain/model.js';
import type { NewsletterSlot, PlanChild, PlanEvent, PlanInitiative, PlanPerson, RsvpLabel } from '../domain/nurture.types.js';
import type { Db } from './client.js';
import { capHistory } from './deliveries.repo.js';
import { eventRsvpsForPlanning, type RsvpState } from './events.repo.js';
import { allRegistrationRules, normalizeMunicipality } from './municipalities.repo.js';
import { allNewsletterSchedules } from './newsletters.repo.js';
import { activeNudgeRules, type InitiativeNudgeRules } from './nudges.repo.js';
import { ladderHistory, outreachSettingsMap, outreachVoiceLanguages } from './outreach.repo.js';
import type { LadderRow, LadderSettings } from '../domain/outreach-ladder.js';

export interface PlanningWorld {
  people: PlanPerson[];
  channelOf: Map<number, ChannelName>;
  initiatives: Map<number, PlanInitiative>;
  eventsOf: Map<number, PlanEvent[]>;
  slotsOf: Map<number, NewsletterSlot[]>;
  history: Map<number, Date[]>;
  /** Each initiative's own reminder rules: its active relative nudges (src/db/nudges.repo.ts); absent in older callers. */
  nudgeRulesOf?: Map<number, InitiativeNudgeRules>;
  /** The outreach ladder (src/domain/outreach-ladder.ts): each person's ladder rows, the initiatives' settings and voice languages; absent in older callers. */
  ladder?: LadderWorld;
}

export interface LadderWorld {
  history: Map<number, LadderRow[]>;
  settings: Map<number, LadderSettings>;
  voices: Map<number, Set<string>>;
}

const DAY_MS = 86_400_000;
/** Channels in order of preference for proactive messages (the local web chat is for trying out). */
const CHANNEL_RANK = (c: ChannelName): number => CHANNEL_INFO[c].rank;

type PersonTuple = [number, number, number, number, string | null, string | null, ChannelName | null, number | null, number | null, number | null, string];

interface PersonRow {
  id: number;
  proactive: number;
  reminders: number;
  newsletter: number;
  quiet_start: string | null;
  quiet_end: string | null;
  preferred_channel: ChannelName | null;
  last_action_at: number | null;
  last_read_at: number | null;
  contact_declined_at: number | null;
  language: string;
}

/**
 * Whom to load: everyone who wants messages (the full pass), one person (the worker's re-check,
 * `schedule`), a set of ids (the incremental tick: marked and due parents, bound as one JSON
 * array, never one query per person) or an id range (a batch of the full rebuild).
 */
export type PeopleSelection = { personId?: number; personIds?: readonly number[]; idRange?: { from: number; to: number } };

/** A WHERE term on a person id column, and its arguments. */
export interface PersonFilter {
  sql: (column: string) => string;
  args: unknown[];
}

export function personFilter(sel: PeopleSelection): PersonFilter | null {
  if (sel.personId !== undefined) return { sql: (c) => `${c} = ?`, args: [sel.personId] };
  if (sel.personIds !== undefined) return { sql: (c) => `${c} in (select value from json_each(?))`, args: [JSON.stringify(sel.personIds)] };
  if (sel.idRange !== undefined) return { sql: (c) => `${c} >= ? and ${c} < ?`, args: [sel.idRange.from, sel.idRange.to] };
  return null;
}

/**
 * `withHistory: false` skips the cap history (the planner loads it only for people with something
 * new). `aheadMs`: the incremental planner looks this far ahead for each parent's next moment, so
 * events and newsletter slots are loaded that much further (default: what a pass a day ahead needs).
 */
export function loadPlanningWorld(db: Db, now: Date, opts: PeopleSelection & { capWindowMs: number; withHistory?: boolean; aheadMs?: number }): PlanningWorld {
  const sqlite = db.$client;
  const one = opts.personId !== undefined;
  const filter = personFilter(opts);
  const where = filter ? `where ${filter.sql('p.id')}` : 'where p.proactive = 1';
  const args = filter?.args ?? [];
  // Rows as arrays (raw), made objects here: better-sqlite3's named rows cost twice as much (the rebuild reads every parent).
  const peopleRows = (
    sqlite
      .prepare(`select p.id, p.proactive, p.reminders, p.newsletter, p.quiet_start, p.quiet_end, p.preferred_channel, p.last_action_at, p.last_read_at, p.contact_declined_at, p.language from people p ${where}`)
      .raw()
      .all(...args) as PersonTuple[]
  ).map(
    ([id, proactive, reminders, newsletter, quiet_start, quiet_end, preferred_channel, last_action_at, last_read_at, contact_declined_at, language]): PersonRow => ({
      id,
      proactive,
      reminders,
      newsletter,
      quiet_start,
      quiet_end,
      preferred_channel,
      last_action_at,
      last_read_at,
      contact_declined_at,
      language,
    }),
  );

  const kids = new Map<number, PlanChild[]>();
  const childRows = sqlite
    .prepare(`select c.id, c.person_id, c.birth_year, c.birth_month, c.expected, c.registered_at, c.placement from children c ${filter ? `where ${filter.sql('c.person_id')}` : ''} order by c.birth_year, c.birth_month, c.id`)
    .raw()
    .all(...args) as [id: number, personId: number, year: number, month: number, expected: number, registeredAt: number | null, placement: PlanChild['placement']][];
  for (const [id, personId, year, month, expected, registeredAt, placement] of childRows) {
    const list = kids.get(personId) ?? [];
    list.push({ id, year, month, expected: expected === 1, registered: registeredAt !== null, placement });
    kids.set(personId, list);
  }

  const membership = new Map<number, { initiativeId: number; joinedAt: Date }>();
  const memberRows = sqlite
    .prepare(`select person_id, initiative_id, created_at from memberships where role = 'parent' ${filter ? `and ${filter.sql('person_id')}` : ''} order by id`)
    .all(...args) as { person_id: number; initiative_id: number; created_at: number }[];
  for (const m of memberRows) if (!membership.has(m.person_id)) membership.set(m.person_id, { initiativeId: m.initiative_id, joinedAt: new Date(m.created_at) });

  const channelOf = new Map<number, ChannelName>();
  const identityRows = sqlite
    .prepare(`select person_id, channel from identities where unreachable_at is null ${filter ? `and ${filter.sql('person_id')}` : ''} order by id`)
    .all(...args) as { person_id: number; channel: ChannelName }[];
  const preferred = new Map(peopleRows.map((p) => [p.id, p.preferred_channel]));
  for (const i of identityRows) {
    const had = channelOf.get(i.person_id);
    // The channel the parent chose wins while it is reachable; otherwise the best one they have.
    if (had && had === preferred.get(i.person_id)) continue;
    if (!had || i.channel === preferred.get(i.person_id) || CHANNEL_RANK(i.channel) >= CHANNEL_RANK(had)) channelOf.set(i.person_id, i.channel);
  }

  const people: PlanPerson[] = peopleRows.map((p) => {
    const m = membership.get(p.id);
    return {
      id: p.id,
      proactive: p.proactive === 1,
      reminders: p.reminders === 1,
      newsletter: p.newsletter === 1,
      quiet: p.quiet_start && p.quiet_end ? { start: p.quiet_start, end: p.quiet_end } : null,
      initiativeId: m?.initiativeId ?? null,
      joinedAt: m?.joinedAt ?? null,
      children: kids.get(p.id) ?? [],
      lastActionAt: p.last_action_at === null ? null : new Date(p.last_action_at),
      lastReadAt: p.last_read_at === null ? null : new Date(p.last_read_at),
      contactDeclined: p.contact_declined_at !== null,
      language: p.language,
    };
  });

  const aheadMs = Math.max(opts.aheadMs ?? 0, 0);
  const { initiatives, slotsOf } = one && !aheadMs ? sharedParts(db, now) : { initiatives: loadInitiatives(db), slotsOf: loadSlots(db, now, aheadMs) };
  return {
    people,
    channelOf,
    initiatives,
    eventsOf: loadEvents(db, now, initiatives, aheadMs, filter),
    slotsOf,
    nudgeRulesOf: activeNudgeRules(db),
    ladder: { history: ladderHistory(db, filter ?? undefined), settings: outreachSettingsMap(db), voices: outreachVoiceLanguages(db) },
    history: opts.withHistory === false ? new Map() : one ? personHistory(db, now, opts) : capHistory(db, new Date(now.getTime() - opts.capWindowMs)),
  };
}

/** One person's history only (the worker's re-check runs this for every message it sends). */
function personHistory(db: Db, now: Date, opts: { personId?: number; capWindowMs: number }): Map<number, Date[]> {
  return capHistory(db, new Date(now.getTime() - opts.capWindowMs), opts.personId);
}

let shared: { db: Db; minute: number; at: number; initiatives: Map<number, PlanInitiative>; slotsOf: Map<number, NewsletterSlot[]> } | null = null;

/**
 * The worker loads one person per message (25 a second): the initiatives with their
 * municipality rules and the newsletter slots are the same for all of them, so they are reused
 * for a few seconds (events and RSVPs are always read fresh).
 */
function sharedParts(db: Db, now: Date): { initiatives: Map<number, PlanInitiative>; slotsOf: Map<number, NewsletterSlot[]> } {
  const minute = Math.floor(now.getTime() / 60_000);
  if (!shared || shared.db !== db || shared.minute !== minute || Date.now() - shared.at > 5_000) {
    shared = { db, minute, at: Date.now(), initiatives: loadInitiatives(db), slotsOf: loadSlots(db, now) };
  }
  return shared;
}

function loadInitiatives(db: Db): Map<number, PlanInitiative> {
  const rules = allRegistrationRules(db);
  const scheduled = new Set(allNewsletterSchedules(db).filter((s) => s.active).map((s) => s.initiativeId));
  const rows = db.$client.prepare('select id, phase, time_zone, municipality from initiatives where archived_at is null').all() as { id: number; phase: number; time_zone: string; municipality: string }[];
  // The moment of each initiative's last phase change (audited by `initiative phase`).
  const changed = db.$client
    .prepare("select subject_id, max(at) as at from audit_log where action = 'initiative.phase' and subject_type = 'initiative' group by subject_id")
    .all() as { subject_id: number; at: number }[];
  const phaseSince = new Map(changed.map((c) => [c.subject_id, new Date(c.at)]));
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        phase: r.phase,
        timeZone: r.time_zone,
        registration: rules.get(normalizeMunicipality(r.municipality)) ?? { kind: 'fromAge3' },
        hasNewsletterSchedule: scheduled.has(r.id),
        phaseSince: phaseSince.get(r.id) ?? null,
      },
    ]),
  );
}

function loadEvents(db: Db, now: Date, initiatives: Map<number, PlanInitiative>, aheadMs = 0, filter: PersonFilter | null = null): Map<number, PlanEvent[]> {
  // Invitations start 7 days before; the day's reminder runs until the start. The planner looks
  // 8 days further (LOOKAHEAD_MS) to keep room in the cap for the invitations of the coming days,
  // and the incremental planner `aheadMs` further still for each parent's next moment.
  const rows = db.$client
    .prepare('select id, initiative_id, kind, starts_at, min_age_months, max_age_months from events where cancelled_at is null and starts_at > ? and starts_at < ?')
    .all(now.getTime() - DAY_MS, now.getTime() + aheadMs + 16 * DAY_MS) as { id: number; initiative_id: number; kind: EventKindName; starts_at: number; min_age_months: number; max_age_months: number }[];
  const rsvps = rsvpsOf(db, rows.map((r) => r.id), filter);
  const out = new Map<number, PlanEvent[]>();
  for (const r of rows) {
    if (!initiatives.has(r.initiative_id)) continue;
    const answers = rsvps.get(r.id) ?? new Map<number, RsvpState>();
    const list = out.get(r.initiative_id) ?? [];
    list.push({
      id: r.id,
      initiativeId: r.initiative_id,
      startsAt: new Date(r.starts_at),
      kind: r.kind,
      minAgeMonths: r.min_age_months,
      maxAgeMonths: r.max_age_months,
      rsvpOf: (personId) => labels(answers.get(personId)),
    });
    out.set(r.initiative_id, list);
  }
  return out;
}

/**
 * The answers to these events of the selected people only: a batch of the rebuild asks about its
 * own parents (reading every answer for each batch grew with the square of the parents: ~9 us per
 * parent at 1M). Without a selection (the full pass), everyone's.
 */
function rsvpsOf(db: Db, eventIds: number[], filter: PersonFilter | null): Map<number, Map<number, RsvpState>> {
  if (!filter) return eventRsvpsForPlanning(db, eventIds);
  const out = new Map<number, Map<number, RsvpState>>(eventIds.map((id) => [id, new Map()]));
  if (!eventIds.length) return out;
  const rows = db.$client
    .prepare(`select event_id, person_id, answer, status from event_rsvps where event_id in (select value from json_each(?)) and ${filter.sql('person_id')}`)
    .raw()
    .all(JSON.stringify(eventIds), ...filter.args) as [number, number, RsvpState['answer'], RsvpState['status']][];
  for (const [eventId, personId, answer, status] of rows) out.get(eventId)?.set(personId, { answer, status });
  return out;
}

function labels(state: RsvpState | undefined): RsvpLabel[] {
  if (!state) return ['none'];
  return state.status === 'none' ? [state.answer] : [state.answer, state.status];
}

function loadSlots(db: Db, now: Date, aheadMs = 0): Map<number, NewsletterSlot[]> {
  const out = new Map<number, NewsletterSlot[]>();
  for (const s of allNewsletterSchedules(db)) {
    if (!s.active) continue;
    const slots = newsletterSlots(s, s.timeZone, new Date(now.getTime() - 7 * DAY_MS), new Date(now.getTime() + Math.max(2 * DAY_MS, aheadMs + DAY_MS)));
    out.set(
      s.initiativeId,
      slots.map((x) => ({ initiativeId: s.initiativeId, slot: x.slot, at: x.at })),
    );
  }
  return out;
}
