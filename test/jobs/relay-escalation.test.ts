/**
 * A question unanswered for 24 hours moves on (issue 11, item 5): nobody claimed it → the next
 * tier with people (other ambassadors, then the coordinators); nobody left → the parent is told
 * with the initiative's contact, the operator log and the audit get a line (ids only), and the
 * thread stays in the staff lists. A claimed question with no answer in 24 hours is released
 * to the next tier. Call-back numbers go after 14 days. Run by the planner's tick, with its
 * injected clock.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { auditLog, deliveries, identities, memberships, people, relayOffers, relayThreads } from '../../src/db/schema.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import type { DeliveryQueues } from '../../src/jobs/delivery.queue.js';
import { loadReminderRules } from '../../src/jobs/nurture.config.js';
import { createPlanner } from '../../src/jobs/planner.js';
import { relayEscalationPass } from '../../src/jobs/relay.escalation.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
let ini: number;
const warnings: { obj: unknown; msg: string }[] = [];
const logger = { debug() {}, info() {}, warn: (obj: unknown, msg?: string) => void warnings.push({ obj, msg: msg ?? '' }), error() {} } as unknown as Logger;
const H = 3600_000;

function person(chatId: string, role: 'parent' | 'ambassador' | 'coordinator', opts: { lang?: string; speaks?: string[] } = {}): number {
  const p = h.db.insert(people).values({ language: opts.lang ?? 'nl', displayName: chatId, heardFrom: 'friend' }).returning({ id: people.id }).get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  h.db.insert(memberships).values({ personId: p.id, initiativeId: ini, role, languages: role === 'ambassador' ? (opts.speaks ?? ['nl']) : null }).run();
  return p.id;
}
const keysTo = (personId: number) => h.db.select().from(deliveries).where(eq(deliveries.personId, personId)).all().map((d) => (d.payload as DeliveryPayload).key);
const thread = (id = 1) => h.db.select().from(relayThreads).where(eq(relayThreads.id, id)).get()!;
const pass = () => relayEscalationPass(h.db, h.clock.now(), logger);

async function ask(chatId: string, text: string): Promise<void> {
  await h.say(chatId, pick('menu:ask'));
  await h.say(chatId, text);
}

beforeEach(() => {
  h = createHarness('2027-03-01T09:00:00Z');
  ini = h.initiative({ contact: 'Fatma, 020 123 4567' }).id;
  warnings.length = 0;
});
afterEach(() => h.close());

describe('escalation', () => {
  it('moves an unclaimed question tier by tier, 24 h each, and tells the parent when nobody is left', async () => {
    const parent = person('p', 'parent', { lang: 'tr' });
    const tr = person('tr', 'ambassador', { speaks: ['tr'] });
    const nl = person('nl', 'ambassador', { speaks: ['nl'] });
    const coord = person('coord', 'coordinator');
    await ask('p', 'Okul ne zaman başlıyor?');
    expect(thread()).toMatchObject({ tier: 0 });
    expect(keysTo(tr)).toEqual(['relay:notice.offer']);

    h.clock.advance(24 * H - 60_000);
    expect(pass()).toMatchObject({ escalated: 0 });
    expect(keysTo(nl)).toEqual([]);

    h.clock.advance(60_000);
    expect(pass()).toMatchObject({ escalated: 1 });
    expect(thread()).toMatchObject({ tier: 1, status: 'open' });
    expect(keysTo(nl)).toEqual(['relay:notice.offer']);
    expect(keysTo(coord)).toEqual([]);
    expect(pass()).toMatchObject({ escalated: 0 }); // once per 24 h

    h.clock.advance(24 * H);
    pass();
    expect(thread()).toMatchObject({ tier: 2 });
    expect(keysTo(coord)).toEqual(['relay:notice.offer']);
    // Nobody is asked twice.
    expect(h.db.select().from(relayOffers).all().map((o) => [o.staffId, o.tier])).toEqual([
      [tr, 0],
      [nl, 1],
      [coord, 2],
    ]);

    h.clock.advance(24 * H);
    pass();
    expect(thread()).toMatchObject({ tier: 3, status: 'open' });
    expect(keysTo(parent)).toEqual(['relay:notice.nobody']);
    expect(warnings.map((w) => w.obj)).toEqual([{ threadId: 1, initiativeId: ini }]);
    expect(JSON.stringify(warnings)).not.toContain('Okul');
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'relay.unrouted')).all()).toHaveLength(1);
    h.clock.advance(48 * H);
    expect(pass()).toMatchObject({ escalated: 0 });
    expect(keysTo(parent)).toEqual(['relay:notice.nobody']);

    // Still in every staff list: anyone may take it.
    expect(plain(await h.say('nl', pick('rl:claim:1')))).toContain('Typ je antwoord op vraag 1');
    expect(thread()).toMatchObject({ status: 'claimed', claimedBy: nl });
  });

  it('a claimed question with no answer in 24 h is released to the next tier; an answered one stays', async () => {
    person('p', 'parent', { lang: 'tr' });
    person('q', 'parent', { lang: 'tr' });
    const tr = person('tr', 'ambassador', { speaks: ['tr'] });
    const nl = person('nl', 'ambassador', { speaks: ['nl'] });
    await ask('p', 'Okul ne zaman başlıyor?');
    await ask('q', 'Kayıt için ne lazım?');
    await h.say('tr', pick('rl:claim:1'));
    await h.say('tr', pick('rl:claim:2'));
    await h.say('tr', 'Doğum belgesi.'); // answers 2
    h.clock.advance(24 * H + 1);
    expect(pass()).toMatchObject({ released: 1 });
    expect(thread(1)).toMatchObject({ status: 'open', claimedBy: null, tier: 1 });
    expect(thread(2)).toMatchObject({ status: 'claimed', claimedBy: tr });
    expect(keysTo(tr)).toContain('relay:notice.released');
    expect(keysTo(nl)).toEqual(['relay:notice.offer']);
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'relay.release')).all()).toHaveLength(1);
  });

  it('a thread whose claimer erased themself is open again for the next tier at once', async () => {
    person('p', 'parent');
    const a = person('a', 'ambassador');
    const b = person('b', 'coordinator');
    await ask('p', 'Waar is de school precies?');
    await h.say('a', pick('rl:claim:1'));
    await h.say('a', '/delete');
    await h.say('a', pick('del:yes'));
    expect(h.db.select().from(people).where(eq(people.id, a)).get()).toBeUndefined();
    expect(thread()).toMatchObject({ status: 'claimed', claimedBy: null });
    expect(pass()).toMatchObject({ released: 1 });
    expect(thread()).toMatchObject({ status: 'open', claimedBy: null, tier: 2 });
    expect(keysTo(b)).toEqual(['relay:notice.offer']);
  });

  it('with nobody at all: the chat says so at once, and the escalation does not repeat it', async () => {
    const parent = person('p', 'parent');
    await h.say('p', pick('menu:ask'));
    expect(plain(await h.say('p', 'Waar is de school precies?'))).toContain('Fatma, 020 123 4567');
    expect(thread()).toMatchObject({ tier: 3 });
    h.clock.advance(48 * H);
    pass();
    expect(keysTo(parent)).toEqual([]);
    // An ambassador who joins later finds it in the list.
    person('late', 'ambassador');
    expect(buttons(await h.say('late', '/staff')).map((b) => b.label)).toContain('Vragen van ouders (1)');
  });

  it('deletes a call-back number after 14 days', async () => {
    person('p', 'parent');
    person('amb', 'ambassador');
    await h.say('p', 'bel me');
    await h.say('p', '+31 6 12345678');
    expect(thread().callbackPhone).toBe('+31612345678');
    h.clock.advance(14 * 24 * H - 1);
    expect(pass().phonesForgotten).toBe(0);
    h.clock.advance(1);
    expect(pass().phonesForgotten).toBe(1);
    expect(thread()).toMatchObject({ callbackPhone: null, callbackPhoneUntil: null });
  });

  it('runs from the planner tick with the injected clock, and the notices it writes are enqueued', async () => {
    person('p', 'parent', { lang: 'tr' });
    person('tr', 'ambassador', { speaks: ['tr'] });
    const nl = person('nl', 'ambassador', { speaks: ['nl'] });
    await ask('p', 'Okul ne zaman başlıyor?');
    const added: number[] = [];
    const queues = { add: (items: { id: number }[]) => void added.push(...items.map((i) => i.id)), pending: () => Promise.resolve(0), ensure: () => Promise.resolve(0) } as unknown as DeliveryQueues;
    const planner = createPlanner({ db: h.db, rules: loadReminderRules(), clock: h.clock, logger, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam', horizonMs: 24 * H, queues, channels: ['local'], enqueueAheadMs: 0 });
    h.clock.advance(25 * H);
    await planner.tick();
    const offer = h.db.select().from(deliveries).where(eq(deliveries.personId, nl)).get()!;
    expect(offer.payload).toMatchObject({ key: 'relay:notice.offer', threadId: 1 });
    expect(added).toContain(offer.id);
  });
});
