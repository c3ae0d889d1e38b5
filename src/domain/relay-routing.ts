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

/**
 * The outreach ladder's call-back task (src/domain/outreach-ladder.ts) goes to the people most
 * likely to reach the parent, in this order; each group in turn gets it when the one before let it
 * wait 24 hours (or had nobody not asked before):
 *   area         ambassadors who speak the parent's language and live in the parent's PC4 (tier 0)
 *   language     the other ambassadors who speak it (tier 0)
 *   fallback     ambassadors who speak the parent's second language ('en'), if they chose one (tier 1)
 *   ambassadors  every other ambassador (tier 1)
 *   coordinators (tier 2)
 */
export const LADDER_GROUPS = ['area', 'language', 'fallback', 'ambassadors', 'coordinators'] as const;
export type LadderGroup = (typeof LADDER_GROUPS)[number];

export interface LadderParent {
  personId: number;
  language: string;
  /** Their second language for broadcasts ('en'), or null. */
  fallback: string | null;
  pc4: string | null;
}

/** The first group with someone not asked before; `nobody` (NOBODY_TIER) when every group is used up. */
export function nextLadderOffer(
  staff: readonly (StaffMember & { pc4?: string | null })[],
  parent: LadderParent,
  asked: ReadonlySet<number>,
): { group: LadderGroup | 'nobody'; tier: number; personIds: number[] } {
  const others = staff.filter((s) => s.personId !== parent.personId);
  const ambassadors = others.filter((s) => s.role === 'ambassador');
  const speaks = (lang: string | null) => (s: StaffMember) => lang !== null && (s.languages ?? []).includes(lang);
  const ambassadorIds = new Set(ambassadors.map((s) => s.personId));
  const groups: Record<LadderGroup, { tier: number; ids: number[] }> = {
    area: { tier: 0, ids: ambassadors.filter((s) => speaks(parent.language)(s) && parent.pc4 !== null && s.pc4 === parent.pc4).map((s) => s.personId) },
    language: { tier: 0, ids: ambassadors.filter(speaks(parent.language)).map((s) => s.personId) },
    fallback: { tier: 1, ids: ambassadors.filter(speaks(parent.fallback)).map((s) => s.personId) },
    ambassadors: { tier: 1, ids: [...ambassadorIds] },
    coordinators: { tier: 2, ids: others.filter((s) => s.role === 'coordinator' && !ambassadorIds.has(s.personId)).map((s) => s.personId) },
  };
  for (const group of LADDER_GROUPS) {
    const personIds = [...new Set(groups[group].ids)].filter((id) => !asked.has(id)).sort((a, b) => a - b);
    if (personIds.length) return { group, tier: groups[group].tier, personIds };
  }
  return { group: 'nobody', tier: NOBODY_TIER, personIds: [] };
}

/** Nobody of the initiative's ambassadors speaks the parent's language (the coordinators are told where the task went). */
export const noSpeaker = (staff: readonly StaffMember[], language: string, parentId: number): boolean =>
  !staff.some((s) => s.role === 'ambassador' && s.personId !== parentId && (s.languages ?? []).includes(language));
