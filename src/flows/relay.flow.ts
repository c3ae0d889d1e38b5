/**
 * The relay conversation (issue 11). Scaffold: the owner of this area replaces it.
 * Entry points used by the router: beginRelay (command /relay), handleRelayChoice (buttons),
 * handleRelay (typed input while in this flow), relayPrompt (ask the current step again).
 */
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { langOf, result, say } from './kit.js';
import { refuseStaff } from './staff.flow.js';

export function beginRelay(lang: string, ctx: FlowContext): FlowResult {
  return refuseStaff(lang, ctx);
}

/** A `relay-prefixed` button; null when the value is not one of this flow's. */
export function handleRelayChoice(_value: string, _prev: FlowState | null, _lang: string, _ctx: FlowContext): FlowResult | null {
  return null;
}

export function handleRelay(st: FlowState, _input: FlowInput, ctx: FlowContext): FlowResult {
  return result(null, langOf(st, ctx), [say('common:notUnderstood')]);
}

export function relayPrompt(_st: FlowState, _ctx: FlowContext): ReturnType<typeof say>[] {
  return [];
}
