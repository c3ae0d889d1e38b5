import { describe, expect, it } from 'vitest';
import { decideRsvp, freePlaces, promotions } from '../../src/domain/rsvp.js';

describe('decideRsvp', () => {
  it.each([
    [{ capacity: 2, goingOthers: 0 }, 'yes', 'going'],
    [{ capacity: 2, goingOthers: 1 }, 'yes', 'going'],
    [{ capacity: 2, goingOthers: 2 }, 'yes', 'waiting'],
    // More going than places (capacity lowered, walk-ins): still the waiting list.
    [{ capacity: 2, goingOthers: 5 }, 'yes', 'waiting'],
    [{ capacity: null, goingOthers: 1000 }, 'yes', 'going'],
    [{ capacity: 0, goingOthers: 0 }, 'yes', 'waiting'],
    [{ capacity: 2, goingOthers: 0 }, 'maybe', 'none'],
    [{ capacity: 2, goingOthers: 0 }, 'no', 'none'],
    [{ capacity: 2, goingOthers: 2 }, 'maybe', 'none'],
    [{ capacity: null, goingOthers: 0 }, 'no', 'none'],
  ] as const)('%j + %s → %s', (places, answer, status) => {
    expect(decideRsvp(places, answer)).toBe(status);
  });
});

describe('promotions', () => {
  it('moves the oldest waiting people into the free places, in order', () => {
    expect(promotions(3, 1, [7, 4, 9])).toEqual([7, 4]);
    expect(promotions(3, 2, [7, 4, 9])).toEqual([7]);
  });

  it('moves nobody when no place is free or nobody waits', () => {
    expect(promotions(2, 2, [7, 4])).toEqual([]);
    expect(promotions(2, 3, [7])).toEqual([]);
    expect(promotions(5, 0, [])).toEqual([]);
  });

  it('moves everyone up without a limit', () => {
    expect(promotions(null, 50, [1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('does not change its input', () => {
    const waiting = [3, 2, 1];
    promotions(10, 0, waiting);
    expect(waiting).toEqual([3, 2, 1]);
  });
});

describe('freePlaces', () => {
  it('is never negative and infinite without a limit', () => {
    expect(freePlaces(2, 5)).toBe(0);
    expect(freePlaces(5, 2)).toBe(3);
    expect(freePlaces(null, 5)).toBe(Number.POSITIVE_INFINITY);
  });
});
