/**
 * Parents' questions relayed by language (issue 11, item 5), through the real engine and SQLite:
 * a question from the menu goes to the ambassadors who speak the parent's language first; the
 * first "I'll answer" claims it (race-safe); answers and replies travel as notices that carry ids
 * only; either side closes. Free text we do not understand is offered to pass on; "bel me"
 * becomes a call-back task with an optional number, shown only to who claimed it and deleted
 * with the outcome; "does not want contact" is stored for good. Refusals change nothing; erasing
 * the parent erases the threads; /mydata lists them.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { miniHtmlToPlain, renderReply } from '../../src/core/render.js';
import { deliveryContext } from '../../src/db/delivery-context.repo.js';
import { applyRelayCommand } from '../../src/db/relay.effects.js';
import { auditLog, broadcastVersions, broadcasts, children, deliveries, identities, memberships, outbox, people, relayMessages, relayOffers, relayThreads } from '../../src/db/schema.js';
import { insertDeliveries } from '../../src/db/deliveries.repo.js';
import { deliveryReply } from '../../src/domain/delivery-message.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
let ini: number;
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));

type Role = 'parent' | 'ambassador' | 'coordinator';
function person(chatId: string, opts: { lang?: string; name?: string | null; roles?: Role[]; speaks?: string[]; initiativeId?: number; kids?: [number, number][] } = {}): number {
  const p = h.db
    .insert(people)
    .values({ language: opts.lang ?? 'nl', displayName: opts.name === undefined ? `Ouder ${chatId}` : opts.name, heardFrom: 'friend', pc4: '1094' })
    .returning({ id: people.id })
    .get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  for (const role of opts.roles ?? ['parent']) {
    h.db.insert(memberships).values({ personId: p.id, initiativeId: opts.initiativeId ?? ini, role, languages: role === 'ambassador' ? (opts.speaks ?? ['nl']) : null }).run();
  }
  for (const [y, m] of opts.kids ?? []) h.db.insert(children).values({ personId: p.id, birthYear: y, birthMonth: m, expected: false }).run();
  return p.id;
}

const noticesTo = (personId: number) => h.db.select().from(deliveries).where(eq(deliveries.personId, personId)).all();
const thread = (id = 1) => h.db.select().from(relayThreads).where(eq(relayThreads.id, id)).get();

/** A notice as its recipient would read it now (null: it would be skipped). */
function read(row: typeof deliveries.$inferSelect): { text: string; buttons: string[] } | null {
  const payload = row.payload as DeliveryPayload;
  const ctx = deliveryContext(h.db, row.personId, row.channel, payload, 'Europe/Amsterdam', h.clock.now());
  if (!ctx || (payload.threadId !== undefined && !ctx.lookups.relay) || (payload.aboutPersonId !== undefined && !ctx.lookups.about)) return null;
  const m = renderReply(i18n, ctx.language, deliveryReply(payload, { ...ctx.lookups, now: h.clock.now() }));
  return { text: miniHtmlToPlain(m.text), buttons: (m.choices ?? []).flat().map((c) => c.value) };
}
const lastNotice = (personId: number) => {
  const rows = noticesTo(personId);
  return rows[rows.length - 1]!;
};

beforeEach(() => {
  h = createHarness('2027-03-01T09:00:00Z');
  ini = h.initiative().id;
});
afterEach(() => h.close());

