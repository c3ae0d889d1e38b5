/** Every key renders in every language: no raw keys, no leftover {{placeholders}}, no fallback leaks. */
import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { placeholders } from '../../src/core/locale-rules.js';
import { renderText } from '../../src/core/render.js';
import { baseKey, readTexts, SOURCE } from '../../src/cli/i18n/locale-files.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const dutch = readTexts(DEFAULT_LOCALES_DIR, SOURCE);
const bases = [...new Set([...dutch.keys()].map(baseKey))];

describe('rendering', () => {
  it.each(locales.languages.map((l) => l.code))('%s renders every key with its own text', (lang) => {
    const own = readTexts(DEFAULT_LOCALES_DIR, lang);
    for (const key of bases) {
      const sample = dutch.get(key) ?? dutch.get(`${key}_other`) ?? '';
      const params = Object.fromEntries([...placeholders(sample)].map((p) => [p, p === 'count' ? 3 : `«${p}»`]));
      const out = renderText(i18n, lang, { key, params });
      expect(out, `${lang} ${key}`).not.toBe(key);
      expect(out, `${lang} ${key}`).not.toContain('{{');
      const ownText = own.get(key) ?? own.get(`${key}_other`) ?? own.get(`${key}_few`);
      expect(ownText, `${lang} ${key} is its own text, not a fallback`).toBeDefined();
    }
  });

  it('English plurals and Intl dates follow the language', () => {
    expect(renderText(i18n, 'en', { key: 'common:years', params: { count: 1 } })).toBe('1 year');
    expect(renderText(i18n, 'en', { key: 'common:years', params: { count: 3 } })).toBe('3 years');
    expect(renderText(i18n, 'nl', { key: 'common:plain', params: { value: { yearMonth: { year: 2024, month: 3 } } } })).toBe('maart 2024');
    expect(renderText(i18n, 'en', { key: 'common:plain', params: { value: { monthName: 10 } } })).toBe('October');
  });

  it('escapes values so names cannot break the markup', () => {
    expect(renderText(i18n, 'nl', { key: 'onboarding:nameThanks', params: { name: '<b>Ben & "Co"' } })).toBe('Leuk je te ontmoeten, &lt;b&gt;Ben &amp; &quot;Co&quot;!');
  });
});

describe('right-to-left', () => {
  it('wraps interpolated values in Unicode isolates for RTL languages only', async () => {
    const { createInstance } = await import('i18next');
    const rtl = createInstance();
    await rtl.init({ resources: { ar: { common: { hi: 'مرحبا {{name}} في {{school}}' } }, nl: { common: { hi: 'Hoi {{name}} bij {{school}}' } } }, fallbackLng: 'nl', interpolation: { escapeValue: false } });
    expect(renderText(rtl, 'ar', { key: 'common:hi', params: { name: 'Anna', school: 'De Regenboog' } })).toBe('\u200Fمرحبا \u2068Anna\u2069 في \u2068De Regenboog\u2069'); // starts with the right-to-left mark
    expect(renderText(rtl, 'nl', { key: 'common:hi', params: { name: 'Anna', school: 'De Regenboog' } })).toBe('Hoi Anna bij De Regenboog');
  });
});
