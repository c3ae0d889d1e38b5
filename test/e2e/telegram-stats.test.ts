/**
 * /stats over Telegram through the whole bot as `npm start` builds it (createApp, telegraf against
 * the fake Bot API): a coordinator gets the figures as text and then the three charts as PNG photos
 * (rendered after the commit, stored as the coordinator's media rows, sent through the outbound
 * scheduler); "Cijfers" in the staff menu does the same; an ambassador and a parent get the polite
 * refusal in their language; a coordinator of another initiative sees only their own figures. The
 * view is audited (ids only); the charts go with the coordinator's erasure, and after a day.
 */
import { existsSync } from 'node:fs';
import { and, eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { erasePerson } from '../../src/db/effects.apply.js';
import { auditLog, identities, media, memberships, people } from '../../src/db/schema.js';
import { purgeExpiredCharts } from '../../src/db/stats-charts.repo.js';
import { fixedClock } from '../support/clock.js';
import { button, keyboard, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';
import type { RecordedMessage } from '../support/fake-bot-api.js';
import { seedStatsWorld, STATS_NOW, type StatsWorld } from '../support/stats-seed.js';

let h: AppHarness;
let w: StatsWorld;
const clock = fixedClock(STATS_NOW.toISOString());

const COORD = 701;
const AMB = 702;
const PARENT = 703;
const COORD_B = 704;
const COORD_AR = 705;

beforeEach(async () => {
  clock.set(STATS_NOW.toISOString());
  // No planner: the seeded parents' reminders are not what this test is about.
  h = await startAppHarness({ NURTURE_ENABLED: 'false' }, { clock });
  w = seedStatsWorld(h.app.db);
});
afterEach(async () => h.close());

function member(chat: number, ini: number, role: 'parent' | 'ambassador' | 'coordinator', lang: string): number {
  const db = h.app.db;
  const id = db.insert(people).values({ language: lang, displayName: 'Karin', heardFrom: 'other', pc4: '3511' }).returning({ id: people.id }).get().id;
  db.insert(identities).values({ personId: id, channel: 'telegram', chatId: String(chat) }).run();
  db.insert(memberships).values({ personId: id, initiativeId: ini, role }).run();
  h.api.meet(chat);
  return id;
}

const photos = (chat: number): RecordedMessage[] => h.api.sent(chat).filter((m) => m.method === 'sendPhoto');

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('a coordinator gets the figures as text and three PNG charts; others are refused; another initiative sees nothing of this one', async () => {
  const coord = member(COORD, w.a, 'coordinator', 'nl');
  member(AMB, w.a, 'ambassador', 'nl');
  member(PARENT, w.a, 'parent', 'tr');
  const coordB = member(COORD_B, w.b, 'coordinator', 'nl');

  // The coordinator: three messages of figures, in plain Dutch, counts only.
  const out = await h.exchange(COORD, () => h.api.sendCommand(COORD, 'stats'));
  const text = texts(out);
  expect(text).toContain('Cijfers van Samen naar De Linde');
  expect(text).toContain('Fase: Aanmelden.');
  expect(text).toContain('Ouders die meedoen: 40.');
  expect(text).toContain('Türkçe: 13'); // 12 seeded, and the Turkish parent of this test
  expect(text).toContain('العربية: minder dan 10');
  expect(text).toContain('Consultatiebureau: 12');
  expect(text).toContain('Doen mee: 40');
  expect(text).toContain('Keken naar scholen: 12');
  expect(text).toContain('Aangemelde kinderen: 12. Op tijd: 10. Te laat: minder dan 10.');
  expect(text).toContain('Bericht van 10 maart 2027: bezorgd 39, gelezen 11, gereageerd 11.');
  expect(text).toContain('Herinnering van 12 maart 2027: bezorgd minder dan 10, gelezen niet bekend, gereageerd 0.');
  expect(text).toContain('Türkçe: bezorgd 12, gelezen niet bekend, gereageerd minder dan 10.');
  expect(text).toContain('Rondleiding De Linde, 1 maart 2027: ja 11, wachtlijst 0, misschien minder dan 10, nee minder dan 10, waren er 10.');
  expect(text).toContain('De grafieken komen zo.');
  expect(text).not.toContain('De Wilg');
  expect(keyboard(out).map((b) => b.data)).toContain('1|staff:menu');

  // Then the three charts, as photos (PNG: the fake refuses anything else), each captioned.
  await until(() => photos(COORD).length >= 3);
  const charts = photos(COORD);
  expect(charts).toHaveLength(3);
  expect(charts.map((m) => m.plain)).toEqual(['Van meedoen tot een plek op school', 'Meedoen per maand', 'Bereik van de laatste berichten']);
  for (const m of charts) expect(m.media).toMatchObject({ kind: 'photo', uploaded: true });
  for (const m of charts) expect(m.media!.bytes).toBeGreaterThan(5_000);
  const rows = h.app.db.select().from(media).where(eq(media.ownerId, coord)).all();
  expect(rows.map((r) => [r.type, r.status, r.ref])).toEqual([
    ['photo', 'ready', `chart:funnel:${w.a}`],
    ['photo', 'ready', `chart:participation:${w.a}`],
    ['photo', 'ready', `chart:reach:${w.a}`],
  ]);
  const audit = h.app.db.select().from(auditLog).where(eq(auditLog.action, 'stats.view')).all();
  expect(audit.map((a) => [a.actor, a.subjectType, a.subjectId])).toEqual([[`person:${coord}`, 'initiative', w.a]]);

  // "Cijfers" in the staff menu is only there for coordinators.
  const menu = await h.exchange(COORD, () => h.api.sendCommand(COORD, 'staff'));
  expect(keyboard(menu).map((b) => b.label)).toContain('Cijfers (Samen naar De Linde)');
  const again = await h.exchange(COORD, () => h.api.press(COORD, button(menu, 'Cijfers')));
  expect(texts(again)).toContain('Ouders die meedoen: 40.');
  await until(() => photos(COORD).length >= 6);

  // An ambassador and a parent: the polite refusal in their language; no figures, no charts, no audit.
  const amb = await h.exchange(AMB, () => h.api.sendCommand(AMB, 'stats'));
  expect(texts(amb)).toContain('Dit kan alleen een vrijwilliger met die taak bij dit initiatief.');
  expect(texts(amb)).not.toContain('Cijfers van');
  const ambMenu = await h.exchange(AMB, () => h.api.sendCommand(AMB, 'staff'));
  expect(keyboard(ambMenu).map((b) => b.label).join()).not.toContain('Cijfers');
  const parent = await h.exchange(PARENT, () => h.api.sendCommand(PARENT, 'stats'));
  expect(texts(parent)).toContain('Bunu yalnızca bu girişimde bu görevi olan bir gönüllü yapabilir.');
  expect(texts(parent)).not.toMatch(/Rakamlar|Cijfers/);

  // The coordinator of B: B's figures only; A's button (an old or forged one) is refused.
  const b = await h.exchange(COORD_B, () => h.api.sendCommand(COORD_B, 'stats'));
  expect(texts(b)).toContain('Cijfers van Samen naar De Wilg');
  expect(texts(b)).toContain('Ouders die meedoen: 11.');
  expect(texts(b)).not.toMatch(/De Linde|Türkçe/);
  const forged = await h.exchange(COORD_B, () => h.api.press(COORD_B, `1|st:ini:${w.a}`));
  expect(texts(forged)).toContain('Dit kan alleen een vrijwilliger');
  expect(texts(forged)).not.toContain('Cijfers van Samen naar De Linde');
  await until(() => photos(COORD_B).length >= 3);
  await new Promise((r) => setTimeout(r, 200));
  expect(photos(AMB)).toEqual([]);
  expect(photos(PARENT)).toEqual([]);
  expect(photos(COORD_B)).toHaveLength(3);
  expect(h.app.db.select().from(media).where(eq(media.ownerId, coordB)).all().map((r) => r.ref)).toEqual([`chart:funnel:${w.b}`, `chart:participation:${w.b}`, `chart:reach:${w.b}`]);
  expect(h.app.db.select().from(auditLog).where(eq(auditLog.action, 'stats.view')).all().map((a) => [a.actor, a.subjectId])).toEqual([
    [`person:${coord}`, w.a],
    [`person:${coord}`, w.a],
    [`person:${coordB}`, w.b],
  ]);

  // Charts live a day: then rows and files are gone.
  const files = h.app.db.select({ path: media.path }).from(media).where(like(media.ref, 'chart:%')).all().map((r) => r.path!);
  expect(files.every((f) => existsSync(f))).toBe(true);
  expect(purgeExpiredCharts(h.app.db, new Date(STATS_NOW.getTime() + 23 * 3600_000))).toBe(0);
  expect(purgeExpiredCharts(h.app.db, new Date(STATS_NOW.getTime() + 25 * 3600_000))).toBe(9);
  expect(files.some((f) => existsSync(f))).toBe(false);
}, 60_000);

it('an Arabic-speaking coordinator reads the figures in Arabic; erasing them removes their charts', async () => {
  const coord = member(COORD_AR, w.a, 'coordinator', 'ar');
  const out = await h.exchange(COORD_AR, () => h.api.sendCommand(COORD_AR, 'stats'));
  expect(texts(out)).toContain('أرقام');
  expect(texts(out)).toContain('أقل من 10');
  await until(() => photos(COORD_AR).length >= 3);
  expect(photos(COORD_AR)[0]!.plain).toContain('من الانضمام إلى مكان في المدرسة');
  const files = h.app.db.select({ path: media.path }).from(media).where(eq(media.ownerId, coord)).all().map((r) => r.path!);
  expect(files).toHaveLength(3);
  h.app.db.transaction((tx) => erasePerson(tx, coord, clock.now()));
  expect(h.app.db.select().from(media).where(and(eq(media.ownerId, coord))).all()).toEqual([]);
  expect(files.some((f) => existsSync(f))).toBe(false);
}, 60_000);
