/**
 * A phase change is announced once to the initiative's parents (the `phase` rule in
 * config/reminder-rules.json; one delivery row per parent, key `phase-change|p<person>|c-|i<id>-phase<n>`),
 * in their language, within the quiet hours and the cap, by the planner like any reminder.
 * Before the coordinator confirms, `announcementReach` counts whom it will reach, with the
 * same timeline the planner runs (so the number is what will really happen).
 */
import { candidatesFor } from '../domain/timeline.js';
import { deliveryKey } from '../domain/nurture.types.js';
import type { ReminderRule } from '../domain/reminder-rules.js';
import type { Db } from '../db/client.js';
import { keyExists } from '../db/deliveries.repo.js';
import { loadPlanningWorld } from '../db/planning.repo.js';

const DAY_MS = 86_400_000;

/** How many parents of the initiative would get the announcement of `phase` if it changed at `now`. */
export function announcementReach(db: Db, rules: ReminderRule[], initiativeId: number, phase: number, now: Date, defaultTimeZone: string): number {
  const phaseRules = rules.filter((r) => r.trigger.type === 'phase');
  if (!phaseRules.length) return 0;
  const world = loadPlanningWorld(db, now, { capWindowMs: 7 * DAY_MS, withHistory: false });
  const current = world.initiatives.get(initiativeId);
  if (!current) return 0;
  const initiative = { ...current, phase, phaseSince: now };
  const exists = keyExists(db);
  let reach = 0;
  for (const person of world.people) {
    if (person.initiativeId !== initiativeId || !world.channelOf.has(person.id)) continue;
    const got = candidatesFor({ now, horizonMs: DAY_MS, rules: phaseRules, person, initiative, events: [], newsletterSlots: [], defaultTimeZone });
    if (got.some((c) => !exists(deliveryKey(c)))) reach++;
  }
  return reach;
}
