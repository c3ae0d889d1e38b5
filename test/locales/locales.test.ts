/**
 * Every shipped language is complete: the keys Dutch has (plural keys in the language's own
 * CLDR categories), the same placeholders, only mini-HTML markup, no empty texts, and
 * metadata for the language menu. The checks are run on a broken example too, so we know
 * they can fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { miniHtmlProblem, placeholderProblem, pluralCategories } from '../../src/core/locale-rules.js';
import { expectedKeys, sourceText } from '../../src/cli/i18n/review.js';
import { baseKey, languagesIn, pluralSuffix, readTexts, SOURCE, type Flat } from '../../src/cli/i18n/locale-files.js';

/** Every problem of one language against the Dutch source, as readable lines. */
function problemsOf(source: Flat, texts: Flat, lang: string): string[] {
  const out: string[] = [];
  const expected = expectedKeys(source, lang);
  const wanted = new Set(expected);
  for (const key of expected) if (!texts.has(key)) out.push(`${lang}: missing ${key}`);
  for (const key of texts.keys()) if (!wanted.has(key)) out.push(`${lang}: ${key} is not a key (or plural form) of Dutch`);
  for (const [key, text] of texts) {
    if (text.trim() === '') out.push(`${lang}: ${key} is empty`);
    const isPlural = pluralSuffix(key) !== undefined;
    const ph = placeholderProblem(sourceText(source, key), text, isPlural);
    if (ph && wanted.has(key)) out.push(`${lang}: ${key}: ${ph}`);
    const html = miniHtmlProblem(text);
    if (html) out.push(`${lang}: ${key}: ${html}`);
    if (text.includes('$t(')) out.push(`${lang}: ${key}: nesting is not used`);
  }
  return out;
}

const languages = languagesIn(DEFAULT_LOCALES_DIR);
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
const source = readTexts(DEFAULT_LOCALES_DIR, SOURCE);

describe('locales', () => {
  it('ships Dutch and at least one other language', () => {
    expect(languages).toContain('nl');
    expect(languages.length).toBeGreaterThan(1);
  });

  it.each(languages)('%s is complete and well-formed', (lang) => {
    expect(problemsOf(source, readTexts(DEFAULT_LOCALES_DIR, lang), lang)).toEqual([]);
  });

  it.each(languages)('%s has metadata for the language menu', (lang) => {
    const meta = JSON.parse(readFileSync(join(DEFAULT_LOCALES_DIR, lang, 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(typeof meta.endonym === 'string' && meta.endonym.length > 0).toBe(true);
    // The renderer lays text out by i18next's direction table; the metadata must agree with it.
    expect(meta.dir).toBe(i18n.dir(lang));
    expect(['draft', 'reviewed']).toContain(meta.status);
  });

  it.each(languages)('%s has every plural category Intl knows for it', (lang) => {
    const texts = readTexts(DEFAULT_LOCALES_DIR, lang);
    const pluralBases = new Set([...source.keys()].filter((k) => pluralSuffix(k)).map(baseKey));
    for (const base of pluralBases) {
      const have = [...texts.keys()].filter((k) => baseKey(k) === base).map((k) => pluralSuffix(k));
      expect(have.sort(), `${lang} ${base}`).toEqual([...pluralCategories(lang)].sort());
    }
  });

  it('the checks catch a missing key, a wrong placeholder, broken markup and a wrong plural form', () => {
    const nl: Flat = new Map([
      ['a:hello', 'Hallo {{name}}'],
      ['a:bold', '<b>Let op</b>'],
      ['a:days_one', '{{count}} dag'],
      ['a:days_other', '{{count}} dagen'],
      ['a:gone', 'weg'],
    ]);
    const bad: Flat = new Map([
      ['a:hello', 'Hello {{nmae}}'],
      ['a:bold', '<b>Mind & see'],
      ['a:days_one', '{{count}} day'],
      ['a:days_few', '{{count}} days'],
      ['a:extra', 'x'],
    ]);
    const found = problemsOf(nl, bad, 'en').join('\n');
    expect(found).toContain('en: missing a:gone');
    expect(found).toContain('en: missing a:days_other');
    expect(found).toContain('a:days_few is not a key');
    expect(found).toContain('a:extra is not a key');
    expect(found).toContain('unknown placeholder {{nmae}}');
    expect(found).toMatch(/a:bold: .*(&amp;|not closed)/);
  });
});