describe('a question from the menu', () => {
  it('goes to the ambassador who speaks the parent\'s language; claimed, answered, replied to and closed', async () => {
    const parent = person('p', { lang: 'tr', name: 'Ayşe Yılmaz', kids: [[2024, 6], [2026, 9]] });
    const turkish = person('tr-amb', { roles: ['ambassador'], speaks: ['nl', 'tr'] });
    const dutch = person('nl-amb', { roles: ['ambassador'], speaks: ['nl'] });
    const coord = person('coord', { roles: ['coordinator'] });

    const menu = await h.say('p', '/menu');
    expect(buttons(menu).map((b) => b.value)).toContain('menu:ask');
    expect(buttons(menu).length).toBeLessThanOrEqual(10);
    expect(plain(await h.say('p', pick('menu:ask')))).toContain('Sorunu aşağıya yaz');
    expect(plain(await h.say('p', 'Okul ne zaman başlıyor? Kayıt için ne lazım?'))).toContain('veli elçisine ilettim');

    expect(thread()).toMatchObject({ personId: parent, status: 'open', tier: 0, language: 'tr', kind: 'question', source: 'menu' });
    expect(h.db.select().from(relayOffers).all()).toMatchObject([{ staffId: turkish, tier: 0 }]);
    expect(noticesTo(dutch)).toHaveLength(0);
    expect(noticesTo(coord)).toHaveLength(0);
    const offer = noticesTo(turkish)[0]!;
    // The row carries ids only; the text is read from the thread when it is sent.
    expect(JSON.stringify(offer.payload)).not.toMatch(/Okul|Ayşe|Yılmaz/);
    const shown = read(offer)!;
    expect(shown.text).toContain('Een vraag van een ouder (vraag 1)');
    expect(shown.text).toContain('Naam: Ayşe\n');
    expect(shown.text).not.toContain('Yılmaz');
    expect(shown.text).toContain('Türkçe');
    expect(shown.text).toContain('2 jaar en jonger dan 1 jaar');
    expect(shown.text).toContain('Okul ne zaman başlıyor?');
    expect(shown.text).not.toMatch(/local|chat|\+31|06/);
    expect(shown.buttons).toEqual(['rl:claim:1']);

    // "I'll answer": the card (not kept once sent) and the answer step.
    const claimed = await h.say('tr-amb', pick('rl:claim:1'));
    expect(plain(claimed)).toContain('Okul ne zaman başlıyor?');
    expect(plain(claimed)).toContain('Typ je antwoord op vraag 1');
    expect(thread()).toMatchObject({ status: 'claimed', claimedBy: turkish });
    expect(JSON.stringify(h.db.select().from(outbox).where(eq(outbox.personId, turkish)).all())).not.toContain('Okul');
    // The offer to anyone else is no longer true: it would be skipped.
    expect(read(offer)).toBeNull();

    expect(plain(await h.say('tr-amb', 'Eylülde başlıyor. Kayıt için doğum belgesi lazım.'))).toContain('Je antwoord op vraag 1 is verstuurd');
    const answer = lastNotice(parent);
    expect(answer.payload).toMatchObject({ key: 'relay:notice.answer', threadId: 1 });
    expect(read(answer)).toMatchObject({ text: expect.stringContaining('Eylülde başlıyor'), buttons: ['rl:close:1'] });
    expect(read(answer)!.text).toContain('Sorunun cevabı');

    // The parent's next text goes to the same thread, and to the ambassador.
    expect(plain(await h.say('p', 'Teşekkürler! Peki okul saat kaçta başlıyor?'))).toContain('Mesajını ilettim (soru 1)');
    const reply = lastNotice(turkish);
    expect(reply.payload).toMatchObject({ key: 'relay:notice.reply', threadId: 1 });
    expect(read(reply)).toMatchObject({ text: expect.stringContaining('saat kaçta'), buttons: ['rl:re:1', 'rl:close:1'] });

    // WhatsApp-style: "ANTWOORD 1 …" from anywhere.
    await h.say('tr-amb', '/menu');
    expect(plain(await h.say('tr-amb', 'ANTWOORD 1 Saat 8.30.'))).toContain('verstuurd');
    expect(read(lastNotice(parent))!.text).toContain('Saat 8.30.');

    // The parent closes; the ambassador hears it.
    expect(plain(await h.say('p', pick('rl:close:1')))).toContain('Soru 1 kapatıldı');
    expect(thread()).toMatchObject({ status: 'closed', closedBy: 'parent' });
    expect(read(lastNotice(turkish))!.text).toContain('De ouder heeft vraag 1 gesloten');
    expect(h.db.select().from(relayMessages).all().map((m) => m.fromParent)).toEqual([true, false, true, false]);
    // A closed thread takes no more answers.
    expect(plain(await h.say('tr-amb', 'ANTWOORD 1 nog iets'))).toContain('Vraag 1 is al gesloten');
  });

  it('the staff menu counts open questions; the list claims by number; staff may close', async () => {
    person('p', { lang: 'pl' });
    person('q', { lang: 'ar' });
    const amb = person('amb', { roles: ['parent', 'ambassador'], speaks: ['nl'] });
    await h.say('p', pick('menu:ask'));
    await h.say('p', 'Gdzie jest szkoła? Jak tam dojść?');
    await h.say('q', pick('menu:ask'));
    await h.say('q', 'متى يبدأ التسجيل؟');
    // Nobody speaks Polish or Arabic: the other ambassadors are asked at once.
    expect(h.db.select().from(relayThreads).all().map((t) => t.tier)).toEqual([1, 1]);

    const staff = await h.say('amb', '/staff');
    expect(buttons(staff).map((b) => [b.value, b.label])).toContainEqual(['rl:list', 'Vragen van ouders (2)']);
    const list = await h.say('amb', pick('rl:list'));
    const listed = plain(list).replace(/[\u2066-\u2069]/g, '');
    expect(listed).toContain('open: 2');
    expect(listed).toContain('• 1 · Polski · sinds 1 maart 2027');
    expect(listed).toContain('• 2 · العربية');
    expect(plain(list)).not.toContain('Gdzie');
    expect(buttons(list).map((b) => b.value)).toEqual(expect.arrayContaining(['rl:claim:1', 'rl:claim:2', 'rl:show:1']));
    // Nothing on the staff member's side keeps what parents wrote or which language a thread is in.
    const kept = JSON.stringify(h.db.select().from(outbox).where(eq(outbox.personId, amb)).all());
    expect(kept).not.toMatch(/polski|Gdzie|العربية/);

    await h.say('amb', pick('rl:claim:2'));
    expect(plain(await h.say('amb', 'Het begint in januari.'))).toContain('verstuurd');
    expect(plain(await h.say('amb', pick('rl:close:2')))).toContain('Vraag 2 is gesloten');
    expect(thread(2)).toMatchObject({ status: 'closed', closedBy: 'staff' });
    expect(lastNotice(h.db.select().from(people).all()[1]!.id).payload).toMatchObject({ key: 'relay:notice.closedByStaff' });
    expect(h.db.select({ a: auditLog.action }).from(auditLog).all().map((r) => r.a)).toEqual(expect.arrayContaining(['relay.claim', 'relay.close']));
    expect(buttons(await h.say('amb', '/staff')).map((b) => b.label)).toContain('Vragen van ouders (1)');
  });

  it('the first "I\'ll answer" wins; a later one hears it was taken and changes nothing', async () => {
    const parent = person('p', { lang: 'nl' });
    const a = person('a', { roles: ['ambassador'] });
    const b = person('b', { roles: ['ambassador'] });
    await h.say('p', pick('menu:ask'));
    await h.say('p', 'Is er een open ochtend deze maand?');
    // Both read the thread as open before either claim was applied: one UPDATE … WHERE claimed_by IS NULL decides.
    const now = h.clock.now();
    h.db.transaction((tx) => applyRelayCommand(tx, a, { op: 'claim', threadId: 1 }, now));
    h.db.transaction((tx) => applyRelayCommand(tx, b, { op: 'claim', threadId: 1 }, now));
    h.db.transaction((tx) => applyRelayCommand(tx, b, { op: 'answer', threadId: 1, text: 'Ja!' }, now));
    expect(thread()).toMatchObject({ claimedBy: a, status: 'claimed' });
    expect(h.db.select().from(relayMessages).all()).toHaveLength(1);
    expect(noticesTo(b).map((n) => (n.payload as DeliveryPayload).key)).toEqual(['relay:notice.offer', 'relay:notice.taken']);
    expect(noticesTo(parent)).toHaveLength(0);
    // In the chat, the later one is told at once.
    expect(plain(await h.say('b', pick('rl:claim:1')))).toContain('Iemand anders beantwoordt vraag 1 al');
  });

  it('refuses a parent and an ambassador of another initiative, and changes nothing', async () => {
    person('p');
    person('other-parent');
    const otherIni = h.initiative({ name: 'Samen naar De Zuilen', school: 'De Zuilen', postcodes: ['3511'] }).id;
    person('stranger', { roles: ['ambassador'], initiativeId: otherIni });
    person('amb', { roles: ['ambassador'] });
    await h.say('p', pick('menu:ask'));
    await h.say('p', 'Waar is de school precies?');
    expect(plain(await h.say('other-parent', pick('rl:claim:1')))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('stranger', pick('rl:claim:1')))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('stranger', 'ANTWOORD 1 hallo daar'))).not.toContain('verstuurd');
    expect(plain(await h.say('stranger', pick('rl:show:1')))).not.toContain('Waar is de school');
    expect(thread()).toMatchObject({ status: 'open', claimedBy: null });
    expect(h.db.select().from(relayMessages).all()).toHaveLength(1);
  });
});

