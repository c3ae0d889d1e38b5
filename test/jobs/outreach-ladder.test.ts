/**
 * The outreach ladder as the bot runs it (src/domain/outreach-ladder.ts): the planner, a real
 * BullMQ worker on a real Redis, SQLite on disk, the real engine for the parents' and staff's
 * taps, a hand-moved clock. A Turkish parent who joined and never wrote again:
 *   step 1 (a question about their child) → 10 days → step 2 as the initiative's Turkish voice
 *   note → 10 days → the call-back task: a relay thread offered to the Turkish-speaking
 *   ambassador of the parent's own PC4 first, the parent gets nothing, the cap does not count it;
 *   24 hours unclaimed → the other Turkish speakers; 'reached' → the parent is active again.
 * A parent who taps anything mid-ladder drops out: the queued step is skipped by the worker's
 * re-check. Routing without a Turkish speaker: English speakers (the parent's second language),
 * else every ambassador, and the coordinators hear where it went. 'Does not want contact' is
 * final. The answers: "I'd like help" is a relayed question, "Yes, call me" the call-back flow.
 */
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { saveOutreachSettings, saveOutreachVoice } from '../../src/db/outreach.repo.js';
import { sentSince } from '../../src/db/delivery-context.repo.js';
import { deliveries, identities, media, memberships, people, relayOffers, relayThreads } from '../../src/db/schema.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import { participationLevel } from '../../src/domain/participation.js';
import { projectSchedule } from '../../src/jobs/schedule-projection.js';
import { pick } from '../support/engine-harness.js';
import { createNurtureHarness, localTime, type NurtureHarness } from '../support/nurture-harness.js';

let n: NurtureHarness;
let ini = 0;
const DAY = 86_400_000;

beforeEach(async () => {
  // 10:00 in Amsterdam on a Monday in winter.
  n = await createNurtureHarness({ now: '2027-01-04T09:00:00Z' });
  // Rotterdam: no central registration days, so the coordinators get no "date not published" notices here.
  ini = n.h.initiative({ name: 'Samen naar De Regenboog', school: 'De Regenboog', municipality: 'Rotterdam' }).id;
});
afterEach(async () => n.close());

/** A parent of the initiative (the harness's), with a child of 2 and their postcode; their last action is joining. */
function parent(chatId: string, opts: { lang?: string; pc4?: string; fallback?: 'en' | null } = {}): number {
  const { personId } = n.parent({ chatId, language: opts.lang ?? 'tr', initiativeId: ini, children: [{ year: 2025, month: 1 }] });
  n.h.db.update(people).set({ pc4: opts.pc4 ?? '1094', fallbackLanguage: opts.fallback ?? null, displayName: 'Ayşe Yılmaz', heardFrom: 'friend', lastActionAt: n.h.clock.now() }).where(eq(people.id, personId)).run();
  return personId;
}

function staff(chatId: string, role: 'ambassador' | 'coordinator', speaks: string[] | null, pc4: string | null = null): number {
  const id = n.h.db.insert(people).values({ language: 'nl', displayName: chatId, heardFrom: 'friend', pc4 }).returning({ id: people.id }).get().id;
  n.h.db.insert(identities).values({ personId: id, channel: 'local', chatId }).run();
  n.h.db.insert(memberships).values({ personId: id, initiativeId: ini, role, languages: role === 'ambassador' ? speaks : null }).run();
  return id;
}

const ladderRows = (personId: number) => n.rows(personId).filter((r) => r.ruleId.startsWith('ladder'));
const toChat = (chatId: string) => n.channel.log.filter((d) => d.chatId === chatId);
/** Plain text, without the Unicode isolates around inserted values (an endonym). */
const plainTo = (chatId: string) => toChat(chatId).map((d) => miniHtmlToPlain(d.message.text).replace(/[\u2066-\u2069]/g, ''));
const offersOf = (threadId: number) =>
  n.h.db
    .select()
    .from(relayOffers)
    .where(eq(relayOffers.threadId, threadId))
    .all()
    .map((o) => [o.staffId, o.tier]);
const keysTo = (personId: number) =>
  n.h.db
    .select()
    .from(deliveries)
    .where(eq(deliveries.personId, personId))
    .all()
    .map((d) => (d.payload as DeliveryPayload).key);
