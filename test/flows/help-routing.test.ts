/**
 * "Help me" under a deadline reminder and "I want to help with this" under a phase action become
 * a relay thread (issue 11, item 5) offered to a person: the initiative's reachable ambassadors,
 * otherwise its coordinators, otherwise the operator log (with the request kept in `interests`).
 * The parent is told only what happens.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { renderText } from '../../src/core/render.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { deliveryContext } from '../../src/db/delivery-context.repo.js';
import { deliveryReply } from '../../src/domain/delivery-message.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import { auditLog, children, deliveries, identities, interests, memberships, people } from '../../src/db/schema.js';
import { createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
let iniId: number;

function person(chatId: string, role: 'parent' | 'ambassador' | 'coordinator' = 'parent') {
  const p = h.db.insert(people).values({ language: 'nl', displayName: `Ouder ${chatId}` }).returning({ id: people.id }).get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  h.db.insert(memberships).values({ personId: p.id, initiativeId: iniId, role }).run();
  const childId = h.db.insert(children).values({ personId: p.id, birthYear: 2024, birthMonth: 3, expected: false }).returning({ id: children.id }).get().id;
  return { personId: p.id, childId };
}
const noticesTo = (personId: number) => h.db.select().from(deliveries).where(eq(deliveries.personId, personId)).all();

beforeEach(() => {
  h = createHarness('2027-03-01T09:00:00Z');
  iniId = h.initiative({ phase: 2 }).id;
});
afterEach(() => h.close());

describe('"help me" under a deadline reminder', () => {
  it('goes to the ambassadors when there are any, and says an ambassador will call', async () => {
    const a = person('a');
    const amb = person('amb', 'ambassador');
    const coord = person('coord', 'coordinator');
    expect(plain(await h.say('a', pick(`reg:${a.childId}:help`)))).toContain('Een ouderambassadeur van Samen naar De Regenboog neemt contact met je op');
    expect(noticesTo(amb.personId)).toMatchObject([{ ruleId: 'relay-offer', kind: 'notice', payload: { key: 'relay:notice.offer', aboutPersonId: a.personId, threadId: 1 } }]);
    expect(noticesTo(coord.personId)).toHaveLength(0);
  });

  it('goes to the coordinator when no ambassador can be reached, and says so', async () => {
    const a = person('a');
    const amb = person('amb', 'ambassador');
    h.db.update(identities).set({ unreachableAt: h.clock.now() }).where(eq(identities.personId, amb.personId)).run();
    const coord = person('coord', 'coordinator');
    const reply = plain(await h.say('a', pick(`reg:${a.childId}:help`)));
    expect(reply).toContain('coördinator');
    expect(reply).not.toContain('neemt contact met je op');
    expect(noticesTo(coord.personId)).toMatchObject([{ kind: 'notice', payload: { key: 'relay:notice.offer', aboutPersonId: a.personId } }]);
    expect(noticesTo(amb.personId)).toHaveLength(0);
  });

  it('with nobody to reach: records it, warns the operator (audit), and promises no call', async () => {
    const a = person('a');
    const reply = plain(await h.say('a', pick(`reg:${a.childId}:help`)));
    expect(reply).toContain('nog niemand');
    expect(reply).not.toContain('neemt contact');
    expect(h.db.select().from(deliveries).where(eq(deliveries.kind, 'notice')).all()).toHaveLength(0);
    expect(h.db.select().from(interests).all()).toMatchObject([{ personId: a.personId, actionKey: 'registration-help' }]);
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'relay.unrouted')).all()).toHaveLength(1);
  });
});

describe('"I want to help with this"', () => {
  it('reaches the coordinator once with the action named in their language', async () => {
    person('a');
    const coord = person('coord', 'coordinator');
    h.db.update(people).set({ language: 'en' }).where(eq(people.id, coord.personId)).run();
    const thanks = plain(await h.say('a', pick('help:open_morning')));
    expect(thanks).toContain('coördinator van Samen naar De Regenboog');
    await h.say('a', pick('help:open_morning')); // said twice: staff hear of it once
    const rows = noticesTo(coord.personId);
    expect(rows).toHaveLength(1);
    const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
    const payload = rows[0]!.payload as DeliveryPayload;
    const look = deliveryContext(h.db, coord.personId, 'local', payload, 'Europe/Amsterdam', h.clock.now())!.lookups;
    const text = renderText(i18n, 'en', deliveryReply(payload, look).text);
    expect(text).toContain('This parent wants to help with');
    expect(text).toContain('Name: Ouder');
    expect(text).not.toContain('phases:');
    expect(text).not.toContain('{{');
  });

  it('goes to an ambassador when there is one', async () => {
    person('a');
    const amb = person('amb', 'ambassador');
    expect(plain(await h.say('a', pick('help:open_morning')))).toContain('Een ouderambassadeur van Samen naar De Regenboog neemt contact met je op');
    expect(noticesTo(amb.personId)).toHaveLength(1);
  });
});
