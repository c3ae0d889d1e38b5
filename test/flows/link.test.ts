/**
 * One person, two messengers: a one-time code from the chat with a profile links a chat on
 * another messenger, through the real engine, store and flows on SQLite. Codes expire, work
 * once, are replaced by newer ones and are not guessable by trying (per chat, per person and
 * per channel, counted in SQLite); the local web chat cannot redeem them unless switched on;
 * a chat with its own profile is refused; proactive messages go to the messenger the parent
 * chose; /delete from either chat erases the person and both chats.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { ChannelName, OutboundMessage } from '../../src/core/messages.js';
import { insertDeliveries } from '../../src/db/deliveries.repo.js';
import { loadPlanningWorld } from '../../src/db/planning.repo.js';
import { auditLog, children, conversations, deliveries, identities, linkAttempts, linkCodes, people } from '../../src/db/schema.js';
import { LINK_MISSES } from '../../src/core/link-attempts.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

const PHONE = '31612345678';
const TEN_MINUTES = 10 * 60 * 1000;

let h: Harness;
beforeEach(() => {
  h = createHarness('2026-11-22T10:00:00Z', { localChatLinking: true });
  h.initiative({ code: 'regenboog' });
});
afterEach(() => h.close());

/** Onboards through a deep link: language, consent, name, one child, postcode, heard-from. */
async function onboardOn(channel: ChannelName, chatId: string, opts: { lang?: string; name?: string } = {}) {
  await h.sayOn(channel, chatId, '/start regenboog');
  await h.sayOn(channel, chatId, pick(`lang:${opts.lang ?? 'nl'}`));
  await h.sayOn(channel, chatId, pick('consent:yes'));
  await h.sayOn(channel, chatId, opts.name ?? 'Sanne');
  await h.sayOn(channel, chatId, '03-2024');
  await h.sayOn(channel, chatId, pick('more:no'));
  await h.sayOn(channel, chatId, '1094');
  await h.sayOn(channel, chatId, pick('h:playground'));
  return personOn(channel, chatId);
}

function personOn(channel: ChannelName, chatId: string): number {
  const row = h.db.select().from(identities).all().find((i) => i.channel === channel && i.chatId === chatId);
  if (!row) throw new Error(`no identity for ${channel}:${chatId}`);
  return row.personId;
}

/** The code as shown ("K7QM-3XPD-9FTW"). */
function codeIn(messages: OutboundMessage[]): string {
  const code = /\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/.exec(plain(messages))?.[1];
  if (!code) throw new Error(`no code in: ${plain(messages)}`);
  return code;
}
const canonical = (shown: string) => shown.replace(/-/g, '');
/** Another valid code than this one (last symbol changed). */
const otherThan = (shown: string) => shown.slice(0, -1) + (shown.endsWith('X') ? 'Y' : 'X');

const askCode = async (channel: ChannelName, chatId: string) => codeIn(await h.sayOn(channel, chatId, '/link'));
const world = () => loadPlanningWorld(h.db, h.clock.now(), { capWindowMs: 7 * 24 * 3600 * 1000 });

