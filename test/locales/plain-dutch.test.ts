/**
 * Plain Dutch (B1): short sentences. Every Dutch text a parent reads is split into sentences
 * (. ! ? and line breaks); none may be longer than 20 words. Tags are dropped and a
 * placeholder counts as one word.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCALES_DIR } from '../../src/core/i18n.js';
import { readTexts } from '../../src/cli/i18n/locale-files.js';

const MAX_WORDS = 20;

export function longSentences(text: string): string[] {
  return text
    .replace(/<\/?[bi]>/g, '')
    .replace(/\{\{[^}]+\}\}/g, 'X')
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length > MAX_WORDS);
}

describe('plain Dutch', () => {
  it('finds a sentence that is too long (so the check can fail)', () => {
    const long = 'Dit is een hele lange zin met veel te veel woorden die maar doorgaat en doorgaat zonder dat er ooit een punt komt om te rusten.';
    expect(longSentences(`Kort. ${long}`)).toEqual([long]);
    expect(longSentences('Kort en goed. Nog een zin!\nEn nog een.')).toEqual([]);
  });

  it('every Dutch text has sentences of at most 20 words', () => {
    const offenders = [...readTexts(DEFAULT_LOCALES_DIR, 'nl').entries()].flatMap(([key, text]) => longSentences(text).map((s) => `${key}: ${s}`));
    expect(offenders).toEqual([]);
  });
});
