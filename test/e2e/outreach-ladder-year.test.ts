/**
 * A year of the outreach ladder through the whole bot as `npm start` builds it: telegraf against
 * the fake Bot API, the planner ticked once a day at 10:00 by a moved clock, BullMQ on a real
 * Redis, SQLite on disk, the CLI on the same database file.
 *
 *   January: a Turkish parent joins over Telegram (a child of 2), then never writes again.
 *   April: silent (90 days) → step 1, a question about the child's next step in Turkish (one tap);
 *   10 days → step 2 as the initiative's Turkish voice note (recorded by the ambassador, stored
 *   with the CLI) with "shall a parent call you?"; 10 days → a call-back task, offered to the
 *   Turkish-speaking ambassador who lives in the parent's PC4 (not the other Turkish speaker, not
 *   the Dutch one). The parent gets nothing at that step. The ambassador takes it, writes through
 *   the bot (the parent reads a personal message), the parent answers by typing (it reaches the
 *   ambassador), the ambassador records "reached": the parent is active again and no ladder step
 *   follows while they are. August: silent again, but the cool-down (120 days after the task)
 *   holds the next episode until it ends; its question is answered with one tap ("Yes, please":
 *   a look at the school), which makes the parent active again, and an ambassador is asked to
 *   arrange the visit. December: silent again, and after the cool-down a third episode, now about
 *   registering (the child is nearly 3).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { and, eq, inArray } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { deliveries, identities, memberships, people, relayOffers, relayThreads } from '../../src/db/schema.js';
import { participationLevel } from '../../src/domain/participation.js';
import { button, keyboard, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';
import { runCliOn } from '../support/cli-run.js';
import { fixedClock } from '../support/clock.js';
import { OGG_VOICE } from '../support/media-world.js';

const AMS = 'Europe/Amsterdam';
const clock = fixedClock('2027-01-04T09:00:00Z'); // a Monday, 10:00 in Amsterdam
let h: AppHarness;

beforeEach(async () => {
  clock.set('2027-01-04T09:00:00Z');
  h = await startAppHarness({}, { clock });
});
afterEach(async () => h.close());

const PARENT = 801;
const NEAR = 901; // speaks Turkish, lives in the parent's PC4
const FAR = 902; // speaks Turkish, lives elsewhere
const DUTCH = 903;

const local = (d: Date): string => DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-LL-dd');

function staff(chat: number, ini: number, name: string, speaks: string[], pc4: string): number {
  const db = h.app.db;
  const id = db.insert(people).values({ language: 'nl', displayName: name, heardFrom: 'friend', pc4 }).returning({ id: people.id }).get().id;
  db.insert(identities).values({ personId: id, channel: 'telegram', chatId: String(chat) }).run();
  db.insert(memberships).values({ personId: id, initiativeId: ini, role: 'ambassador', languages: speaks }).run();
  h.api.meet(chat);
  return id;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Everything handed to the worker has been sent (or skipped): the day is done. */
const idle = () => h.app.db.select().from(deliveries).where(inArray(deliveries.status, ['queued', 'sending'])).all().length === 0;

/** The planner's day: 10:00 local on each day up to and including `lastDay` ("YYYY-MM-DD"). */
async function daysUntil(lastDay: string): Promise<void> {
  let day = DateTime.fromJSDate(clock.now(), { zone: AMS }).startOf('day');
  const last = DateTime.fromISO(lastDay, { zone: AMS });
  while (day < last) {
    day = day.plus({ days: 1 });
    clock.set(day.set({ hour: 10 }).toJSDate());
    await h.app.nurture!.planner!.tick();
    await until(idle, `the deliveries of ${day.toISODate()}`);
    // The next minutes: what the worker's rows made (the task's offers to staff) goes out too.
    await h.app.nurture!.planner!.kick();
    await until(idle, `the notices of ${day.toISODate()}`);
  }
}

