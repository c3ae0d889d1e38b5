/**
 * A delivery's payload becomes a reply at send time (src/domain/delivery-message.ts): the
 * answer buttons carry short, stable choice values that fit Telegram's callback data, and
 * the lookups (initiative, event, newsletter, the parent a notice is about) become params.
 */
import { describe, expect, it } from 'vitest';
import { encodeCallbackData } from '../../src/bot/telegram/telegram.mapper.js';
import { buttonsFor, deliveryReply, type MessageLookups } from '../../src/domain/delivery-message.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import { BUTTON_SETS, type ButtonSet } from '../../src/domain/reminder-rules.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { renderReply } from '../../src/core/render.js';

const payload = (p: Partial<DeliveryPayload> = {}): DeliveryPayload => ({ key: 'nurture:deadline14', params: {}, buttons: null, ...p });
const noLookups: MessageLookups = { initiative: null, event: null, newsletterText: null };
/** Rows of [value, label key]. */
const rows = (set: ButtonSet | null, p: Partial<DeliveryPayload> = {}) => buttonsFor(set, payload({ buttons: set, ...p })).map((row) => row.map((c) => [c.value, c.label.key]));

describe('buttonsFor', () => {
  it.each([
    [
      'registration',
      { childId: 42 },
      [[['reg:42:done', 'nurture:button.registered']], [['reg:42:help', 'nurture:button.help']]],
    ],
    [
      'rsvp',
      { eventId: 31 },
      [[['ev:31:yes', 'nurture:button.yes'], ['ev:31:maybe', 'nurture:button.maybe'], ['ev:31:no', 'nurture:button.no']]],
    ],
    [
      'born',
      { childId: 42 },
      [[['born:42:yes', 'nurture:button.born'], ['born:42:no', 'nurture:button.notYet']]],
    ],
    [
      'keepInTouch',
      { childId: 42 },
      [[['kit:yes', 'nurture:button.keepInTouch']], [['kit:no', 'nurture:button.noThanks']]],
    ],
    [
      'placement',
      { childId: 42 },
      [[['pl:42:yes', 'nurture:button.placed'], ['pl:42:no', 'nurture:button.notPlaced']], [['pl:42:unknown', 'nurture:button.dontKnow']]],
    ],
    [
      'newsletter',
      {},
      [[['nlc:yes', 'nurture:button.newsletterYes'], ['nlc:no', 'nurture:button.noThanks']]],
    ],
    [null, { childId: 42 }, []],
  ] as [ButtonSet | null, Partial<DeliveryPayload>, string[][][]][])('%s → %j', (set, p, expected) => {
    expect(rows(set, p)).toEqual(expected);
  });

  it('the choice values carry the child or event of the payload, not another one', () => {
    expect(rows('registration', { childId: 7, eventId: 99 }).flat().map(([v]) => v)).toEqual(['reg:7:done', 'reg:7:help']);
    expect(rows('rsvp', { childId: 7, eventId: 99 }).flat().map(([v]) => v)).toEqual(['ev:99:yes', 'ev:99:maybe', 'ev:99:no']);
  });

  it('covers every button set a rule may name', () => {
    // One button ("keep in touch", "change it" under a rejected broadcast) is enough where doing nothing is the other answer.
    for (const set of BUTTON_SETS) expect(rows(set, { childId: 1, eventId: 1 }).flat().length, set).toBeGreaterThanOrEqual(set === 'retention' || set === 'broadcastRejected' ? 1 : 2);
  });

  it.each(BUTTON_SETS.map((s) => [s]))('%s: every value fits Telegram callback data (≤ 64 bytes), even with the largest ids', (set) => {
    const huge = Number.MAX_SAFE_INTEGER;
    for (const [value] of rows(set, { childId: huge, eventId: huge }).flat()) {
      expect(value).toMatch(/^[a-z]+(:[a-z0-9]+)*$/);
      expect(Buffer.byteLength(value ?? '', 'utf8')).toBeLessThanOrEqual(64);
      // With the adapter's version prefix too.
      expect(() => encodeCallbackData(value ?? '')).not.toThrow();
    }
  });

  it('values are unique within a set', () => {
    for (const set of BUTTON_SETS) {
      const values = rows(set, { childId: 3, eventId: 4 }).flat().map(([v]) => v);
      expect(new Set(values).size, set).toBe(values.length);
    }
  });
});

