/**
 * Work that must follow a committed turn but may not run inside it: hand notices to the queue
 * at once (a relayed answer should not wait for the planner's next minute), start a confirmed
 * broadcast's fan-out, ask a translation service for drafts. Listeners run after the commit,
 * never block the turn, and a failing listener is logged, never the parent's problem.
 */
import { describeError } from './dispatcher.js';
import type { ChannelName } from './messages.js';
import type { Logger } from './ports.js';
import type { Effect } from '../flows/flow.types.js';

export interface Committed {
  /** The effects the turn committed (already applied). */
  effects: readonly Effect[];
  /** The acting person (null: erased in this turn). */
  personId: number | null;
  channel: ChannelName;
  now: Date;
}

export type AfterCommitListener = (committed: Committed) => void | Promise<void>;

export interface AfterCommit {
  on(listener: AfterCommitListener): void;
  /** Runs every listener; resolves when all settled (tests wait on it, the engine does not). */
  emit(committed: Committed): Promise<void>;
}

export function createAfterCommit(logger: Logger): AfterCommit {
  const listeners: AfterCommitListener[] = [];
  return {
    on: (l) => void listeners.push(l),
    async emit(committed) {
      await Promise.all(
        listeners.map(async (l) => {
          try {
            await l(committed);
          } catch (err) {
            logger.error({ err: describeError(err), channel: committed.channel, personId: committed.personId }, 'after-commit task failed');
          }
        }),
      );
    },
  };
}
