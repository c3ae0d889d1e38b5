/**
 * "Team" in the staff menu (coordinators): who is an ambassador or coordinator of the initiative,
 * with the languages ambassadors speak, and a way to take a role away (after a question). Only
 * who may invite to a role may take it away (src/domain/authorization.ts); the last coordinator
 * of an initiative cannot be removed, so an initiative is never left without one. Choice values:
 * `staff:team:<ini>`, `staff:rm:<ini>:<person>:<a|c>`, `staff:rmok:<ini>:<person>:<a|c>`.
 */
import type { Choice, Reply } from '../core/messages.js';
import { inviteAction, may, type InviteRole } from '../domain/authorization.js';
import type { FlowContext, FlowResult } from './flow.types.js';
import { choice, say } from './kit.js';
import { membershipsOf, refuseStaff, staffMenu } from './staff.flow.js';

const ROLE_OF: Record<string, InviteRole> = { a: 'ambassador', c: 'coordinator' };
const CODE_OF: Record<InviteRole, string> = { ambassador: 'a', coordinator: 'c' };

const nameOf = (id: number, ctx: FlowContext): string => ctx.directory.initiativeById(id)?.name ?? '';
const mayTeam = (ctx: FlowContext, initiativeId: number): boolean => may(membershipsOf(ctx), 'invite.ambassador', initiativeId);

export function teamList(initiativeId: number, lang: string, ctx: FlowContext, before: Reply[] = []): FlowResult {
  if (!mayTeam(ctx, initiativeId)) return refuseStaff(lang, ctx);
  const members = ctx.directory.team?.(initiativeId) ?? [];
  const back: Choice[][] = [[choice('staff:menu', 'staff:back')]];
  const cards = members.map((m): Reply => {
    const languages = m.languages?.length ? m.languages.map((l) => ctx.languages.find((x) => x.code === l)?.endonym ?? l).join(', ') : '';
    const removable = m.personId !== ctx.person?.id && may(membershipsOf(ctx), inviteAction(m.role), initiativeId);
    return say(languages ? 'staff:team.memberLanguages' : 'staff:team.member', { name: m.name ?? { key: 'staff:team.noName', params: { id: m.personId } }, role: { key: `staff:team.role.${m.role}` }, languages }, removable ? [[choice(`staff:rm:${initiativeId}:${m.personId}:${CODE_OF[m.role]}`, 'staff:team.remove')]] : []);
  });
  const intro = say(members.length ? 'staff:team.title' : 'staff:team.empty', { name: nameOf(initiativeId, ctx) });
  return staffResult(lang, ctx, [...before, intro, ...cards, say('staff:team.end', undefined, back)]);
}

/** `staff:rm` asks, `staff:rmok` does it (an effect, audited in src/db/effects.apply.ts). */
export function teamRemove(confirmed: boolean, arg: string | undefined, extra: string | undefined, code: string | undefined, lang: string, ctx: FlowContext): FlowResult | null {
  const initiativeId = Number(arg);
  const personId = Number(extra);
  const role = code ? ROLE_OF[code] : undefined;
  if (!Number.isInteger(initiativeId) || !Number.isInteger(personId) || !role) return null;
  if (!may(membershipsOf(ctx), inviteAction(role), initiativeId)) return refuseStaff(lang, ctx);
  const member = (ctx.directory.team?.(initiativeId) ?? []).find((m) => m.personId === personId && m.role === role);
  if (!member || personId === ctx.person?.id) return teamList(initiativeId, lang, ctx, [say('staff:team.gone')]);
  const name = member.name ?? { key: 'staff:team.noName', params: { id: personId } };
  if (!confirmed) {
    const ask = say('staff:team.confirm', { name, role: { key: `staff:team.role.${role}` } }, [[choice(`staff:rmok:${initiativeId}:${personId}:${CODE_OF[role]}`, 'staff:team.removeYes')], [choice(`staff:team:${initiativeId}`, 'staff:back')]]);
    return staffResult(lang, ctx, [ask]);
  }
  const coordinators = (ctx.directory.team?.(initiativeId) ?? []).filter((m) => m.role === 'coordinator').length;
  if (role === 'coordinator' && coordinators <= 1) return teamList(initiativeId, lang, ctx, [say('staff:team.lastCoordinator')]);
  const done = staffResult(lang, ctx, [say('staff:team.removed', { name, role: { key: `staff:team.role.${role}` } }, [[choice(`staff:team:${initiativeId}`, 'staff:item.team', { name: nameOf(initiativeId, ctx) })], [choice('staff:menu', 'staff:back')]])]);
  return { ...done, effects: [{ type: 'revokeRole', initiativeId, personId, role }] };
}

/** Stays in the staff menu's state (typed text there gets the menu again). */
function staffResult(lang: string, ctx: FlowContext, replies: Reply[]): FlowResult {
  const menu = staffMenu(lang, ctx);
  return { ...menu, replies };
}
