/**
 * The whole bot (createApp, SQLite on disk, the real engine and flows) on the whatsapp-web.js
 * channel, with a fake WhatsApp Web session in place of the browser and a fixed clock (the
 * 3–6 s pauses between sends cost no real time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { children, identities, memberships, people, processedUpdates } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { FakeWwebClient } from '../bot/whatsapp/fake-wweb-client.js';
import { fixedClock } from '../support/clock.js';

const TURKISH_PHONE = '905321234567';
const AYSE = `${TURKISH_PHONE}@c.us`;

interface Harness {
  app: App;
  fake: FakeWwebClient;
  clock: ReturnType<typeof fixedClock>;
  logs: string[];
  /** The parent writes `text`; resolves with what the bot answered (all parts, joined). */
  say(text: string, chat?: string, extra?: Parameters<FakeWwebClient['receive']>[2]): Promise<string>;
}

let h: Harness;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-wweb-'));
  const clock = fixedClock('2027-03-01T10:00:00Z');
  const fake = new FakeWwebClient(() => clock.now().getTime());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ DATABASE_PATH: join(dir, 'bot.db'), HTTP_PORT: '0', LOG_LEVEL: 'debug', NURTURE_ENABLED: 'false', WHATSAPP_WEB_ENABLED: 'true' });
  const app = createApp({ config, logger: createLogger('debug', sink), clock, whatsappWebTransport: fake });
  await app.start();
  fake.ready();
  createInitiative(app.db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test');
  h = {
    app,
    fake,
    clock,
    logs,
    async say(text, chat = AYSE, extra = {}) {
      const before = fake.sentTo(chat).length;
      fake.receive(chat, text, extra);
      await app.dispatcher.idle();
      return fake
        .sentTo(chat)
        .slice(before)
        .map((s) => s.text)
        .join('\n---\n');
    },
  };
});

