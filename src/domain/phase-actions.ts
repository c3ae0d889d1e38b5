/**
 * What a parent can do now, per phase of the initiative (seed 000, second table). The texts
 * live in locales under `phases:actions.<key>`; this file only says which actions fit whom.
 */
import type { ChildView, Phase } from '../flows/flow.types.js';
import { ageInMonths, type YearMonth } from './birth-month.js';

export interface PhaseAction {
  key: string;
  /** Shown only when this holds for the parent's children. */
  fits?: (children: ChildView[], now: YearMonth) => boolean;
}

const anyChildAged = (min: number, max: number) => (children: ChildView[], now: YearMonth) =>
  children.some((c) => !c.expected && ageInMonths(c, now) >= min && ageInMonths(c, now) <= max);

export const PHASE_ACTIONS: Record<Phase, PhaseAction[]> = {
  0: [{ key: 'restart_talk' }, { key: 'share_idea' }],
  1: [{ key: 'bring_parents' }, { key: 'join_group' }, { key: 'visit_school' }, { key: 'help_plan' }],
  2: [
    { key: 'open_morning' },
    { key: 'bring_parent' },
    { key: 'register_on_time', fits: anyChildAged(18, 59) },
    { key: 'play_activity' },
    { key: 'call_round' },
  ],
  3: [{ key: 'meet_parents' }, { key: 'school_tour' }, { key: 'join_mr' }, { key: 'become_lobby_parent' }],
  4: [{ key: 'parent_participation' }, { key: 'tell_others' }, { key: 'join_mr' }],
  5: [{ key: 'become_lobby_parent' }, { key: 'tell_others' }],
};

/** 2–5 actions that fit the phase and this parent, in the order of the seed's table. */
export function actionsFor(phase: Phase, children: ChildView[], now: YearMonth): PhaseAction[] {
  return PHASE_ACTIONS[phase].filter((a) => !a.fits || a.fits(children, now)).slice(0, 5);
}

export function isActionOf(phase: Phase, key: string): boolean {
  return PHASE_ACTIONS[phase].some((a) => a.key === key);
}
