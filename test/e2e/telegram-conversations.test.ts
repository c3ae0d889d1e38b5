/** Whole conversations through telegraf over HTTP against the fake Bot API. */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { children, identities, interests, memberships, people } from '../../src/db/schema.js';
import { button, keyboard, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';

let h: AppHarness;
beforeEach(async () => {
  h = await startAppHarness();
});
afterEach(async () => {
  await h.close();
});

const regenboog = () =>
  createInitiative(
    h.app.db,
    { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' },
    'test',
  );

describe('Telegram: onboarding', () => {
  it('in Dutch, from /start to the menu', async () => {
    const init = regenboog();
    const chat = 501;
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start', undefined, { languageCode: 'nl' }));
    expect(texts(out)).toContain('Welkom bij Ouderbrug');
    expect(keyboard(out)[0]?.label).toBe('Nederlands');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nederlands')));
    expect(texts(out)).toContain('Eerst even over je gegevens');
    expect(h.app.db.select().from(people).all()).toHaveLength(0);
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ja, dat is goed')));
    out = await h.exchange(chat, () => h.api.sendText(chat, 'Fatima'));
    expect(texts(out)).toContain('Leuk je te ontmoeten, Fatima!');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, '2025')));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'februari')));
    expect(texts(out)).toContain('geboren in februari 2025');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nee, verder')));
    out = await h.exchange(chat, () => h.api.sendText(chat, '1094 XY'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Samen naar De Regenboog')));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Consultatiebureau')));
    expect(texts(out)).toContain('Klaar, Fatima!');
    expect(h.app.db.select().from(memberships).all()).toMatchObject([{ initiativeId: init.id, role: 'parent' }]);
    expect(h.app.db.select().from(people).all()[0]).toMatchObject({ pc4: '1094', heardFrom: 'health_clinic', language: 'nl' });
    expect(h.api.answeredCallbacks.length).toBe(h.api.requestsOf('answerCallbackQuery').length);
  });

  it('in English, suggested by Telegram language_code and confirmed by the parent', async () => {
    const chat = 502;
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start', undefined, { languageCode: 'en-GB' }));
    expect(keyboard(out)[0]?.label).toBe('English');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'English')));
    expect(texts(out)).not.toMatch(/Eerst even|Hoe mag ik/);
    out = await h.exchange(chat, () => h.api.press(chat, keyboard(out)[0]?.data ?? ''));
    out = await h.exchange(chat, () => h.api.press(chat, keyboard(out)[0]?.data ?? '')); // no name
    out = await h.exchange(chat, () => h.api.sendText(chat, 'March 2024'));
    expect(texts(out)).toContain('March 2024');
    expect(h.app.db.select().from(people).all()[0]?.language).toBe('en');
    expect(h.app.db.select().from(children).all()).toHaveLength(1);
  });

  it('a deep link goes straight into the initiative', async () => {
    const init = regenboog();
    const chat = 503;
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start', 'regenboog'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nederlands')));
    expect(texts(out)).toContain('Je komt via Samen naar De Regenboog');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ja, dat is goed')));
    expect(h.app.db.select().from(memberships).all()).toMatchObject([{ initiativeId: init.id }]);
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Liever niet')));
    out = await h.exchange(chat, () => h.api.sendText(chat, '09-2023'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nee, verder')));
    out = await h.exchange(chat, () => h.api.sendText(chat, '3011'));
    // Already in an initiative: no initiative question, straight to "how did you hear of us".
    expect(texts(out)).toContain('hoe heb je over ons gehoord');
  });

  it('a refusal of consent stores nothing', async () => {
    const chat = 504;
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nederlands')));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nee, liever niet')));
    expect(texts(out)).toContain('We hebben niets van je bewaard');
    expect(h.app.db.select().from(people).all()).toHaveLength(0);
    expect(h.app.db.select().from(identities).all()).toHaveLength(0);
  });

  it('a restart of the process in the middle of onboarding continues where the parent was', async () => {
    const chat = 505;
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nederlands')));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ja, dat is goed')));
    out = await h.exchange(chat, () => h.api.sendText(chat, 'Anouk'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, '2024')));
    expect(texts(out)).toContain('In welke maand van 2024?');
    await h.restart();
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'oktober')));
    expect(texts(out)).toContain('geboren in oktober 2024');
  });
});