describe('linking a second messenger', () => {
  it('hands out a code on Telegram and links a WhatsApp chat before consent, to the same person, language and data', async () => {
    const personId = await onboardOn('telegram', 'tg1', { lang: 'en' });
    const issued = await h.sayOn('telegram', 'tg1', '/link');
    const code = codeIn(issued);
    expect(plain(issued)).toContain('10 minutes');
    expect(plain(issued)).toContain(`LINK ${code}`); // on Telegram, the instruction is for WhatsApp
    expect(h.db.select().from(linkCodes).all()).toMatchObject([{ code: canonical(code), personId }]);

    await h.sayOn('whatsapp', PHONE, 'hallo'); // a stranger on WhatsApp: onboarding starts in memory
    // Typed in lower case, in other groups, with spaces: still the code.
    const typed = canonical(code).toLowerCase();
    const linked = await h.sayOn('whatsapp', PHONE, `/link ${typed.slice(0, 3)} ${typed.slice(3, 9)} - ${typed.slice(9)}`);
    expect(plain(linked)).toContain('This chat now belongs to your profile'); // in the person's language
    expect(buttons(linked).map((b) => b.value)).toContain('menu:now'); // the main menu
    expect(personOn('whatsapp', PHONE)).toBe(personId);
    expect(h.db.select().from(people).all()).toHaveLength(1);
    expect(h.db.select().from(linkCodes).all()).toHaveLength(0);
    expect(h.db.select().from(conversations).all().filter((c) => c.personId === personId)).toHaveLength(2);
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'person.link')).all()).toMatchObject([{ subjectId: personId, detail: { channel: 'whatsapp' } }]);

    // The same data on both chats, and a language chosen on one is the language of both.
    const kids = await h.sayOn('whatsapp', PHONE, '/children');
    expect(buttons(kids).map((b) => b.label).join('\n')).toContain('March 2024');
    await h.sayOn('whatsapp', PHONE, '/language');
    await h.sayOn('whatsapp', PHONE, pick('lang:nl'));
    expect(plain(await h.sayOn('telegram', 'tg1', '/menu'))).toContain('Wat wil je doen?');
  });

  it('a code works for 10 minutes', async () => {
    await onboardOn('telegram', 'tg1');
    const old = await askCode('telegram', 'tg1');
    h.clock.advance(TEN_MINUTES);
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${old}`))).toContain('Deze code werkt niet');
    const fresh = await askCode('telegram', 'tg1');
    h.clock.advance(TEN_MINUTES - 1000);
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${fresh}`))).toContain('hoort nu bij je profiel');
  });

  it('a code works once, and a new code replaces the older one', async () => {
    await onboardOn('telegram', 'tg1');
    const first = await askCode('telegram', 'tg1');
    const second = await askCode('telegram', 'tg1');
    expect(h.db.select().from(linkCodes).all()).toMatchObject([{ code: canonical(second) }]);
    if (first !== second) expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${first}`))).toContain('Deze code werkt niet');
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${second}`))).toContain('hoort nu bij je profiel');
    expect(plain(await h.sayOn('local', 'web', `/link ${second}`))).toContain('Deze code werkt niet');
    expect(h.db.select().from(identities).all()).toHaveLength(2);
  });

  it('answers a wrong or malformed code kindly, and after 5 wrong codes in an hour the chat must wait', async () => {
    await onboardOn('telegram', 'tg1');
    const code = await askCode('telegram', 'tg1');
    const wrong = otherThan(code);
    const format = await h.sayOn('whatsapp', PHONE, '/link 12ab');
    expect(plain(format)).toContain('Een code heeft 12 letters en cijfers');
    expect(plain(format)).toContain('LINK K7QM-3XPD-9FTW'); // WhatsApp has no slash commands
    expect(plain(await h.sayOn('telegram', 'tg9', '/link 123456'))).toContain('/link K7QM-3XPD-9FTW'); // an old 6-digit code
    expect(plain(await h.sayOn('telegram', 'tg9', `/link ${code}U`))).toContain('Een code heeft 12'); // U is not in the alphabet
    expect(h.db.select().from(linkAttempts).all()).toHaveLength(0); // a malformed code is not a guess
    for (let i = 0; i < 5; i++) expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${wrong}`))).toContain('Deze code werkt niet');
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${code}`))).toContain('te vaak een verkeerde code');
    expect(h.db.select().from(identities).all()).toHaveLength(1);
    // Another chat is not held back.
    expect(plain(await h.sayOn('local', 'web', `/link ${code}`))).toContain('hoort nu bij je profiel');

    h.clock.advance(61 * 60 * 1000);
    const again = await askCode('telegram', 'tg1');
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${again}`))).toContain('hoort nu bij je profiel');
  });

  it('refuses a chat that has its own profile, keeps the code, and links once that profile is deleted', async () => {
    const personId = await onboardOn('telegram', 'tg1');
    const other = await onboardOn('whatsapp', PHONE, { name: 'Ander' });
    const code = await askCode('telegram', 'tg1');
    const refused = await h.sayOn('whatsapp', PHONE, `/link ${code}`);
    expect(plain(refused)).toContain('Deze chat heeft al een eigen profiel');
    expect(plain(refused)).toContain('/delete');
    expect(personOn('whatsapp', PHONE)).toBe(other);
    expect(h.db.select().from(linkCodes).all()).toHaveLength(1);

    await h.sayOn('whatsapp', PHONE, '/delete');
    await h.sayOn('whatsapp', PHONE, pick('del:yes'));
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${code}`))).toContain('hoort nu bij je profiel');
    expect(personOn('whatsapp', PHONE)).toBe(personId);
    expect(h.db.select().from(people).all().map((p) => p.id)).toEqual([personId]);
  });

  it('links at any step of onboarding: before consent, and right after it (the empty profile is dropped)', async () => {
    const personId = await onboardOn('telegram', 'tg1');
    await h.sayOn('whatsapp', PHONE, '/start');
    await h.sayOn('whatsapp', PHONE, pick('lang:tr'));
    const code = await askCode('telegram', 'tg1');
    const linked = await h.sayOn('whatsapp', PHONE, `/link ${code}`); // at the consent question
    expect(plain(linked)).toContain('hoort nu bij je profiel'); // the person's Dutch, not the Turkish picked before
    expect(personOn('whatsapp', PHONE)).toBe(personId);

    await h.sayOn('local', 'web', '/start');
    await h.sayOn('local', 'web', pick('lang:nl'));
    await h.sayOn('local', 'web', pick('consent:yes')); // a person now exists, with nothing in it
    expect(h.db.select().from(people).all()).toHaveLength(2);
    const code2 = await askCode('telegram', 'tg1');
    expect(plain(await h.sayOn('local', 'web', `/link ${code2}`))).toContain('hoort nu bij je profiel');
    expect(personOn('local', 'web')).toBe(personId);
    expect(h.db.select().from(people).all()).toHaveLength(1);
    const convo = h.db.select().from(conversations).all();
    expect(convo).toHaveLength(3);
    expect(convo.every((c) => c.personId === personId)).toBe(true);
    expect(convo.every((c) => (c.state as { flow: string }).flow === 'menu')).toBe(true);
  });

  it('tells where to get a code, and refuses a code for the same chat or a second chat on the same app', async () => {
    const personId = await onboardOn('telegram', 'tg1');
    expect(plain(await h.sayOn('whatsapp', PHONE, '/link'))).toContain('Typ daar /link');
    const code = await askCode('telegram', 'tg1');
    expect(plain(await h.sayOn('telegram', 'tg1', `/link ${code}`))).toContain('Deze chat hoort al bij je profiel');
    expect(plain(await h.sayOn('telegram', 'tg2', `/link ${code}`))).toContain('gebruikt deze app al');
    expect(h.db.select().from(identities).all()).toMatchObject([{ personId, channel: 'telegram', chatId: 'tg1' }]);
  });

  it('never hands out a code someone else holds', async () => {
    h.close();
    const [one, two] = ['111111111111', '222222222222'];
    const draws: string[] = [];
    h = createHarness('2026-11-22T10:00:00Z', { drawLinkCode: () => draws.shift() ?? one });
    h.initiative({ code: 'regenboog' });
    const a = await onboardOn('telegram', 'a');
    const b = await onboardOn('telegram', 'b');
    expect(await askCode('telegram', 'a')).toBe('1111-1111-1111');
    draws.push(one, two);
    expect(await askCode('telegram', 'b')).toBe('2222-2222-2222');
    expect(h.db.select().from(linkCodes).all().map((r) => [r.code, r.personId]).sort()).toEqual([
      [one, a],
      [two, b],
    ]);
  });
});

