/**
 * The system's vocabulary, in one place: the words the database, the flows, the planner and the
 * CLI share. The schema's enums derive from these lists (src/db/schema.ts), so a new role or
 * answer is added here once. Channels are defined with their properties in src/core/messages.ts
 * (CHANNEL_INFO) and re-exported here.
 */
export { CHANNELS, type ChannelName } from '../core/messages.js';

/** An initiative's phase (seed 000, see docs/domain.md): 0 stopped … 5 managing the school's population. */
export const PHASES = [0, 1, 2, 3, 4, 5] as const;
export type Phase = (typeof PHASES)[number];
export const isPhase = (n: unknown): n is Phase => typeof n === 'number' && (PHASES as readonly number[]).includes(n);

/** What a person is in an initiative. */
export const ROLES = ['parent', 'ambassador', 'coordinator'] as const;
export type Role = (typeof ROLES)[number];

/** An answer to an event invitation. */
export const RSVP_ANSWERS = ['yes', 'no', 'maybe'] as const;
export type RsvpAnswer = (typeof RSVP_ANSWERS)[number];
/** Where an answer puts the person: a place, the waiting list, or neither. */
export const RSVP_STATUSES = ['going', 'waiting', 'none'] as const;
export type RsvpStatus = (typeof RSVP_STATUSES)[number];

/** The kinds of events (the list of src/db/schema.ts EVENT_KINDS; a test keeps them equal). */
export const EVENT_KIND_NAMES = ['tour', 'open_morning', 'carrousel', 'kickoff', 'play_morning'] as const;
export type EventKindName = (typeof EVENT_KIND_NAMES)[number];

/** The parent's answer to the placement check. */
export const PLACEMENT_ANSWERS = ['yes', 'no', 'unknown'] as const;
export type PlacementAnswer = (typeof PLACEMENT_ANSWERS)[number];

/** Quiet hours: local "HH:MM"; the window may wrap past midnight (20:00–08:30). */
export interface QuietHours {
  start: string;
  end: string;
}

/** Who hears a parent's "help me" or "I want to help": the first of these the initiative has. */
export type HelpRoute = 'ambassador' | 'coordinator' | 'nobody';
