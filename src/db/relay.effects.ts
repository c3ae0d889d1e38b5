/** Applies a flow's relay command inside the turn's transaction (scaffold; replaced by the area's owner). */
import { AppError } from '../core/errors.js';
import type { RelayCommand } from '../domain/relay.types.js';
import type { Tx } from './effects.apply.js';

export function applyRelayCommand(_tx: Tx, _personId: number, command: RelayCommand, _now: Date): void {
  throw new AppError('relay_unbuilt', `relay command ${command.op} is not built yet`);
}
