/**
 * The age in a reminder's "about" line (src/domain/delivery-message.ts, ageText): a child born
 * this month is "under a month" in every language, never "0 maanden" / "0 mês" (issue 10, item 8).
 */
import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { renderText } from '../../src/core/render.js';
import { ageText } from '../../src/domain/delivery-message.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const codes = locales.languages.map((l) => l.code);

describe('ageText', () => {
  it.each(codes)('%s: a child born this month is under a month old, with no number 0', (lang) => {
    const out = renderText(i18n, lang, ageText(0));
    expect(out).toBe(renderText(i18n, lang, { key: 'nurture:age.underOneMonth' }));
    expect(out).not.toMatch(/(^|\D)0(\D|$)/);
  });

  it('counts months and years from the first month on', () => {
    expect(renderText(i18n, 'nl', ageText(1))).toBe('1 maand');
    expect(renderText(i18n, 'nl', ageText(14))).toBe('1 jaar en 2 maanden');
    expect(renderText(i18n, 'pt', ageText(0))).not.toContain('0 mês');
  });
});