const signalsOf = (personId: number) => {
  const p = n.h.db.select().from(people).where(eq(people.id, personId)).get()!;
  const m = n.h.db.select().from(memberships).where(and(eq(memberships.personId, personId), eq(memberships.role, 'parent'))).get()!;
  return { joinedAt: m.createdAt, lastActionAt: p.lastActionAt, lastReadAt: p.lastReadAt };
};

/** A Turkish voice note of the initiative, stored (a coordinator's recording). */
function turkishVoice(ownerId: number): number {
  const id = n.h.db
    .insert(media)
    .values({ ownerId, channel: 'local', ref: 'cli:bel.ogg', type: 'voice', mimeType: 'audio/ogg', status: 'ready', path: '/dev/null', bytes: 3000 })
    .returning({ id: media.id })
    .get().id;
  saveOutreachVoice(n.h.db, ini, 'tr', id, n.h.clock.now());
  return id;
}

describe('the outreach ladder through the planner and the worker', () => {
  it('silent → a question about the child → 10 days → the Turkish voice note → 10 days → a call-back task for the Turkish ambassador of the same PC4; reached: active again', async () => {
    const p = parent('ayse');
    const near = staff('hatice', 'ambassador', ['nl', 'tr'], '1094');
    const far = staff('emre', 'ambassador', ['tr'], '1055');
    const nl = staff('sanne', 'ambassador', ['nl'], '1094');
    const coord = staff('karin', 'coordinator', null);
    const voice = turkishVoice(coord);

    // Reminders come (look at schools); nothing of the ladder while the parent is active or fading (90 days).
    await n.runUntil('2027-04-04T06:00:00Z');
    expect(ladderRows(p)).toEqual([]);
    await n.runUntil('2027-04-05T12:00:00Z');
    const [step1] = ladderRows(p);
    expect(step1).toMatchObject({ ruleId: 'ladder1', status: 'sent', kind: 'reminder' });
    expect(localTime(step1!.sentAt!)).toBe('2027-04-05 10:00');
    const question = toChat('ayse').at(-1)!;
    expect(miniHtmlToPlain(question.message.text)).toBe('Merhaba! Bir gün De Regenboog okuluna bakmak ister misin? Samen naar De Regenboog girişiminden başka velilerle birlikte gidebilirsin.');
    expect(question.message.choices?.flat().map((c) => c.value)).toEqual(['or:visit', 'or:no']);

    await n.runUntil('2027-04-15T12:00:00Z');
    const step2 = ladderRows(p).find((r) => r.ruleId === 'ladder2')!;
    expect(localTime(step2.sentAt!)).toBe('2027-04-15 10:00');
    const call = toChat('ayse').at(-1)!;
    expect(call.message.media).toEqual({ mediaId: voice, type: 'voice' });
    expect(miniHtmlToPlain(call.message.text)).toContain('seni aramasını ister misin?');
    expect(call.message.choices?.flat().map((c) => c.value)).toEqual(['rl:call', 'or:no']);

    const toParentBefore = toChat('ayse').length;
    await n.runUntil('2027-04-25T12:00:00Z');
    const step3 = ladderRows(p).find((r) => r.ruleId === 'ladder3')!;
    expect(step3).toMatchObject({ kind: 'notice', status: 'sent' });
    // The parent got nothing, and it is not in their cap.
    expect(toChat('ayse')).toHaveLength(toParentBefore);
    expect(sentSince(n.h.db, p, new Date(Date.parse('2027-04-20T00:00:00Z'))).length).toBe(0);
    const thread = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, p)).get()!;
    expect(thread).toMatchObject({ kind: 'callback', source: 'ladder', language: 'tr', status: 'open', tier: 0, callbackPhone: null, sourceRef: ladderRows(p)[0]!.key.split('|')[3] });
    // Offered first to the Turkish speaker who lives in the parent's PC4.
    expect(offersOf(thread.id)).toEqual([[near, 0]]);
    const card = plainTo('hatice').at(-1)!;
    expect(card).toContain('Persoonlijk contact (taak 1)');
    expect(card).toContain('Naam: Ayşe');
    expect(card).not.toContain('Yılmaz');
    expect(card).toContain('Türkçe');
    expect(card).toContain('Deze ouder gaf geen telefoonnummer. Je schrijft de ouder via de bot.');
    expect(toChat('hatice').at(-1)!.message.choices?.flat().map((c) => c.value)).toEqual([`rl:claim:${thread.id}`]);
    expect(plainTo('emre')).toEqual([]);
    expect(keysTo(coord)).not.toContain('outreach:notice.noSpeaker'); // someone speaks Turkish

    // Unclaimed for 24 hours: the other Turkish speakers (still tier 0), then the other ambassadors.
    await n.runUntil('2027-04-26T12:30:00Z');
    expect(offersOf(thread.id)).toEqual([
      [near, 0],
      [far, 0],
    ]);
    expect(plainTo('emre').at(-1)).toContain('Persoonlijk contact (taak 1)');
    expect(plainTo('sanne')).toEqual([]);

    // Emre takes it: no number, he writes through the bot; the parent reads a personal message.
    let out = await n.h.say('emre', pick(`rl:claim:${thread.id}`));
    expect(out.map((m) => miniHtmlToPlain(m.text)).join('\n')).toContain('Er is geen nummer: je schrijft de ouder via de bot.');
    out = await n.h.say('emre', pick(`rl:re:${thread.id}`));
    await n.h.say('emre', 'Merhaba Ayşe, ben Emre. Nasılsın? Okul için yardım ister misin?');
    await n.tick();
    expect(plainTo('ayse').at(-1)).toContain('Merhaba Ayşe, ben Emre.');
    expect(plainTo('ayse').at(-1)).toContain('emre tarafından kişisel bir mesaj');
    expect(plainTo('ayse').at(-1)).not.toContain('Sorunun cevabı');
    // The parent answers by typing; it reaches Emre.
    await n.h.say('ayse', 'Teşekkürler, iyiyim. Evet, kayıt için yardım lazım.');
    await n.tick();
    expect(plainTo('emre').at(-1)).toContain('Evet, kayıt için yardım lazım.');
    // "Reached": contact. The parent takes part again, and no ladder step follows.
    out = await n.h.say('emre', pick(`rl:out:${thread.id}:reached`));
    expect(out.map((m) => miniHtmlToPlain(m.text)).join('\n')).toContain('Bewaard: Bereikt (taak 1). Dank je wel!');
    expect(n.h.db.select().from(relayThreads).where(eq(relayThreads.id, thread.id)).get()).toMatchObject({ status: 'closed', outcome: 'reached' });
    expect(participationLevel(signalsOf(p), n.h.clock.now())).toBe('active');
    await n.runUntil('2027-07-20T12:00:00Z');
    expect(ladderRows(p).map((r) => r.ruleId)).toEqual(['ladder1', 'ladder2', 'ladder3']);
    expect(keysTo(nl)).not.toContain('outreach:notice.task');
  }, 60_000);

  it('a parent who taps anything mid-ladder drops out: step 2, already planned, is skipped by the worker re-check; nothing follows', async () => {
    const p = parent('ayse');
    staff('hatice', 'ambassador', ['tr'], '1094');
    await n.runUntil('2027-04-05T12:00:00Z');
    expect(ladderRows(p).map((r) => [r.ruleId, r.status])).toEqual([['ladder1', 'sent']]);
    // The day before step 2 is due the planner has written its row (a day ahead).
    await n.runUntil('2027-04-14T12:00:00Z');
    expect(ladderRows(p).map((r) => [r.ruleId, r.status])).toEqual([
      ['ladder1', 'sent'],
      ['ladder2', 'planned'],
    ]);
    // "Not now" under the question: a reaction like any other (never "no contact").
    const out = await n.h.say('ayse', pick('or:no'));
    expect(miniHtmlToPlain(out[0]!.text)).toBe('Tamam, teşekkürler. Bana her zaman mesaj gönderebilirsin.');
    expect(n.h.db.select().from(people).where(eq(people.id, p)).get()!.contactDeclinedAt).toBeNull();
    const sentBefore = toChat('ayse').length;
    await n.runUntil('2027-05-10T12:00:00Z');
    expect(ladderRows(p).map((r) => [r.ruleId, r.status, r.lastError])).toEqual([
      ['ladder1', 'sent', null],
      ['ladder2', 'skipped', 'no longer relevant'],
    ]);
    expect(toChat('ayse').slice(sentBefore).map((d) => d.message.text)).not.toContainEqual(expect.stringContaining('aramasını'));
    expect(n.h.db.select().from(relayThreads).all()).toEqual([]);
  }, 60_000);

  it("'does not want contact' is final: no ladder, ever again", async () => {
    const p = parent('ayse');
    staff('hatice', 'ambassador', ['tr'], '1094');
    await n.runUntil('2027-04-26T12:00:00Z');
    const thread = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, p)).get()!;
    await n.h.say('hatice', pick(`rl:claim:${thread.id}`));
    const out = await n.h.say('hatice', pick(`rl:out:${thread.id}:declined`));
    expect(miniHtmlToPlain(out[0]!.text)).toContain('deze ouder wil geen contact (taak 1)');
    expect(n.h.db.select().from(people).where(eq(people.id, p)).get()!.contactDeclinedAt).not.toBeNull();
    // Still silent a year on (past the cool-down), never laddered again.
    await n.runUntil('2028-01-10T12:00:00Z', 5 * DAY);
    expect(ladderRows(p).map((r) => r.ruleId)).toEqual(['ladder1', 'ladder2', 'ladder3']);
  }, 60_000);

  it('after the cool-down a still-silent parent gets a new episode; an initiative may switch the ladder off', async () => {
    const p = parent('ayse');
    staff('hatice', 'ambassador', ['tr'], '1094');
    saveOutreachSettings(n.h.db, ini, { cooldownDays: 30 }, 120, n.h.clock.now());
    await n.runUntil('2027-04-26T12:00:00Z');
    const thread = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, p)).get()!;
    await n.h.say('hatice', pick(`rl:claim:${thread.id}`));
    await n.h.say('hatice', pick(`rl:out:${thread.id}:noAnswer`));
    // No answer: the parent stays silent. 30 days after the task: a new episode (a new key).
    await n.runUntil('2027-05-24T06:00:00Z');
    expect(ladderRows(p)).toHaveLength(3);
    await n.runUntil('2027-05-25T12:00:00Z');
    const rows = ladderRows(p);
    expect(rows.map((r) => r.ruleId)).toEqual(['ladder1', 'ladder2', 'ladder3', 'ladder1']);
    expect(rows[3]!.key).not.toBe(rows[0]!.key);
    expect(localTime(rows[3]!.sentAt!)).toBe('2027-05-25 10:00');
    // Switched off: nothing more (the step of the new episode that would come is never planned).
    saveOutreachSettings(n.h.db, ini, { enabled: false }, 120, n.h.clock.now());
    await n.runUntil('2027-06-30T12:00:00Z');
    expect(ladderRows(p)).toHaveLength(4);
  }, 60_000);

  it('a parent without reminders consent, or after /stop, is never laddered', async () => {
    const a = parent('a');
    const b = parent('b');
    n.h.db.update(people).set({ reminders: false }).where(eq(people.id, a)).run();
    n.h.db.update(people).set({ proactive: false }).where(eq(people.id, b)).run();
    await n.runUntil('2027-05-10T12:00:00Z', 3 * DAY);
    expect(ladderRows(a)).toEqual([]);
    expect(ladderRows(b)).toEqual([]);
  }, 60_000);

  it('the ladder steps count in the cap like reminders, at a low priority; `schedule` projects the whole ladder', async () => {
    const p = parent('ayse');
    n.h.db.update(people).set({ proactive: true }).where(eq(people.id, p)).run();
    const projected = projectSchedule(n.planDeps, { personIds: [p], from: n.h.clock.now(), days: 130 }).filter((r) => r.ruleId.startsWith('ladder'));
    expect(projected.map((r) => [r.ruleId, r.messageKey, localTime(r.sendAt), r.status])).toEqual([
      ['ladder1', 'outreach:step1.visit', '2027-04-05 10:00', 'projected'],
      ['ladder2', 'outreach:step2', '2027-04-15 10:00', 'projected'],
      ['ladder3', 'outreach:task', '2027-04-25 10:00', 'projected'],
    ]);
  });
});

