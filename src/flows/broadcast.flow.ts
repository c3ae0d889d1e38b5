/**
 * The broadcast conversation (issue 11). Scaffold: the owner of this area replaces it.
 * Entry points used by the router: beginBroadcast (command /broadcast), handleBroadcastChoice (buttons),
 * handleBroadcast (typed input while in this flow), broadcastPrompt (ask the current step again).
 */
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { langOf, result, say } from './kit.js';
import { refuseStaff } from './staff.flow.js';

export function beginBroadcast(lang: string, ctx: FlowContext): FlowResult {
  return refuseStaff(lang, ctx);
}

/** A `broadcast-prefixed` button; null when the value is not one of this flow's. */
export function handleBroadcastChoice(_value: string, _prev: FlowState | null, _lang: string, _ctx: FlowContext): FlowResult | null {
  return null;
}

export function handleBroadcast(st: FlowState, _input: FlowInput, ctx: FlowContext): FlowResult {
  return result(null, langOf(st, ctx), [say('common:notUnderstood')]);
}

export function broadcastPrompt(_st: FlowState, _ctx: FlowContext): ReturnType<typeof say>[] {
  return [];
}
