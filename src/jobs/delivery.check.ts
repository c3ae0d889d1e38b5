/**
 * The worker's last look before sending: is this message still wanted, right now? The
 * person may have pressed /stop, switched reminders off, registered the child, changed an
 * RSVP, or the event may be cancelled; the quiet hours or the cap may say "later". "Still
 * wanted" is answered by running the same timeline the planner used (one source of truth):
 * the delivery's key must still be among the person's candidates.
 */
import { deliveryKey } from '../domain/nurture.types.js';
import { afterQuiet, isQuiet } from '../domain/send-window.js';
import { RELEASED_NOTE, type DeliveryRow } from '../db/deliveries.repo.js';
import { sentSince } from '../db/delivery-context.repo.js';
import { loadPlanningWorld } from '../db/planning.repo.js';
import { recheckPerson } from '../db/recheck.repo.js';
import { timelineOf, type PlanPassDeps } from './plan-pass.js';

export type Verdict = { go: true; children?: number[] } | { go: false; status: 'skipped' | 'expired'; reason: string } | { go: false; deferTo: Date; reason: string };

/** Notices (a waiting-list place, a help request) are not rules: they only need the master switch. */
export const isNotice = (row: Pick<DeliveryRow, 'kind'>): boolean => row.kind === 'notice';

/**
 * A task row (the outreach ladder's call-back task) is a notice planned by a rule: not capped, but
 * still wanted only while its key is a candidate (the parent came back: it is dropped). It
 * messages nobody itself, so the parent's quiet hours do not hold it (the staff notices it makes
 * have their own).
 */
export const isTask = (row: Pick<DeliveryRow, 'payload'>): boolean => row.payload.task !== undefined;

export function checkDelivery(deps: PlanPassDeps, row: DeliveryRow, now: Date): Verdict {
  if (row.expiresAt && row.expiresAt <= now) return { go: false, status: 'expired', reason: 'expired before it could be sent' };
  // A broadcast is not a rule: it needs the consent to messages of the initiative, not a timeline,
  // so its re-check reads the person's switches only (the worker's hot path: issue 13).
  if (row.kind === 'broadcast') {
    const p = recheckPerson(deps.db, row.personId);
    if (!p) return { go: false, status: 'skipped', reason: 'person erased' };
    if (!p.proactive) return { go: false, status: 'skipped', reason: 'stopped' };
    if (!p.reminders) return { go: false, status: 'skipped', reason: 'no consent' };
    return windowAndCap(deps, row, now, p.quiet, p.timeZone);
  }
  const world = loadPlanningWorld(deps.db, now, { personId: row.personId, capWindowMs: deps.policy.cap.windowMs });
  const person = world.people[0];
  if (!person) return { go: false, status: 'skipped', reason: 'person erased' };
  if (!person.proactive) return { go: false, status: 'skipped', reason: 'stopped' };
  const ini = person.initiativeId !== null ? (world.initiatives.get(person.initiativeId) ?? null) : null;
  let stillAbout: number[] | undefined;
  if (!isNotice(row) || isTask(row)) {
    const candidates = timelineOf(deps, world, person, now, Math.max(0, row.sendAt.getTime() - now.getTime()) + 1000);
    const keys = new Set(candidates.map(deliveryKey));
    const kids = row.payload.children ?? [];
    if (kids.length > 1) {
      // One message for siblings: still wanted for the children whose own key is still a candidate.
      const occurrence = row.key.split('|').slice(3).join('|');
      stillAbout = kids.filter((c) => keys.has(deliveryKey({ ruleId: row.ruleId, personId: row.personId, childId: c.id, occurrence }))).map((c) => c.id);
      if (!stillAbout.length) return { go: false, status: 'skipped', reason: 'no longer relevant' };
    } else if (!keys.has(row.key)) return { go: false, status: 'skipped', reason: 'no longer relevant' };
  }
  const verdict = windowAndCap(deps, row, now, person.quiet, ini?.timeZone ?? null);
  return verdict.go && stillAbout ? { go: true, children: stillAbout } : verdict;
}

/** Quiet hours (in the initiative's zone) and the frequency cap: "not now" with the moment to try again. */
function windowAndCap(deps: PlanPassDeps, row: DeliveryRow, now: Date, personQuiet: { start: string; end: string } | null, timeZone: string | null): Verdict {
  const zone = timeZone ?? deps.defaultTimeZone;
  const quiet = personQuiet ?? deps.policy.quiet;
  // A message released by the parent's own reply (WhatsApp: "reply to read it") is not held back by quiet hours.
  if (!isTask(row) && row.lastError !== RELEASED_NOTE && isQuiet(now, quiet, zone)) return { go: false, deferTo: afterQuiet(now, quiet, zone), reason: 'quiet hours' };
  const urgent = row.urgentFrom !== null && now >= row.urgentFrom;
  if (!isNotice(row) && !urgent) {
    const sent = sentSince(deps.db, row.personId, new Date(now.getTime() - deps.policy.cap.windowMs))
      .map((d) => d.getTime())
      .sort((a, b) => a - b);
    if (sent.length >= deps.policy.cap.max) {
      const oldest = sent[sent.length - deps.policy.cap.max] ?? now.getTime();
      return { go: false, deferTo: new Date(oldest + deps.policy.cap.windowMs + 1000), reason: 'frequency cap' };
    }
  }
  return { go: true };
}
