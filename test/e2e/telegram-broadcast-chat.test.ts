/**
 * The broadcast conversation through the whole bot as `npm start` builds it, over Telegram
 * (telegraf against the fake Bot API, BullMQ on a real Redis, SQLite on disk): the coordinator
 * asks approval of ambassadors' broadcasts in the staff menu; an ambassador composes one with a
 * Dutch text and a Turkish voice note recorded in the chat and skips Arabic; the coordinator gets
 * the request with the preview and approves it; each parent receives exactly one message: the
 * Dutch text, the Turkish voice note (the file the ambassador sent), or the Dutch text with the
 * line in Arabic and its Help button. (Fan-out at scale, pause/resume/cancel and scheduling:
 * telegram-broadcast.test.ts.)
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { broadcasts, deliveries, identities, memberships, people } from '../../src/db/schema.js';
import { fixedClock } from '../support/clock.js';
import { OGG_VOICE } from '../support/media-world.js';
import { button, keyboard, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';

let h: AppHarness;
const clock = fixedClock('2027-03-01T09:00:00Z'); // 10:00 in Amsterdam, outside quiet hours

beforeEach(async () => {
  clock.set('2027-03-01T09:00:00Z');
  h = await startAppHarness({}, { clock });
});
afterEach(async () => h.close());

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Someone who started the bot long ago, with a profile and a role on the initiative. */
function member(chatId: number, initiativeId: number, role: 'parent' | 'ambassador' | 'coordinator', language = 'nl'): number {
  const db = h.app.db;
  const p = db.insert(people).values({ language, heardFrom: 'friend' }).returning({ id: people.id }).get();
  db.insert(identities).values({ personId: p.id, channel: 'telegram', chatId: String(chatId) }).run();
  db.insert(memberships).values({ personId: p.id, initiativeId, role }).run();
  h.api.meet(chatId);
  return p.id;
}

/** Callback data carries the conversation's turn before the flow's value ("3|bc:pv"). */
const valueOf = (data: string): string => data.replace(/^\d+\|/, '');

const COORD = 901;
const AMB = 902;
const NL = 911;
const TR = 912;
const AR = 913;
const OTHER = 921;