describe('free text, help and call-backs', () => {
  it('offers to pass on a question we do not understand; thanks and emoji get the menu', async () => {
    const amb = person('amb', { roles: ['ambassador'] });
    person('p');
    const out = await h.say('p', 'Mijn zoon is ziek, mag hij toch naar de speelochtend?');
    expect(plain(out)).toContain('Zal ik dit bericht doorgeven aan een ouderambassadeur?');
    expect(h.db.select().from(relayThreads).all()).toHaveLength(0);
    expect(plain(await h.say('p', pick('rl:pass')))).toContain('Ik heb je vraag gegeven aan een ouderambassadeur');
    expect(thread()).toMatchObject({ source: 'text', status: 'open' });
    expect(read(noticesTo(amb)[0]!)!.text).toContain('Mijn zoon is ziek');

    person('q');
    expect(plain(await h.say('q', 'dank je'))).toContain('Dat begrijp ik helaas niet');
    expect(buttons(await h.say('q', '👍')).map((b) => b.value)).toContain('menu:ask');
    expect(plain(await h.say('q', 'Hoe laat begint de school morgen?'))).toContain('doorgeven');
    expect(plain(await h.say('q', pick('rl:no')))).toContain('ik geef het niet door');
    expect(h.db.select().from(relayThreads).all()).toHaveLength(1);
  });

  it('"bel me": the number is optional, shown only to who claimed the task, and deleted with the outcome', async () => {
    const parent = person('p', { name: 'Fatima' });
    const amb = person('amb', { roles: ['ambassador'] });
    const other = person('amb2', { roles: ['ambassador'] });
    expect(plain(await h.say('p', 'bel me'))).toContain('Alleen de ambassadeur die jou belt, ziet dit nummer');
    expect(plain(await h.say('p', 'morgen'))).toContain('Dat lijkt geen telefoonnummer');
    expect(plain(await h.say('p', '06 1234 5678'))).toContain('neemt contact met je op');
    expect(thread()).toMatchObject({ kind: 'callback', callbackPhone: '0612345678', status: 'open' });
    expect(thread()!.callbackPhoneUntil?.toISOString()).toBe('2027-03-15T09:00:00.000Z');
    const offer = read(noticesTo(amb)[0]!)!;
    expect(offer.text).toContain('Een ouder wil gebeld worden');
    expect(offer.text).not.toContain('0612345678');
    expect(offer.text).not.toContain('1234');

    // Before claiming nobody sees it; after claiming only the claimer does.
    expect(plain(await h.say('amb2', pick('rl:show:1')))).not.toContain('0612345678');
    expect(plain(await h.say('amb', pick('rl:claim:1')))).toContain('Jij belt deze ouder');
    const task = await h.say('amb', pick('rl:show:1'));
    expect(plain(task)).toContain('Bel deze ouder op: 0612345678');
    expect(buttons(task).map((b) => b.value)).toEqual(expect.arrayContaining(['rl:out:1:reached', 'rl:out:1:declined']));
    expect(plain(await h.say('amb2', pick('rl:show:1')))).not.toContain('0612345678');
    // The reply that showed the number is not kept once sent.
    expect(JSON.stringify(h.db.select().from(outbox).all())).not.toContain('0612345678');

    expect(plain(await h.say('amb', pick('rl:out:1:declined')))).toContain('We benaderen deze ouder niet meer persoonlijk');
    expect(thread()).toMatchObject({ status: 'closed', outcome: 'declined', callbackPhone: null, callbackPhoneUntil: null });
    expect(h.db.select().from(people).where(eq(people.id, parent)).get()?.contactDeclinedAt?.toISOString()).toBe('2027-03-01T09:00:00.000Z');
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'relay.outcome')).get()?.detail).toEqual({ initiativeId: ini, outcome: 'declined' });
    expect(other).toBeGreaterThan(0);
  });

  it('a call-back without a number: the ambassador writes in the chat', async () => {
    person('p');
    person('amb', { roles: ['ambassador'] });
    await h.say('p', pick('rl:call'));
    expect(plain(await h.say('p', pick('rl:nophone')))).toContain('neemt contact met je op');
    expect(thread()).toMatchObject({ kind: 'callback', callbackPhone: null });
    await h.say('amb', pick('rl:claim:1'));
    const task = await h.say('amb', pick('rl:show:1'));
    expect(plain(task)).toContain('Deze ouder gaf geen nummer');
    await h.say('amb', pick('rl:re:1'));
    expect(plain(await h.say('amb', 'Wanneer kan ik je bellen?'))).toContain('verstuurd');
  });

  it('"help me" under a deadline reminder and "I want to help" become threads; nobody left is said', async () => {
    const parent = person('p', { kids: [[2024, 3]] });
    const kid = h.db.select().from(children).where(eq(children.personId, parent)).get()!.id;
    const coord = person('coord', { roles: ['coordinator'] });
    await h.say('p', pick(`reg:${kid}:help`));
    await h.say('p', pick('help:open_morning'));
    expect(h.db.select().from(relayThreads).all().map((t) => [t.source, t.sourceRef, t.tier])).toEqual([
      ['helpRequest', String(kid), 2],
      ['interest', 'open_morning', 2],
    ]);
    expect(noticesTo(coord).map((n) => read(n)!.text).join('\n')).toMatch(/hulp bij het aanmelden[\s\S]*wil helpen met: Kom naar een inloopochtend/);
  });
});

