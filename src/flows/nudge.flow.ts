/**
 * The nudge conversation (issue 11). Scaffold: the owner of this area replaces it.
 * Entry points used by the router: beginNudge (command /nudge), handleNudgeChoice (buttons),
 * handleNudge (typed input while in this flow), nudgePrompt (ask the current step again).
 */
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { langOf, result, say } from './kit.js';
import { refuseStaff } from './staff.flow.js';

export function beginNudge(lang: string, ctx: FlowContext): FlowResult {
  return refuseStaff(lang, ctx);
}

/** A `nudge-prefixed` button; null when the value is not one of this flow's. */
export function handleNudgeChoice(_value: string, _prev: FlowState | null, _lang: string, _ctx: FlowContext): FlowResult | null {
  return null;
}

export function handleNudge(st: FlowState, _input: FlowInput, ctx: FlowContext): FlowResult {
  return result(null, langOf(st, ctx), [say('common:notUnderstood')]);
}

export function nudgePrompt(_st: FlowState, _ctx: FlowContext): ReturnType<typeof say>[] {
  return [];
}
