/**
 * A coordinator looked at the figures (/stats): the audit row `stats.view`, ids only, in the
 * turn's transaction. The role is checked again here, as every staff effect is: without it
 * nothing is written (and the chart listener sends nothing either).
 */
import { may } from '../domain/authorization.js';
import { writeAudit } from './audit.repo.js';
import type { Tx } from './effects.apply.js';
import { membershipsOf } from './invites.repo.js';

export function applyStatsView(tx: Tx, personId: number, initiativeId: number, now: Date): boolean {
  if (!may(membershipsOf(tx, personId), 'stats.view', initiativeId)) return false;
  writeAudit(tx, { actor: `person:${personId}`, action: 'stats.view', subjectType: 'initiative', subjectId: initiativeId, detail: { initiativeId } }, now);
  return true;
}
