/**
 * Every shipped language, end to end through telegraf and the fake Bot API: onboarding and
 * the phase walkthrough, asserting that the parent only ever reads their own language (no
 * Dutch or English text leaks through a fallback), and that plural and date forms follow
 * the language's CLDR rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { pluralCategories } from '../../src/core/locale-rules.js';
import { formatDate, renderText, RLM } from '../../src/core/render.js';
import { renderMyData } from '../../src/core/mydata.render.js';
import { parseYearMonth } from '../../src/domain/birth-month.js';
import { placeholders } from '../../src/core/locale-rules.js';
import { readTexts } from '../../src/cli/i18n/locale-files.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { keyboard, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';
import type { RecordedMessage } from '../support/fake-bot-api.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const codes = locales.languages.map((l) => l.code);

/** Text without direction marks and isolates (what a reader compares by eye). */
const unmark = (s: string): string => s.replace(/[\u200E\u200F\u2066-\u2069]/g, '');

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
    // Year buttons are years, never digit-grouped numbers ("2,024" in Arabic before).
    const yearLabels = keyboard(seen).filter((b) => /^1\|y:\d{4}$/.test(b.data)).map((b) => unmark(b.label));
    expect(yearLabels.length).toBeGreaterThan(0);
    for (const label of yearLabels) expect(label, `${lang} year button`).toMatch(/^\d{4}$/);
    // A right-to-left language: every message starts with the right-to-left mark, whatever its first word.
    if (locales.resources[lang]?.meta && i18n.dir(lang) === 'rtl') {
      for (const m of seen.filter((x) => x.method === 'sendMessage')) expect(m.text?.startsWith(RLM), `${lang}: ${m.text?.slice(0, 30)}`).toBe(true);
    }
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
      const rendered = renderText(i18n, lang, { key: 'common:years', params: { count: n } }).replace(RLM, '');
      expect(rendered, `${lang} ${n}`).toBe(template.replace('{{count}}', String(n)));
    }
  });

  it('Arabic and Polish use distinct forms where their grammar does', () => {
    const forms = (lang: string) => [0, 1, 2, 3, 5, 11, 100].map((n) => new Intl.PluralRules(lang).select(n));
    expect(codes).toEqual(expect.arrayContaining(['ar', 'pl']));
    expect(forms('ar')).toEqual(['zero', 'one', 'two', 'few', 'few', 'many', 'other']);
    expect(forms('pl')).toEqual(['many', 'one', 'few', 'few', 'many', 'many', 'many']);
    const years = (lang: string, n: number) => renderText(i18n, lang, { key: 'common:years', params: { count: n } }).replace(RLM, '');
    expect([0, 1, 2, 5, 22].map((n) => years('pl', n))).toEqual(['0 lat', '1 rok', '2 lata', '5 lat', '22 lata']);
    expect([1, 2, 3, 11, 100].map((n) => years('ar', n))).toEqual(['سنة واحدة', 'سنتان', '3 سنوات', '11 سنة', '100 سنة']);
  });
});

/**
 * Issue 10, "Languages": each of these failed before the fix, in at least one language.
 */
