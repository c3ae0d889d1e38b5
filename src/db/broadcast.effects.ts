/** Applies a flow's broadcast command inside the turn's transaction (scaffold; replaced by the area's owner). */
import { AppError } from '../core/errors.js';
import type { BroadcastCommand } from '../domain/broadcast.types.js';
import type { Tx } from './effects.apply.js';

export function applyBroadcastCommand(_tx: Tx, _personId: number, command: BroadcastCommand, _now: Date): void {
  throw new AppError('broadcast_unbuilt', `broadcast command ${command.op} is not built yet`);
}
