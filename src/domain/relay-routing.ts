/**
 * Who a parent's question goes to, and when it moves on (pure). Tier 0: the initiative's
 * ambassadors who speak the parent's language; tier 1: its other ambassadors; tier 2: its
 * coordinators; tier 3 (NOBODY_TIER): nobody is left (the parent is told, with the initiative's
 * contact, and the operator log and audit get a line; the thread stays open in every staff
 * list). A tier without people is skipped at once. A question nobody claimed for 24 hours goes
 * to the next tier with people; so does a claimed question that got no answer in 24 hours.
 */
import type { Role } from './model.js';
import type { AgeBand } from './relay.types.js';

export const ESCALATE_AFTER_MS = 24 * 3600_000;
/** A call-back number is kept for one task: until its outcome, at most 14 days. */
export const CALLBACK_PHONE_TTL_MS = 14 * 24 * 3600_000;
export const NOBODY_TIER = 3;
/** "help" typed this long after a broadcast the parent got in another language is about that broadcast. */
export const HELP_AFTER_BROADCAST_MS = 3 * 24 * 3600_000;

export interface StaffMember {
  personId: number;
  role: Role;
  /** Ambassadors: the languages they speak (null: not said yet). */
  languages: string[] | null;
}

/** The people of one tier (the asking parent left out; someone with two roles counts once, in the first tier that fits). */
export function tierMembers(staff: readonly StaffMember[], tier: number, parentLanguage: string, askingPersonId: number): number[] {
  const ambassadors = staff.filter((s) => s.role === 'ambassador' && s.personId !== askingPersonId);
  const speaks = (s: StaffMember) => (s.languages ?? []).includes(parentLanguage);
  const firstTier = new Set(ambassadors.filter(speaks).map((s) => s.personId));
  const anyAmbassador = new Set(ambassadors.map((s) => s.personId));
  let ids: number[];
  if (tier === 0) ids = [...firstTier];
  else if (tier === 1) ids = [...anyAmbassador].filter((id) => !firstTier.has(id));
  else if (tier === 2) ids = staff.filter((s) => s.role === 'coordinator' && s.personId !== askingPersonId && !anyAmbassador.has(s.personId)).map((s) => s.personId);
  else ids = [];
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** The first tier from `from` on that has people, and who they are; NOBODY_TIER with nobody when none has. */
export function nextTier(staff: readonly StaffMember[], from: number, parentLanguage: string, askingPersonId: number): { tier: number; personIds: number[] } {
  for (let tier = Math.max(0, from); tier < NOBODY_TIER; tier++) {
    const personIds = tierMembers(staff, tier, parentLanguage, askingPersonId);
    if (personIds.length) return { tier, personIds };
  }
  return { tier: NOBODY_TIER, personIds: [] };
}

/** When an unclaimed thread asked at `tierAt` (or a claimed one without an answer since `claimedAt`) moves on. */
export const escalatesAt = (since: Date): Date => new Date(since.getTime() + ESCALATE_AFTER_MS);

/** The age band of a child on the reader's local month (`months` from the birth month; expected children have none). */
export function ageBand(months: number | null): AgeBand {
  if (months === null) return 'expected';
  if (months < 12) return 'under1';
  if (months < 24) return 'y1';
  if (months < 36) return 'y2';
  if (months < 48) return 'y3';
  return 'y4plus';
}

/**
 * A number the parent typed to be called on: digits with an optional leading + (spaces, dashes,
 * dots and brackets are dropped); 8 to 15 digits (E.164 is at most 15). Null: not a number.
 */
export function parsePhone(typed: string): string | null {
  const trimmed = typed.trim();
  if (!/^\+?[\d\s\-.()/]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15) return null;
  return `${trimmed.startsWith('+') ? '+' : ''}${digits}`;
}
