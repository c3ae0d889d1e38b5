import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../../src/core/i18n.js';
import {
  answerHint,
  buildKeywordIndex,
  createPendingChoices,
  distance,
  formatForWhatsApp,
  hashPhone,
  mapWhatsAppText,
  splitText,
  toWhatsAppMarkup,
  withKeywords,
  type FlatChoice,
} from '../../../src/bot/whatsapp/whatsapp.text.js';
import { languageForPhone } from '../../../src/domain/phone-language.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const keywords = buildKeywordIndex(i18n, locales.languages.map((l) => l.code));
const hint = answerHint(i18n);
const years: FlatChoice[] = [
  { n: 1, label: '2025', value: 'y:2025' },
  { n: 2, label: '2024', value: 'y:2024' },
];
const languages: FlatChoice[] = [
  { n: 1, label: 'Nederlands', value: 'lang:nl' },
  { n: 2, label: 'Türkçe', value: 'lang:tr' },
  { n: 3, label: 'English', value: 'lang:en' },
];

describe('WhatsApp formatting', () => {
  it('maps mini-HTML to WhatsApp markup and unescapes entities', () => {
    expect(toWhatsAppMarkup('<b>Let op</b> &amp; <i>lees</i> &lt;dit&gt;')).toBe('*Let op* & _lees_ <dit>');
  });

  it('turns choices into a numbered list with a hint in the reader\'s language', () => {
    const out = formatForWhatsApp({ text: 'Kies een taal', lang: 'nl', choices: [[{ label: 'Nederlands', value: 'lang:nl' }], [{ label: 'Türkçe', value: 'lang:tr' }, { label: 'English', value: 'lang:en' }]] }, hint);
    expect(out.parts).toEqual(['Kies een taal\n\n1. Nederlands\n2. Türkçe\n3. English\n\nAntwoord met het nummer: 1, 2 of 3.']);
    expect(out.choices.map((c) => c.value)).toEqual(['lang:nl', 'lang:tr', 'lang:en']);
    expect(hint(3, 'tr')).toBe('Numarayla cevap verin: 1, 2 veya 3.');
    expect(hint(2, 'en')).toBe('Answer with the number: 1 or 2.');
  });

  it('prints a link choice as "label: url" on its own line, not numbered; the answers keep their numbers', () => {
    const url = 'https://www.amsterdam.nl/onderwijs/basisonderwijs/';
    const alone = formatForWhatsApp({ text: 'De aanmelddag is nog niet bekend.', lang: 'nl', choices: [[{ label: 'Bekijk de pagina van de gemeente', value: 'link:0', url }]] }, hint);
    expect(alone.parts).toEqual([`De aanmelddag is nog niet bekend.\n\nBekijk de pagina van de gemeente: ${url}`]);
    expect(alone.choices).toEqual([]);
    const mixed = formatForWhatsApp(
      { text: 'Kom je?', lang: 'nl', choices: [[{ label: 'Ja', value: 'ev:1:yes' }, { label: 'Nee', value: 'ev:1:no' }], [{ label: 'Programma &amp; plek', value: 'link:0', url }]] },
      hint,
    );
    expect(mixed.parts).toEqual([`Kom je?\n\nProgramma & plek: ${url}\n\n1. Ja\n2. Nee\n\nAntwoord met het nummer: 1 of 2.`]);
    expect(mixed.choices).toEqual([
      { n: 1, label: 'Ja', value: 'ev:1:yes' },
      { n: 2, label: 'Nee', value: 'ev:1:no' },
    ]);
  });

  it('names commands as keywords in the reader\'s language, never as Telegram slash commands', () => {
    const nl = formatForWhatsApp({ text: 'Typ /start om de berichten weer aan te zetten. /mydata laat zien wat we bewaren.', lang: 'nl' }, hint);
    expect(nl.parts[0]).toBe('Typ START om de berichten weer aan te zetten. MIJN GEGEVENS laat zien wat we bewaren.');
    const tr = formatForWhatsApp({ text: 'Yazın: /stop', lang: 'tr' }, hint);
    expect(tr.parts[0]).toBe('Yazın: DUR');
    const help = i18n.getFixedT('nl')('common:help');
    expect(formatForWhatsApp({ text: help, lang: 'nl' }, hint).parts[0]).not.toMatch(/(^|\s)\/[a-z]/m);
    expect(mapWhatsAppText('kinderen', undefined, keywords)).toEqual({ kind: 'command', command: 'children', args: '' });
  });

  it('splits long texts at line or word boundaries within 4096 characters', () => {
    const long = Array.from({ length: 900 }, (_, i) => `regel ${i}`).join('\n');
    const parts = splitText(long, 4096);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join('\n')).toBe(long);
  });
});

