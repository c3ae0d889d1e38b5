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

/** Dutch imperatives a message uses to ask for an action (the verbs our texts use). */
const IMPERATIVE = /^(Kies|Typ|Kom|Neem|Bezoek|Help|Meld|Doe|Bel|Praat|Word|Vertel|Ga|Stuur|Deel|Probeer|Klik|Tik|Vul|Schrijf|Lees|Bekijk)\b/;

/**
 * One action per message: at most one imperative sentence and at most one question. A
 * question that starts with "Of" offers an alternative answer to the same question.
 */
export function actionsAsked(text: string): number {
  const sentences = text
    .replace(/<\/?[bi]>/g, '')
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim());
  const imperatives = sentences.filter((s) => IMPERATIVE.test(s)).length;
  const questions = sentences.filter((s) => s.endsWith('?') && !/^Of\b/.test(s)).length;
  return Math.max(imperatives, questions);
}

describe('plain Dutch', () => {
  it('counts the actions a text asks for (so the check can fail)', () => {
    expect(actionsAsked('Kies een dag. Typ je naam.')).toBe(2);
    expect(actionsAsked('Hoe heet je? Waar woon je?')).toBe(2);
    expect(actionsAsked('Heb je een kind? Of verwacht je een baby?')).toBe(1);
  });

  it('every Dutch text asks for at most one action', () => {
    const offenders = [...readTexts(DEFAULT_LOCALES_DIR, 'nl').entries()].filter(([key, text]) => key !== 'common:help' && actionsAsked(text) > 1).map(([key]) => key);
    expect(offenders).toEqual([]);
  });

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
