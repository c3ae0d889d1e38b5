/**
 * Applies a flow's (or the CLI's) broadcast command inside the turn's transaction. Every
 * command asks src/domain/authorization.ts again, with the actor's memberships read in this
 * transaction (a role taken away a second ago counts); a refusal changes nothing and is audited.
 * Every create, submit, approve, reject, pause, resume, cancel and approval setting is audited.
 *
 * Who may what: the author (still allowed to broadcast on the initiative) edits, submits,
 * pauses, resumes and cancels their own broadcast; a coordinator ('broadcast.approve') may do
 * that to every broadcast of their initiative, and approves, rejects and sets the approval rule.
 */
import { eq } from 'drizzle-orm';
import { may, type MembershipView, type StaffAction } from '../domain/authorization.js';
import type { BroadcastCommand, BroadcastStatus } from '../domain/broadcast.types.js';
import { isSendable } from '../domain/broadcast-message.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import type { Db } from './client.js';
import type { Tx } from './effects.apply.js';
import { writeAudit } from './audit.repo.js';
import { clientOf } from './broadcast-audience.repo.js';
import {
  approveVersion,
  createBroadcast,
  getBroadcast,
  getBroadcastRow,
  moveStatus,
  removeVersion,
  requiresApproval,
  setAudience,
  setRequiresApproval,
  setSendAt,
  setVersion,
} from './broadcasts.repo.js';
import { insertNotice } from './deliveries.repo.js';
import { reachableStaff } from './help-route.repo.js';
import { recordInboundMedia } from './media.repo.js';
import { memberships } from './schema.js';

type Conn = Db | Tx;

/** Who acts: a person (chat) or the CLI (an operator on the server, allowed everything, audited as 'cli'). */
export type BroadcastActor = { personId: number } | { cli: true };

export type BroadcastOutcome =
  | { ok: true; broadcastId: number; status?: BroadcastStatus }
  | { ok: false; reason: 'refused' | 'not_found' | 'wrong_status' | 'no_dutch' };

/** Statuses in which the content (audience, versions, timing) may still change. */
const EDITABLE: readonly BroadcastStatus[] = ['draft', 'rejected'];
/** Cancel is possible until it is done. */
const CANCELLABLE: readonly BroadcastStatus[] = ['draft', 'pending', 'scheduled', 'sending', 'paused', 'rejected'];

const actorName = (a: BroadcastActor): string => ('cli' in a ? 'cli' : `person:${a.personId}`);

function membershipsOf(tx: Conn, personId: number): MembershipView[] {
  return tx.select({ initiativeId: memberships.initiativeId, role: memberships.role }).from(memberships).where(eq(memberships.personId, personId)).all();
}

function allowed(tx: Conn, actor: BroadcastActor, action: StaffAction, initiativeId: number): boolean {
  return 'cli' in actor || may(membershipsOf(tx, actor.personId), action, initiativeId);
}

/** The author (still allowed to broadcast there) or a coordinator of the broadcast's initiative. */
function mayManage(tx: Conn, actor: BroadcastActor, b: { initiativeId: number; authorId: number | null }): boolean {
  if ('cli' in actor) return true;
  const ms = membershipsOf(tx, actor.personId);
  if (may(ms, 'broadcast.approve', b.initiativeId)) return true;
  return b.authorId === actor.personId && may(ms, 'broadcast', b.initiativeId);
}

function audit(tx: Conn, actor: BroadcastActor, action: string, broadcastId: number | null, initiativeId: number, now: Date, detail: Record<string, string | number | boolean | null> = {}): void {
  writeAudit(tx, { actor: actorName(actor), action, subjectType: 'broadcast', subjectId: broadcastId, detail: { initiativeId, ...detail } }, now);
}

/** The flow's entry (effects.apply.ts): the acting person. */
export function applyBroadcastCommand(tx: Tx, personId: number, command: BroadcastCommand, now: Date): void {
  runBroadcastCommand(tx, { personId }, command, now);
}