describe('"help" under a broadcast in another language', () => {
  /** A sent broadcast with versions in these languages, received by the parent `hoursAgo` hours ago. */
  function broadcastTo(personId: number, langs: string[], hoursAgo = 1): number {
    const now = h.clock.now();
    const id = h.db.insert(broadcasts).values({ initiativeId: ini, status: 'done', audience: {} }).returning({ id: broadcasts.id }).get().id;
    for (const lang of langs) h.db.insert(broadcastVersions).values({ broadcastId: id, lang, text: lang === 'nl' ? 'De inloopochtend is verplaatst naar dinsdag 9 maart.' : 'x', updatedAt: now }).run();
    const at = new Date(now.getTime() - hoursAgo * 3600_000);
    const [row] = insertDeliveries(h.db, [{ key: `b${id}|p${personId}`, personId, childId: null, ruleId: `b${id}`, channel: 'local', kind: 'broadcast', priority: 6, dueAt: at, sendAt: at, expiresAt: null, urgentFrom: null, payload: { key: 'broadcast:body', params: {}, buttons: null, broadcastId: id } }], at);
    h.db.update(deliveries).set({ status: 'sent', sentAt: at }).where(eq(deliveries.id, row!)).run();
    return id;
  }

  it('the word in the parent\'s language, right after it, asks an ambassador to explain that broadcast', async () => {
    const parent = person('p', { lang: 'tr' });
    const amb = person('amb', { roles: ['ambassador'], speaks: ['tr'] });
    const b = broadcastTo(parent, ['nl', 'en']);
    expect(plain(await h.say('p', 'Yardım'))).toContain('mesajı açıklamasını istiyorum');
    expect(thread()).toMatchObject({ source: 'broadcast', sourceRef: String(b), kind: 'question', language: 'tr' });
    const offer = read(noticesTo(amb)[0]!)!;
    expect(offer.text).toContain('Deze ouder vraagt uitleg over dit bericht: «De inloopochtend is verplaatst naar dinsdag 9 maart.»');
    // What they type next goes with it.
    expect(plain(await h.say('p', 'Saat kaçta?'))).toContain('1 numaralı sorunun');
    expect(read(noticesTo(amb)[0]!)!.text).toContain('Saat kaçta?');
    // The button under the broadcast opens the same thread, not a second one.
    await h.say('p', pick(`rl:bc:${b}`));
    expect(h.db.select().from(relayThreads).all()).toHaveLength(1);
  });

  it('"help" without such a broadcast (in their language, or days ago) is the usual help', async () => {
    const parent = person('p', { lang: 'tr' });
    person('amb', { roles: ['ambassador'] });
    broadcastTo(parent, ['nl', 'tr']);
    expect(plain(await h.say('p', 'yardım'))).not.toContain('açıklamasını');
    const q = person('q', { lang: 'tr' });
    broadcastTo(q, ['nl'], 80);
    expect(plain(await h.say('q', 'yardım'))).not.toContain('açıklamasını');
    expect(h.db.select().from(relayThreads).all()).toHaveLength(0);
  });
});