describe('deliveryReply', () => {
  it('keeps the payload params and adds the initiative', () => {
    const reply = deliveryReply(
      payload({ key: 'nurture:groupRegistration.date', params: { deadline: { date: '2027-06-30' }, birth: { yearMonth: { year: 2024, month: 5 } } }, buttons: 'registration', childId: 11 }),
      { ...noLookups, initiative: { name: 'Ouders van De Regenboog', school: 'De Regenboog' } },
    );
    expect(reply).toEqual({
      text: {
        key: 'nurture:groupRegistration.date',
        params: { deadline: { date: '2027-06-30' }, birth: { yearMonth: { year: 2024, month: 5 } }, name: 'Ouders van De Regenboog', school: 'De Regenboog' },
      },
      choices: [
        [{ value: 'reg:11:done', label: { key: 'nurture:button.registered' } }],
        [{ value: 'reg:11:help', label: { key: 'nurture:button.help' } }],
      ],
    });
  });

  it('an event becomes title, place and a date-time in the event zone', () => {
    const startsAt = new Date('2027-04-03T08:00:00Z');
    const reply = deliveryReply(payload({ key: 'nurture:eventInvite', buttons: 'rsvp', eventId: 31 }), {
      ...noLookups,
      event: { title: 'Scholencarrousel', place: 'Buurthuis De Pijp', startsAt, timeZone: 'Europe/Amsterdam' },
    });
    expect(reply.text).toEqual({
      key: 'nurture:eventInvite',
      params: { title: 'Scholencarrousel', place: 'Buurthuis De Pijp', when: { dateTime: '2027-04-03T08:00:00.000Z', timeZone: 'Europe/Amsterdam' } },
    });
    expect(reply.choices?.flat().map((c) => c.value)).toEqual(['ev:31:yes', 'ev:31:maybe', 'ev:31:no']);
  });

  it('a newsletter gets its text in the reader language, or an empty text when there is none', () => {
    const p = payload({ key: 'nurture:newsletter', newsletterSlot: '2027-01-04T10:00', initiativeId: 7 });
    const initiative = { name: 'Samen naar school', school: 'De Linde' };
    expect(deliveryReply(p, { ...noLookups, initiative, newsletterText: 'Hallo allemaal!' }).text.params).toEqual({ name: 'Samen naar school', school: 'De Linde', text: 'Hallo allemaal!' });
    expect(deliveryReply(p, { ...noLookups, initiative }).text.params?.text).toBe('');
    // Without a newsletter slot, a newsletter text in the lookups is not used.
    expect(deliveryReply(payload(), { ...noLookups, newsletterText: 'x' }).text.params).toEqual({});
  });

  it('a help-request notice names the parent and their language (as its endonym)', () => {
    const p = payload({ key: 'nurture:helpRequestAmbassador', aboutPersonId: 5 });
    expect(deliveryReply(p, { ...noLookups, initiative: { name: 'N', school: 'S' }, about: { name: 'Ayşe', language: 'tr' } }).text.params).toEqual({
      name: 'N',
      school: 'S',
      parent: 'Ayşe',
      parentLanguage: { key: 'meta:endonym', lng: 'tr' },
    });
    expect(deliveryReply(p, { ...noLookups, about: { name: null, language: 'ar' } }).text.params).toEqual({ parent: '–', parentLanguage: { key: 'meta:endonym', lng: 'ar' } });
    expect(deliveryReply(p, { ...noLookups, about: null }).text.params).toEqual({});
  });

  it('no buttons: no choices field', () => {
    const reply = deliveryReply(payload({ key: 'nurture:toddlerGroups', childId: 11 }), noLookups);
    expect(reply).toEqual({ text: { key: 'nurture:toddlerGroups', params: {} } });
    expect('choices' in reply).toBe(false);
  });

  it('links become link buttons after the answers, one row each; an address that is not https is left out', () => {
    const url = 'https://www.amsterdam.nl/onderwijs/basisonderwijs/';
    const links = [
      { label: 'nurture:button.cityPage', url },
      { label: 'nurture:button.cityPage', url: 'http://example.org/' },
      { label: 'nurture:button.cityPage', url: 'javascript:alert(1)' },
    ];
    const reply = deliveryReply(payload({ buttons: 'registration', childId: 1, links }), noLookups);
    expect(reply.choices?.map((row) => row.map((c) => [c.value, c.label.key, c.url]))).toEqual([
      [['reg:1:done', 'nurture:button.registered', undefined]],
      [['reg:1:help', 'nurture:button.help', undefined]],
      [['link:0', 'nurture:button.cityPage', url]],
    ]);
    // Rendering keeps https links only, whatever a flow hands it.
    const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
    const rendered = renderReply(i18n, 'en', { text: { key: 'nurture:button.cityPage' }, choices: [[{ value: 'a', label: { key: 'nurture:button.cityPage' }, url: 'ftp://x.nl/' }], [{ value: 'b', label: { key: 'nurture:button.cityPage' }, url }]] });
    expect(rendered.choices).toEqual([[{ value: 'b', label: "See the city's page", url }]]);
  });

  it('does not change the payload', () => {
    const p = payload({ params: { deadline: { date: '2027-06-30' } }, buttons: 'registration', childId: 1 });
    const before = structuredClone(p);
    deliveryReply(p, { ...noLookups, initiative: { name: 'N', school: 'S' }, event: { title: 'T', place: 'P', startsAt: new Date(0), timeZone: 'UTC' } });
    expect(p).toEqual(before);
  });
});
