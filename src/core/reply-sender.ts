/**
 * Sends rendered replies after the turn has been committed, with one policy for every
 * channel: network trouble and server errors are retried with backoff, a "slow down" waits
 * as long as the messenger asks (capped), a blocked bot marks the person unreachable, and a
 * refused message (a bug) is logged with context and never retried.
 */
import type { Clock } from './clock.js';
import type { SendOutcome } from './errors.js';
import type { Address, OutboundMessage } from './messages.js';
import type { ChannelAdapter, Logger, Store } from './ports.js';

const MAX_ATTEMPTS = 5;
const MAX_WAIT_MS = 60_000;
const backoffMs = (attempt: number) => Math.min(500 * 2 ** attempt, 8_000);

export interface ReplySenderDeps {
  channels: Map<string, ChannelAdapter>;
  store: Store;
  clock: Clock;
  logger: Logger;
}

export async function sendOne(deps: ReplySenderDeps, address: Address, message: OutboundMessage, outboxId?: number): Promise<SendOutcome> {
  const channel = deps.channels.get(address.channel);
  let outcome: SendOutcome = { status: 'invalid', reason: 'channel not running' };
  if (channel) {
    let fromPart = 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      outcome = await channel.send(address.chatId, message, fromPart ? { fromPart } : undefined);
      if ((outcome.status === 'retry' || outcome.status === 'wait') && outcome.partsSent) fromPart += outcome.partsSent;
      if (attempt === MAX_ATTEMPTS - 1) break; // no point waiting after the last try
      if (outcome.status === 'retry') {
        deps.logger.warn({ channel: address.channel, outboxId, attempt, reason: outcome.reason }, 'send failed, retrying');
        await deps.clock.sleep(backoffMs(attempt));
        continue;
      }
      if (outcome.status === 'wait') {
        deps.logger.warn({ channel: address.channel, outboxId, attempt, retryAfterMs: outcome.retryAfterMs }, 'rate limited, waiting');
        await deps.clock.sleep(Math.min(outcome.retryAfterMs, MAX_WAIT_MS));
        continue;
      }
      break;
    }
  }
  if (outcome.status === 'unreachable') {
    deps.store.markUnreachable(address);
    deps.logger.info({ channel: address.channel, outboxId, reason: outcome.reason }, 'person unreachable; proactive messages stopped');
  } else if (outcome.status === 'invalid') {
    deps.logger.error({ channel: address.channel, outboxId, reason: outcome.reason, choices: message.choices?.length ?? 0, length: message.text.length }, 'message refused (bug)');
  } else if (outcome.status !== 'sent') {
    deps.logger.error({ channel: address.channel, outboxId, status: outcome.status }, 'gave up sending');
  }
  if (outboxId !== undefined) deps.store.markOutbox(outboxId, outcome);
  return outcome;
}

/** Sends in order; stops at the first message that cannot be delivered. */
export async function sendAll(deps: ReplySenderDeps, address: Address, messages: OutboundMessage[], outboxIds: number[]): Promise<void> {
  for (const [i, message] of messages.entries()) {
    const outcome = await sendOne(deps, address, message, outboxIds[i]);
    if (outcome.status !== 'sent') {
      for (const id of outboxIds.slice(i + 1)) deps.store.markOutbox(id, { status: outcome.status === 'unreachable' ? 'unreachable' : 'invalid', reason: 'earlier part not delivered' });
      return;
    }
  }
}