describe('privacy', () => {
  it('/mydata lists the threads; erasing the parent erases them and silences the staff notices', async () => {
    const parent = person('p');
    const amb = person('amb', { roles: ['ambassador'] });
    await h.say('p', pick('menu:ask'));
    await h.say('p', 'Is de school groot? Hoeveel klassen zijn er?');
    await h.say('amb', pick('rl:claim:1'));
    await h.say('amb', 'Drie klassen per jaar.');
    const mydata = await h.say('p', '/mydata');
    expect(plain(mydata)).toContain('Vraag 1 van');
    const file = JSON.parse(mydata.find((m) => m.attachment)!.attachment!.content) as { questions: { messages: { from: string; text: string }[] }[] };
    expect(file.questions[0]!.messages).toEqual([
      expect.objectContaining({ from: 'you', text: 'Is de school groot? Hoeveel klassen zijn er?' }),
      expect.objectContaining({ from: 'staff', text: 'Drie klassen per jaar.' }),
    ]);

    await h.say('p', 'nog een vraag over de klassen'); // a reply: a notice to the ambassador, not sent yet
    const pending = noticesTo(amb).filter((n) => n.status === 'planned');
    expect(pending.length).toBeGreaterThan(0);
    await h.say('p', '/delete');
    await h.say('p', pick('del:yes'));
    expect(h.db.select().from(people).where(eq(people.id, parent)).get()).toBeUndefined();
    expect(h.db.select().from(relayThreads).all()).toHaveLength(0);
    expect(h.db.select().from(relayMessages).all()).toHaveLength(0);
    expect(h.db.select().from(relayOffers).all()).toHaveLength(0);
    for (const n of noticesTo(amb)) expect(read(n)).toBeNull();
    expect(JSON.stringify(noticesTo(amb))).not.toMatch(/klassen|school/i);
  });
});
