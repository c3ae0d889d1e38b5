/**
 * A parent's question relayed by language over Telegram (issue 11, item 5), through the whole bot
 * as `npm start` builds it: telegraf against the fake Bot API, notices as delivery rows handed to
 * BullMQ on a real Redis right after the turn, the Telegram worker recording each sent message's
 * id. A Turkish parent asks; the Turkish-speaking ambassador is asked first, claims, and answers
 * by replying to the question on Telegram; the parent gets the answer and replies; the ambassador
 * gets that and closes. A second question nobody claims moves to the next tier after 24 hours,
 * then to the coordinator (the injected clock, the planner's tick).
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { deliveries, identities, memberships, people, relayThreads } from '../../src/db/schema.js';
import { fixedClock } from '../support/clock.js';
import { button, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';

let h: AppHarness;
const clock = fixedClock('2026-12-01T09:00:00Z'); // 10:00 in Amsterdam: no quiet hours
const H = 3600_000;

beforeEach(async () => {
  clock.set('2026-12-01T09:00:00Z');
  h = await startAppHarness({}, { clock });
});
afterEach(async () => h.close());

/** The worker records "sent" just after the Bot API answered: wait for it, briefly. */
async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function member(chat: number, ini: number, role: 'parent' | 'ambassador' | 'coordinator', lang: string, name: string, speaks: string[] | null = null): number {
  const db = h.app.db;
  const id = db.insert(people).values({ language: lang, displayName: name, heardFrom: 'friend', pc4: '1094' }).returning({ id: people.id }).get().id;
  db.insert(identities).values({ personId: id, channel: 'telegram', chatId: String(chat) }).run();
  db.insert(memberships).values({ personId: id, initiativeId: ini, role, languages: speaks }).run();
  h.api.meet(chat);
  return id;
}

const PARENT = 801;
const PARENT2 = 802;
const TR_AMB = 901;
const NL_AMB = 902;
const COORD = 903;

