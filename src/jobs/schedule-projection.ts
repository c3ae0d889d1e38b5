/**
 * What parents will receive: the rows already in `deliveries`, then a simulation of the
 * coming days with the planner's own pieces (timeline, quiet hours, frequency cap). A
 * simulated clock steps one day at a time and looks one day ahead, so no rule's window is
 * missed, and each step re-loads the person's snapshot at that moment (events, newsletter
 * slots and the cap history move with it). New messages get their send time against the
 * database history plus what was projected before them, exactly as the planner would plan
 * them one by one. A pure read: nothing is written, so `schedule` is safe on a live database.
 * The snapshot is today's: answers a parent has not given yet (registered, RSVP) are unknown.
 */
import { deliveryKey, type PlanPerson } from '../domain/nurture.types.js';
import { stepOf, type LadderRow } from '../domain/outreach-ladder.js';
import { deliveriesOf, type DeliveryRow, type DeliveryStatus } from '../db/deliveries.repo.js';
import { loadPlanningWorld, type PlanningWorld } from '../db/planning.repo.js';
import { sendTimesFor, timelineOf, type PlanPassDeps } from './plan-pass.js';

export type ProjectedStatus = DeliveryStatus | 'projected';

export interface ProjectedMessage {
  personId: number;
  childId: number | null;
  ruleId: string;
  messageKey: string;
  /** When it goes out: `sentAt` for a sent row, else the planned send time. */
  sendAt: Date;
  /** A row's status, or 'projected' for a message the planner has not written yet. */
  status: ProjectedStatus;
  /** Why it was not sent, or what the messenger said of it ("no approved template …", "read"). */
  note?: string;
  /** The zone its local time is read in: the initiative's, else the default. */
  timeZone: string;
}

export interface ProjectionOptions {
  personIds: number[];
  from: Date;
  days: number;
}

const DAY_MS = 86_400_000;
/** The simulated planner wakes once a day and looks one day ahead. */
const STEP_MS = DAY_MS;

export function projectSchedule(deps: PlanPassDeps, opts: ProjectionOptions): ProjectedMessage[] {
  const personIds = [...new Set(opts.personIds)];
  const rows = deliveriesOf(deps.db, { personIds });
  const until = opts.from.getTime() + opts.days * DAY_MS;
  const out: ProjectedMessage[] = [];
  for (const personId of personIds) {
    const mine = rows.filter((r) => r.personId === personId);
    out.push(...projectPerson(deps, personId, mine, opts.from, until));
  }
  return out.sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime() || a.personId - b.personId || a.ruleId.localeCompare(b.ruleId));
}

function projectPerson(deps: PlanPassDeps, personId: number, rows: DeliveryRow[], from: Date, until: number): ProjectedMessage[] {
  const load = (at: number) => loadPlanningWorld(deps.db, new Date(at), { personId, capWindowMs: deps.policy.cap.windowMs });
  const first = load(from.getTime());
  const person = first.people[0];
  if (!person) return [];
  const zone = zoneOf(deps, first, person);
  const out: ProjectedMessage[] = rows
    .filter((r) => r.sendAt >= from || r.status === 'sent')
    .map((r) => ({ personId, childId: r.childId, ruleId: r.ruleId, messageKey: r.payload.key, sendAt: r.sentAt ?? r.sendAt, status: r.status, timeZone: zone, ...noteOf(r) }));
  // Like the planner: nothing for a person who turned messages off or cannot be reached.
  if (!person.proactive || !first.channelOf.has(personId)) return out;

  const known = new Set(rows.map((r) => r.key));
  const projectedSends: Date[] = [];
  // The outreach ladder's next step counts from the send of the one before: projected steps join its history.
  const projectedLadder: LadderRow[] = [];
  for (let t = from.getTime(); t < until; t += STEP_MS) {
    const world = t === from.getTime() ? first : load(t);
    const now = new Date(t);
    const self = world.people[0];
    if (!self) break;
    if (world.ladder && projectedLadder.length) world.ladder.history.set(personId, [...(world.ladder.history.get(personId) ?? []), ...projectedLadder]);
    const fresh = timelineOf(deps, world, self, now, STEP_MS).filter((c) => !known.has(deliveryKey(c)));
    for (const { candidate: c, sendAt } of sendTimesFor(deps, world, self, fresh, now, projectedSends)) {
      known.add(deliveryKey(c));
      for (const sib of c.siblings ?? []) known.add(deliveryKey(sib));
      if (c.kind !== 'notice') projectedSends.push(sendAt);
      if (stepOf(c.ruleId) > 0) projectedLadder.push({ ruleId: c.ruleId, occurrence: c.occurrence, status: 'sent', at: sendAt, dueAt: c.dueAt, expiresAt: c.expiresAt });
      if (sendAt.getTime() < until) {
        out.push({ personId, childId: c.childId, ruleId: c.ruleId, messageKey: c.payload.key, sendAt, status: 'projected', timeZone: zoneOf(deps, world, self) });
      }
    }
  }
  return out;
}

function zoneOf(deps: PlanPassDeps, world: PlanningWorld, person: PlanPerson): string {
  const ini = person.initiativeId !== null ? world.initiatives.get(person.initiativeId) : undefined;
  return ini?.timeZone ?? deps.defaultTimeZone;
}



function noteOf(r: DeliveryRow): { note?: string } {
  const note = r.status === 'sent' ? (r.channelStatus ?? undefined) : (r.lastError ?? undefined);
  return note ? { note } : {};
}
