/**
 * Every shipped language, end to end through telegraf and the fake Bot API: onboarding and
 * the phase walkthrough, asserting that the parent only ever reads their own language (no
 * Dutch or English text leaks through a fallback), and that plural and date forms follow
 * the language's CLDR rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { pluralCategories } from '../../src/core/locale-rules.js';
import { formatDate, renderText } from '../../src/core/render.js';
import { readTexts } from '../../src/cli/i18n/locale-files.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { keyboard, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';
import type { RecordedMessage } from '../support/fake-bot-api.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const codes = locales.languages.map((l) => l.code);

/** Long Dutch and English sentences (placeholders cut out): if one shows up elsewhere, it leaked. */
function tellTales(lang: string): string[] {
  const foreign = ['nl', 'en'].filter((l) => l !== lang);
  const own = new Set(readTexts(DEFAULT_LOCALES_DIR, lang).values());
  return foreign.flatMap((l) =>
    [...readTexts(DEFAULT_LOCALES_DIR, l).values()]
      .filter((t) => !own.has(t))
      .flatMap((t) => t.replace(/<\/?[bi]>/g, '').split(/\{\{[^}]+\}\}|\n/))
      .map((s) => s.trim())
      .filter((s) => s.length >= 18),
  );
}

let h: AppHarness;
beforeAll(async () => {
  h = await startAppHarness();
  createInitiative(h.app.db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test');
});
afterAll(async () => {
  await h.close();
});

describe.each(codes.map((c, i) => [c, 1000 + i] as const))('in %s', (lang, chat) => {
  it('onboarding and the phase walkthrough are entirely in the language', async () => {
    const seen: RecordedMessage[] = [];
    const press = async (data: string) => {
      const out = await h.exchange(chat, () => h.api.press(chat, data));
      seen.push(...out);
      return out;
    };
    const send = async (text: string) => {
      const out = await h.exchange(chat, () => h.api.sendText(chat, text));
      seen.push(...out);
      return out;
    };
    const first = await h.exchange(chat, () => h.api.sendCommand(chat, 'start', 'regenboog', { languageCode: lang }));
    expect(keyboard(first)[0]?.data).toBe(`1|lang:${lang}`); // suggested on top, then confirmed
    await press(`1|lang:${lang}`);
    await press('1|consent:more');
    await press('1|consent:yes');
    await send('Ayşe');
    await send('13-2024'); // impossible month: re-asked in the language
    await press('1|y:2024');
    await press('1|m:3');
    await press('1|more:yes');
    await press('1|y:due');
    const dueMonth = keyboard(seen.slice(-1))[0]?.data ?? '';
    await press(dueMonth);
    await press('1|more:no');
    await send('1094');
    await press('1|h:flyer');
    await press('1|menu:now');
    await press('1|a:open_morning');
    await press('1|help:open_morning');
    await press('1|menu:about');
    await press('1|menu:who');
    await h.exchange(chat, () => h.api.sendCommand(chat, 'children'));
    seen.push(...(await h.exchange(chat, () => h.api.sendCommand(chat, 'help'))));

    const all = texts(seen);
    expect(seen.length).toBeGreaterThan(15);
    for (const leak of tellTales(lang)) expect(all, `${lang} shows "${leak}"`).not.toContain(leak);
    for (const m of seen) {
      expect((m.plain ?? '').length).toBeLessThanOrEqual(4096);
      for (const b of keyboard([m])) expect(Buffer.byteLength(b.data)).toBeLessThanOrEqual(64);
    }
    // The month and year are written by Intl in the parent's language.
    expect(all).toContain(formatDate(lang, { yearMonth: { year: 2024, month: 3 } }));
  });
});

describe('plural and date forms', () => {
  it.each(codes)('%s picks the CLDR form for 0, 1, 2, 3, 5, 11 and 100', (lang) => {
    const own = readTexts(DEFAULT_LOCALES_DIR, lang);
    const rules = new Intl.PluralRules(lang);
    for (const n of [0, 1, 2, 3, 5, 11, 100]) {
      const category = rules.select(n);
      expect(pluralCategories(lang)).toContain(category);
      const template = own.get(`common:years_${category}`) ?? '';
      const rendered = renderText(i18n, lang, { key: 'common:years', params: { count: n } });
      expect(rendered, `${lang} ${n}`).toBe(template.replace('{{count}}', String(n)));
    }
  });

  it('Arabic and Polish use distinct forms where their grammar does', () => {
    const forms = (lang: string) => [0, 1, 2, 3, 5, 11, 100].map((n) => new Intl.PluralRules(lang).select(n));
    expect(codes).toEqual(expect.arrayContaining(['ar', 'pl']));
    expect(forms('ar')).toEqual(['zero', 'one', 'two', 'few', 'few', 'many', 'other']);
    expect(forms('pl')).toEqual(['many', 'one', 'few', 'few', 'many', 'many', 'many']);
    const years = (lang: string, n: number) => renderText(i18n, lang, { key: 'common:years', params: { count: n } });
    expect([0, 1, 2, 5, 22].map((n) => years('pl', n))).toEqual(['0 lat', '1 rok', '2 lata', '5 lat', '22 lata']);
    expect([1, 2, 3, 11, 100].map((n) => years('ar', n))).toEqual(['سنة واحدة', 'سنتان', '3 سنوات', '11 سنة', '100 سنة']);
  });
});
