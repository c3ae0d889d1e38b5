/**
 * One person, two messengers: a one-time code from the chat with a profile links a chat on
 * another messenger, through the real engine, store and flows on SQLite. Codes expire, work
 * once, are replaced by newer ones and are not guessable by trying; a chat with its own
 * profile is refused; proactive messages go to the messenger the parent chose; /delete from
 * either chat erases the person and both chats.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { ChannelName, OutboundMessage } from '../../src/core/messages.js';
import { insertDeliveries } from '../../src/db/deliveries.repo.js';
import { loadPlanningWorld } from '../../src/db/planning.repo.js';
import { auditLog, children, conversations, deliveries, identities, linkCodes, people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

const PHONE = '31612345678';
const TEN_MINUTES = 10 * 60 * 1000;

let h: Harness;
beforeEach(() => {
  h = createHarness('2026-11-22T10:00:00Z');
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

function codeIn(messages: OutboundMessage[]): string {
  const code = /\b(\d{6})\b/.exec(plain(messages))?.[1];
  if (!code) throw new Error(`no code in: ${plain(messages)}`);
  return code;
}

const askCode = async (channel: ChannelName, chatId: string) => codeIn(await h.sayOn(channel, chatId, '/link'));
const world = () => loadPlanningWorld(h.db, h.clock.now(), { capWindowMs: 7 * 24 * 3600 * 1000 });

describe('linking a second messenger', () => {
  it('hands out a code on Telegram and links a WhatsApp chat before consent, to the same person, language and data', async () => {
    const personId = await onboardOn('telegram', 'tg1', { lang: 'en' });
    const issued = await h.sayOn('telegram', 'tg1', '/link');
    const code = codeIn(issued);
    expect(plain(issued)).toContain('10 minutes');
    expect(plain(issued)).toContain(`LINK ${code}`); // on Telegram, the instruction is for WhatsApp
    expect(h.db.select().from(linkCodes).all()).toMatchObject([{ code, personId }]);

    await h.sayOn('whatsapp', PHONE, 'hallo'); // a stranger on WhatsApp: onboarding starts in memory
    const linked = await h.sayOn('whatsapp', PHONE, `/link ${code.slice(0, 3)} ${code.slice(3)}`);
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
    expect(h.db.select().from(linkCodes).all()).toMatchObject([{ code: second }]);
    if (first !== second) expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${first}`))).toContain('Deze code werkt niet');
    expect(plain(await h.sayOn('whatsapp', PHONE, `/link ${second}`))).toContain('hoort nu bij je profiel');
    expect(plain(await h.sayOn('local', 'web', `/link ${second}`))).toContain('Deze code werkt niet');
    expect(h.db.select().from(identities).all()).toHaveLength(2);
  });

  it('answers a wrong or malformed code kindly, and after 5 wrong codes in an hour the chat must wait', async () => {
    await onboardOn('telegram', 'tg1');
    const code = await askCode('telegram', 'tg1');
    const wrong = code === '000000' ? '000001' : '000000';
    const format = await h.sayOn('whatsapp', PHONE, '/link 12ab');
    expect(plain(format)).toContain('Een code heeft 6 cijfers');
    expect(plain(format)).toContain('LINK 123456'); // WhatsApp has no slash commands
    expect(plain(await h.sayOn('telegram', 'tg9', '/link 12'))).toContain('/link 123456');
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
    const draws: string[] = [];
    h = createHarness('2026-11-22T10:00:00Z', { drawLinkCode: () => draws.shift() ?? '111111' });
    h.initiative({ code: 'regenboog' });
    const a = await onboardOn('telegram', 'a');
    const b = await onboardOn('telegram', 'b');
    expect(await askCode('telegram', 'a')).toBe('111111');
    draws.push('111111', '222222');
    expect(await askCode('telegram', 'b')).toBe('222222');
    expect(h.db.select().from(linkCodes).all().map((r) => [r.code, r.personId]).sort()).toEqual([
      ['111111', a],
      ['222222', b],
    ]);
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
    expect(plain(await h.say('web', pick('msg:link')))).toMatch(/Je code is \d{6}/);

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
    expect(plain(out)).toContain('App: telegram, whatsapp');
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
