/**
 * The local web chat in a real headless Chromium (Debian's, driven by playwright-core), against
 * the app exactly as `npm start` builds it without a Telegram token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { testRedisUrl } from '../support/redis-server.js';
import { loadConfig } from '../../src/config.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { people } from '../../src/db/schema.js';
import { silentLogger } from '../support/engine-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

let dir: string;
let app: App;
let url: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-web-'));
  app = createApp({ config: loadConfig({ DATABASE_PATH: join(dir, 'web.db'), HTTP_PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: 'webchat' }), logger: silentLogger });
  const port = await app.start();
  url = `http://127.0.0.1:${port}/`;
  createInitiative(app.db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const click = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).last().click();
const bubbles = (page: Page) => page.locator('.msg.bot .bubble');

describe('local web chat in Chromium', () => {
  it('onboards a parent with buttons and typing; hostile text stays text; a second parent starts fresh', async () => {
    const page = await browser.newPage({ locale: 'nl-NL', viewport: { width: 420, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(url);
    await expect.poll(() => bubbles(page).first().textContent()).toContain('Welkom bij Ouderbrug');
    await expect.poll(() => page.locator('#send').textContent()).toBe('Verstuur');
    await click(page, 'Nederlands');
    await click(page, 'Ja, dat is goed');
    await page.fill('#input', '<script>alert(1)</script>Ayla');
    await page.press('#input', 'Enter');
    await expect.poll(() => bubbles(page).allTextContents()).toContainEqual('Leuk je te ontmoeten, <script>alert(1)</script>Ayla!');
    expect(await page.locator('.messages script').count()).toBe(0);
    await click(page, '2024');
    await click(page, 'maart');
    await click(page, 'Nee, verder');
    await page.fill('#input', '1094');
    await page.press('#input', 'Enter');
    await click(page, 'Samen naar De Regenboog (De Regenboog)');
    await click(page, 'Flyer of poster');
    await expect.poll(() => bubbles(page).allTextContents()).toContainEqual(expect.stringContaining('Klaar'));
    await click(page, 'Wat gebeurt er nu?');
    await expect.poll(() => bubbles(page).allTextContents()).toContainEqual(expect.stringContaining('Ouders melden hun kind nu aan'));
    expect(app.db.select().from(people).all().map((p) => p.displayName)).toContain('<script>alert(1)</script>Ayla');

    const before = await page.locator('#parent-select option').count();
    await page.getByRole('button', { name: 'Nieuwe ouder' }).click();
    await expect.poll(() => page.locator('#parent-select option').count()).toBe(before + 1);
    await expect.poll(() => bubbles(page).count()).toBe(2); // welcome + language question only
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lays out Arabic right to left with a Latin school name in place', async () => {
    const page = await browser.newPage({ locale: 'ar', viewport: { width: 420, height: 860 } });
    await page.goto(`${url}?start=regenboog`);
    // The language's own name is isolated (FSI…PDI) inside right-to-left text: match it as a part.
    await page.getByRole('button', { name: /العربية/ }).last().click();
    // The consent question names the initiative and its (Latin) school inside Arabic text.
    const intro = bubbles(page).filter({ hasText: 'De Regenboog' });
    await intro.first().waitFor();
    await expect.poll(() => page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await intro.first().getAttribute('dir')).toBe('rtl');
    const text = (await intro.first().textContent()) ?? '';
    expect(text).toContain('\u2068De Regenboog\u2069');
    expect(text).toMatch(/[\u0600-\u06FF]/);
    const box = await intro.first().boundingBox();
    const pageWidth = page.viewportSize()?.width ?? 0;
    // Bot bubbles sit on the start side: the right in RTL.
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeGreaterThan(pageWidth * 0.7);
    await page.screenshot({ path: join(tmpdir(), 'ouderbrug-web-chat-ar.png') });
    await page.close();
  });
});