describe('routing the call-back task when nobody speaks the parent language', () => {
  it('English speakers first for a parent who chose English as second language, and the coordinators are told where it went', async () => {
    const p = parent('ayse', { fallback: 'en' });
    const en = staff('john', 'ambassador', ['nl', 'en'], '1011');
    const nl = staff('sanne', 'ambassador', ['nl'], '1094');
    const coord = staff('karin', 'coordinator', null);
    await n.runUntil('2027-04-25T12:00:00Z');
    const thread = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, p)).get()!;
    expect(offersOf(thread.id)).toEqual([[en, 1]]);
    expect(plainTo('karin').at(-1)).toBe('Persoonlijk contact (taak 1)\nGeen ouderambassadeur van Samen naar De Regenboog spreekt Türkçe. Daarom ging de taak naar: ouderambassadeurs die English spreken.');
    // Nothing personal in it beyond the card: no name, no postcode.
    expect(plainTo('karin').at(-1)).not.toMatch(/Ayşe|1094/);
    await n.runUntil('2027-04-26T12:30:00Z');
    expect(offersOf(thread.id)).toEqual([
      [en, 1],
      [nl, 1],
    ]);
    await n.runUntil('2027-04-27T12:30:00Z');
    expect(offersOf(thread.id)).toEqual([
      [en, 1],
      [nl, 1],
      [coord, 2],
    ]);
    // The parent never hears of it.
    expect(keysTo(p).filter((k) => k.startsWith('relay:'))).toEqual([]);
  }, 60_000);

  it('no second language: every ambassador; no ambassador at all: the coordinators, who are told', async () => {
    const p = parent('ayse');
    const nl = staff('sanne', 'ambassador', ['nl'], '1094');
    staff('karin', 'coordinator', null);
    await n.runUntil('2027-04-25T12:00:00Z');
    const thread = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, p)).get()!;
    expect(offersOf(thread.id)).toEqual([[nl, 1]]);
    expect(plainTo('karin').at(-1)).toContain('Daarom ging de taak naar: alle ouderambassadeurs.');

    const q = parent('zeynep');
    n.h.db.delete(memberships).where(eq(memberships.personId, nl)).run();
    await n.runUntil('2027-08-15T12:00:00Z', 2 * DAY);
    const t2 = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, q)).get()!;
    expect(offersOf(t2.id)).toEqual([[n.h.db.select().from(people).where(eq(people.displayName, 'karin')).get()!.id, 2]]);
    expect(plainTo('karin').at(-1)).toContain('Daarom ging de taak naar: de coördinatoren.');
  }, 60_000);
});

