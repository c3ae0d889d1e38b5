import { describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../src/core/errors.js';
import type { ChannelAdapter, Store } from '../../src/core/ports.js';
import { sendOne } from '../../src/core/reply-sender.js';
import { fixedClock } from '../support/clock.js';
import { silentLogger } from '../support/engine-harness.js';

function scripted(outcomes: SendOutcome[]) {
  const calls: (number | undefined)[] = [];
  const channel: ChannelAdapter = {
    name: 'telegram',
    send: async (_chatId, _message, options) => {
      calls.push(options?.fromPart);
      return outcomes.shift() ?? { status: 'sent' };
    },
  };
  const marked: { id: number; status: string }[] = [];
  const unreachable: string[] = [];
  const store = { markOutbox: (id: number, o: SendOutcome) => marked.push({ id, status: o.status }), markUnreachable: (a: { chatId: string }) => unreachable.push(a.chatId) } as unknown as Store;
  const clock = fixedClock('2026-11-22T10:00:00Z');
  return { deps: { channels: new Map([['telegram', channel]]), store, clock, logger: silentLogger }, calls, marked, unreachable, clock };
}

const address = { channel: 'telegram' as const, chatId: '42' };

describe('sending replies', () => {
  it('retries with backoff and resumes after the parts already sent', async () => {
    const s = scripted([{ status: 'retry', reason: '502', partsSent: 2 }, { status: 'wait', retryAfterMs: 3000, reason: '429' }]);
    const outcome = await sendOne(s.deps, address, { text: 'x' }, 7);
    expect(outcome.status).toBe('sent');
    expect(s.calls).toEqual([undefined, 2, 2]);
    expect(s.clock.slept).toEqual([500, 3000]);
    expect(s.marked).toEqual([{ id: 7, status: 'sent' }]);
  });

  it('caps a long retry_after and gives up after five attempts', async () => {
    const s = scripted(Array.from({ length: 5 }, () => ({ status: 'wait' as const, retryAfterMs: 3_600_000, reason: '429' })));
    const outcome = await sendOne(s.deps, address, { text: 'x' }, 8);
    expect(outcome.status).toBe('wait');
    expect(s.clock.slept).toEqual([60_000, 60_000, 60_000, 60_000]);
    expect(s.marked).toEqual([{ id: 8, status: 'wait' }]);
  });

  it('marks a blocked person unreachable and never retries a refused message', async () => {
    const blocked = scripted([{ status: 'unreachable', reason: '403' }]);
    await sendOne(blocked.deps, address, { text: 'x' });
    expect(blocked.unreachable).toEqual(['42']);
    expect(blocked.calls).toHaveLength(1);
    const refused = scripted([{ status: 'invalid', reason: '400' }]);
    await sendOne(refused.deps, address, { text: 'x' });
    expect(refused.calls).toHaveLength(1);
  });
});
