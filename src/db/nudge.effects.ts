/**
 * Applies a flow's nudge command inside the turn's transaction. The flow already asked
 * src/domain/authorization.ts; this asks again with the memberships in the database (a role
 * revoked meanwhile counts) and checks the moment, audience and versions, so nothing invalid is
 * ever stored. A "trigger now" only writes the run's broadcast: the fan-out follows the commit
 * (the nudge runner, kicked by the after-commit listener in src/app.ts).
 */
import { AppError } from '../core/errors.js';
import { may } from '../domain/authorization.js';
import { audienceProblem, momentProblem } from '../domain/nudge-rules.js';
import type { NudgeCommand } from '../domain/nudge.types.js';
import type { Tx } from './effects.apply.js';
import { membershipsOf } from './invites.repo.js';
import { recordInboundMedia } from './media.repo.js';
import { changeNudgeStatus, createNudge, getNudge, triggerNudge, zoneOfInitiative } from './nudges.repo.js';

const DEFAULT_ZONE = 'Europe/Amsterdam';

export function applyNudgeCommand(tx: Tx, personId: number, command: NudgeCommand, now: Date): void {
  const actor = `person:${personId}`;
  const initiativeId = command.op === 'create' ? command.initiativeId : getNudge(tx, command.nudgeId)?.initiativeId;
  if (initiativeId === undefined) throw new AppError('nudge_unknown', `no nudge ${command.op === 'create' ? '' : command.nudgeId}`);
  if (!may(membershipsOf(tx, personId), 'nudge', initiativeId)) throw new AppError('nudge_refused', `person ${personId} may not nudge on initiative ${initiativeId}`);
  const zone = zoneOfInitiative(tx, initiativeId, DEFAULT_ZONE);
  switch (command.op) {
    case 'create': {
      const problem = momentProblem(command.moment, { now, zone }) ?? audienceProblem(command.moment, command.audience);
      if (problem) throw new AppError('nudge_invalid', `nudge ${problem}`);
      if (!command.versions.some((v) => v.lang === 'nl' && v.text.trim())) throw new AppError('nudge_invalid', 'nudge without a Dutch version');
      // A voice note recorded in the chat is kept as the coordinator's media row (fetched after the commit).
      const versions = command.versions.map(({ voice, ...v }) => (voice ? { ...v, mediaId: recordInboundMedia(tx, { ownerId: personId, channel: voice.channel, media: voice.media }, now) } : v));
      createNudge(tx, { initiativeId, createdBy: personId, audience: command.audience, moment: command.moment, versions }, actor, now, zone);
      return;
    }
    case 'pause':
    case 'resume':
    case 'cancel':
      changeNudgeStatus(tx, command.nudgeId, command.op, actor, now, zone);
      return;
    case 'trigger':
      // The coordinator who pressed it follows the run's progress and summary in the chat.
      triggerNudge(tx, command.nudgeId, actor, now, personId);
      return;
  }
}