afterEach(async () => {
  await h.app.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The numbered options in a reply ("1. Türkçe" → ["Türkçe", …]). */
const options = (reply: string): string[] => [...reply.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1] ?? '');

/** Onboarding in Turkish by numbers; resolves with the last reply (the menu). */
async function onboardByNumbers(chat = AYSE): Promise<string> {
  let out = await h.say('Merhaba', chat);
  expect(options(out)[0]).toBe('Türkçe'); // suggested by +90, first in the list
  out = await h.say('1', chat);
  expect(out).toContain('Önce bilgilerin hakkında');
  expect(out).toMatch(/1\. Evet, uygun\n2\. Biraz daha anlat\n3\. Hayır, teşekkürler\n\nNumarayla cevap verin: 1, 2 veya 3\./);
  out = await h.say('1', chat);
  expect(out).toContain('Sana nasıl hitap edeyim?');
  out = await h.say('Ayşe', chat);
  expect(out).toContain('Tanıştığımıza memnun oldum, Ayşe!');
  out = await h.say(String(options(out).indexOf('2025') + 1), chat);
  out = await h.say('2', chat); // Şubat
  expect(out).toContain('Şubat 2025');
  out = await h.say('2', chat); // Hayır, devam
  expect(out).toContain('Posta kodunun 4 rakamı ne?');
  out = await h.say('1094', chat);
  expect(options(out)[0]).toBe('Samen naar De Regenboog (De Regenboog)');
  out = await h.say('1', chat);
  expect(out).toContain('bizi nereden duydun?');
  out = await h.say('3', chat); // Çocuk sağlığı merkezi
  expect(out).toContain('Tamam, Ayşe! Kaydın yapıldı.');
  return out;
}

describe('WhatsApp (whatsapp-web.js): onboarding in Turkish', () => {
  it('by numbers, from the first "Merhaba" to the menu', async () => {
    const out = await onboardByNumbers();
    expect(options(out)).toContain('Şu an ne oluyor?');
    expect(h.app.db.select().from(people).all()).toMatchObject([{ language: 'tr', pc4: '1094', heardFrom: 'health_clinic', displayName: 'Ayşe' }]);
    expect(h.app.db.select().from(children).all()).toMatchObject([{ birthYear: 2025, birthMonth: 2 }]);
    expect(h.app.db.select().from(memberships).all()).toHaveLength(1);
    expect(h.app.db.select().from(identities).all()).toMatchObject([{ channel: 'whatsapp', chatId: AYSE }]);
    // Typing state before every message, paced 3–6 s apart.
    const sent = h.fake.sentTo(AYSE);
    expect(sent.every((s) => s.typedBefore >= 1)).toBe(true);
    for (let i = 1; i < sent.length; i++) expect((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(3000);
  });

  it('by words: option texts, any case, and close misspellings', async () => {
    let out = await h.say('merhaba');
    out = await h.say('türkçe');
    expect(out).toContain('Önce bilgilerin hakkında');
    out = await h.say('Evet uygn'); // a typo of "Evet, uygun"
    expect(out).toContain('Sana nasıl hitap edeyim?');
    out = await h.say('Ayşe');
    out = await h.say('2025');
    expect(out).toContain('2025');
    out = await h.say('şubat');
    expect(out).toContain('Şubat 2025');
    out = await h.say('hayir devam'); // without ı and comma
    expect(out).toContain('Posta kodunun 4 rakamı ne?');
    out = await h.say('1094');
    out = await h.say('Samen naar de regenboog');
    expect(out).toContain('bizi nereden duydun?');
    out = await h.say('oyun parki'); // "Oyun parkı" typed without ı
    expect(out).toContain('Tamam, Ayşe! Kaydın yapıldı.');
    expect(h.app.db.select().from(people).all()).toMatchObject([{ language: 'tr', heardFrom: 'playground' }]);
  });

  it('a voice note, a photo and a sticker get a kind answer, and the question is asked again', async () => {
    await h.say('Merhaba');
    await h.say('1');
    await h.say('1');
    for (const type of ['ptt', 'image', 'sticker'] as const) {
      const out = await h.say('', AYSE, { type });
      expect(out).toContain('Sadece yazı ve düğmeleri okuyabiliyorum.');
      expect(out).toContain('Sana nasıl hitap edeyim?');
    }
    expect(await h.say('Ayşe')).toContain('Tanıştığımıza memnun oldum, Ayşe!');
  });
});

describe('WhatsApp (whatsapp-web.js): keywords', () => {
  it('STOP works in every spelling', async () => {
    await onboardByNumbers();
    for (const stop of ['STOP', 'stop!', 'Stop.', ' sToP ', 'DUR']) {
      expect(await h.say(stop)).toContain('Artık bizden mesaj almayacaksın');
    }
    expect(h.app.db.select().from(people).all()[0]?.proactive).toBe(false);
  });

  it('STOP before consent: nothing is stored', async () => {
    await h.say('Merhaba');
    expect(await h.say('stop')).toContain('Henüz senin hakkında hiçbir şey saklamadık.');
    expect(h.app.db.select().from(people).all()).toHaveLength(0);
    expect(h.app.db.select().from(identities).all()).toHaveLength(0);
  });

  it('VERİLERİM (my data) sends the summary and the JSON file as a document', async () => {
    await onboardByNumbers();
    const before = h.fake.sentTo(AYSE).length;
    expect(await h.say('verilerim')).toContain('Senin hakkında sakladıklarımız');
    const file = h.fake.sentTo(AYSE).slice(before).find((s) => s.file)?.file;
    expect(file?.mimeType).toBe('application/json');
    expect(JSON.parse(file?.content ?? '{}')).toMatchObject({ person: { language: 'tr', postcode: '1094' } });
  });

  it('MENU and HELP (and their Turkish words) from anywhere', async () => {
    await onboardByNumbers();
    await h.say('4'); // "Bunun arkasında kim var?"
    for (const word of ['MENU', 'menü', 'Menu?']) expect(options(await h.say(word))).toContain('Şu an ne oluyor?');
    let menu: string[] = [];
    for (const word of ['HELP', 'YARDIM']) {
      const out = await h.say(word);
      expect(out).toContain('Ouderbrug nasıl çalışır');
      menu = options(out);
      expect(menu).toContain('Şu an ne oluyor?');
    }
    // A number after the menu picks from the menu just shown ("what is a parent initiative" is under "who is behind it").
    const who = menu.indexOf('Bunun arkasında kim var?') + 1;
    expect(who).toBeGreaterThan(0);
    const about = options(await h.say(String(who))).indexOf('Veli girişimi nedir?') + 1;
    expect(about).toBeGreaterThan(0);
    expect(await h.say(String(about))).toContain('Veli girişimi nedir?');
  });
});

describe('WhatsApp (whatsapp-web.js): connection and privacy', () => {
  it('a reply the bot could not send while disconnected goes out once after reconnecting', async () => {
    await onboardByNumbers();
    h.fake.disconnect('NAVIGATION');
    expect(h.app.health().channels.find((c) => c.name === 'whatsapp')).toMatchObject({ state: 'down' });
    const silent = h.fake.sentTo(AYSE).length;
    h.fake.receive(AYSE, 'MENU');
    await h.app.dispatcher.turnsDone(); // the reply is committed and waits in the outbox
    expect(h.fake.sentTo(AYSE)).toHaveLength(silent); // nothing could go out
    await new Promise((r) => setTimeout(r, 20)); // the channel re-initialises the session
    expect(h.fake.initializeCalls).toBeGreaterThan(1);
    const before = h.fake.sentTo(AYSE).length;
    h.fake.ready();
    for (let i = 0; i < 200 && h.fake.sentTo(AYSE).length === before; i++) await new Promise((r) => setTimeout(r, 5));
    const after = h.fake.sentTo(AYSE).slice(before);
    expect(after).toHaveLength(1);
    expect(options(after[0]?.text ?? '')).toContain('Şu an ne oluyor?');
    expect(h.app.health().channels.find((c) => c.name === 'whatsapp')).toMatchObject({ state: 'up' });
    // The outbound scheduler's own retry finds it sent: still once.
    await h.app.dispatcher.idle();
    expect(h.fake.sentTo(AYSE).slice(before)).toHaveLength(1);
  });

  it('shows the login QR code until the phone is linked', async () => {
    h.fake.qr('2@login-code');
    expect(h.app.whatsappWeb?.qr()).toBe('2@login-code');
    h.fake.ready();
    expect(h.app.whatsappWeb?.qr()).toBeNull();
  });

  it('never writes a phone number to the logs, nor stores one before consent', async () => {
    await h.say('Merhaba');
    await h.say('1');
    expect(h.app.db.select().from(processedUpdates).all().map((r) => r.externalId).join(' ')).not.toContain(TURKISH_PHONE);
    await h.say('1');
    await h.say('', AYSE, { type: 'ptt' });
    await h.say('STOP');
    const all = h.logs.join('\n');
    expect(all).toContain('person consented');
    expect(all).not.toContain(TURKISH_PHONE);
  });
});
