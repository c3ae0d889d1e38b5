/** Applies a flow's nudge command inside the turn's transaction (scaffold; replaced by the area's owner). */
import { AppError } from '../core/errors.js';
import type { NudgeCommand } from '../domain/nudge.types.js';
import type { Tx } from './effects.apply.js';

export function applyNudgeCommand(_tx: Tx, _personId: number, command: NudgeCommand, _now: Date): void {
  throw new AppError('nudge_unbuilt', `nudge command ${command.op} is not built yet`);
}