describe('guessing codes', () => {
  const tries = (channel: ChannelName, chatId: string, code: string) => h.sayOn(channel, chatId, `/link ${code}`);

  it('the local web chat can hand out a code but not redeem one, unless LOCAL_CHAT_LINKING is on', async () => {
    h.close();
    h = createHarness('2026-11-22T10:00:00Z');
    h.initiative({ code: 'regenboog' });
    const personId = await onboardOn('telegram', 'tg1');
    const code = await askCode('telegram', 'tg1');
    const refused = await tries('local', 'web', code);
    expect(plain(refused)).toContain('In de webchat kun je geen code gebruiken');
    expect(h.db.select().from(identities).all()).toHaveLength(1);
    expect(h.db.select().from(linkCodes).all()).toHaveLength(1); // the code still works elsewhere
    expect(h.db.select().from(linkAttempts).all()).toHaveLength(0); // and nothing was guessed

    const webPerson = await onboardOn('local', 'web2', { lang: 'en' });
    const fromWeb = await askCode('local', 'web2'); // handing out is fine
    expect(plain(await tries('whatsapp', PHONE, fromWeb))).toContain('This chat now belongs to your profile');
    expect(personOn('whatsapp', PHONE)).toBe(webPerson);
    expect(personOn('telegram', 'tg1')).toBe(personId);
  });

  it('a person is locked out after 5 wrong codes across all their chats', async () => {
    const personId = await onboardOn('telegram', 'tg1');
    await tries('whatsapp', PHONE, await askCode('telegram', 'tg1'));
    expect(personOn('whatsapp', PHONE)).toBe(personId);
    const code = await askCode('whatsapp', PHONE);
    const wrong = otherThan(code);
    for (const chat of ['tg1', 'tg1', 'tg1']) expect(plain(await tries('telegram', chat, wrong))).toContain('Deze code werkt niet');
    for (let i = 0; i < 2; i++) expect(plain(await tries('whatsapp', PHONE, wrong))).toContain('Deze code werkt niet');
    // 3 and 2 wrong codes per chat, 5 for the person: both chats wait, even with a right code.
    expect(plain(await tries('telegram', 'tg1', code))).toContain('te vaak een verkeerde code');
    expect(plain(await tries('whatsapp', PHONE, code))).toContain('te vaak een verkeerde code');
    expect(plain(await tries('telegram', 'other', wrong))).toContain('Deze code werkt niet'); // someone else is not held back
  });

  it('spending a channel\'s budget of wrong codes makes everyone on it wait, in every process, and no other channel', async () => {
    const personId = await onboardOn('telegram', 'tg1');
    const code = await askCode('telegram', 'tg1');
    const wrong = otherThan(code);
    const chats = LINK_MISSES.channel / LINK_MISSES.chat;
    for (let i = 0; i < chats; i++) for (let j = 0; j < LINK_MISSES.chat; j++) await tries('local', `invented-${i}`, wrong);
    const busy = await tries('local', 'fresh', code); // the right code, but it is not even checked
    expect(plain(busy)).toContain('te veel verkeerde codes gestuurd');
    expect(h.db.select().from(identities).all()).toHaveLength(1);

    // Counted in the database: a restart (or a second process on the same file) sees the same.
    h.reopen();
    expect(plain(await tries('local', 'fresh2', code))).toContain('te veel verkeerde codes');
    // No chat ids are stored, and another channel is not touched.
    const rows = h.db.select().from(linkAttempts).all();
    expect(rows).toHaveLength(LINK_MISSES.channel * 2);
    expect(JSON.stringify(rows)).not.toContain('invented');
    expect(plain(await tries('whatsapp', PHONE, code))).toContain('hoort nu bij je profiel');
    expect(personOn('whatsapp', PHONE)).toBe(personId);

    // An hour later the budget is back, and old rows are cleared with the next wrong code.
    h.clock.advance(60 * 60 * 1000);
    expect(plain(await tries('local', 'fresh', wrong))).toContain('Deze code werkt niet');
    expect(h.db.select().from(linkAttempts).all()).toHaveLength(2);
    expect(plain(await tries('local', 'fresh', await askCode('telegram', 'tg1')))).toContain('hoort nu bij je profiel');
  });
});

