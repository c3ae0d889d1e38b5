import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';
import { children, people, identities, memberships, consentLog } from '../../src/db/schema.js';

let h: Harness;
beforeEach(() => {
  h = createHarness('2026-11-22T10:00:00Z');
});
afterEach(() => h.close());

describe('onboarding (engine + flows + SQLite)', () => {
  it('walks a Dutch parent from /start to the menu and stores only what is needed', async () => {
    const init = h.initiative();
    let out = await h.say('p1', '/start', 'nl-NL');
    expect(plain(out)).toContain('Welkom bij Ouderbrug');
    expect(buttons(out)[0]).toEqual({ label: 'Nederlands', value: 'lang:nl' });
    expect(h.db.select().from(people).all()).toHaveLength(0);

    out = await h.say('p1', pick('lang:nl'));
    expect(plain(out)).toContain('Eerst even over je gegevens');
    expect(h.db.select().from(people).all()).toHaveLength(0);

    out = await h.say('p1', pick('consent:yes'));
    expect(plain(out)).toContain('Hoe mag ik je noemen?');
    expect(h.db.select().from(people).all()).toHaveLength(1);
    expect(h.db.select().from(consentLog).all().map((c) => c.kind)).toEqual(['data', 'proactive']);

    out = await h.say('p1', 'Ayla');
    expect(plain(out)).toContain('Leuk je te ontmoeten, Ayla!');
    expect(buttons(out).map((b) => b.value)).toContain('y:2026');

    out = await h.say('p1', pick('y:2024'));
    expect(plain(out)).toContain('In welke maand van 2024?');
    out = await h.say('p1', pick('m:3'));
    expect(plain(out)).toContain('geboren in maart 2024');

    out = await h.say('p1', pick('more:yes'));
    out = await h.say('p1', 'mei 2027');
    // Typed at the year step, a future month is not a birth: re-asked kindly.
    expect(plain(out)).toContain('Die maand ligt in de toekomst');
    out = await h.say('p1', pick('y:due'));
    expect(plain(out)).toContain('verwacht je de baby');
    out = await h.say('p1', pick('d:2027-5'));
    expect(plain(out)).toContain('verwacht in mei 2027');
    out = await h.say('p1', pick('more:no'));
    expect(plain(out)).toContain('postcode');

    out = await h.say('p1', 'abc');
    expect(plain(out)).toContain('Dat lijkt geen postcode');
    out = await h.say('p1', '1094 AB');
    expect(buttons(out)[0]).toEqual({ label: 'Samen naar De Regenboog (De Regenboog)', value: `i:${init.id}` });
    out = await h.say('p1', pick(`i:${init.id}`));
    expect(plain(out)).toContain('hoe heb je over ons gehoord');
    out = await h.say('p1', pick('h:toddler_group'));
    expect(plain(out)).toContain('Klaar, Ayla!');
    expect(buttons(out).map((b) => b.value)).toContain('menu:now');

    const [p] = h.db.select().from(people).all();
    expect(p).toMatchObject({ language: 'nl', displayName: 'Ayla', pc4: '1094', heardFrom: 'toddler_group', proactive: true });
    expect(h.db.select().from(children).all().map((c) => [c.birthYear, c.birthMonth, c.expected])).toEqual([
      [2024, 3, false],
      [2027, 5, true],
    ]);
    expect(h.db.select().from(memberships).all()).toMatchObject([{ initiativeId: init.id, role: 'parent' }]);
  });

  it('a refusal ends politely and stores nothing', async () => {
    await h.say('p2', '/start');
    await h.say('p2', pick('lang:en'));
    const out = await h.say('p2', pick('consent:no'));
    expect(plain(out)).toContain("We haven't kept anything about you");
    expect(h.db.select().from(people).all()).toHaveLength(0);
    expect(h.db.select().from(identities).all()).toHaveLength(0);
  });
});