/** Applies one command; the CLI calls this with `{ cli: true }`. Never throws for a refusal. */
export function runBroadcastCommand(tx: Conn, actor: BroadcastActor, command: BroadcastCommand, now: Date): BroadcastOutcome {
  if (command.op === 'create') {
    if (!allowed(tx, actor, 'broadcast', command.initiativeId)) {
      audit(tx, actor, 'broadcast.refused', null, command.initiativeId, now, { op: 'create' });
      return { ok: false, reason: 'refused' };
    }
    const id = createBroadcast(tx, { initiativeId: command.initiativeId, authorId: 'cli' in actor ? null : actor.personId, audience: {}, sendAt: null, draftKey: command.draftKey, now });
    audit(tx, actor, 'broadcast.create', id, command.initiativeId, now);
    return { ok: true, broadcastId: id, status: 'draft' };
  }
  if (command.op === 'requireApproval') {
    if (!allowed(tx, actor, 'broadcast.approve', command.initiativeId)) {
      audit(tx, actor, 'broadcast.refused', null, command.initiativeId, now, { op: 'requireApproval' });
      return { ok: false, reason: 'refused' };
    }
    setRequiresApproval(tx, command.initiativeId, command.required, now);
    audit(tx, actor, 'broadcast.requireApproval', null, command.initiativeId, now, { required: command.required });
    return { ok: true, broadcastId: 0 };
  }

  const b = getBroadcastRow(tx, command.broadcastId);
  if (!b) return { ok: false, reason: 'not_found' };
  const id = b.id;
  const refuse = (): BroadcastOutcome => {
    audit(tx, actor, 'broadcast.refused', id, b.initiativeId, now, { op: command.op });
    return { ok: false, reason: 'refused' };
  };
  const approver = command.op === 'approve' || command.op === 'reject';
  if (approver ? !allowed(tx, actor, 'broadcast.approve', b.initiativeId) : !mayManage(tx, actor, b)) return refuse();
  const editable = EDITABLE.includes(b.status);
  /** An edit of a rejected broadcast makes it a draft again. */
  const edited = (): BroadcastOutcome => {
    if (b.status === 'rejected') moveStatus(tx, id, ['rejected'], 'draft');
    return { ok: true, broadcastId: id, status: 'draft' };
  };

  switch (command.op) {
    case 'audience':
      if (!editable) return { ok: false, reason: 'wrong_status' };
      setAudience(tx, id, command.audience);
      return edited();
    case 'version':
      if (!editable) return { ok: false, reason: 'wrong_status' };
      setVersion(tx, id, command.lang, {
        text: command.text,
        ...(command.media !== undefined ? { mediaId: command.media?.mediaId ?? null, mediaType: command.media?.type ?? null } : {}),
        machine: command.machine ?? false,
        now,
      });
      return edited();
    case 'versionMedia': {
      if (!editable || 'cli' in actor) return { ok: false, reason: 'wrong_status' };
      const mediaId = recordInboundMedia(tx, { ownerId: actor.personId, channel: command.channel, media: command.media }, now);
      const had = getBroadcast(tx, id)?.versions.find((v) => v.lang === command.lang);
      setVersion(tx, id, command.lang, { text: command.caption?.trim() ? command.caption.trim() : (had?.text ?? null), mediaId, mediaType: command.media.type, now });
      return edited();
    }
    case 'approveVersion':
      if (!editable) return { ok: false, reason: 'wrong_status' };
      approveVersion(tx, id, command.lang, now);
      return edited();
    case 'removeVersion':
      if (!editable) return { ok: false, reason: 'wrong_status' };
      removeVersion(tx, id, command.lang);
      return edited();
    case 'timing':
      if (!editable) return { ok: false, reason: 'wrong_status' };
      setSendAt(tx, id, command.sendAt);
      return edited();
    case 'requestDrafts':
      // Only the request is recorded; the translation listener (after the commit) writes the drafts.
      if (!editable) return { ok: false, reason: 'wrong_status' };
      audit(tx, actor, 'broadcast.requestDrafts', id, b.initiativeId, now, { languages: command.languages.join(',') });
      return { ok: true, broadcastId: id, status: b.status };
    case 'submit':
      return submit(tx, actor, b, now);
    case 'approve': {
      if (!moveStatus(tx, id, ['pending'], 'scheduled', { approvedBy: 'cli' in actor ? null : actor.personId, approvedAt: now })) return { ok: false, reason: 'wrong_status' };
      audit(tx, actor, 'broadcast.approve', id, b.initiativeId, now);
      tellAuthor(tx, b, 'broadcast:approval.approved', now);
      return { ok: true, broadcastId: id, status: 'scheduled' };
    }
    case 'reject': {
      if (!moveStatus(tx, id, ['pending'], 'rejected')) return { ok: false, reason: 'wrong_status' };
      audit(tx, actor, 'broadcast.reject', id, b.initiativeId, now);
      tellAuthor(tx, b, 'broadcast:approval.rejected', now);
      return { ok: true, broadcastId: id, status: 'rejected' };
    }
    case 'pause': {
      if (!moveStatus(tx, id, ['sending'], 'paused')) return { ok: false, reason: 'wrong_status' };
      const held = setRowsOf(tx, id, ['planned', 'queued'], 'paused', 'paused');
      audit(tx, actor, 'broadcast.pause', id, b.initiativeId, now, { rows: held });
      return { ok: true, broadcastId: id, status: 'paused' };
    }
    case 'resume': {
      if (!moveStatus(tx, id, ['paused'], 'sending')) return { ok: false, reason: 'wrong_status' };
      // The rows keep their pace, starting again now (those whose moment passed while paused would otherwise all be due at once).
      const [lo, hi] = [`b${id}|`, `b${id}}`];
      const first = clientOf(tx).prepare("select min(send_at) from deliveries where key >= ? and key < ? and status = 'paused'").pluck().get(lo, hi) as number | null;
      const shift = first === null ? 0 : Math.max(0, now.getTime() - first);
      clientOf(tx).prepare("update deliveries set send_at = send_at + ? where key >= ? and key < ? and status = 'paused'").run(shift, lo, hi);
      const back = setRowsOf(tx, id, ['paused'], 'planned', null);
      audit(tx, actor, 'broadcast.resume', id, b.initiativeId, now, { rows: back });
      return { ok: true, broadcastId: id, status: 'sending' };
    }
    case 'cancel': {
      if (!moveStatus(tx, id, CANCELLABLE, 'cancelled', b.status === 'sending' || b.status === 'paused' ? {} : { finishedAt: now })) return { ok: false, reason: 'wrong_status' };
      // Held rows too (WhatsApp: the stand-in went out, the full message waited for a reply): a
      // parent who replies after the cancel gets nothing more. A pause leaves them held: the parent
      // asked to read it.
      const skipped = setRowsOf(tx, id, ['planned', 'queued', 'paused', 'held'], 'skipped', 'cancelled');
      audit(tx, actor, 'broadcast.cancel', id, b.initiativeId, now, { from: b.status, rows: skipped });
      return { ok: true, broadcastId: id, status: 'cancelled' };
    }
  }
}

