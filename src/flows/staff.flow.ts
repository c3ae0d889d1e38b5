/**
 * The staff menu (`/staff`, "Voor vrijwilligers" in the main menu) and the ambassador's
 * languages. States: `staff/menu`, `staff/langs` (data: initiativeId, picked). The menu shows
 * only what the person's roles allow (src/domain/authorization.ts); anyone else gets a polite
 * refusal and nothing changes. Choice values: `staff:menu`, `staff:invite:<id>`,
 * `staff:inv:<id>:<role>`, `staff:langs:<id>`, `staff:lang:<code>`, `staff:langsDone`.
 */
import type { Choice, Reply } from '../core/messages.js';
import { initiativesFor, isStaff, may } from '../domain/authorization.js';
import type { FlowContext, FlowInput, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, result, rows, say, state } from './kit.js';
import { mainMenu } from './menu.flow.js';
import { broadcastMenuItems } from './broadcast-menu.flow.js';
import { staffRelayItems } from './relay-items.js';
import { statsMenuItems } from './stats.flow.js';

export const membershipsOf = (ctx: FlowContext) => ctx.person?.memberships ?? [];
const nameOf = (id: number, ctx: FlowContext): string => ctx.directory.initiativeById(id)?.name ?? '';
/** Ambassador of this initiative, with the right to say their languages. */
export const isAmbassadorOf = (id: number, ctx: FlowContext): boolean => may(membershipsOf(ctx), 'languages.set', id) && membershipsOf(ctx).some((m) => m.initiativeId === id && m.role === 'ambassador');

/** A polite no: the person stays where the main menu is, nothing is written. */
export function refuseStaff(lang: string, ctx: FlowContext): FlowResult {
  return mainMenu(lang, ctx, [say('staff:refused')]);
}

export function staffMenu(lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  const ms = membershipsOf(ctx);
  if (!isStaff(ms)) return refuseStaff(lang, ctx);
  const items: Choice[][] = [
    // Broadcasts: write one, approvals, running ones (src/flows/broadcast-menu.flow.ts).
    ...broadcastMenuItems(ctx),
    // Coordinator nudges (src/flows/nudge.flow.ts).
    ...initiativesFor(ms, 'nudge').map((id) => [choice(`nd:ini:${id}`, 'nudge:staffItem', { name: nameOf(id, ctx) })]),
    ...initiativesFor(ms, 'invite.ambassador').map((id) => [choice(`staff:invite:${id}`, 'staff:item.invite', { name: nameOf(id, ctx) })]),
    // Who is on the team, and taking a role away (src/flows/staff-team.flow.ts).
    ...initiativesFor(ms, 'invite.ambassador').map((id) => [choice(`staff:team:${id}`, 'staff:item.team', { name: nameOf(id, ctx) })]),
    // The initiative's figures, for its coordinators (src/flows/stats.flow.ts).
    ...statsMenuItems(ctx),
    ...[...new Set(ms.filter((m) => m.role === 'ambassador').map((m) => m.initiativeId))]
      .filter((id) => isAmbassadorOf(id, ctx))
      .map((id) => [choice(`staff:langs:${id}`, 'staff:item.languages', { name: nameOf(id, ctx) })]),
    // Parents' questions and call-back requests, for whoever may answer them (src/flows/relay-staff.flow.ts).
    ...staffRelayItems(ctx),
    [choice('menu:main', 'menu:back')],
  ];
  return result(state('staff', 'menu', lang), lang, [...before, say('staff:menu', undefined, items)]);
}

export function beginAmbassadorLanguages(initiativeId: number, picked: string[], lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  const st = state('staff', 'langs', lang, { initiativeId, picked });
  return result(st, lang, [...before, languagesPrompt(picked, ctx)]);
}

function languagesPrompt(picked: string[], ctx: FlowContext): Reply {
  const options = ctx.languages.map((l) => choice(`staff:lang:${l.code}`, picked.includes(l.code) ? 'staff:picked' : 'common:plain', picked.includes(l.code) ? { name: l.endonym } : { value: l.endonym }));
  return say('staff:languagesAsk', undefined, [...rows(options, 2), [choice('staff:langsDone', 'staff:done')]]);
}

export const pickedOf = (st: FlowState | null): string[] => (Array.isArray(st?.data.picked) ? st.data.picked.filter((x): x is string => typeof x === 'string') : []);
export const initiativeOf = (st: FlowState | null): number | undefined => (typeof st?.data.initiativeId === 'number' ? st.data.initiativeId : undefined);

/** Typed text inside the staff menu: say so and show the step again. */
export function handleStaff(st: FlowState, _input: FlowInput, ctx: FlowContext): FlowResult {
  return result(st, langOf(st, ctx), [say('common:notUnderstood'), ...staffPrompt(st, ctx)]);
}

export function staffPrompt(st: FlowState, ctx: FlowContext): Reply[] {
  if (st.step === 'langs') return [languagesPrompt(pickedOf(st), ctx)];
  return staffMenu(st.lang, ctx).replies;
}
