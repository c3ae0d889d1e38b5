/**
 * The local chat page in a real headless Chromium against the real server and local channel,
 * with a scripted echo bot in place of the engine: what the page itself must get right
 * (markup safety, attachments, buttons, parents, reloads). The whole app with real flows is
 * exercised in test/e2e/web-chat.browser.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLocalChannel, type LocalChannel } from '../../src/bot/local/local.adapter.js';
import { escapeHtml } from '../../src/core/render.js';
import type { InboundMessage } from '../../src/core/messages.js';
import type { Logger } from '../../src/core/ports.js';

const nlTexts = JSON.parse(readFileSync(new URL('../../locales/nl/webchat.json', import.meta.url), 'utf8')) as Record<string, string>;
const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function echoBot(local: LocalChannel, message: InboundMessage): Promise<void> {
  const chat = message.address.chatId;
  const c = message.content;
  if (c.kind === 'command' && c.command === 'start') {
    await local.send(chat, { text: 'Welkom <b>ouder</b>', choices: [[{ label: 'Ja, graag', value: 'yes' }, { label: 'Nee', value: 'no' }]] });
  } else if (c.kind === 'choice') {
    await local.send(chat, { text: `Je koos: ${c.value}` });
  } else if (c.kind === 'text' && c.text === 'raw') {
    // Deliberately NOT escaped: the page itself must never turn message text into markup.
    await local.send(chat, { text: '<img src=x onerror="alert(2)"><i>schuin</i>' });
  } else if (c.kind === 'text' && c.text === 'agenda') {
    await local.send(chat, { text: 'Hier is de agenda', attachment: { filename: 'ouderavond.ics', mimeType: 'text/calendar', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' } });
  } else if (c.kind === 'text' && (c.text === 'ja' || c.text === 'wis')) {
    // A stand-in for consent and /delete: the local channel watches whether a person is stored.
    if (c.text === 'ja') persons.add(chat);
    else persons.delete(chat);
    await local.send(chat, { text: c.text === 'ja' ? 'Opgeslagen' : 'Alles is verwijderd' });
  } else if (c.kind === 'text' && c.text === 'link') {
    const choices = [
      [{ label: 'Ik heb de datum', value: 'have-date' }],
      [{ label: 'Bekijk de pagina van de <b>gemeente</b>', value: 'link:0', url: 'https://www.amsterdam.nl/onderwijs/basisonderwijs/' }],
      // Never sent by the bot (render keeps https only), but the page must not trust the server either.
      [{ label: 'Kwaad', value: 'link:1', url: 'javascript:alert(3)' }],
    ];
    await local.send(chat, { text: 'De aanmelddag is nog niet bekend.', choices });
  } else if (c.kind === 'text' && c.text === 'rtl') {
    await local.send(chat, { text: 'مرحبا بكم', dir: 'rtl' });
  } else if (c.kind === 'text') {
    await local.send(chat, { text: `Je zei: ${escapeHtml(c.text)}` });
  }
}

let browser: Browser;
let server: HttpServer;
let base: string;
let local: LocalChannel;
const inbound: InboundMessage[] = [];
const persons = new Set<string>();

beforeAll(async () => {
  local = createLocalChannel({ logger: silent, hasPerson: (chatId) => persons.has(chatId) });
  server = createHttpServer({
    logger: silent,
    local,
    onInbound: async (m) => {
      inbound.push(m);
      await echoBot(local, m);
    },
    health: () => ({ status: 'ok', database: 'up', channels: [local.health()], uptimeSeconds: 1 }),
    uiTexts: () => ({ lang: 'nl', dir: 'ltr', texts: nlTexts }),
  });
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

// A string, not a function: the tests compile without the DOM library.
const focusedId = (page: Page): Promise<unknown> => page.evaluate('document.activeElement && document.activeElement.id');
const bubbles = (page: Page, who: 'bot' | 'parent') => page.locator(`#messages .msg.${who} .bubble`);

describe('local chat page', () => {
  it('chats as a parent: welcome, buttons, safe text, attachment, new parent', async () => {
    const context = await browser.newContext({ locale: 'nl-NL', viewport: { width: 420, height: 760 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    let dialogs = 0;
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });

    // First visit: a new parent, /start sent by itself, the welcome rendered with real <b>.
    await page.goto(base);
    await expect.poll(() => bubbles(page, 'bot').first().textContent()).toBe('Welkom ouder');
    expect(await bubbles(page, 'bot').first().locator('b').textContent()).toBe('ouder');
    expect(await bubbles(page, 'parent').first().textContent()).toBe('/start');
    expect(inbound[0]).toMatchObject({ content: { kind: 'command', command: 'start' }, languageHint: 'nl-NL' });
    expect(await focusedId(page)).toBe('input');

    // A button press: the label becomes the parent's bubble, the bot answers, buttons retire.
    await page.getByRole('button', { name: 'Ja, graag' }).click();
    await expect.poll(() => bubbles(page, 'bot').last().textContent()).toBe('Je koos: yes');
    expect(await bubbles(page, 'parent').last().textContent()).toBe('Ja, graag');
    expect(await page.getByRole('button', { name: 'Nee' }).isDisabled()).toBe(true);

    // Typed markup stays text, both in the parent's bubble and in the bot's echo.
    const evil = '<script>alert(1)</script>';
    await page.locator('#input').fill(evil);
    await page.locator('#input').press('Enter');
    await expect.poll(() => bubbles(page, 'bot').last().textContent()).toBe(`Je zei: ${evil}`);
    expect(await bubbles(page, 'parent').last().textContent()).toBe(evil);
    expect(await page.locator('#input').inputValue()).toBe('');
    expect(await focusedId(page)).toBe('input');

    // Even unescaped HTML from the server only ever yields <b>/<i> elements.
    await page.locator('#input').fill('raw');
    await page.locator('#send').click();
    await expect.poll(() => bubbles(page, 'bot').last().textContent()).toBe('<img src=x onerror="alert(2)">schuin');
    expect(await page.locator('#messages script, #messages img').count()).toBe(0);
    expect(await bubbles(page, 'bot').last().locator('i').textContent()).toBe('schuin');

    // An attachment is a download link; right-to-left text gets dir="rtl".
    await page.locator('#input').fill('agenda');
    await page.locator('#input').press('Enter');
    const link = page.locator('#messages a.attachment');
    await expect.poll(() => link.count()).toBe(1);
    expect(await link.getAttribute('download')).toBe('ouderavond.ics');
    expect(await link.getAttribute('href')).toMatch(/^blob:/);
    await page.locator('#input').fill('rtl');
    await page.locator('#input').press('Enter');
    await expect.poll(() => bubbles(page, 'bot').last().getAttribute('dir')).toBe('rtl');
    await page.screenshot({ path: '/tmp/local-chat.png' });

    // A second parent starts a fresh conversation; the first one can be picked again.
    const firstChat = inbound[0]?.address.chatId;
    await page.getByRole('button', { name: 'Nieuwe ouder', exact: true }).click();
    await expect.poll(() => bubbles(page, 'bot').allTextContents()).toEqual(['Welkom ouder']);
    expect(inbound.at(-1)?.address.chatId).not.toBe(firstChat);
    expect(await page.locator('#parent-select option').count()).toBe(2);
    await page.locator('#parent-select').selectOption(firstChat ?? '');
    await expect.poll(() => bubbles(page, 'parent').allTextContents()).toEqual(['/start', 'Ja, graag', evil, 'raw', 'agenda', 'rtl']);

    // A reload keeps the current parent and its transcript, without a second /start.
    const startsBefore = inbound.filter((m) => m.content.kind === 'command').length;
    await page.reload();
    await expect.poll(() => bubbles(page, 'parent').count()).toBe(6);
    expect(inbound.filter((m) => m.content.kind === 'command').length).toBe(startsBefore);

    expect(dialogs).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a link choice as a link that opens in a new tab, never as a button that answers', async () => {
    const context = await browser.newContext({ locale: 'nl-NL' });
    const page = await context.newPage();
    await page.goto(base);
    await expect.poll(() => bubbles(page, 'bot').first().textContent()).toBe('Welkom ouder');
    await page.locator('#input').fill('link');
    await page.locator('#input').press('Enter');
    const link = page.getByRole('link', { name: 'Bekijk de pagina van de gemeente' });
    await expect.poll(() => link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe('https://www.amsterdam.nl/onderwijs/basisonderwijs/');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.locator('b').textContent()).toBe('gemeente');
    expect(await page.getByRole('button', { name: 'Bekijk de pagina van de gemeente' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Ik heb de datum' }).count()).toBe(1);
    // A link that is not https is not shown at all.
    expect(await page.locator('#messages a[href^="javascript"]').count()).toBe(0);
    expect(await page.getByText('Kwaad').count()).toBe(0);
    await context.close();
  });

  it('asks the server for chat ids, clears the screen after an erasure, and starts anew when the server forgot the chat', async () => {
    const context = await browser.newContext({ locale: 'nl-NL', viewport: { width: 420, height: 760 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // An id from an older version of the page (chosen by the browser): the server never issued it.
    await page.addInitScript(`localStorage.getItem('ouderbrug.localChat') || localStorage.setItem('ouderbrug.localChat', JSON.stringify({ current: '3f2c9a1e-7b4d-4c1a-9e8f-0a1b2c3d4e5f', parents: [{ id: '3f2c9a1e-7b4d-4c1a-9e8f-0a1b2c3d4e5f', n: 1 }] }))`);
    await page.goto(base);
    await expect.poll(() => bubbles(page, 'bot').first().textContent()).toBe('Welkom ouder');
    await expect.poll(() => page.locator('#messages .msg.notice').textContent()).toBe(nlTexts.chatGone);
    const chatId = inbound.at(-1)?.address.chatId ?? '';
    expect(chatId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(local.knows(chatId)).toBe(true);

    // "Consent", then "/delete": the transcript is gone on the server and on the screen.
    for (const text of ['ja', 'wis']) {
      await page.locator('#input').fill(text);
      await page.locator('#input').press('Enter');
    }
    await expect.poll(() => page.locator('#messages .msg').allTextContents()).toEqual([nlTexts.erased]);
    expect(local.history(chatId, 0).map((e) => e.from)).toEqual(['system']);
    await page.reload();
    await expect.poll(() => page.locator('#messages .msg').allTextContents()).toEqual([nlTexts.erased]);

    // After a restart the server no longer knows the id: the page starts a new parent and says so.
    local.forget(chatId);
    await page.reload();
    await expect.poll(() => bubbles(page, 'bot').allTextContents()).toEqual(['Welkom ouder']);
    expect(await page.locator('#messages .msg.notice').textContent()).toBe(nlTexts.chatGone);
    expect(inbound.at(-1)?.address.chatId).not.toBe(chatId);
    expect(problems).toEqual([]);
    await context.close();
  });
});
