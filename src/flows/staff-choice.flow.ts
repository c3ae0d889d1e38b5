/** The staff menu's buttons (`staff:…`), every one checked in src/domain/authorization.ts via the flows it calls. */
import type { FlowContext, FlowResult, FlowState } from './flow.types.js';
import { createInvite, inviteRoles } from './invite.flow.js';
import { say } from './kit.js';
import { teamList, teamRemove } from './staff-team.flow.js';
import { beginAmbassadorLanguages, initiativeOf, isAmbassadorOf, membershipsOf, pickedOf, refuseStaff, staffMenu } from './staff.flow.js';

/** Every `staff:` button; null when the value is not one (the router says "stale button"). */
export function handleStaffChoice(value: string, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const [, what, arg, extra] = value.split(':');
  const id = Number(arg);
  switch (what) {
    case 'menu':
      return staffMenu(lang, ctx);
    case 'invite':
      return Number.isInteger(id) ? inviteRoles(id, lang, ctx) : null;
    case 'inv':
      return Number.isInteger(id) && extra ? createInvite(id, extra, lang, ctx) : null;
    case 'langs':
      if (!Number.isInteger(id) || !isAmbassadorOf(id, ctx)) return refuseStaff(lang, ctx);
      return beginAmbassadorLanguages(id, membershipsOf(ctx).find((m) => m.initiativeId === id && m.role === 'ambassador')?.languages ?? [], lang, ctx);
    case 'team':
      return Number.isInteger(id) ? teamList(id, lang, ctx) : null;
    case 'rm':
    case 'rmok':
      return teamRemove(what === 'rmok', arg, extra, value.split(':')[4], lang, ctx);
    case 'lang':
    case 'langsDone':
      return languagesStep(what, arg, prev, lang, ctx);
  }
  return null;
}

function languagesStep(what: string, code: string | undefined, prev: FlowState | null, lang: string, ctx: FlowContext): FlowResult | null {
  const initiativeId = initiativeOf(prev);
  if (prev?.flow !== 'staff' || prev.step !== 'langs' || initiativeId === undefined) return null;
  if (!isAmbassadorOf(initiativeId, ctx)) return refuseStaff(lang, ctx);
  const picked = pickedOf(prev);
  if (what === 'lang') {
    if (!code || !ctx.languages.some((l) => l.code === code)) return null;
    const next = picked.includes(code) ? picked.filter((c) => c !== code) : [...picked, code];
    return beginAmbassadorLanguages(initiativeId, next, lang, ctx);
  }
  if (picked.length === 0) return beginAmbassadorLanguages(initiativeId, picked, lang, ctx, [say('staff:languagesNone')]);
  const menu = staffMenu(lang, ctx, [say('staff:languagesSaved')]);
  return { ...menu, effects: [{ type: 'ambassadorLanguages', initiativeId, languages: picked }] };
}