describe('two messengers in use', () => {
  async function linkedPerson(): Promise<number> {
    const personId = await onboardOn('telegram', 'tg1');
    const code = await askCode('telegram', 'tg1');
    await h.sayOn('whatsapp', PHONE, `/link ${code}`);
    return personId;
  }

  it('"My messages" offers adding a messenger, and with two a choice where proactive messages go', async () => {
    await onboardOn('local', 'web');
    const single = await h.say('web', pick('menu:messages'));
    expect(buttons(single).map((b) => b.value)).toContain('msg:link');
    expect(buttons(single).some((b) => b.value.startsWith('msg:via:'))).toBe(false);
    expect(plain(await h.say('web', pick('msg:link')))).toMatch(/Je code is [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\./);

    const personId = await linkedPerson();
    const [child] = h.db.select().from(children).where(eq(children.personId, personId)).all();
    insertDeliveries(
      h.db,
      [{ key: 'k1', personId, childId: child?.id ?? null, ruleId: 'x', channel: 'whatsapp', kind: 'reminder', priority: 1, dueAt: h.clock.now(), sendAt: h.clock.now(), expiresAt: null, urgentFrom: null, payload: { key: 'nurture:keepWarm', params: {}, buttons: null } }],
      h.clock.now(),
    );
    expect(world().channelOf.get(personId)).toBe('whatsapp'); // no choice yet: the best one

    const settings = await h.sayOn('telegram', 'tg1', pick('menu:messages'));
    const values = buttons(settings).map((b) => b.value);
    expect(values).toEqual(expect.arrayContaining(['msg:via:telegram', 'msg:via:whatsapp']));
    expect(values).not.toContain('msg:link'); // both messengers are there
    expect(buttons(settings).find((b) => b.value === 'msg:via:telegram')?.label).toBe('Stuur mijn berichten via Telegram');

    const chosen = await h.sayOn('telegram', 'tg1', pick('msg:via:telegram'));
    expect(plain(chosen)).toContain('Onze berichten komen voortaan via Telegram');
    expect(buttons(chosen).map((b) => b.value).filter((v) => v.startsWith('msg:via:'))).toEqual(['msg:via:whatsapp']);
    expect(h.db.select().from(people).where(eq(people.id, personId)).get()?.preferredChannel).toBe('telegram');
    expect(world().channelOf.get(personId)).toBe('telegram');
    expect(h.db.select().from(deliveries).where(eq(deliveries.key, 'k1')).get()?.channel).toBe('telegram');

    expect(plain(await h.sayOn('whatsapp', PHONE, pick('menu:messages')))).toContain('Onze berichten komen nu via Telegram');
    await h.sayOn('whatsapp', PHONE, pick('msg:via:whatsapp'));
    expect(world().channelOf.get(personId)).toBe('whatsapp');
    // A messenger the person does not have is an old button.
    expect(plain(await h.say('web', pick('msg:via:telegram')))).toContain('oud bericht');
  });

  it('/mydata lists both messengers', async () => {
    await linkedPerson();
    const out = await h.sayOn('whatsapp', PHONE, '/mydata');
    expect(plain(out)).toContain('App: Telegram, WhatsApp'); // readable names, not channel codes
    const file = JSON.parse(out.find((m) => m.attachment)?.attachment?.content ?? '{}') as { channels: { channel: string }[] };
    expect(file.channels.map((c) => c.channel)).toEqual(['telegram', 'whatsapp']);
    expect(JSON.stringify(file)).not.toContain(PHONE);
  });

  it.each<ChannelName>(['whatsapp', 'telegram'])('/delete on %s erases the person and both chats, and the phone number is gone from the file', async (from) => {
    const personId = await linkedPerson();
    await askCode('telegram', 'tg1'); // a live code, to be erased too
    const read = () => ['', '-wal'].map((suffix) => {
      try {
        return readFileSync(h.dbPath + suffix);
      } catch {
        return Buffer.alloc(0);
      }
    });
    expect(read().some((bytes) => bytes.includes(Buffer.from(PHONE))), 'the check can fail').toBe(true);

    const chat = from === 'whatsapp' ? PHONE : 'tg1';
    await h.sayOn(from, chat, '/delete');
    expect(plain(await h.sayOn(from, chat, pick('del:yes')))).toContain('Alles over jou is verwijderd');
    expect(h.db.select().from(people).all()).toHaveLength(0);
    expect(h.db.select().from(identities).all()).toHaveLength(0);
    expect(h.db.select().from(linkCodes).all()).toHaveLength(0);
    expect(h.db.select().from(conversations).all()).toHaveLength(0);
    expect(h.db.select().from(auditLog).all().every((a) => !JSON.stringify(a).includes(PHONE))).toBe(true);
    void personId;

    h.db.$client.close();
    for (const [i, bytes] of read().entries()) expect(bytes.includes(Buffer.from(PHONE)), `phone number found in ${i ? 'the WAL' : 'the main file'}`).toBe(false);
    h.reopen();
    // Both chats are strangers again.
    expect(plain(await h.sayOn('whatsapp', PHONE, 'hallo'))).toContain('Welkom bij Ouderbrug');
    expect(plain(await h.sayOn('telegram', 'tg1', 'hallo'))).toContain('Welkom bij Ouderbrug');
  });
});
