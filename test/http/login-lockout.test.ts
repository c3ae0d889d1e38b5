import { describe, expect, it, vi } from 'vitest';
import { backoffMs, createLoginLockout, MAX_DELAY_MS, OVERALL_FREE, OVERALL_WINDOW_MS, PER_ADDRESS_FREE } from '../../src/http/login-lockout.js';
import type { Logger } from '../../src/core/ports.js';

function setup() {
  let now = Date.UTC(2027, 0, 4, 9);
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
  const lockout = createLoginLockout({ clock: { now: () => new Date(now) }, endpoint: 'test', logger });
  return { lockout, logger, advance: (ms: number) => (now += ms) };
}

describe('login lockout', () => {
  it('backs off 1 s, 2 s, 4 s … up to 15 minutes', () => {
    expect([1, 2, 3, 4, 10, 11, 40].map(backoffMs)).toEqual([1_000, 2_000, 4_000, 8_000, 512_000, MAX_DELAY_MS, MAX_DELAY_MS]);
  });

  it('lets an address fail 4 times freely, then locks it with a doubling delay', () => {
    const { lockout, advance } = setup();
    for (let i = 1; i < PER_ADDRESS_FREE; i++) {
      lockout.fail('203.0.113.9');
      expect(lockout.check('203.0.113.9')).toEqual({ locked: false });
    }
    lockout.fail('203.0.113.9');
    expect(lockout.check('203.0.113.9')).toEqual({ locked: true, retryAfterSeconds: 1, scope: 'address' });
    expect(lockout.check('198.51.100.1')).toEqual({ locked: false });
    advance(1_000);
    expect(lockout.check('203.0.113.9').locked).toBe(false);
    lockout.fail('203.0.113.9');
    expect(lockout.check('203.0.113.9')).toMatchObject({ retryAfterSeconds: 2 });
    advance(1_500);
    expect(lockout.check('203.0.113.9')).toMatchObject({ locked: true, retryAfterSeconds: 1 });
    advance(500);
    lockout.fail('203.0.113.9');
    expect(lockout.check('203.0.113.9')).toMatchObject({ retryAfterSeconds: 4 });
  });

  it('forgets an address after a right password', () => {
    const { lockout, advance } = setup();
    for (let i = 0; i < PER_ADDRESS_FREE + 3; i++) {
      lockout.fail('::1');
      advance(MAX_DELAY_MS);
    }
    lockout.succeed('::1');
    for (let i = 1; i < PER_ADDRESS_FREE; i++) lockout.fail('::1');
    expect(lockout.check('::1').locked).toBe(false);
  });

  it('locks everyone once 50 failures from many addresses fall within 10 minutes, with the same backoff', () => {
    const { lockout, advance } = setup();
    for (let i = 0; i < OVERALL_FREE - 1; i++) {
      lockout.fail(`10.0.${i >> 8}.${i & 255}`);
      advance(1_000);
    }
    expect(lockout.check('192.0.2.1').locked).toBe(false);
    lockout.fail('10.1.0.0');
    expect(lockout.check('192.0.2.1')).toEqual({ locked: true, retryAfterSeconds: 1, scope: 'overall' });
    advance(1_000);
    lockout.fail('10.1.0.1');
    expect(lockout.check('192.0.2.1')).toMatchObject({ retryAfterSeconds: 2, scope: 'overall' });
    // Once the failures have left the 10-minute window, nobody is locked any more.
    advance(OVERALL_WINDOW_MS);
    lockout.fail('10.1.0.2');
    expect(lockout.check('192.0.2.1').locked).toBe(false);
  });

  it('never logs a client address, only a hash', () => {
    const { lockout, logger } = setup();
    for (let i = 0; i < PER_ADDRESS_FREE; i++) lockout.fail('203.0.113.77');
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ endpoint: 'test', client: expect.stringMatching(/^[0-9a-f]{12}$/) }), 'login locked out for this client');
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain('203.0.113');
  });
});
