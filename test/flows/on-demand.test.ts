/**
 * What the chat answers on demand (issue 10, item 6), through the real engine, store, flows
 * and locales on SQLite: "Meld je kind op tijd aan" with each child's own deadline by the
 * initiative's city rule, "Events" with the RSVP buttons of an invitation, and /stop then
 * /start during onboarding finishing the onboarding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, rsvpOf } from '../../src/db/events.repo.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { children, identities, memberships, people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
afterEach(() => h.close());

function setUp(now: string, municipality = 'Amsterdam') {
  h = createHarness(now);
  seedMunicipalities(h.db, DEFAULT_MUNICIPALITIES_PATH, new Date(now));
  return h.initiative({ municipality, phase: 2 }).id;
}

function parent(chatId: string, initiativeId: number, kids: { year: number; month: number; expected?: boolean; registered?: boolean }[], language = 'nl') {
  const p = h.db.insert(people).values({ language, displayName: `Ouder ${chatId}` }).returning({ id: people.id }).get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  h.db.insert(memberships).values({ personId: p.id, initiativeId, role: 'parent' }).run();
  for (const k of kids) {
    h.db
      .insert(children)
      .values({ personId: p.id, birthYear: k.year, birthMonth: k.month, expected: k.expected ?? false, ...(k.registered ? { registeredAt: new Date() } : {}) })
      .run();
  }
  return p.id;
}

const deadlineText = async (chatId: string) => {
  const out = await h.say(chatId, pick('a:register_on_time'));
  expect(out).toHaveLength(1);
  return { text: plain(out), values: buttons(out).map((b) => b.value) };
};

describe('"Meld je kind op tijd aan": each child\'s own deadline', () => {
  it('Amsterdam, a parent with two children: a published day for one, only the month for the other', async () => {
    const ini = setUp('2027-03-01T09:00:00Z');
    addRegistrationDate(h.db, 'amsterdam', '2027-03-04', 'test');
    parent('a', ini, [
      { year: 2023, month: 10 }, // Sep–Dec → March 2027, whose day is published
      { year: 2024, month: 2 }, // Jan–Apr → June 2027, no day yet
    ]);
    const { text, values } = await deadlineText('a');
    expect(text).toContain('Je kunt je kind aanmelden vanaf 3 jaar.');
    expect(text).toContain('Geboren in oktober 2023: de laatste dag om aan te melden is donderdag 4 maart 2027.');
    expect(text).toContain('Geboren in februari 2024: de laatste dag is in juni 2027. De precieze dag weten we nog niet.');
    expect(text).not.toContain('{{');
    expect(values).toEqual(['help:register_on_time', 'menu:now']);
  });

  it('Amsterdam, far away: "you can register from <month>", at 3 years', async () => {
    const ini = setUp('2027-03-01T09:00:00Z');
    parent('b', ini, [{ year: 2025, month: 6 }]);
    const { text } = await deadlineText('b');
    expect(text).toContain('Geboren in juni 2025: je kunt aanmelden vanaf juni 2028. Dan is je kind 3 jaar.');
    expect(text).not.toContain('laatste dag');
  });

  it('Nijmegen: from 2 years 9 months; a late joiner gets the next later round', async () => {
    const ini = setUp('2027-03-01T09:00:00Z', 'Nijmegen');
    parent('c', ini, [
      { year: 2024, month: 8 }, // cohort 2028; 2y9m in May 2027
      { year: 2024, month: 1 }, // cohort 2027: the main round of February 2027 has closed → 1 April 2027
    ]);
    const { text } = await deadlineText('c');
    expect(text).toContain('Je kunt je kind aanmelden vanaf 2 jaar en 9 maanden.');
    expect(text).toContain('Geboren in augustus 2024: je kunt aanmelden vanaf mei 2027. Dan is je kind 2 jaar en 9 maanden.');
    expect(text).toContain('Geboren in januari 2024: de laatste dag om aan te melden is donderdag 1 april 2027.');
    // Children in date order: the older child first.
    expect(text.indexOf('januari 2024')).toBeLessThan(text.indexOf('augustus 2024'));
  });

  it('twins share one line; a registered child is told so; an expected baby gets no line; other languages render', async () => {
    const ini = setUp('2027-03-01T09:00:00Z');
    parent('d', ini, [
      { year: 2024, month: 2 },
      { year: 2024, month: 2 },
      { year: 2023, month: 10, registered: true },
      { year: 2027, month: 6, expected: true },
    ]);
    const { text } = await deadlineText('d');
    expect(text.match(/februari 2024/g)).toHaveLength(1);
    expect(text).toContain('Geboren in oktober 2023: je hebt je kind al aangemeld.');
    expect(text).not.toContain('2027: ');
    for (const lang of ['en', 'tr', 'ar', 'pl', 'uk', 'bg', 'pt', 'so', 'ti']) {
      parent(`d-${lang}`, ini, [{ year: 2024, month: 2 }], lang);
      const out = await deadlineText(`d-${lang}`);
      expect(out.text, lang).not.toMatch(/\{\{|phases:|undefined/);
      expect(out.text, lang).toContain('2027');
    }
  });
});

describe('"Events" in the menu', () => {
  function event(initiativeId: number, at: string, minAgeMonths: number, maxAgeMonths: number, title: string, extra: { cancelled?: boolean; capacity?: number } = {}) {
    const id = createEvent(h.db, {
      initiativeId,
      kind: 'open_morning',
      startsAt: new Date(at),
      endsAt: new Date(new Date(at).getTime() + 90 * 60_000),
      capacity: extra.capacity ?? null,
      minAgeMonths,
      maxAgeMonths,
      titles: { nl: title, en: `${title} (en)` },
      places: { nl: 'De Regenboog, Hoofdweg 1' },
    });
    if (extra.cancelled) h.db.$client.prepare('UPDATE events SET cancelled_at = ? WHERE id = ?').run(Date.now(), id);
    return id;
  }

  it('lists the coming events for either child, soonest first, with RSVP buttons that work like under an invitation', async () => {
    const ini = setUp('2027-03-01T09:00:00Z');
    const other = h.initiative({ name: 'Elders', municipality: 'Utrecht', postcodes: ['3511'] }).id;
    const personId = parent('e', ini, [
      { year: 2023, month: 10 }, // 41 months in March 2027
      { year: 2025, month: 6 }, // 21 months in March 2027
    ]);
    const play = event(ini, '2027-03-20T09:00:00Z', 12, 24, 'Speelochtend');
    const tour = event(ini, '2027-03-10T08:00:00Z', 36, 48, 'Scholentocht');
    event(ini, '2027-03-12T08:00:00Z', 0, 6, 'Babyochtend'); // no child of that age
    event(ini, '2027-03-15T08:00:00Z', 36, 48, 'Afgelast', { cancelled: true });
    event(ini, '2027-02-20T08:00:00Z', 36, 48, 'Voorbij');
    event(other, '2027-03-11T08:00:00Z', 36, 48, 'Ander initiatief');

    const menu = await h.say('e', '/menu');
    expect(buttons(menu).map((b) => b.value)).toContain('menu:events');
    expect(buttons(menu).length).toBeLessThanOrEqual(10); // WhatsApp's list holds 10 rows

    const out = await h.say('e', pick('menu:events'));
    const text = plain(out);
    expect(text).toContain('komende activiteiten');
    expect(text).toContain('Scholentocht');
    expect(text).toContain('Speelochtend');
    expect(text).toContain('Waar: De Regenboog, Hoofdweg 1');
    expect(text).toMatch(/Wanneer: woensdag 10 maart (om )?09:00/);
    for (const gone of ['Babyochtend', 'Afgelast', 'Voorbij', 'Ander initiatief']) expect(text).not.toContain(gone);
    expect(text.indexOf('Scholentocht')).toBeLessThan(text.indexOf('Speelochtend'));
    expect(buttons(out).map((b) => b.value)).toEqual([`ev:${tour}:yes`, `ev:${tour}:maybe`, `ev:${tour}:no`, `ev:${play}:yes`, `ev:${play}:maybe`, `ev:${play}:no`, 'menu:main']);
    expect(buttons(out)[0]?.label).toBe('Ik kom');

    const yes = await h.say('e', pick(`ev:${tour}:yes`));
    expect(plain(yes)).toContain('Fijn dat je komt');
    expect(yes.find((m) => m.attachment)?.attachment?.mimeType).toBe('text/calendar');
    expect(rsvpOf(h.db, tour, personId)).toMatchObject({ answer: 'yes', status: 'going' });
    await h.say('e', pick(`ev:${play}:maybe`));
    expect(rsvpOf(h.db, play, personId)).toMatchObject({ answer: 'maybe', status: 'none' });
  });

  it('shows at most 5, in the parent\'s language', async () => {
    const ini = setUp('2027-03-01T09:00:00Z');
    parent('f', ini, [{ year: 2023, month: 10 }], 'en');
    for (let d = 10; d < 17; d++) event(ini, `2027-03-${d}T08:00:00Z`, 36, 48, `Tour ${d}`);
    const out = await h.say('f', pick('menu:events'));
    const text = plain(out);
    expect(text).toContain('Tour 10 (en)');
    expect(text).toContain('Tour 14 (en)');
    expect(text).not.toContain('Tour 15');
    expect(text).toMatch(/When: Wednesday.*10.*09:00/);
    expect(buttons(out).filter((b) => b.value.endsWith(':yes'))).toHaveLength(5);
  });

  it('says kindly when nothing is planned for the children (an expected baby is no child at an event yet)', async () => {
    const ini = setUp('2027-03-01T09:00:00Z');
    parent('g', ini, [{ year: 2027, month: 5, expected: true }]);
    event(ini, '2027-03-10T08:00:00Z', 0, 48, 'Scholentocht');
    const out = await h.say('g', pick('menu:events'));
    expect(plain(out)).toContain('nog geen activiteiten gepland');
    expect(buttons(out).map((b) => b.value)).toEqual(['menu:main']);
  });
});

describe('/stop and /start during onboarding', () => {
  const start = async (chatId: string) => {
    await h.say(chatId, '/start');
    await h.say(chatId, pick('lang:nl'));
    return h.say(chatId, pick('consent:yes'));
  };

  it('/stop keeps the onboarding; /start turns messages back on and asks the remaining questions', async () => {
    const ini = setUp('2026-11-22T10:00:00Z');
    expect(plain(await start('s'))).toContain('Hoe mag ik je noemen?');
    await h.say('s', 'Ayla');
    const stopped = await h.say('s', '/stop');
    expect(plain(stopped)).toContain('geen berichten meer');
    expect(h.db.select().from(people).all()[0]?.proactive).toBe(false);

    const again = await h.say('s', '/start');
    expect(plain(again)).toContain('weer berichten');
    expect(plain(again)).toContain('We gaan verder waar we waren.');
    expect(plain(again)).toContain('In welk jaar is je kind geboren?');
    expect(h.db.select().from(people).all()[0]?.proactive).toBe(true);

    await h.say('s', '03-2024');
    await h.say('s', pick('more:no'));
    await h.say('s', '1094');
    const asked = await h.say('s', pick(`i:${ini}`));
    expect(plain(asked)).toContain('hoe heb je over ons gehoord');
    const done = await h.say('s', pick('h:playground'));
    expect(plain(done)).toContain('Klaar, Ayla!');
    expect(h.db.select().from(people).all()[0]).toMatchObject({ pc4: '1094', heardFrom: 'playground', proactive: true });
    expect(h.db.select().from(children).all()).toHaveLength(1);
  });

  it('also after another command in between: /start asks what the profile still lacks', async () => {
    setUp('2026-11-22T10:00:00Z');
    await start('t');
    await h.say('t', pick('name:skip'));
    await h.say('t', '/stop');
    await h.say('t', '/mydata'); // leaves the onboarding for the menu
    const again = await h.say('t', '/start');
    expect(plain(again)).toContain('We gaan verder waar we waren.');
    expect(plain(again)).toContain('Hoe mag ik je noemen?'); // skipped before: the profile cannot tell, so asked once more
    expect(plain(await h.say('t', pick('name:skip')))).toContain('In welk jaar is je kind geboren?');
    await h.say('t', '03-2024');
    expect(plain(await h.say('t', pick('more:no')))).toContain('postcode');
    await h.say('t', '1094');
    await h.say('t', pick('i:none'));
    expect(plain(await h.say('t', pick('h:playground')))).toContain('Klaar!');
  });

  it('a finished onboarding is not asked again', async () => {
    setUp('2026-11-22T10:00:00Z');
    await start('u');
    await h.say('u', 'Bo');
    await h.say('u', '03-2024');
    await h.say('u', pick('more:no'));
    await h.say('u', '1094');
    await h.say('u', pick('i:none'));
    await h.say('u', pick('h:playground'));
    await h.say('u', '/stop');
    const again = await h.say('u', '/start');
    expect(plain(again)).toContain('Fijn dat je er weer bent!');
    expect(plain(again)).not.toContain('We gaan verder');
  });
});
