/**
 * The local chat as the app mounts it: the policy (when it is served at all), the config check
 * for a public address, and a real /delete through the engine clearing the transcript.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { LocalEvent } from '../../src/bot/local/local.adapter.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/core/ports.js';
import { localChatPolicy } from '../../src/http/local-chat.policy.js';
import { startAppHarness } from '../support/app-harness.js';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const TOKEN = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('local chat policy', () => {
  it.each([
    [{}, true, 'no messenger is configured'],
    [{ TELEGRAM_BOT_TOKEN: TOKEN }, false, 'a messenger is configured (Telegram)'],
    [{ WHATSAPP_WEB_ENABLED: 'true' }, false, 'a messenger is configured (WhatsApp Web)'],
    [{ WHATSAPP_CLOUD_TOKEN: 't', WHATSAPP_CLOUD_PHONE_NUMBER_ID: '123456', WHATSAPP_CLOUD_APP_SECRET: 's', WHATSAPP_CLOUD_VERIFY_TOKEN: 'v' }, false, 'a messenger is configured (WhatsApp Cloud API)'],
    [{ TELEGRAM_BOT_TOKEN: TOKEN, LOCAL_CHAT_ENABLED: 'true' }, true, 'LOCAL_CHAT_ENABLED=true'],
    [{ LOCAL_CHAT_ENABLED: 'false' }, false, 'LOCAL_CHAT_ENABLED=false'],
  ])('%o → served: %s', (env, enabled, reason) => {
    const policy = localChatPolicy(loadConfig(env));
    expect(policy.enabled).toBe(enabled);
    expect(policy.reason).toContain(reason);
  });

  it('needs LOCAL_CHAT_PASSWORD on an address other than loopback', () => {
    expect(() => loadConfig({ HTTP_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ HTTP_HOST: '192.168.1.5', TELEGRAM_BOT_TOKEN: TOKEN, LOCAL_CHAT_ENABLED: 'true' })).toThrow(/LOCAL_CHAT_PASSWORD/);
    for (const host of ['127.0.0.1', '127.3.4.5', 'localhost', '::1']) expect(localChatPolicy(loadConfig({ HTTP_HOST: host })).enabled).toBe(true);
    // Not served, so no password needed; or served with one.
    expect(localChatPolicy(loadConfig({ HTTP_HOST: '0.0.0.0', TELEGRAM_BOT_TOKEN: TOKEN })).enabled).toBe(false);
    expect(localChatPolicy(loadConfig({ HTTP_HOST: '0.0.0.0', LOCAL_CHAT_PASSWORD: 'long enough pw' }))).toMatchObject({ enabled: true, password: 'long enough pw' });
    expect(() => loadConfig({ LOCAL_CHAT_PASSWORD: 'short' })).toThrow(/at least 12/);
  });
});

describe('local chat in the app', () => {
  it('is off when Telegram is configured, and on with LOCAL_CHAT_ENABLED=true', async () => {
    const off = await startAppHarness();
    try {
      const base = `http://127.0.0.1:${off.port}`;
      expect(await (await fetch(`${base}/`)).text()).toContain('Ouderbrug is running');
      expect((await fetch(`${base}/api/local/chats`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${base}/chat.js`)).status).toBe(404);
      expect(off.logs.join('\n')).toContain('"localChat":"off"');
    } finally {
      await off.close();
    }
    const on = await startAppHarness({ LOCAL_CHAT_ENABLED: 'true' });
    try {
      expect((await fetch(`http://127.0.0.1:${on.port}/api/local/chats`, { method: 'POST' })).status).toBe(201);
    } finally {
      await on.close();
    }
  });
});

describe('local chat: a real /delete', () => {
  let dir: string;
  let app: App;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ouderbrug-local-'));
    app = createApp({ config: loadConfig({ DATABASE_PATH: join(dir, 'bot.db'), HTTP_PORT: '0', NURTURE_ENABLED: 'false' }), logger: silent });
    base = `http://127.0.0.1:${await app.start()}`;
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The transcript as a page would load it (Server-Sent Events), read until `done`. */
  async function transcript(chatId: string, done: (events: LocalEvent[]) => boolean): Promise<LocalEvent[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const res = await fetch(`${base}/api/local/events?chatId=${chatId}&after=0`);
      const reader = res.body?.getReader();
      const { value } = (await reader?.read()) ?? {};
      let text = new TextDecoder().decode(value);
      // Replayed history arrives in the first chunks; give the rest a moment.
      for (let i = 0; i < 3; i++) {
        const next = await Promise.race([reader?.read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 30))]);
        if (next?.value) text += new TextDecoder().decode(next.value);
      }
      await reader?.cancel();
      const events = text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)) as LocalEvent);
      if (done(events) || Date.now() > deadline) return events;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function post(chatId: string, body: { text: string } | { choice: string }): Promise<void> {
    const res = await fetch(`${base}/api/local/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chatId, ...body, languageHint: 'nl-NL' }) });
    expect(res.status).toBe(202);
  }

  /** Presses the button with this label in the latest bot message that has it. */
  async function press(chatId: string, label: string): Promise<void> {
    const events = await transcript(chatId, (es) => es.some((e) => e.choices.flat().some((c) => c.label.includes(label))));
    const choice = events.flatMap((e) => e.choices.flat()).findLast((c) => c.label.includes(label));
    if (!choice) throw new Error(`no button "${label}"`);
    await post(chatId, { choice: choice.value });
  }

  it('erases the person and clears the transcript, served over HTTP', async () => {
    const chatId = ((await (await fetch(`${base}/api/local/chats`, { method: 'POST' })).json()) as { chatId: string }).chatId;
    await post(chatId, { text: '/start' });
    await press(chatId, 'Nederlands');
    await press(chatId, 'Ja, dat is goed');
    await expect.poll(() => app.store.findIdentity({ channel: 'local', chatId })).not.toBeNull();
    await post(chatId, { text: 'Ayla' });
    await post(chatId, { text: '/delete' });
    await press(chatId, 'Ja, verwijder alles');
    await expect.poll(() => app.store.findIdentity({ channel: 'local', chatId })).toBeNull();

    const after = await transcript(chatId, (es) => es.length === 1 && es[0]?.notice === 'erased');
    expect(after).toEqual([expect.objectContaining({ from: 'system', notice: 'erased', text: '' })]);
    expect(JSON.stringify(after)).not.toContain('Ayla');
  });
});
