/** The staff menu's relay items (src/flows/staff.flow.ts), with their counts; kept apart so the staff menu does not import the relay flow. */
import type { Choice } from '../core/messages.js';
import { initiativesFor } from '../domain/authorization.js';
import type { RelayKind } from '../domain/relay.types.js';
import type { FlowContext } from './flow.types.js';
import { choice } from './kit.js';

/** The initiatives on which this person may answer parents' questions. */
export const answerable = (ctx: FlowContext): number[] => initiativesFor(ctx.person?.memberships ?? [], 'relay.answer');

/** "Vragen van ouders (n)" and "Terugbelverzoeken (n)"; none for someone who may not answer. */
export function staffRelayItems(ctx: FlowContext): Choice[][] {
  const reads = ctx.directory.relay;
  const person = ctx.person;
  const ids = answerable(ctx);
  if (!reads || !person || !ids.length) return [];
  const count = (kind: RelayKind) => reads.staffLines(person.id, ids, kind).length;
  return [[choice('rl:list', 'relay:item.questions', { count: count('question') })], [choice('rl:tasks', 'relay:item.tasks', { count: count('callback') })]];
}