async function onboarded(chat: number, name = 'Lotte', code = 'regenboog') {
  let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start', code));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nederlands')));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ja, dat is goed')));
  out = await h.exchange(chat, () => h.api.sendText(chat, name));
  out = await h.exchange(chat, () => h.api.sendText(chat, '05-2024'));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nee, verder')));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Liever niet')));
  return h.exchange(chat, () => h.api.press(chat, button(out, 'Speeltuin')));
}

describe('Telegram: phases and commands', () => {
  it('phase 2 walkthrough: what is happening, read more, I want to help', async () => {
    regenboog();
    const chat = 601;
    let out = await onboarded(chat);
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Wat gebeurt er nu?')));
    expect(texts(out)).toContain('Ouders melden hun kind nu aan bij De Regenboog');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Kom naar een inloopochtend')));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ik wil hierbij helpen')));
    expect(texts(out)).toContain('nog niemand'); // no ambassador or coordinator yet: the parent is told the truth
    expect(h.app.db.select().from(interests).all()).toHaveLength(1);
  });

  it('phase 1 walkthrough', async () => {
    createInitiative(h.app.db, { name: 'Buurtschool Zuilen', school: 'OBS De Zuilen', municipality: 'Utrecht', phase: 1, postcodes: ['3551'], code: 'zuilen' }, 'test');
    const chat = 602;
    let out = await onboarded(chat, 'Daan', 'zuilen');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Wat gebeurt er nu?')));
    expect(texts(out)).toContain('We zijn net begonnen');
    expect(keyboard(out).map((b) => b.label)).toContain('Neem andere ouders mee');
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Terug naar het menu')));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Wie zitten erachter?')));
    expect(texts(out)).toContain('OBS De Zuilen');
    // "What is a parent initiative?" is under "Who is behind it?" (the menu holds 10 rows for WhatsApp).
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Wat is een ouderinitiatief')));
    expect(texts(out)).toContain('niemand de enige');
  });

  it('/language, /children, /stop and /mydata (with a JSON file)', async () => {
    regenboog();
    const chat = 603;
    await onboarded(chat, 'Mees');
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'children'));
    expect(keyboard(out).map((b) => b.label).join()).toContain('mei 2024');
    out = await h.exchange(chat, () => h.api.sendCommand(chat, 'stop'));
    expect(h.app.db.select().from(people).all()[0]?.proactive).toBe(false);
    out = await h.exchange(chat, () => h.api.sendCommand(chat, 'mydata'));
    expect(texts(out)).toContain('Naam: Mees');
    const doc = out.find((m) => m.method === 'sendDocument')?.document;
    expect(doc?.filename).toMatch(/\.json$/);
    expect(JSON.parse(doc?.content ?? '{}')).toMatchObject({ person: { displayName: 'Mees', proactiveMessages: false } });
    out = await h.exchange(chat, () => h.api.sendCommand(chat, 'language'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'English')));
    expect(texts(out)).toContain('English');
    out = await h.exchange(chat, () => h.api.sendCommand(chat, 'menu'));
    expect(texts(out)).not.toContain('Wat wil je doen');
  });

  it('/delete erases the person; the database file does not contain their name', async () => {
    regenboog();
    const chat = 604;
    await onboarded(chat, 'Quirijntje');
    let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'delete'));
    out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ja, verwijder alles')));
    expect(texts(out)).toContain('Alles over jou is verwijderd');
    for (const table of [people, identities, children, memberships, interests]) expect(h.app.db.select().from(table).all()).toHaveLength(0);
    await h.app.stop();
    for (const file of [h.dbPath, `${h.dbPath}-wal`]) {
      let bytes: Buffer | null = null;
      try {
        bytes = readFileSync(file);
      } catch {
        bytes = null;
      }
      if (bytes) expect(bytes.includes(Buffer.from('Quirijntje'))).toBe(false);
    }
    expect(h.logs.join('\n')).not.toContain('Quirijntje');
  });

  it('registers the command menu with a description in every shipped language', async () => {
    await h.api.waitForRequests('setMyCommands', 2);
    expect(h.api.commands.get('nl')?.map((c) => c.command)).toEqual(['start', 'menu', 'ask', 'help', 'language', 'children', 'mydata', 'link', 'stop', 'delete']);
    expect(h.api.commands.get('en')?.find((c) => c.command === 'delete')?.description).toMatch(/delete/i);
    expect(h.api.commands.get('tr')?.find((c) => c.command === 'ask')?.description).toMatch(/soru/i);
  });
});