/** Moves the broadcast's not-yet-sent rows (by the key range: the unique index, no table scan). */
function setRowsOf(tx: Conn, broadcastId: number, from: string[], to: string, reason: string | null): number {
  return clientOf(tx)
    .prepare(`update deliveries set status = ?, last_error = ? where key >= ? and key < ? and status in (${from.map(() => '?').join(',')})`)
    .run(to, reason, `b${broadcastId}|`, `b${broadcastId}}`, ...from).changes;
}

function submit(tx: Conn, actor: BroadcastActor, b: NonNullable<ReturnType<typeof getBroadcastRow>>, now: Date): BroadcastOutcome {
  if (!EDITABLE.includes(b.status)) return { ok: false, reason: 'wrong_status' };
  const view = getBroadcast(tx, b.id)!;
  const dutch = view.versions.find((v) => v.lang === 'nl');
  // The Dutch version is required: it is what everyone without their own version reads.
  if (!dutch || !isSendable(dutch)) {
    audit(tx, actor, 'broadcast.refused', b.id, b.initiativeId, now, { op: 'submit', reason: 'no_dutch' });
    return { ok: false, reason: 'no_dutch' };
  }
  // Approval: an ambassador's broadcast on an initiative that asks for it (a coordinator's or the CLI's never).
  const byAmbassador = 'personId' in actor && !may(membershipsOf(tx, actor.personId), 'broadcast.approve', b.initiativeId);
  const needsApproval = byAmbassador && requiresApproval(tx, b.initiativeId);
  const to: BroadcastStatus = needsApproval ? 'pending' : 'scheduled';
  if (!moveStatus(tx, b.id, EDITABLE, to, { needsApproval })) return { ok: false, reason: 'wrong_status' };
  audit(tx, actor, 'broadcast.submit', b.id, b.initiativeId, now, { to, sendAt: b.sendAt ? b.sendAt.toISOString() : null });
  if (needsApproval) askApproval(tx, b.id, b.initiativeId, 'personId' in actor ? actor.personId : 0, now);
  return { ok: true, broadcastId: b.id, status: to };
}

/** A notice to each coordinator who can be reached: the preview with approve / reject buttons. */
function askApproval(tx: Conn, broadcastId: number, initiativeId: number, authorId: number, now: Date): void {
  const payload: DeliveryPayload = { key: 'broadcast:approval.request', params: {}, buttons: 'broadcastApproval', broadcastId, initiativeId };
  for (const personId of reachableStaff(tx, initiativeId, 'coordinator', authorId)) {
    insertNotice(tx, { personId, ruleId: 'bc-approval', occurrence: `b${broadcastId}@${now.getTime()}`, payload, now });
  }
}

function tellAuthor(tx: Conn, b: { id: number; authorId: number | null; initiativeId: number }, key: string, now: Date): void {
  if (b.authorId === null) return;
  // A rejection carries "change it" (bc:redo:<id>): the author reopens it at its preview.
  const buttons = key === 'broadcast:approval.rejected' ? 'broadcastRejected' : null;
  insertNotice(tx, { personId: b.authorId, ruleId: 'bc-decision', occurrence: `b${b.id}@${now.getTime()}`, payload: { key, params: { id: b.id }, buttons, broadcastId: b.id, initiativeId: b.initiativeId }, now });
}
