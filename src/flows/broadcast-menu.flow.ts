/**
 * The staff menu's broadcast items (src/flows/staff.flow.ts shows them): "Bericht sturen" for
 * anyone who may broadcast on an initiative; for coordinators the broadcasts waiting for their
 * approval and, per initiative, whether ambassadors' broadcasts need it; the author's running
 * broadcasts. Only reads: the buttons are handled in broadcast.flow.ts and broadcast-staff.flow.ts.
 */
import type { Choice } from '../core/messages.js';
import { initiativesFor } from '../domain/authorization.js';
import type { BroadcastView } from '../domain/broadcast.types.js';
import type { FlowContext } from './flow.types.js';
import { choice } from './kit.js';

export function broadcastMenuItems(ctx: FlowContext): Choice[][] {
  const ms = ctx.person?.memberships ?? [];
  const reads = ctx.directory.broadcasts;
  const out: Choice[][] = [];
  if (initiativesFor(ms, 'broadcast').length > 0) out.push([choice('bc:new', 'compose:menu.send')]);
  const me = ctx.person?.id;
  if (!reads || me === undefined) return out;
  const approving = initiativesFor(ms, 'broadcast.approve');
  const pending = approving.reduce((n, id) => n + reads.pendingApproval(id).length, 0);
  if (pending > 0) out.push([choice('bc:pending', 'compose:menu.pending', { n: pending })]);
  const active = runningFor(ctx).length;
  if (active > 0) out.push([choice('bc:active', 'compose:menu.active', { n: active })]);
  for (const id of approving) {
    const name = ctx.directory.initiativeById(id)?.name ?? '';
    const on = reads.requiresApproval(id);
    out.push([choice(`bc:req:${id}:${on ? 'off' : 'on'}`, on ? 'compose:menu.approvalOff' : 'compose:menu.approvalOn', { name })]);
  }
  return out;
}

/**
 * The running broadcasts this person may pause, resume or cancel: their own, and for a
 * coordinator every one on their initiatives (may() decides which), newest first, once each.
 */
export function runningFor(ctx: FlowContext): BroadcastView[] {
  const me = ctx.person?.id;
  const reads = ctx.directory.broadcasts;
  if (!reads || me === undefined) return [];
  const all = [...reads.activeOf(me), ...initiativesFor(ctx.person?.memberships ?? [], 'broadcast.approve').flatMap((id) => reads.activeOn?.(id) ?? [])];
  const seen = new Set<number>();
  return all.filter((b) => !seen.has(b.id) && seen.add(b.id)).sort((a, b) => b.id - a.id);
}
