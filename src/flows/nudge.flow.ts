/**
 * Coordinator nudges in the chat (`/nudge`, "Herinneringen" in the staff menu; issue 11, item 4).
 * Pure. Only coordinators of the initiative (src/domain/authorization.ts, action 'nudge'); anyone
 * else gets the polite refusal and nothing changes.
 *
 * States `nudge/<step>`: ini (which initiative), menu (the initiative's nudges), show (one nudge:
 * preview, runs, trigger now, pause, resume, cancel), askTrigger, askCancel, and the steps of making
 * one (src/flows/nudge-compose.flow.ts). Data: ini, and id (the nudge shown).
 * Buttons: nd:ini:<id>, nd:menu, nd:new, nd:show:<id>, nd:prev:<id>, nd:runs:<id>, nd:trig:<id>,
 * nd:trigYes:<id>, nd:pause:<id>, nd:resume:<id>, nd:cancel:<id>, nd:cancelYes:<id>, nd:stop, and
 * the composition's (nd:type:…, nd:aud:…, nd:al:…, nd:lang:…, nd:wd:…, nd:ek:…, nd:save).
 */
import type { Choice, Reply } from '../core/messages.js';
import { initiativesFor } from '../domain/authorization.js';
import type { NudgeCommand, NudgeView } from '../domain/nudge.types.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, num, result, say, state } from './kit.js';
import { beginCompose, composeChoice, composePrompt, composeText, mayNudge, type Leave } from './nudge-compose.flow.js';
import { clip, countText, lines, nudgeSummary, previewReplies, runLine } from './nudge-view.js';
import { refuseStaff } from './staff.flow.js';

const membershipsOf = (ctx: FlowContext) => ctx.person?.memberships ?? [];
const COMPOSE_STEPS = new Set(['type', 'aud', 'audLangs', 'born', 'text', 'more', 'date', 'weekday', 'monthDay', 'time', 'months', 'eventKind', 'days', 'confirm']);

export function beginNudge(lang: string, ctx: FlowContext): FlowResult {
  const inis = initiativesFor(membershipsOf(ctx), 'nudge');
  if (inis.length === 0 || !ctx.directory.nudges) return refuseStaff(lang, ctx);
  if (inis.length === 1) return nudgeMenu(inis[0] as number, lang, ctx);
  const rows = inis.map((id) => [choice(`nd:ini:${id}`, 'common:plain', { value: ctx.directory.initiativeById(id)?.name ?? String(id) })]);
  return result(state('nudge', 'ini', lang), lang, [say('nudge:ask.initiative', undefined, [...rows, [choice('staff:menu', 'nudge:button.back')]])]);
}

/** The initiative's nudges and "new". */
export function nudgeMenu(ini: number, lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  const reads = ctx.directory.nudges;
  if (!reads || !mayNudge(ctx, ini)) return refuseStaff(lang, ctx);
  const list = reads.listFor(ini);
  const items: Choice[][] = list.slice(0, 10).map((n) => [choice(`nd:show:${n.id}`, `nudge:item.${n.status === 'paused' ? 'paused' : 'active'}`, { id: n.id, text: clip(reads.versions(n.id)[0]?.text ?? '', 30) })]);
  const name = ctx.directory.initiativeById(ini)?.name ?? '';
  const head = say(list.length ? 'nudge:menu' : 'nudge:menuEmpty', { name });
  return result(state('nudge', 'menu', lang, { ini }), lang, [...before, { ...head, choices: [...items, [choice('nd:new', 'nudge:button.new')], [choice('staff:menu', 'nudge:button.back')]] }]);
}

/** Back to the menu of the draft's initiative, with effects (a saved nudge) or without (stop). */
const leave: Leave = (d, lang, ctx, before, effects = []) => ({ ...nudgeMenu(d.ini, lang, ctx, before), effects });

const zoneOf = (ctx: FlowContext): string => ctx.timeZone;

/** One nudge: what, when, to whom, and what can be done with it. */
function showNudge(n: NudgeView, lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  const reads = ctx.directory.nudges;
  if (!reads) return refuseStaff(lang, ctx);
  const first = reads.versions(n.id)[0]?.text ?? '';
  const buttons: Choice[][] = [[choice(`nd:prev:${n.id}`, 'nudge:button.preview'), choice(`nd:runs:${n.id}`, 'nudge:button.runs')]];
  if (n.status !== 'cancelled') buttons.push([choice(`nd:trig:${n.id}`, 'nudge:button.trigger')]);
  if (n.status === 'active' || n.status === 'paused') {
    buttons.push([n.status === 'active' ? choice(`nd:pause:${n.id}`, 'nudge:button.pause') : choice(`nd:resume:${n.id}`, 'nudge:button.resume'), choice(`nd:cancel:${n.id}`, 'nudge:button.cancel')]);
  }
  buttons.push([choice('nd:menu', 'nudge:button.back')]);
  const st = state('nudge', 'show', lang, { ini: n.initiativeId, id: n.id });
  return result(st, lang, [...before, { text: nudgeSummary(n, first, ctx, zoneOf(ctx)), choices: buttons }]);
}

const effect = (command: NudgeCommand) => ({ type: 'nudge' as const, command });

