import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLibreTranslate } from '../../src/core/translate/libretranslate.js';
import { createTranslator, isTranslationConfigured } from '../../src/core/translate/provider.js';
import { fakeLanguages, startFakeLibreTranslate, type FakeLibreTranslate } from '../support/fake-libretranslate.js';

const TEXT = 'Donderdag is er een speelochtend in De Regenboog voor Noor.';

let fake: FakeLibreTranslate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('LibreTranslate translator against a fake LibreTranslate server', () => {
  it('posts q, source, target, format text and api_key as JSON and returns translatedText', async () => {
    fake = await startFakeLibreTranslate({ apiKeys: ['k-123'] });
    const t = createLibreTranslate({ url: `${fake.url}/`, apiKey: 'k-123', timeoutMs: 2_000 });
    expect(await t.translate(TEXT, 'nl', 'tr')).toEqual({ ok: true, text: `[tr] ${TEXT}` });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/translate', contentType: 'application/json', body: { q: TEXT, source: 'nl', target: 'tr', format: 'text', api_key: 'k-123' } });
  });

  it('knows the targets of a source from /languages, asks once and again after the cache expires', async () => {
    fake = await startFakeLibreTranslate();
    let now = 1_000_000;
    const t = createLibreTranslate({ url: fake.url, timeoutMs: 2_000, languagesTtlMs: 60_000, now: () => now });
    const [a, b] = await Promise.all([t.targets('nl'), t.targets('nl')]);
    expect(a.ok && [...a.targets].sort()).toEqual(['ar', 'bg', 'en', 'pl', 'pt', 'tr', 'uk']);
    expect(b).toEqual(a);
    const so = await t.targets('so');
    expect(so.ok && so.targets.size).toBe(0);
    expect(fake.calls('/languages')).toBe(1);
    now += 60_000;
    await t.targets('nl');
    expect(fake.calls('/languages')).toBe(2);
  });

  it('reads the language list of servers before 1.3 (no targets: every pair)', async () => {
    fake = await startFakeLibreTranslate({ legacyLanguages: true, languages: fakeLanguages(['nl', 'en', 'tr']) });
    const got = await createLibreTranslate({ url: fake.url, timeoutMs: 2_000 }).targets('nl');
    expect(got.ok && [...got.targets].sort()).toEqual(['en', 'tr']);
  });

  it('classifies an unknown language and a pair the server lacks as unsupported', async () => {
    const languages = fakeLanguages(['nl', 'en', 'ar']).map((l) => (l.code === 'nl' ? { ...l, targets: ['en'] } : l));
    fake = await startFakeLibreTranslate({ languages });
    const t = createLibreTranslate({ url: fake.url, timeoutMs: 2_000 });
    expect(await t.translate(TEXT, 'nl', 'so')).toMatchObject({ ok: false, failure: 'unsupported', reason: 'pair nl-so' });
    expect(await t.translate(TEXT, 'nl', 'ar')).toMatchObject({ ok: false, failure: 'unsupported', reason: 'pair nl-ar' });
  });

  it('classifies key problems as unavailable: none given (400) and a wrong one (403)', async () => {
    fake = await startFakeLibreTranslate({ apiKeys: ['right'] });
    expect(await createLibreTranslate({ url: fake.url, timeoutMs: 2_000 }).translate(TEXT, 'nl', 'tr')).toMatchObject({ ok: false, failure: 'unavailable', reason: 'http 400: API key required' });
    expect(await createLibreTranslate({ url: fake.url, apiKey: 'wrong', timeoutMs: 2_000 }).translate(TEXT, 'nl', 'tr')).toMatchObject({ ok: false, failure: 'unavailable', reason: 'http 403' });
  });

  it('classifies 429 and 5xx as retry (with Retry-After), and never puts the text in a reason', async () => {
    fake = await startFakeLibreTranslate();
    const t = createLibreTranslate({ url: fake.url, timeoutMs: 2_000 });
    fake.failNext({ status: 429, retryAfter: 7 });
    fake.failNext({ status: 500 });
    fake.failNext({ status: 503 });
    const outcomes = [await t.translate(TEXT, 'nl', 'tr'), await t.translate(TEXT, 'nl', 'tr'), await t.translate(TEXT, 'nl', 'tr')];
    expect(outcomes).toEqual([
      { ok: false, failure: 'retry', reason: 'http 429', retryAfterMs: 7_000 },
      { ok: false, failure: 'retry', reason: 'http 500' },
      { ok: false, failure: 'retry', reason: 'http 503' },
    ]);
    expect(JSON.stringify(outcomes)).not.toContain('speelochtend');
    expect(await t.translate(TEXT, 'nl', 'tr')).toEqual({ ok: true, text: `[tr] ${TEXT}` });
  });

  it('classifies a text over the server limit and an empty text as invalid (the empty one without a call)', async () => {
    fake = await startFakeLibreTranslate({ charLimit: 20 });
    const t = createLibreTranslate({ url: fake.url, timeoutMs: 2_000 });
    expect(await t.translate(TEXT, 'nl', 'tr')).toMatchObject({ ok: false, failure: 'invalid', reason: 'http 400: text too long' });
    expect(await t.translate('  ', 'nl', 'tr')).toMatchObject({ ok: false, failure: 'invalid', reason: 'empty text' });
    expect(fake.calls('/translate')).toBe(1);
  });

  it('gives up after its timeout (retry: timeout), on /translate and on /languages', async () => {
    fake = await startFakeLibreTranslate();
    const t = createLibreTranslate({ url: fake.url, timeoutMs: 300 });
    fake.delayNext(3_000, 2);
    const started = Date.now();
    expect(await t.translate(TEXT, 'nl', 'tr')).toEqual({ ok: false, failure: 'retry', reason: 'timeout' });
    expect(await t.targets('nl')).toEqual({ ok: false, failure: 'retry', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
    // Not cached as a failure: the next ask reaches the server.
    const again = await t.targets('nl');
    expect(again.ok).toBe(true);
  });

  it('classifies a server that is not there, or not LibreTranslate at that path, as unavailable', async () => {
    fake = await startFakeLibreTranslate();
    const url = fake.url;
    expect(await createLibreTranslate({ url: `${url}/wrong`, timeoutMs: 2_000 }).translate(TEXT, 'nl', 'tr')).toMatchObject({ ok: false, failure: 'unavailable', reason: 'http 404: not a LibreTranslate API at this URL' });
    await fake.close();
    fake = undefined;
    const gone = await createLibreTranslate({ url, timeoutMs: 2_000 }).translate(TEXT, 'nl', 'tr');
    expect(gone).toMatchObject({ ok: false, failure: 'unavailable' });
    expect(gone.ok === false && gone.reason).toMatch(/^unreachable/);
  });
});

describe('translation configuration', () => {
  it('is off by default: no URL, no translator', () => {
    const c = loadConfig({});
    expect(c.translation).toBeUndefined();
    expect(isTranslationConfigured(c)).toBe(false);
    expect(createTranslator(c)).toBeUndefined();
  });

  it('is on with LIBRETRANSLATE_URL, with the key and a 15 s timeout by default', () => {
    const c = loadConfig({ LIBRETRANSLATE_URL: 'http://127.0.0.1:5000', LIBRETRANSLATE_API_KEY: 'abc' });
    expect(c.translation).toEqual({ url: 'http://127.0.0.1:5000', apiKey: 'abc', timeoutMs: 15_000 });
    expect(isTranslationConfigured(c)).toBe(true);
    expect(createTranslator(c)?.name).toBe('libretranslate');
  });

  it('refuses an address that is not http(s) and a silly timeout', () => {
    try {
      loadConfig({ LIBRETRANSLATE_URL: 'ftp://mt.example.org', LIBRETRANSLATE_TIMEOUT_MS: '5' });
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('LIBRETRANSLATE_URL');
      expect(problems).toContain('LIBRETRANSLATE_TIMEOUT_MS');
    }
  });
});
