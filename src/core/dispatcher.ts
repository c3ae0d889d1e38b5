/**
 * One conversation at a time: messages from the same chat are handled strictly in order,
 * different chats run concurrently. A failing handler is logged and never blocks the chat.
 */
import { addressKey, type InboundMessage } from './messages.js';
import type { InboundHandler, Logger } from './ports.js';

export interface Dispatcher {
  /** Resolves once the turn is committed and its replies are handed to the outbound path. */
  dispatch: InboundHandler;
  /** Resolves when every queued message has been handled (its turn committed). */
  turnsDone(): Promise<void>;
  /** Resolves when every queued message has been handled and its replies delivered (tests). */
  idle(): Promise<void>;
}

/** `delivered` resolves when the outbound path has nothing waiting (every channel's scheduler). */
export function createDispatcher(handle: InboundHandler, logger: Logger, delivered: () => Promise<void> = () => Promise.resolve()): Dispatcher {
  const tails = new Map<string, Promise<void>>();

  function dispatch(message: InboundMessage): Promise<void> {
    const key = addressKey(message.address);
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(() =>
      handle(message).catch((err: unknown) => {
        logger.error({ err: describeError(err), channel: message.address.channel }, 'message handling failed');
      }),
    );
    tails.set(key, run);
    void run.then(() => {
      if (tails.get(key) === run) tails.delete(key);
    });
    return run;
  }

  async function turnsDone(): Promise<void> {
    while (tails.size > 0) await Promise.all([...tails.values()]);
  }

  async function idle(): Promise<void> {
    await turnsDone();
    await delivered();
    // A delivery may have woken a turn (none today), so look once more.
    await turnsDone();
  }

  return { dispatch, turnsDone, idle };
}

/** Error details without message text that might contain personal data. */
export function describeError(err: unknown): { name: string; code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message.slice(0, 300), ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}) };
  }
  return { name: 'unknown', message: String(err).slice(0, 300) };
}
