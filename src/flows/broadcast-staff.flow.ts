/**
 * Broadcast buttons that work from anywhere (the staff menu, the notice to coordinators and the
 * progress message send them): approvals (`bc:pending`, `bc:approve:<id>`, `bc:reject:<id>`),
 * the initiative's rule that ambassadors' broadcasts need approval (`bc:req:<initiative>:on|off`),
 * and running broadcasts (`bc:active`, `bc:pause:<id>`, `bc:resume:<id>`, `bc:cancel:<id>` asks,
 * `bc:cancelok:<id>` does it). Approving is for coordinators of the broadcast's initiative;
 * pausing, resuming and cancelling for its author or those coordinators. Anyone else, or a
 * broadcast that is gone or no longer in that state, gets a polite answer and nothing changes.
 */
import type { Choice, Reply } from '../core/messages.js';
import { initiativesFor } from '../domain/authorization.js';
import { isSendable } from '../domain/broadcast-message.js';
import type { BroadcastStatus, BroadcastView } from '../domain/broadcast.types.js';
import type { Effect, FlowContext, FlowResult } from './flow.types.js';
import { choice, say, text } from './kit.js';
import { bc, countText, initiativeName, languageName, mayApprove, mayManage, membershipsOf, readsOf } from './broadcast-common.flow.js';
import { previewFor } from './broadcast-send.flow.js';
import { runningFor } from './broadcast-menu.flow.js';

/** At most this many broadcasts in one list (the oldest waiting first). */
const MAX_LISTED = 5;
const SNIPPET = 80;

/** Answer, then the author's current question again (or the staff menu). */
type Again = (replies: Reply[]) => FlowResult;

const withEffects = (res: FlowResult, effects: Effect[]): FlowResult => ({ ...res, effects: [...res.effects, ...effects] });

const statusText = (s: BroadcastStatus) => text(`compose:status.${s}`);
const whenOf = (b: BroadcastView, ctx: FlowContext) => (b.sendAt && b.sendAt.getTime() > ctx.now.getTime() ? { dateTime: b.sendAt.toISOString(), timeZone: ctx.timeZone } : text('compose:timing.nowWord'));

