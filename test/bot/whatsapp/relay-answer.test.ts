/** On WhatsApp an ambassador answers with "ANTWOORD 12 …" (any language's word): it must reach the flow as text, also right after a numbered list. */
import { describe, expect, it } from 'vitest';
import { buildKeywordIndex, mapWhatsAppText, type FlatChoice } from '../../../src/bot/whatsapp/whatsapp.text.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import { parseAnswerCommand } from '../../../src/domain/relay-parse.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const keywords = buildKeywordIndex(createI18n(locales), locales.languages.map((l) => l.code));
const pending: FlatChoice[] = [{ n: 1, label: 'Ik beantwoord dit', value: 'rl:claim:12' }];

describe('ANSWER n on WhatsApp', () => {
  it.each(['ANTWOORD 12 Ja, dinsdag om 9 uur.', 'answer 12 yes', 'CEVAP 12 evet, salı', 'Antwoord 12'])('%j stays text and parses', (typed) => {
    const content = mapWhatsAppText(typed, pending, keywords);
    expect(content.kind).toBe('text');
    expect(parseAnswerCommand(content.kind === 'text' ? content.text : '')?.threadId).toBe(12);
  });

  it('"1" after the offer still presses "I\'ll answer"', () => {
    expect(mapWhatsAppText('1', pending, keywords)).toEqual({ kind: 'choice', value: 'rl:claim:12' });
  });
});
