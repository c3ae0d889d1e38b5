/** The translators' round trip: status, export, edit, import (with a refused row). */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { DEFAULT_LOCALES_DIR } from '../../src/core/i18n.js';
import { fixedClock } from '../support/clock.js';

let dir: string;
let locales: string;

async function run(args: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { LOCALES_DIR: locales, DATABASE_PATH: join(dir, 'x.db') }, cwd: dir, clock: fixedClock('2026-11-22T10:00:00Z') };
  const code = await runCli(args, io);
  return { code, out, err };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-i18n-'));
  locales = join(dir, 'locales');
  cpSync(DEFAULT_LOCALES_DIR, locales, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readCsv = (file: string) => parse(readFileSync(file, 'utf8')) as string[][];
const json = (lang: string, ns: string) => JSON.parse(readFileSync(join(locales, lang, `${ns}.json`), 'utf8')) as Record<string, unknown>;

describe('i18n review workflow', () => {
  it('status lists every language with coverage and review state', async () => {
    const r = await run(['i18n', 'status', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { lang: string; coverage: number; status: string }[];
    expect(report.find((l) => l.lang === 'nl')).toMatchObject({ coverage: 100 });
    expect(report.map((l) => l.lang)).toContain('en');
  });

  it('export → edit → import marks rows reviewed, refuses a broken placeholder, and notices a changed Dutch source', async () => {
    // Make one English key missing so there is work to export.
    const onboarding = json('en', 'onboarding');
    delete onboarding.nameThanks;
    writeFileSync(join(locales, 'en', 'onboarding.json'), JSON.stringify(onboarding));

    let r = await run(['i18n', 'export', '--lang', 'en', '--out', 'en.csv']);
    expect(r.code, r.err).toBe(0);
    const [header, ...rows] = readCsv(join(dir, 'en.csv'));
    expect(header).toEqual(['language', 'key', 'dutch', 'translation', 'status']);
    const missing = rows.find((row) => row[1] === 'onboarding:nameThanks');
    expect(missing?.[4]).toBe('missing');
    expect(missing?.[2]).toBe('Leuk je te ontmoeten, {{name}}!');

    const askName = rows.find((row) => row[1] === 'onboarding:askName');
    const edited = [
      header ?? [],
      ['en', 'onboarding:nameThanks', '', 'Nice to meet you, {{name}}!', 'missing'],
      ['en', 'onboarding:askName', askName?.[2] ?? '', 'What may I call you, {{nmae}}?', 'draft'],
      ['en', 'common:years_few', '', '{{count}} years', 'draft'],
      ['en', 'menu:ask', '', 'What would you <u>like</u> to do?', 'draft'],
    ];
    writeFileSync(join(dir, 'edited.csv'), stringify(edited));
    r = await run(['i18n', 'import', 'edited.csv']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('accepted 1 rows, refused 3');
    expect(r.err).toContain('row 3 (onboarding:askName): unknown placeholder {{nmae}}');
    expect(r.err).toContain('row 4 (common:years_few): plural form must be one of _one, _other');
    expect(r.err).toContain('row 5 (menu:ask): only <b> and <i> are allowed');
    expect(json('en', 'onboarding').nameThanks).toBe('Nice to meet you, {{name}}!');

    r = await run(['i18n', 'export', '--lang', 'en', '--out', 'again.csv']);
    expect(readCsv(join(dir, 'again.csv')).some((row) => row[1] === 'onboarding:nameThanks')).toBe(false);

    // The Dutch source changes: the reviewed English text becomes stale.
    const nl = json('nl', 'onboarding');
    nl.nameThanks = 'Fijn je te leren kennen, {{name}}!';
    writeFileSync(join(locales, 'nl', 'onboarding.json'), JSON.stringify(nl));
    r = await run(['i18n', 'export', '--lang', 'en', '--out', 'stale.csv']);
    expect(readCsv(join(dir, 'stale.csv')).find((row) => row[1] === 'onboarding:nameThanks')?.[4]).toBe('stale');
  });

  it('export without --out writes into ./data/, not the repository root', async () => {
    const r = await run(['i18n', 'export', '--lang', 'en', '--all']);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(dir, 'data', 'i18n-en.csv'))).toBe(true);
    expect(existsSync(join(dir, 'i18n-en.csv'))).toBe(false);
  });

  it('refuses to export an unknown language with a clear message', async () => {
    const r = await run(['i18n', 'export', '--lang', 'xx']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no language "xx"');
  });
});