/** The first words of the Dutch version, to recognise a broadcast by. */
function snippet(b: BroadcastView): string {
  const t = (b.versions.find((v) => v.lang === 'nl')?.text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > SNIPPET ? `${t.slice(0, SNIPPET - 1)}…` : t;
}

/** A broadcast waiting for approval: who it is for, each version as its readers will see it, and the two buttons. */
export function approvalCard(b: BroadcastView, ctx: FlowContext): Reply[] {
  const count = readsOf(ctx)?.audienceCount(b.initiativeId, b.audience, ctx.now);
  const head = say('compose:approve.item', { name: initiativeName(b.initiativeId, ctx), n: countText(count?.total ?? 0), when: whenOf(b, ctx) });
  const cell = (lang: string) => count?.byLanguage.find((l) => l.lang === lang)?.count ?? null;
  const own = b.versions.filter(isSendable).map((v) => previewFor(b, v.lang, cell(v.lang), ctx, b.initiativeId));
  const fallback = (count?.byLanguage ?? []).filter((l) => l.count !== 0 && !b.versions.some((v) => v.lang === l.lang && isSendable(v))).map((l) => languageName(l.lang, ctx));
  const note = fallback.length ? [say('compose:approve.fallbackFor', { languages: fallback.join(', ') })] : [];
  const buttons: Choice[][] = [[choice(`bc:approve:${b.id}`, 'compose:button.approveSend'), choice(`bc:reject:${b.id}`, 'compose:button.reject')]];
  return [head, ...own, ...note, say('compose:approve.ask', undefined, buttons)];
}

function pendingList(ctx: FlowContext, again: Again): FlowResult {
  const reads = readsOf(ctx);
  const ids = initiativesFor(membershipsOf(ctx), 'broadcast.approve');
  if (ids.length === 0) return again([say('staff:refused')]);
  const list = reads ? ids.flatMap((id) => reads.pendingApproval(id)).slice(0, MAX_LISTED) : [];
  if (list.length === 0) return again([say('compose:approve.none')]);
  return again(list.flatMap((b) => approvalCard(b, ctx)));
}

function manageButtons(b: BroadcastView): Choice[][] {
  const cancel = choice(`bc:cancel:${b.id}`, 'compose:button.cancelBroadcast');
  if (b.status === 'sending') return [[choice(`bc:pause:${b.id}`, 'compose:button.pause'), cancel]];
  if (b.status === 'paused') return [[choice(`bc:resume:${b.id}`, 'compose:button.resume'), cancel]];
  return [[cancel]];
}

function activeList(ctx: FlowContext, again: Again): FlowResult {
  const list = runningFor(ctx).slice(0, MAX_LISTED);
  if (list.length === 0) return again([say('compose:active.none')]);
  return again(list.map((b) => say('compose:active.item', { status: statusText(b.status), when: whenOf(b, ctx), name: initiativeName(b.initiativeId, ctx), text: snippet(b) }, manageButtons(b))));
}

/** The broadcast a button names, if it exists and this person may act on it. */
function target(arg: string | undefined, ctx: FlowContext, allowed: (b: BroadcastView) => boolean): BroadcastView | Reply {
  const id = Number(arg);
  const b = Number.isInteger(id) ? (readsOf(ctx)?.byId(id) ?? null) : null;
  if (!b) return say('compose:manage.unknown');
  if (!allowed(b)) return say('staff:refused');
  return b;
}
const isReply = (x: BroadcastView | Reply): x is Reply => 'text' in x;

function decide(what: 'approve' | 'reject', arg: string | undefined, ctx: FlowContext, again: Again): FlowResult {
  const b = target(arg, ctx, (x) => mayApprove(ctx, x.initiativeId));
  if (isReply(b)) return again([b]);
  if (b.status !== 'pending') return again([say('compose:approve.notPending', { status: statusText(b.status) })]);
  const done = what === 'approve' ? say('compose:approve.approved', { when: whenOf(b, ctx) }) : say('compose:approve.rejected');
  return withEffects(again([done]), [bc({ op: what, broadcastId: b.id })]);
}

const CANCELLABLE: readonly BroadcastStatus[] = ['draft', 'pending', 'scheduled', 'sending', 'paused'];

function manage(what: string, arg: string | undefined, ctx: FlowContext, again: Again): FlowResult {
  const b = target(arg, ctx, (x) => mayManage(ctx, x));
  if (isReply(b)) return again([b]);
  const notNow = () => again([say('compose:manage.notNow', { status: statusText(b.status) })]);
  switch (what) {
    case 'pause':
      if (b.status !== 'sending') return notNow();
      return withEffects(again([say('compose:manage.paused', undefined, manageButtons({ ...b, status: 'paused' }))]), [bc({ op: 'pause', broadcastId: b.id })]);
    case 'resume':
      if (b.status !== 'paused') return notNow();
      return withEffects(again([say('compose:manage.resumed', undefined, manageButtons({ ...b, status: 'sending' }))]), [bc({ op: 'resume', broadcastId: b.id })]);
    case 'cancel':
      if (!CANCELLABLE.includes(b.status)) return notNow();
      return again([say('compose:manage.cancelAsk', { text: snippet(b) }, [[choice(`bc:cancelok:${b.id}`, 'compose:button.cancelYes')], [choice('bc:active', 'compose:button.cancelNo')]])]);
    default:
      if (!CANCELLABLE.includes(b.status)) return notNow();
      return withEffects(again([say('compose:manage.cancelled')]), [bc({ op: 'cancel', broadcastId: b.id })]);
  }
}

function requireApproval(arg: string | undefined, extra: string | undefined, ctx: FlowContext, again: Again): FlowResult {
  const id = Number(arg);
  if (!Number.isInteger(id) || (extra !== 'on' && extra !== 'off')) return again([say('common:staleButton')]);
  if (!mayApprove(ctx, id)) return again([say('staff:refused')]);
  const required = extra === 'on';
  const changed = readsOf(ctx)?.requiresApproval(id) !== required;
  const answer = say(required ? 'compose:approval.on' : 'compose:approval.off', { name: initiativeName(id, ctx) });
  return withEffects(again([answer]), changed ? [bc({ op: 'requireApproval', initiativeId: id, required })] : []);
}

/** A `bc:` button that works outside the composition; undefined when `what` is not one of them. */
export function handleBroadcastStaffChoice(what: string, arg: string | undefined, extra: string | undefined, _lang: string, ctx: FlowContext, again: Again): FlowResult | undefined {
  switch (what) {
    case 'pending':
      return pendingList(ctx, again);
    case 'approve':
    case 'reject':
      return decide(what, arg, ctx, again);
    case 'req':
      return requireApproval(arg, extra, ctx, again);
    case 'active':
      return activeList(ctx, again);
    case 'pause':
    case 'resume':
    case 'cancel':
    case 'cancelok':
      return manage(what, arg, ctx, again);
  }
  return undefined;
}