describe('language fixes', () => {
  it.each(codes)('%s: a date at the end of a sentence gets one full stop ("2027 р.." / "г.." before)', (lang) => {
    for (const [key, template] of readTexts(DEFAULT_LOCALES_DIR, lang)) {
      if (/_(zero|one|two|few|many|other)$/.test(key)) continue;
      const dated = [...template.matchAll(/\{\{(\w+)\}\}\./g)].map((m) => m[1] ?? '');
      if (dated.length === 0) continue;
      const params = Object.fromEntries([...placeholders(template)].map((p) => [p, dated.includes(p) ? { yearMonth: { year: 2027, month: 3 } } : 'X']));
      const out = unmark(renderText(i18n, lang, { key, params }));
      expect(out, `${lang} ${key}`).not.toMatch(/\.\./);
    }
    // And the rule itself, on a date Intl ends with a full stop.
    const stopped = formatDate(lang, { yearMonth: { year: 2027, month: 3 } });
    if (stopped.endsWith('.')) expect(unmark(renderText(i18n, lang, { key: 'onboarding:childSaved', params: { when: { yearMonth: { year: 2027, month: 3 } } } }))).not.toContain('..');
  });

  it('uk and bg dates really end with a full stop, so the rule above is exercised', () => {
    expect(formatDate('uk', { yearMonth: { year: 2027, month: 3 } })).toMatch(/р\.$/);
    expect(formatDate('bg', { yearMonth: { year: 2027, month: 3 } })).toMatch(/г\.$/);
  });

  it('Portuguese never says "(0 mês)": a child born this month is listed without an age', async () => {
    const { buttons, createHarness, pick, plain } = await import('../support/engine-harness.js');
    const { people, identities, children } = await import('../../src/db/schema.js');
    const eh = createHarness('2027-03-10T10:00:00Z');
    try {
      for (const [i, l] of codes.entries()) {
        const p = eh.db.insert(people).values({ language: l, displayName: 'A' }).returning({ id: people.id }).get();
        eh.db.insert(identities).values({ personId: p.id, channel: 'local', chatId: `c${i}` }).run();
        eh.db.insert(children).values({ personId: p.id, birthYear: 2027, birthMonth: 3, expected: false }).run();
        const reply = await eh.say(`c${i}`, pick('menu:children'));
        const out = unmark([plain(reply), ...buttons(reply).map((b) => b.label)].join('\n'));
        expect(out, l).toContain(unmark(formatDate(l, { yearMonth: { year: 2027, month: 3 } })));
        expect(out, l).not.toMatch(/\(0 /);
      }
    } finally {
      eh.close();
    }
  });

  it('Arabic and Tigrinya use neutral or polite-plural forms, not the masculine singular', () => {
    const own = (lang: string) => [...readTexts(DEFAULT_LOCALES_DIR, lang)];
    const masculineAr = /(^|[\s«(>])(اختر|اسأل|اكتب|اضغط|أرسله|اذهب|تعال|كن|استخدم|اطلب|تخطَّ|مبروك المولود|مولود في)(?=[\s.،؟!»):…]|$)/u;
    for (const [key, text] of own('ar')) expect(text, `ar ${key}`).not.toMatch(masculineAr);
    for (const [key, text] of own('ti')) expect(text, `ti ${key}`).not.toMatch(/ዝተወልደ|ሕለፍ/u);
  });

  it.each(codes)('%s: a language name inside a sentence is isolated (FSI … PDI)', (lang) => {
    const out = renderText(i18n, lang, { key: 'help:notice.interest', params: { action: { key: 'phases:actions.open_morning.title' }, parent: 'A', parentLanguage: { key: 'meta:endonym', lng: 'ar' } } });
    expect(out).toContain(`\u2068${renderText(i18n, 'ar', { key: 'meta:endonym' }).replace(RLM, '')}\u2069`);
  });

  it.each(codes)('%s: times follow the language\'s clock (24-hour unless its own habit is 12-hour)', (lang) => {
    const evening = formatDate(lang, { dateTime: '2027-03-01T20:00:00Z', timeZone: 'Europe/Amsterdam' });
    const morning = formatDate(lang, { dateTime: '2027-03-01T08:00:00Z', timeZone: 'Europe/Amsterdam' });
    if (['ar', 'so', 'ti'].includes(lang)) {
      expect(evening).not.toContain('21:00');
    } else {
      expect(evening, lang).toContain('21:00');
      expect(morning, lang).toContain('09:00');
      expect(morning, lang).not.toMatch(/AM|PM/i);
    }
  });

  it.each(codes)('%s: /mydata writes dates with Intl and names the messenger', (lang) => {
    const data = {
      person: { id: 7, displayName: 'A', language: lang, postcode: '1094', heardFrom: null, proactiveMessages: true, createdAt: '2026-11-22T10:00:00.000Z' },
      channels: [{ channel: 'local', createdAt: '2026-11-22T10:00:00.000Z', unreachable: false }, { channel: 'telegram', createdAt: '2026-11-23T10:00:00.000Z', unreachable: false }],
      children: [],
      memberships: [],
      interests: [],
      consents: [{ kind: 'data', given: true, version: 'v1', at: '2026-11-22T10:00:00.000Z' }],
      messagesStored: 0,
    } as unknown as Parameters<typeof renderMyData>[2];
    const text = unmark(renderMyData(i18n, lang, data)[0]?.text ?? '');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(text).toContain(unmark(formatDate(lang, { day: '2026-11-22' })));
    expect(text).toContain(unmark(renderText(i18n, lang, { key: 'link:app.telegram' })));
    expect(text).toContain(unmark(renderText(i18n, lang, { key: 'link:app.local' })));
    expect(text).not.toMatch(/\blocal\b/);
  });

  it('genitive month names and Arabic-Indic digits are understood', () => {
    expect(parseYearMonth('березня 2024', 'uk')).toEqual({ year: 2024, month: 3 });
    expect(parseYearMonth('marca 2024', 'pl')).toEqual({ year: 2024, month: 3 });
    expect(parseYearMonth('مارس ٢٠٢٤', 'ar')).toEqual({ year: 2024, month: 3 });
    expect(parseYearMonth('٠٣-٢٠٢٤', 'ar')).toEqual({ year: 2024, month: 3 });
    expect(parseYearMonth('березня 2024 р.', 'uk')).toEqual({ year: 2024, month: 3 });
    // In every language: the month as Intl writes it next to a day ("15 березня") with a year.
    for (const lang of codes) {
      for (let month = 1; month <= 12; month++) {
        const name = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', timeZone: 'UTC' }).formatToParts(new Date(Date.UTC(2024, month - 1, 15))).find((p) => p.type === 'month')?.value;
        if (!name || /^\d+$/.test(name)) continue;
        expect(parseYearMonth(`${name} 2024`, lang), `${lang} ${name}`).toEqual({ year: 2024, month });
      }
    }
  });
});