describe('WhatsApp answers', () => {
  it.each([
    ['2', 'lang:tr'],
    [' 2. ', 'lang:tr'],
    ['(3)', 'lang:en'],
    ['türkçe', 'lang:tr'],
    ['TURKCE', 'lang:tr'],
    ['Turkce!', 'lang:tr'],
    ['Nederlnds', 'lang:nl'],
    ['englsh', 'lang:en'],
    ['Neder', 'lang:nl'],
  ])('%s picks %s', (said, value) => {
    expect(mapWhatsAppText(said, languages, keywords)).toEqual({ kind: 'choice', value });
  });

  it('keeps other text as text, and a number out of range too', () => {
    expect(mapWhatsAppText('Ayla', languages, keywords)).toEqual({ kind: 'text', text: 'Ayla' });
    expect(mapWhatsAppText('7', languages, keywords)).toEqual({ kind: 'text', text: '7' });
    expect(mapWhatsAppText('1094 AB', languages, keywords)).toEqual({ kind: 'text', text: '1094 AB' });
    expect(mapWhatsAppText('2024', years, keywords)).toEqual({ kind: 'choice', value: 'y:2024' });
  });

  it.each(['STOP', 'stop', 'Stop.', ' sToP ', 'stop!', '/stop', 'DUR', 'СТОП', 'JOOJI'])('"%s" is always /stop', (said) => {
    expect(mapWhatsAppText(said, languages, keywords)).toEqual({ kind: 'command', command: 'stop', args: '' });
  });

  it.each([
    ['MENU', 'menu'],
    ['menü', 'menu'],
    ['hulp', 'help'],
    ['YARDIM', 'help'],
    ['yardım', 'help'],
    ['Start', 'start'],
    ['taal', 'language'],
    ['Language', 'language'],
    ['mijn gegevens', 'mydata'],
    ['My data', 'mydata'],
    ['verwijder', 'delete'],
    ['SİL', 'delete'],
    ['مساعدة', 'help'],
    ['vraag', 'ask'],
    ['SORU', 'ask'],
    ['Herinneringen', 'nudge'],
    ['NUDGE', 'nudge'],
  ])('keyword "%s" → /%s', (said, command) => {
    expect(mapWhatsAppText(said, undefined, keywords)).toEqual({ kind: 'command', command, args: '' });
  });

  it('reads "KOPPEL 123456" and "link 123456" as /link with the code', () => {
    expect(mapWhatsAppText('KOPPEL 123456', undefined, keywords)).toEqual({ kind: 'command', command: 'link', args: '123456' });
    expect(mapWhatsAppText('link 654321', undefined, keywords)).toEqual({ kind: 'command', command: 'link', args: '654321' });
  });

  it('reads "LINK K7QM-3XPD-9FTW" in any case and grouping as /link with the code, and a sentence as text', () => {
    expect(mapWhatsAppText('LINK K7QM-3XPD-9FTW', undefined, keywords)).toEqual({ kind: 'command', command: 'link', args: 'K7QM-3XPD-9FTW' });
    expect(mapWhatsAppText('koppel k7qm 3xpd 9ftw', undefined, keywords)).toEqual({ kind: 'command', command: 'link', args: 'k7qm 3xpd 9ftw' });
    expect(mapWhatsAppText('koppel mij aan Telegram!', undefined, keywords)).toEqual({ kind: 'text', text: 'koppel mij aan Telegram!' });
  });

  it('remembers the last list per chat for a while, in memory', () => {
    let now = 0;
    const pending = createPendingChoices(1000, () => now);
    pending.set('31612345678@c.us', languages);
    expect(pending.get('31612345678@c.us')).toHaveLength(3);
    now = 1001;
    expect(pending.get('31612345678@c.us')).toBeUndefined();
  });

  it('measures close spellings with adjacent swaps', () => {
    expect(distance('nederlands', 'nedrelands')).toBe(1);
    expect(distance('abc', 'abc')).toBe(0);
    expect(distance('kitten', 'sitting')).toBe(3);
  });
});

describe('phone numbers', () => {
  it.each([
    ['905321234567@c.us', 'tr'],
    ['+212 612 345678', 'ar'],
    ['48501234567', 'pl'],
    ['380501234567', 'uk'],
    ['359881234567', 'bg'],
    ['351912345678', 'pt'],
    ['5511912345678', 'pt'],
    ['252612345678', 'so'],
    ['2917123456', 'ti'],
    ['31612345678', 'nl'],
    ['0031612345678', 'nl'],
  ])('%s suggests %s', (phone, lang) => {
    expect(languageForPhone(phone)).toBe(lang);
  });

  it('suggests nothing for an unknown code', () => {
    expect(languageForPhone('8612345678')).toBeUndefined();
  });

  it('hashes numbers for logs, stably and without the digits', () => {
    expect(hashPhone('31612345678@c.us')).toBe(hashPhone('31612345678@c.us'));
    expect(hashPhone('31612345678@c.us')).not.toContain('612345678');
  });
});

describe('staff invites on WhatsApp', () => {
  const token = 'Ab3_-xYz0123456789abcd';
  it('"UITNODIGING <token>", "invite ambassador" and "/invite <token>" become the invite command', () => {
    expect(mapWhatsAppText(`UITNODIGING ${token}`, undefined, keywords)).toEqual({ kind: 'command', command: 'invite', args: token });
    expect(mapWhatsAppText('invite ambassador', undefined, keywords)).toEqual({ kind: 'command', command: 'invite', args: 'ambassador' });
    expect(mapWhatsAppText(`/invite ${token}`, undefined, keywords)).toEqual({ kind: 'command', command: 'invite', args: token });
    expect(mapWhatsAppText('vrijwilligers', undefined, keywords)).toEqual({ kind: 'command', command: 'staff', args: '' });
  });
  it('the code a coordinator forwards reads "UITNODIGING <token>" in Dutch', () => {
    expect(withKeywords(`/invite ${token}`, 'nl', hint)).toBe(`UITNODIGING ${token}`);
  });
});