it('a Turkish question: the Turkish-speaking ambassador claims, answers by replying on Telegram, the parent replies, one side closes; an unclaimed one escalates after 24 h', async () => {
  const ini = createInitiative(h.app.db, { name: 'Samen naar De Regenboog', school: 'De Regenboog', contact: 'info@regenboog.example', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' }, 'test').id;
  const parent = member(PARENT, ini, 'parent', 'tr', 'Ayşe Yılmaz');
  member(PARENT2, ini, 'parent', 'tr', 'Zeynep');
  const trAmb = member(TR_AMB, ini, 'ambassador', 'nl', 'Hatice', ['nl', 'tr']);
  member(NL_AMB, ini, 'ambassador', 'nl', 'Sanne', ['nl']);
  member(COORD, ini, 'coordinator', 'nl', 'Karin');
  const kick = () => h.app.nurture!.planner!.kick();

  // The parent asks from the menu, in Turkish.
  let out = await h.exchange(PARENT, () => h.api.sendCommand(PARENT, 'menu'));
  out = await h.exchange(PARENT, () => h.api.press(PARENT, button(out, 'Bir soru sor')));
  expect(texts(out)).toContain('Sorunu aşağıya yaz');
  out = await h.exchange(PARENT, () => h.api.sendText(PARENT, 'Okul ne zaman başlıyor? Kayıt için ne lazım?'));
  expect(texts(out)).toContain('veli elçisine ilettim');

  // Only the ambassador who speaks Turkish is asked (the queue is kicked after the turn).
  const [offer] = await h.api.waitForSent(TR_AMB, 1, 10_000);
  expect(offer!.plain).toContain('Een vraag van een ouder (vraag 1)');
  expect(offer!.plain).toContain('Naam: Ayşe');
  expect(offer!.plain).not.toContain('Yılmaz');
  expect(offer!.plain).toContain('Türkçe');
  expect(offer!.plain).toContain('Okul ne zaman başlıyor?');
  expect(offer!.plain).not.toContain(String(PARENT));
  await kick();
  expect(h.api.sent(NL_AMB)).toHaveLength(0);
  expect(h.api.plainTexts(COORD).filter((t) => t.includes('vraag'))).toEqual([]);
  await until(() => h.app.db.select().from(deliveries).where(eq(deliveries.personId, trAmb)).get()?.externalId === String(offer!.message_id));

  // "I'll answer", then a Telegram reply to the question message.
  out = await h.exchange(TR_AMB, () => h.api.press(TR_AMB, button([offer!], 'Ik beantwoord dit')));
  expect(texts(out)).toContain('Typ je antwoord op vraag 1');
  out = await h.exchange(TR_AMB, () => h.api.replyText(TR_AMB, 'Eylülde başlıyor. Doğum belgesi getirin.', offer!.message_id));
  expect(texts(out)).toContain('Je antwoord op vraag 1 is verstuurd');

  // The parent gets it in the chat, in Turkish, and replies.
  const answer = (await h.api.waitForSent(PARENT, 4, 10_000)).at(-1)!;
  expect(answer.plain).toContain('Sorunun cevabı');
  expect(answer.plain).toContain('Hatice');
  expect(answer.plain).toContain('Eylülde başlıyor.');
  const sentBefore = h.api.sent(TR_AMB).length;
  out = await h.exchange(PARENT, () => h.api.sendText(PARENT, 'Teşekkürler! Saat kaçta?'));
  expect(texts(out)).toContain('Mesajını ilettim (soru 1)');

  // The ambassador gets the reply, answers it by replying again, then closes the question.
  const reply = (await h.api.waitForSent(TR_AMB, sentBefore + 1, 10_000)).at(-1)!;
  expect(reply.plain).toContain('Vraag 1: de ouder schrijft');
  expect(reply.plain).toContain('Saat kaçta?');
  await until(() => h.app.db.select().from(deliveries).all().some((d) => d.externalId === String(reply.message_id) && d.personId === trAmb));
  await h.exchange(TR_AMB, () => h.api.replyText(TR_AMB, 'Saat 8.30.', reply.message_id));
  expect((await h.api.waitForSent(PARENT, 6, 10_000)).at(-1)!.plain).toContain('Saat 8.30.');
  out = await h.exchange(TR_AMB, () => h.api.press(TR_AMB, button([reply], 'Sluiten')));
  expect(texts(out)).toContain('Vraag 1 is gesloten');
  expect((await h.api.waitForSent(PARENT, 7, 10_000)).at(-1)!.plain).toContain('Sorun kapatıldı');
  expect(h.app.db.select().from(relayThreads).where(eq(relayThreads.id, 1)).get()).toMatchObject({ status: 'closed', closedBy: 'staff', personId: parent });

  // A second question nobody claims: after 24 h the other ambassador, after 48 h the coordinator.
  const trBefore = h.api.sent(TR_AMB).length;
  await h.exchange(PARENT2, () => h.api.press(PARENT2, '1|menu:ask'));
  await h.exchange(PARENT2, () => h.api.sendText(PARENT2, 'Oyun sabahı nerede?'));
  const trSeen = (await h.api.waitForSent(TR_AMB, trBefore + 1, 10_000)).at(-1)!;
  expect(trSeen.plain).toContain('vraag 2');
  clock.set(new Date(clock.now().getTime() + 24 * H + 60_000));
  await h.app.nurture!.planner!.tick();
  const nl = (await h.api.waitForSent(NL_AMB, 1, 10_000)).at(-1)!;
  expect(nl.plain).toContain('Oyun sabahı nerede?');
  // (The coordinator may hear of other things, e.g. registration dates the city has not published.)
  const aboutQuestions = () => h.api.plainTexts(COORD).filter((t) => t.includes('Een vraag van een ouder'));
  expect(aboutQuestions()).toEqual([]);
  clock.set(new Date(clock.now().getTime() + 24 * H));
  await h.app.nurture!.planner!.tick();
  await until(() => aboutQuestions().length === 1, 10_000);
  expect(aboutQuestions()[0]).toContain('vraag 2');
  expect(h.app.db.select().from(relayThreads).where(eq(relayThreads.id, 2)).get()).toMatchObject({ status: 'open', tier: 2 });
  // Logs carry ids, never what was asked or answered.
  expect(h.logs.join('\n')).not.toMatch(/Okul|Eylülde|Saat kaçta|Oyun sabahı/);
}, 60_000);