it('a Turkish parent goes silent: question, voice note, a call-back task for the Turkish ambassador of their PC4, reached; the cool-down; a tap', async () => {
  const db = h.app.db;
  const ini = createInitiative(db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', municipality: 'Rotterdam', phase: 2, postcodes: ['3011', '3055'], code: 'regenboog' }, 'test').id;
  const near = staff(NEAR, ini, 'Hatice', ['nl', 'tr'], '3011');
  staff(FAR, ini, 'Emre', ['tr'], '3055');
  staff(DUTCH, ini, 'Sanne', ['nl'], '3011');

  // January: the parent joins in Turkish, with a child born in January 2025.
  const ex = (act: () => unknown) => h.exchange(PARENT, act);
  await ex(() => h.api.sendCommand(PARENT, 'start', 'regenboog', { languageCode: 'tr' }));
  for (const data of ['1|lang:tr', '1|consent:yes']) await ex(() => h.api.press(PARENT, data));
  await ex(() => h.api.sendText(PARENT, 'Ayşe Yılmaz'));
  for (const data of ['1|y:2025', '1|m:1', '1|more:no']) await ex(() => h.api.press(PARENT, data));
  await ex(() => h.api.sendText(PARENT, '3011'));
  const joined = await ex(() => h.api.press(PARENT, '1|h:flyer'));
  expect(texts(joined)).toContain('Kaydın yapıldı.');
  const parent = db.select().from(identities).where(eq(identities.chatId, String(PARENT))).get()!.personId;
  expect(db.select().from(memberships).where(and(eq(memberships.personId, parent), eq(memberships.initiativeId, ini))).get()).toMatchObject({ role: 'parent' });
  expect(db.select().from(people).where(eq(people.id, parent)).get()).toMatchObject({ language: 'tr', pc4: '3011' });

  // The initiative's Turkish voice note for step 2, recorded by Hatice and stored with the CLI.
  const file = join(dirname(h.dbPath), 'bel-me.ogg');
  writeFileSync(file, OGG_VOICE);
  const cli = await runCliOn(h.dbPath, dirname(h.dbPath), ['outreach', 'voice', '--initiative', String(ini), '--lang', 'tr', '--file', file, '--owner', String(near)], clock.now().toISOString());
  expect(cli.code).toBe(0);

  const ladder = () =>
    db
      .select()
      .from(deliveries)
      .where(eq(deliveries.personId, parent))
      .all()
      .filter((r) => r.ruleId.startsWith('ladder'))
      .map((r) => [r.ruleId, r.status, r.sentAt ? local(r.sentAt) : null]);
  const level = () => {
    const p = db.select().from(people).where(eq(people.id, parent)).get()!;
    const m = db.select().from(memberships).where(and(eq(memberships.personId, parent), eq(memberships.role, 'parent'))).get()!;
    return participationLevel({ joinedAt: m.createdAt, lastActionAt: p.lastActionAt, lastReadAt: p.lastReadAt }, clock.now());
  };

  // Three months of reminders without a word back: nothing of the ladder while active or fading;
  // the day before the parent becomes silent, step 1 is planned (rows are written a day ahead).
  await daysUntil('2027-04-03');
  expect(ladder()).toEqual([]);
  await daysUntil('2027-04-04');
  expect(level()).toBe('fading');
  expect(ladder()).toEqual([['ladder1', 'planned', null]]);

  // Step 1: a question about the child's next step, in Turkish, one tap; never a word about absence.
  await daysUntil('2027-04-05');
  expect(ladder()).toEqual([['ladder1', 'sent', '2027-04-05']]);
  const question = h.api.sent(PARENT).at(-1)!;
  expect(question.plain).toContain('Bir gün De Regenboog okuluna bakmak ister misin?');
  expect(keyboard([question]).map((b) => b.label)).toEqual(['Evet, lütfen', 'Şimdi değil']);

  // Step 2, ten days later: the voice note, with the short text and the two answers.
  await daysUntil('2027-04-15');
  expect(ladder().map((r) => r[0])).toEqual(['ladder1', 'ladder2']);
  const voice = h.api.sent(PARENT).at(-1)!;
  expect(voice.method).toBe('sendVoice');
  expect(voice.media).toMatchObject({ kind: 'voice', bytes: OGG_VOICE.length });
  expect(voice.plain).toContain('Samen naar De Regenboog girişiminden bir velinin seni aramasını ister misin?');
  expect(keyboard([voice]).map((b) => b.label)).toEqual(['Evet, beni ara', 'Hayır, teşekkürler']);

  // Step 3, ten days later: the call-back task for Hatice (Turkish, same PC4); the parent gets nothing.
  const toParent = h.api.sent(PARENT).length;
  await daysUntil('2027-04-25');
  expect(ladder()).toEqual([
    ['ladder1', 'sent', '2027-04-05'],
    ['ladder2', 'sent', '2027-04-15'],
    ['ladder3', 'sent', '2027-04-25'],
  ]);
  expect(h.api.sent(PARENT)).toHaveLength(toParent);
  const offer = (await h.api.waitForSent(NEAR, 1, 10_000)).at(-1)!;
  expect(offer.plain).toContain('Persoonlijk contact (taak 1)');
  expect(offer.plain).toContain('Naam: Ayşe');
  expect(offer.plain).not.toContain('Yılmaz');
  expect(offer.plain).toContain('Türkçe');
  expect(offer.plain).toContain('Deze ouder gaf geen telefoonnummer. Je schrijft de ouder via de bot. Je bericht komt bij de ouder als persoonlijk bericht. Het antwoord komt hier bij jou.');
  expect(h.api.sent(FAR)).toEqual([]);
  expect(h.api.sent(DUTCH)).toEqual([]);
  const thread = db.select().from(relayThreads).where(eq(relayThreads.personId, parent)).get()!;
  expect(thread).toMatchObject({ kind: 'callback', source: 'ladder', status: 'open', callbackPhone: null });
  expect(db.select().from(relayOffers).where(eq(relayOffers.threadId, thread.id)).all().map((o) => o.staffId)).toEqual([near]);

  // Hatice takes it and writes through the bot; the parent reads a personal message in the chat.
  let staffOut = await h.exchange(NEAR, () => h.api.press(NEAR, button([offer], 'Ik neem contact op')));
  expect(texts(staffOut)).toContain('Er is geen nummer: je schrijft de ouder via de bot.');
  staffOut = await h.exchange(NEAR, () => h.api.press(NEAR, button(staffOut, 'Stuur de ouder een bericht')));
  await h.exchange(NEAR, () => h.api.sendText(NEAR, 'Merhaba Ayşe, ben Hatice. Okula birlikte bakmak ister misin?'));
  const personal = (await h.api.waitForSent(PARENT, toParent + 1, 10_000)).at(-1)!;
  expect(personal.plain).toContain('Hatice tarafından kişisel bir mesaj');
  expect(personal.plain).toContain('Okula birlikte bakmak ister misin?');
  // The parent answers by typing; it reaches Hatice.
  const haticeBefore = h.api.sent(NEAR).length;
  await ex(() => h.api.sendText(PARENT, 'Evet, çok isterim! Perşembe olur mu?'));
  const reply = (await h.api.waitForSent(NEAR, haticeBefore + 1, 10_000)).at(-1)!;
  expect(reply.plain).toContain('Perşembe olur mu?');
  // "Reached": the task is closed and the parent takes part again.
  staffOut = await h.exchange(NEAR, () => h.api.press(NEAR, `1|rl:show:${thread.id}`));
  staffOut = await h.exchange(NEAR, () => h.api.press(NEAR, button(staffOut, 'Bereikt')));
  expect(texts(staffOut)).toContain('Bewaard: Bereikt (taak 1). Dank je wel!');
  expect(db.select().from(relayThreads).where(eq(relayThreads.id, thread.id)).get()).toMatchObject({ status: 'closed', outcome: 'reached' });
  expect(level()).toBe('active');

  // No ladder step while the parent is active or fading; silent again from late July, the
  // cool-down (120 days after the task of 25 April) holds the next episode until 23 August.
  await daysUntil('2027-08-21');
  expect(ladder().map((r) => r[0])).toEqual(['ladder1', 'ladder2', 'ladder3']);
  expect(level()).toBe('silent');
  await daysUntil('2027-08-23');
  expect(ladder().at(-1)).toEqual(['ladder1', 'sent', '2027-08-23']);
  const again = h.api.sent(PARENT).at(-1)!;
  // The child is 2 years 7 months now: still "would you like to see the school?".
  expect(again.plain).toContain('okuluna bakmak ister misin?');
  // One tap: "Yes, please" → a look at the school, arranged by an ambassador (a relayed question).
  const haticeSeen = h.api.sent(NEAR).length;
  const tapped = await ex(() => h.api.press(PARENT, button([again], 'Evet, lütfen')));
  expect(texts(tapped)).toContain('Birlikte bir ziyaret ayarlarsınız.');
  expect(level()).toBe('active');
  const visit = db.select().from(relayThreads).where(and(eq(relayThreads.personId, parent), eq(relayThreads.kind, 'question'))).get()!;
  expect(visit).toMatchObject({ source: 'ladder', sourceRef: 'visit' });
  const visitOffer = (await h.api.waitForSent(NEAR, haticeSeen + 1, 10_000)).at(-1)!;
  expect(visitOffer.plain).toContain('Deze ouder wil graag een keer kijken op school.');

  // That episode ends with the answer (its step 2 never comes). Silent again from 21 November,
  // the next episode waits for the cool-down (120 days after 23 August): 21 December, now about
  // registering (the child is nearly 3), and its step 2 ten days later, the last days of the year.
  await daysUntil('2027-12-19');
  expect(ladder().map((r) => r[0])).toEqual(['ladder1', 'ladder2', 'ladder3', 'ladder1']);
  await daysUntil('2028-01-04');
  expect(ladder()).toEqual([
    ['ladder1', 'sent', '2027-04-05'],
    ['ladder2', 'sent', '2027-04-15'],
    ['ladder3', 'sent', '2027-04-25'],
    ['ladder1', 'sent', '2027-08-23'],
    ['ladder1', 'sent', '2027-12-21'],
    ['ladder2', 'sent', '2027-12-31'],
  ]);
  expect(texts(h.api.sent(PARENT))).toContain('Çocuğunu (Ocak 2025) bir ilkokula kaydettirdin mi?');
  // Logs carry ids, never what was written.
  expect(h.logs.join('\n')).not.toMatch(/Perşembe|Okula birlikte/);
}, 240_000);
