import { describe, expect, it } from 'vitest';
import { checkChild, parseYearMonth } from '../../src/domain/birth-month.js';
import { normalizePc4 } from '../../src/domain/postcode.js';

describe('parseYearMonth', () => {
  it.each([
    ['03-2024', 'nl', { year: 2024, month: 3 }],
    ['3/2024', 'nl', { year: 2024, month: 3 }],
    ['2024-03', 'nl', { year: 2024, month: 3 }],
    ['2024.3', 'nl', { year: 2024, month: 3 }],
    ['maart 2024', 'nl', { year: 2024, month: 3 }],
    ['Maart 2024', 'en', { year: 2024, month: 3 }],
    ['mrt 2024', 'nl', { year: 2024, month: 3 }],
    ['March 2024', 'nl', { year: 2024, month: 3 }],
    ['sept 2025', 'en', { year: 2025, month: 9 }],
    ['2025 oktober', 'nl', { year: 2025, month: 10 }],
    ['mart 2024', 'tr', { year: 2024, month: 3 }],
  ])('reads %s (%s)', (input, lang, expected) => {
    expect(parseYearMonth(input, lang)).toEqual(expected);
  });

  it.each(['13-2024', '00-2024', 'gisteren', '2024', '', '1-2-2024', 'x'.repeat(100)])('refuses %s', (input) => {
    expect(parseYearMonth(input, 'nl')).toBeNull();
  });
});

describe('checkChild', () => {
  const now = { year: 2026, month: 11 };
  it.each([
    [{ year: 2026, month: 11, expected: false }, 'ok'],
    [{ year: 2021, month: 12, expected: false }, 'ok'], // 4 years 11 months
    [{ year: 2021, month: 11, expected: false }, 'too_old'], // 5 years
    [{ year: 2026, month: 12, expected: false }, 'future'],
    [{ year: 2026, month: 11, expected: true }, 'ok'],
    [{ year: 2027, month: 9, expected: true }, 'ok'], // 10 months ahead
    [{ year: 2027, month: 10, expected: true }, 'due_too_far'],
    [{ year: 2026, month: 10, expected: true }, 'due_past'],
  ] as const)('%o → %s', (child, expected) => {
    expect(checkChild(child, now)).toBe(expected);
  });
});

describe('normalizePc4', () => {
  it.each([
    ['1055', '1055'],
    ['1055 AB', '1055'],
    [' 1055ab ', '1055'],
    ['0123', null],
    ['10555', null],
    ['AB 1055', null],
  ])('%s → %s', (input, expected) => {
    expect(normalizePc4(input)).toBe(expected);
  });
});