/** Every `nd:` button; null when the value is not one of this flow's (the router says "stale button"). */
export function handleNudgeChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const [, what, arg] = value.split(':');
  if (!what) return null;
  if (what === 'ini') return Number.isInteger(Number(arg)) ? nudgeMenu(Number(arg), lang, ctx) : null;
  const ini = prev?.flow === 'nudge' ? num(prev.data, 'ini') : undefined;
  if (what === 'menu' || what === 'stop') return ini !== undefined ? nudgeMenu(ini, lang, ctx) : beginNudge(lang, ctx);
  if (what === 'new') return ini !== undefined && mayNudge(ctx, ini) ? beginCompose(ini, lang, ctx) : ini === undefined ? null : refuseStaff(lang, ctx);
  if (prev?.flow === 'nudge' && COMPOSE_STEPS.has(prev.step)) {
    const composed = composeChoice(what, arg, prev, ctx, leave);
    if (composed) return composed;
  }
  const id = Number(arg);
  if (!Number.isInteger(id)) return null;
  return manage(what, id, prev, lang, ctx);
}

/** The buttons about one nudge; each checks the right on the nudge's own initiative. */
function manage(what: string, id: number, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const reads = ctx.directory.nudges;
  const n = reads?.byId(id);
  if (!reads || !n) return null;
  if (!mayNudge(ctx, n.initiativeId)) return refuseStaff(lang, ctx);
  const back = [[choice(`nd:show:${id}`, 'nudge:button.back')]];
  const stay = (replies: Reply[], step = 'show') => result(state('nudge', step, lang, { ini: n.initiativeId, id }), lang, replies);
  switch (what) {
    case 'show':
      return showNudge(n, lang, ctx);
    case 'prev': {
      const replies = previewReplies(n.templateBroadcastId ?? 0, reads.versions(id), ctx, ctx.directory.initiativeById(n.initiativeId));
      return stay([say('nudge:preview.intro'), ...replies, say('nudge:preview.end', undefined, back)]);
    }
    case 'runs': {
      const runs = reads.runs(id, 10);
      const [first, ...rest] = runs.map((r) => runLine(r, zoneOf(ctx)));
      return stay([{ text: first ? lines(say('nudge:runs.title').text, first, ...rest) : say('nudge:runs.none').text, choices: back }]);
    }
    case 'trig': {
      if (n.status === 'cancelled') return showNudge(n, lang, ctx, [say('nudge:notActive')]);
      const count = ctx.directory.broadcasts?.audienceCount(n.initiativeId, n.audience, ctx.now).total;
      const q = count === undefined ? say('nudge:ask.trigger') : say('nudge:ask.triggerCount', { count: countText(count) });
      return stay([{ ...q, choices: [[choice(`nd:trigYes:${id}`, 'nudge:button.triggerYes')], ...back] }], 'askTrigger');
    }
    case 'cancel':
      if (n.status === 'cancelled' || n.status === 'done') return showNudge(n, lang, ctx, [say('nudge:notActive')]);
      return stay([say('nudge:ask.cancel', undefined, [[choice(`nd:cancelYes:${id}`, 'nudge:button.cancelYes')], ...back])], 'askCancel');
    case 'trigYes':
      if (prev?.step !== 'askTrigger' || n.status === 'cancelled') return showNudge(n, lang, ctx);
      return { ...showNudge(n, lang, ctx, [say('nudge:triggered')]), effects: [effect({ op: 'trigger', nudgeId: id })] };
    case 'cancelYes':
      if (prev?.step !== 'askCancel' || n.status === 'cancelled' || n.status === 'done') return showNudge(n, lang, ctx);
      return { ...nudgeMenu(n.initiativeId, lang, ctx, [say('nudge:cancelled')]), effects: [effect({ op: 'cancel', nudgeId: id })] };
    case 'pause':
    case 'resume': {
      const ok = what === 'pause' ? n.status === 'active' : n.status === 'paused';
      if (!ok) return showNudge(n, lang, ctx);
      const after: NudgeView = { ...n, status: what === 'pause' ? 'paused' : 'active' };
      return { ...showNudge(after, lang, ctx, [say(what === 'pause' ? 'nudge:paused' : 'nudge:resumed')]), effects: [effect({ op: what, nudgeId: id })] };
    }
  }
  return null;
}

/** Typed text: an answer to a step that asks for one, else "use the buttons" and the step again. */
export function handleNudge(st: FlowState, input: FlowInput, ctx: FlowContext): FlowResult {
  const lang = langOf(st, ctx);
  if (COMPOSE_STEPS.has(st.step)) {
    const ini = num(st.data, 'ini');
    if (ini === undefined || !mayNudge(ctx, ini)) return refuseStaff(lang, ctx);
    const typed = composeText(input, st, ctx);
    if (typed) return typed;
  }
  return result(st, lang, [say('nudge:useButtons'), ...nudgePrompt(st, ctx)]);
}

export function nudgePrompt(st: FlowState, ctx: FlowContext): Reply[] {
  if (COMPOSE_STEPS.has(st.step)) return composePrompt(st, ctx);
  const ini = num(st.data, 'ini');
  const id = num(st.data, 'id');
  const n = id !== undefined ? ctx.directory.nudges?.byId(id) : null;
  if (n && mayNudge(ctx, n.initiativeId)) return showNudge(n, st.lang, ctx).replies;
  if (ini !== undefined) return nudgeMenu(ini, st.lang, ctx).replies;
  return beginNudge(st.lang, ctx).replies;
}
