/**
 * The bound that makes link codes unguessable, recomputed from the constants the code uses:
 * a whole day of wrong codes at every channel's budget has less than 1 in 10^6 chance of
 * hitting any live code. Raising a budget, adding a channel or shortening the code fails here.
 */
import { describe, expect, it } from 'vitest';
import { LINK_MISSES, LINK_WINDOW_MS } from '../../src/core/link-attempts.js';
import { CHANNELS } from '../../src/core/messages.js';
import { LINK_CODE_ALPHABET, LINK_CODE_LENGTH } from '../../src/domain/link-code.js';

/** At most one live code per person; 10× the 100,000 parents the benchmarks plan for. */
const MAX_LIVE_CODES = 1_000_000;

describe('link-code guessing bound', () => {
  it('a day of guessing at the budget of every channel hits a live code with chance < 10^-6', () => {
    const guessesPerDay = LINK_MISSES.channel * ((24 * 60 * 60 * 1000) / LINK_WINDOW_MS) * CHANNELS.length;
    const space = LINK_CODE_ALPHABET.length ** LINK_CODE_LENGTH;
    const chance = (guessesPerDay * MAX_LIVE_CODES) / space;
    expect(guessesPerDay).toBe(21_600);
    expect(space).toBe(2 ** 60);
    expect(chance).toBeLessThan(1e-6);
    expect(chance).toBeCloseTo(1.87e-8, 9);
  });

  it('the alphabet is Crockford base 32: no I, L, O or U', () => {
    expect(new Set(LINK_CODE_ALPHABET).size).toBe(32);
    expect(LINK_CODE_ALPHABET).not.toMatch(/[ILOU]/);
  });
});
