/**
 * /stats through the real engine and store on SQLite (the charts after the commit are tested in
 * test/e2e/telegram-stats.test.ts): a coordinator of two initiatives chooses one; an initiative
 * without parents reads zeros, never an error; every view is audited once, a refusal never.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { auditLog, identities, memberships, people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness('2027-03-15T10:00:00Z');
});
afterEach(() => h.close());

function staff(chat: string, roles: [number, 'parent' | 'ambassador' | 'coordinator'][]): number {
  const id = h.db.insert(people).values({ language: 'nl', heardFrom: 'other' }).returning({ id: people.id }).get().id;
  h.db.insert(identities).values({ personId: id, channel: 'local', chatId: chat }).run();
  for (const [initiativeId, role] of roles) h.db.insert(memberships).values({ personId: id, initiativeId, role }).run();
  return id;
}

const views = () => h.db.select().from(auditLog).where(eq(auditLog.action, 'stats.view')).all();

it('a coordinator of two initiatives chooses one; an empty initiative reads zeros; each view is audited once', async () => {
  const a = h.initiative({ name: 'Samen naar De Regenboog', code: 'regenboog' }).id;
  const b = h.initiative({ name: 'Samen naar De Wilg', school: 'De Wilg', code: 'wilg' }).id;
  const coord = staff('c1', [
    [a, 'coordinator'],
    [b, 'coordinator'],
  ]);
  let out = await h.say('c1', '/stats');
  expect(plain(out)).toContain('Van welk initiatief wil je de cijfers zien?');
  expect(buttons(out).map((x) => [x.label, x.value])).toEqual([
    ['Cijfers (Samen naar De Regenboog)', `st:ini:${a}`],
    ['Cijfers (Samen naar De Wilg)', `st:ini:${b}`],
    ['Terug', 'staff:menu'],
  ]);
  expect(views()).toEqual([]);

  out = await h.say('c1', pick(`st:ini:${b}`));
  const text = plain(out);
  expect(text).toContain('Cijfers van Samen naar De Wilg');
  expect(text).toContain('Ouders die meedoen: 0.');
  expect(text).toContain('Doen mee: 0');
  expect(text).toContain('Er zijn nog geen berichten verstuurd.');
  expect(text).toContain('Geen activiteiten in de laatste 3 maanden. Er is ook niets gepland.');
  expect(text).not.toContain('Regenboog');
  expect(text).not.toContain('Stille ouders opnieuw benaderen'); // no ladder yet: no section
  expect(views().map((v) => [v.actor, v.subjectId])).toEqual([[`person:${coord}`, b]]);

  // Typing something now shows the staff menu again (with both "Cijfers" items).
  out = await h.say('c1', 'hallo');
  expect(buttons(out).filter((x) => x.value.startsWith('st:')).map((x) => x.value)).toEqual([`st:ini:${a}`, `st:ini:${b}`]);
});

it('a parent, or an unknown or malformed button, is refused and nothing is audited', async () => {
  const a = h.initiative().id;
  staff('p1', [[a, 'parent']]);
  staff('c1', [[a, 'coordinator']]);
  expect(plain(await h.say('p1', '/stats'))).toContain('Dit kan alleen een vrijwilliger met die taak bij dit initiatief.');
  expect(plain(await h.say('p1', pick(`st:ini:${a}`)))).toContain('Dit kan alleen een vrijwilliger');
  expect(plain(await h.say('c1', pick('st:ini:999')))).toContain('Dit kan alleen een vrijwilliger');
  expect(plain(await h.say('c1', pick('st:ini:abc')))).toContain('Deze knop hoort bij een oud bericht');
  expect(views()).toEqual([]);
});