it('an ambassador composes a Dutch text and a Turkish voice note, a coordinator approves, every parent receives one message in their language', async () => {
  const ini = createInitiative(
    h.app.db,
    { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: '', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' },
    'test',
  );
  const other = createInitiative(h.app.db, { name: 'Samen naar De Zuilen', school: 'De Zuilen', neighbourhood: 'West', contact: '', municipality: 'Amsterdam', phase: 2, postcodes: ['1055'], code: 'zuilen' }, 'test');
  member(COORD, ini.id, 'coordinator');
  member(AMB, ini.id, 'ambassador');
  member(NL, ini.id, 'parent', 'nl');
  member(TR, ini.id, 'parent', 'tr');
  member(AR, ini.id, 'parent', 'ar');
  member(OTHER, other.id, 'parent', 'tr');

  // The coordinator: ambassadors' broadcasts need approval from now on.
  let out = await h.exchange(COORD, () => h.api.sendCommand(COORD, 'staff'));
  out = await h.exchange(COORD, () => h.api.press(COORD, button(out, 'Berichten van ambassadeurs eerst goedkeuren')));
  expect(texts(out)).toContain('Vanaf nu keurt een coördinator');

  // A parent is refused politely.
  const refused = await h.exchange(NL, () => h.api.sendCommand(NL, 'broadcast'));
  expect(texts(refused)).toContain('Dit kan alleen een vrijwilliger');

  // The ambassador: all parents (3, shown as "fewer than 5"), Dutch text, no flyer, a Turkish voice note, Arabic skipped.
  out = await h.exchange(AMB, () => h.api.sendCommand(AMB, 'broadcast'));
  expect(texts(out)).toContain('Dit bericht gaat naar minder dan 5 ouders.');
  out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Klaar: bericht maken')));
  expect(texts(out)).toContain('Typ je bericht in het Nederlands');
  out = await h.exchange(AMB, () => h.api.sendText(AMB, 'Beste ouders, zaterdag is er een speelochtend in De Regenboog.'));
  out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Geen foto, verder')));
  expect(texts(out)).toMatch(/ouders die (Türkçe|العربية) lezen/);
  // The audience's languages come by size; here each has one parent, so answer whichever is asked.
  for (let i = 0; i < 2; i++) {
    if (texts(out).includes('Türkçe lezen')) {
      out = await h.exchange(AMB, () => h.api.sendFile(AMB, 'voice', OGG_VOICE, { mimeType: 'audio/ogg', duration: 9 }));
      expect(texts(out)).toContain('Bewaard voor Türkçe: spraakbericht.');
    } else {
      out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Overslaan')));
    }
  }
  // A file sent this turn has no stored id yet: the preview follows on the next tap.
  if (texts(out).includes('Tik op de knop om het voorbeeld te zien')) out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Bekijk het voorbeeld')));
  expect(texts(out)).toContain('Ouders die Nederlands lezen');
  expect(texts(out)).toContain('Er is geen versie in hun taal.');
  expect(texts(out)).toContain('Ouders op WhatsApp');
  expect(keyboard(out).map((b) => valueOf(b.data))).toContain('bc:pv'); // the Arabic group's Help button, inert in the preview
  out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Ja, verder')));
  out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Nu versturen')));
  expect(texts(out)).toContain('Een coördinator kijkt eerst naar je bericht');
  const before = h.api.sent(COORD).length;
  out = await h.exchange(AMB, () => h.api.press(AMB, button(out, 'Ja, versturen')));
  expect(texts(out)).toContain('Je bericht wacht nu op een coördinator');
  const row = h.app.db.select().from(broadcasts).get();
  expect(row?.status).toBe('pending');

  // The coordinator gets the request with the Dutch text and approve/reject, and approves.
  const request = (await h.api.waitForSent(COORD, before + 1, 10_000)).slice(before);
  expect(texts(request)).toContain('Beste ouders, zaterdag is er een speelochtend');
  const approve = keyboard(request).find((b) => valueOf(b.data).startsWith('bc:approve:'));
  expect(approve).toBeDefined();
  // Nothing went to parents before approval.
  expect(h.api.sent(NL)).toHaveLength(refused.length);
  expect(h.api.sent(TR)).toEqual([]);
  const approved = await h.exchange(COORD, () => h.api.press(COORD, approve?.data ?? ''));
  expect(texts(approved)).toContain('Goedgekeurd');

  // Every parent of the initiative receives exactly one message, in their language or the fallback.
  const nl = await h.api.waitForSent(NL, refused.length + 1, 15_000);
  expect(nl.at(-1)?.plain).toContain('Beste ouders, zaterdag is er een speelochtend in De Regenboog.');
  const tr = await h.api.waitForSent(TR, 1, 15_000);
  expect(tr[0]?.method).toBe('sendVoice');
  expect(tr[0]?.media?.bytes).toBe(OGG_VOICE.length);
  const ar = await h.api.waitForSent(AR, 1, 15_000);
  expect(ar[0]?.plain).toContain('Beste ouders, zaterdag is er een speelochtend');
  expect(ar[0]?.plain).toMatch(/[\u0600-\u06FF]{3,}/);
  expect(keyboard(ar).map((b) => valueOf(b.data))).toEqual([`rl:bc:${row?.id}`]);
  await until(() => h.app.db.select().from(deliveries).where(eq(deliveries.kind, 'broadcast')).all().every((d) => d.status === 'sent'));
  await new Promise((r) => setTimeout(r, 300));
  expect(h.api.sent(TR)).toHaveLength(1);
  expect(h.api.sent(AR)).toHaveLength(1);
  expect(h.api.sent(NL)).toHaveLength(refused.length + 1);
  // The ambassador's preview carried the voice note too (the Turkish group's message).
  expect(h.api.sent(AMB).some((m) => m.method === 'sendVoice' && (m.plain ?? '').includes('Türkçe lezen'))).toBe(true);
  // Another initiative's parent is not reached.
  expect(h.api.sent(OTHER)).toEqual([]);
});
