import { describe, expect, it } from 'vitest';
import { cleanName, MAX_DISPLAY_NAME, parseDisplayName } from '../../src/domain/display-name.js';

describe('display names', () => {
  it.each([
    ['Sanne', 'Sanne'],
    ['  Jan   Willem \n de  Vries ', 'Jan Willem de Vries'],
    ['محمد', 'محمد'], // Arabic
    ['فاطمة الزهراء', 'فاطمة الزهراء'],
    ['ሰላም ተስፋይ', 'ሰላም ተስፋይ'], // Tigrinya, Ge'ez script
    ['Олександра', 'Олександра'], // Ukrainian
    ['Zoë', 'Zoë'],
    ['Zoe\u0308', 'Zoë'], // decomposed ë becomes one character (NFC)
    ['Ay\u0219e 🌸', 'Ayşe 🌸'.replace('ş', '\u0219')], // emoji next to letters stays
    ['\u202EemmA', 'emmA'], // right-to-left override removed
    ['Sa\u200Bnne\u200D', 'Sanne'], // zero-width space and joiner removed
    ['\u2067محمد\u2069 \u200Fali\u200E', 'محمد ali'], // isolates and marks removed
    ['\uFEFFLi\u2060sa\u180E', 'Lisa'],
    ['\u061Cأحمد', 'أحمد'], // Arabic letter mark
  ])('%j → %j', (typed, name) => {
    expect(parseDisplayName(typed)).toEqual({ ok: true, name });
  });

  it.each([
    ['🌸🌸', 'emoji only'],
    ['\u200B\u200C\u200D\uFEFF', 'zero-width only'],
    ['\u202E\u202C', 'bidi controls only'],
    ['1234', 'digits only'],
    ['...!?', 'punctuation only'],
    ['\u3164\u3164', 'Hangul fillers that render as nothing'],
    ['   ', 'spaces only'],
  ])('asks again for %j (%s)', (typed) => {
    expect(parseDisplayName(typed)).toEqual({ ok: false, reason: 'noLetters' });
  });

  it('counts length after cleaning, in characters', () => {
    expect(parseDisplayName('\u200B'.repeat(100) + 'Sanne')).toEqual({ ok: true, name: 'Sanne' });
    expect(parseDisplayName('a'.repeat(MAX_DISPLAY_NAME))).toMatchObject({ ok: true });
    expect(parseDisplayName('a'.repeat(MAX_DISPLAY_NAME + 1))).toEqual({ ok: false, reason: 'tooLong' });
    expect(parseDisplayName('ሰ'.repeat(MAX_DISPLAY_NAME))).toMatchObject({ ok: true });
  });

  it('leaves no bidi control or zero-width character behind', () => {
    const all = [...'\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C\u200B\u200C\u200D\u2060\uFEFF\u180E'];
    expect(cleanName(`A${all.join('')}B`)).toBe('AB');
  });
});
