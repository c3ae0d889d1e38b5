/**
 * Staff invites in the chat. A coordinator types `/invite ambassador` (or picks "Uitnodigen" in
 * the staff menu) and gets a one-time link or code to forward. The invited person opens it
 * (`/start inv_<token>` from the Telegram deep link, `/invite <token>` or UITNODIGING <token>
 * elsewhere) and gets the role on that initiative. Someone without a profile is told to make
 * one first and open the link again: the invite stays unused (nothing is stored before
 * consent). Every check is src/domain/authorization.ts.
 */
import { INVITE_TOKEN } from '../core/invite-token.js';
import type { Choice, Reply } from '../core/messages.js';
import { INVITE_TTL_MS, initiativesFor, inviteAction, isInviteRole, may, type InviteRole } from '../domain/authorization.js';
import type { FlowContext, FlowResult, FlowState } from './flow.types.js';
import { choice, langOf, result, say, state } from './kit.js';
import { mainMenu } from './menu.flow.js';
import { beginOnboarding, onboardingPrompt } from './onboarding.flow.js';
import { beginAmbassadorLanguages, refuseStaff, staffMenu } from './staff.flow.js';

/** "inv_<token>" as Telegram's deep link carries it. */
export const INVITE_START = /^inv_([A-Za-z0-9_-]{22})$/;

const ROLE_WORDS: Record<string, InviteRole> = { ambassador: 'ambassador', ambassadeur: 'ambassador', coordinator: 'coordinator', coördinator: 'coordinator' };

/** `/invite`, `/invite ambassador`, `/invite <token>`. */
export function inviteCommand(args: string, prev: FlowState | null, ctx: FlowContext): FlowResult {
  const arg = args.trim();
  const token = INVITE_START.exec(arg)?.[1] ?? (INVITE_TOKEN.test(arg) ? arg : undefined);
  if (token) return redeem(token, prev, ctx);
  const lang = langOf(prev, ctx);
  if (!ctx.person) return redeem('', prev, ctx);
  const role = ROLE_WORDS[arg.toLocaleLowerCase()];
  if (arg && !role) return mainMenu(lang, ctx, [say('staff:inviteUsage')]);
  const roles: InviteRole[] = role ? [role] : ['ambassador', 'coordinator'];
  const ms = ctx.person.memberships ?? [];
  const options = roles.flatMap((r) => initiativesFor(ms, inviteAction(r)).map((id) => ({ id, role: r })));
  if (options.length === 0) return refuseStaff(lang, ctx);
  if (options.length === 1 && options[0]) return createInvite(options[0].id, options[0].role, lang, ctx);
  const rows: Choice[][] = options.map((o) => [choice(`staff:inv:${o.id}:${o.role}`, `staff:role.${o.role}`, { name: ctx.directory.initiativeById(o.id)?.name ?? '' })]);
  return result(staffState(lang), lang, [say('staff:inviteWhich', undefined, [...rows, [choice('staff:menu', 'staff:back')]])]);
}

/** The roles a coordinator may invite to on one initiative (the staff menu's "Uitnodigen"). */
export function inviteRoles(initiativeId: number, lang: string, ctx: FlowContext): FlowResult {
  const ms = ctx.person?.memberships ?? [];
  const name = ctx.directory.initiativeById(initiativeId)?.name ?? '';
  const rows = (['ambassador', 'coordinator'] as const).filter((r) => may(ms, inviteAction(r), initiativeId)).map((r) => [choice(`staff:inv:${initiativeId}:${r}`, `staff:role.${r}`, { name })]);
  if (rows.length === 0) return refuseStaff(lang, ctx);
  return result(staffState(lang), lang, [say('staff:inviteWhich', undefined, [...rows, [choice('staff:menu', 'staff:back')]])]);
}

export function createInvite(initiativeId: number, roleWord: string, lang: string, ctx: FlowContext): FlowResult {
  const ms = ctx.person?.memberships ?? [];
  const token = ctx.inviteToken;
  if (!isInviteRole(roleWord) || !may(ms, inviteAction(roleWord), initiativeId) || !token) return refuseStaff(lang, ctx);
  const role = roleWord;
  const name = ctx.directory.initiativeById(initiativeId)?.name ?? '';
  const expiresAt = new Date(ctx.now.getTime() + INVITE_TTL_MS);
  const replies: Reply[] = [say(`staff:inviteCreated.${role}`, { name }), { ...say('common:plain', { value: inviteText(token, ctx) }), secret: true }, say('staff:inviteOnce')];
  const menu = staffMenu(lang, ctx, replies);
  return { ...menu, effects: [{ type: 'createInvite', initiativeId, role, token, expiresAt }] };
}

/** What the coordinator forwards: the Telegram deep link, else the command with the token. */
function inviteText(token: string, ctx: FlowContext): string {
  if (ctx.channel === 'telegram' && ctx.botUsername) return `https://t.me/${ctx.botUsername}?start=inv_${token}`;
  return ctx.channel === 'telegram' ? `/start inv_${token}` : `/invite ${token}`;
}

function redeem(token: string, prev: FlowState | null, ctx: FlowContext): FlowResult {
  if (!ctx.person) {
    // Before consent nothing is stored: onboard first, then open the link again (it stays valid).
    if (prev?.flow === 'onboarding') return result(prev, langOf(prev, ctx), [say('staff:inviteNeedsProfile'), ...onboardingPrompt(prev, ctx)]);
    const base = beginOnboarding('', ctx);
    const [welcome, ...rest] = base.replies;
    return { ...base, replies: [...(welcome ? [welcome] : []), say('staff:inviteNeedsProfile'), ...rest] };
  }
  const lang = langOf(prev, ctx);
  const invite = token ? ctx.directory.inviteByToken(token) : null;
  if (!invite) return mainMenu(lang, ctx, [say('staff:inviteUnknown')]);
  if (invite.used || invite.expiresAt.getTime() <= ctx.now.getTime()) {
    const reason = invite.used ? 'used' : 'expired';
    return { ...mainMenu(lang, ctx, [say(`staff:invite.${reason}`)]), effects: [{ type: 'inviteRefused', inviteId: invite.id, reason }] };
  }
  const name = ctx.directory.initiativeById(invite.initiativeId)?.name ?? '';
  const memberships = [...(ctx.person.memberships ?? []), { initiativeId: invite.initiativeId, role: invite.role, languages: null }];
  const after: FlowContext = { ...ctx, person: { ...ctx.person, memberships } };
  const welcome = say(`staff:welcome.${invite.role}`, { name });
  const next = invite.role === 'ambassador' ? beginAmbassadorLanguages(invite.initiativeId, [], lang, after, [welcome]) : staffMenu(lang, after, [welcome]);
  return { ...next, effects: [{ type: 'redeemInvite', inviteId: invite.id }] };
}

const staffState = (lang: string): FlowState => state('staff', 'menu', lang);
