/**
 * RSVP rules for events with a capacity, kept pure so the repository and the chat agree on
 * them. A "yes" takes a free place or joins the waiting list; "no" and "maybe" never hold a
 * place. The waiting list is first come, first served: when places free up, the people who
 * have waited longest move up, never a newcomer ahead of them.
 */

import type { RsvpAnswer, RsvpStatus } from './model.js';

export { RSVP_ANSWERS, type RsvpAnswer, type RsvpStatus } from './model.js';

export interface PlacesTaken {
  /** Null: no limit. */
  capacity: number | null;
  /** People already going, not counting the person who answers now. */
  goingOthers: number;
}

/** Where an answer puts the person: a place, the waiting list, or neither. */
export function decideRsvp(places: PlacesTaken, answer: RsvpAnswer): RsvpStatus {
  if (answer !== 'yes') return 'none';
  return freePlaces(places.capacity, places.goingOthers) > 0 ? 'going' : 'waiting';
}

/**
 * Who moves up from the waiting list: as many as there are free places, oldest first.
 * `waiting` holds person ids ordered oldest first; the result keeps that order.
 */
export function promotions(capacity: number | null, going: number, waiting: readonly number[]): number[] {
  return waiting.slice(0, Math.min(waiting.length, freePlaces(capacity, going)));
}

/** Free places (never negative; Infinity without a limit). */
export function freePlaces(capacity: number | null, going: number): number {
  if (capacity === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, capacity - going);
}