describe("the parent's answers", () => {
  it('"I\'d like help" is a relayed question (source ladder) for the Turkish ambassador; "Yes, call me" asks for a number they may skip', async () => {
    const p = parent('ayse');
    const amb = staff('hatice', 'ambassador', ['tr'], '1094');
    let out = await n.h.say('ayse', pick('or:help'));
    expect(miniHtmlToPlain(out[0]!.text)).toBe('Söylediğin için teşekkürler. Samen naar De Regenboog girişiminden bir veli elçisi sana buradan mesaj gönderecek.');
    const t = n.h.db.select().from(relayThreads).where(eq(relayThreads.personId, p)).get()!;
    expect(t).toMatchObject({ kind: 'question', source: 'ladder', sourceRef: 'help', language: 'tr' });
    await n.tick();
    expect(plainTo('hatice').at(-1)).toContain('Deze ouder wil graag hulp.');
    expect(offersOf(t.id)).toEqual([[amb, 0]]);

    out = await n.h.say('ayse', pick('rl:call'));
    expect(out.flatMap((m) => m.choices?.flat().map((c) => c.value) ?? [])).toContain('rl:nophone');
    out = await n.h.say('ayse', pick('rl:nophone'));
    expect(n.h.db.select().from(relayThreads).where(and(eq(relayThreads.personId, p), eq(relayThreads.kind, 'callback'))).get()).toMatchObject({ source: 'callback', callbackPhone: null });

    out = await n.h.say('ayse', pick('or:notyet'));
    expect(out.map((m) => miniHtmlToPlain(m.text)).join('\n')).toContain('2025');
  });
});
