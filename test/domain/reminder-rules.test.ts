/**
 * config/reminder-rules.json is data a coordinator edits: it must parse, every text it names
 * must exist in Dutch (the source language), and a broken file must be refused with a message
 * that says where the problem is.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { buttonsFor } from '../../src/domain/delivery-message.js';
import { BUTTON_SETS, messageKeyOf, parseReminderRules, type ReminderRule } from '../../src/domain/reminder-rules.js';

const raw = (): { version: number; rules: Record<string, unknown>[] } => JSON.parse(readFileSync('config/reminder-rules.json', 'utf8'));
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));

/** Every message key a rule can use, variants included. */
const messageKeys = (r: ReminderRule): string[] =>
  // A phase rule's key gets the phase appended: one text per phase.
  r.trigger.type === 'phase'
    ? [0, 1, 2, 3, 4, 5].map((n) => `${r.message as string}.p${n}`)
    : typeof r.message === 'string'
      ? [r.message]
      : Object.values(r.message).filter((k): k is string => typeof k === 'string');

/** In Dutch itself, not through the fallback languages. */
function inDutch(key: string): boolean {
  const [ns, path] = key.split(':') as [string, string];
  return typeof i18n.getResource('nl', ns, path) === 'string';
}

describe('the shipped reminder rules', () => {
  const rules = parseReminderRules(raw());

  it('parse, with the built-in rules of the timeline (DOMAIN.md)', () => {
    expect(rules.map((r) => r.id)).toEqual([
      'birth-check',
      'birth-congrats',
      'toddler-groups',
      'look-at-schools',
      'registration-opens',
      'group-registration',
      'deadline-14',
      'deadline-2',
      'deadline-month',
      'placement-check',
      'keep-warm',
      'settling-in',
      'event-invite-7',
      'event-invite-1',
      'event-today',
      'newsletter',
      'newsletter-offer',
      'phase-change',
    ]);
  });

  it('fills the defaults: no buttons, not urgent, an empty audience', () => {
    const toddler = rules.find((r) => r.id === 'toddler-groups');
    expect(toddler?.buttons).toBeNull();
    expect(toddler?.urgent).toBe(false);
    expect(rules.filter((r) => r.urgent).map((r) => r.id)).toEqual(['deadline-2']);
    const minimal = parseReminderRules({
      version: 1,
      rules: [{ id: 'tip', trigger: { type: 'fixedDate', date: '2027-09-01', at: '10:00', validDays: 7 }, consent: 'reminders', message: 'nurture:keepWarm', priority: 1 }],
    });
    expect(minimal[0]).toMatchObject({ audience: {}, buttons: null, urgent: false });
  });

  it.each(rules.flatMap((r) => messageKeys(r).map((key) => [r.id, key] as const)))('%s: %s exists in Dutch', (_id, key) => {
    expect(i18n.exists(key, { lng: 'nl' })).toBe(true);
    expect(inDutch(key)).toBe(true);
  });

  it('a rule with one key per registration kind has a key for every kind it fires on', () => {
    for (const r of rules) {
      if (r.trigger.type !== 'registration') continue;
      for (const kind of r.trigger.deadlineKinds) {
        const key = messageKeyOf(r, kind);
        expect(key, `${r.id} ${kind}`).not.toBeNull();
        expect(inDutch(key ?? ''), `${r.id} ${kind}`).toBe(true);
      }
    }
  });

  it('every rule outside the registration series has a single key', () => {
    for (const r of rules) if (r.trigger.type !== 'registration') expect(typeof r.message, r.id).toBe('string');
  });

  const buttonKeys = [...new Set(BUTTON_SETS.flatMap((set) => buttonsFor(set, { key: 'x', params: {}, buttons: set, childId: 1, eventId: 1 }).flat().map((c) => c.label.key)))];

  it('the button sets use nurture:button.* labels (a broadcast approval: broadcast:button.*; the outreach ladder: outreach:button.*)', () => {
    expect(buttonKeys.length).toBeGreaterThanOrEqual(12);
    for (const k of buttonKeys) expect(k).toMatch(/^(nurture|broadcast|outreach):button\.[a-zA-Z]+$/);
  });

  it.each(buttonKeys)('button label %s exists in Dutch', (key) => {
    expect(i18n.exists(key, { lng: 'nl' })).toBe(true);
    expect(inDutch(key)).toBe(true);
  });

  it('i18n.exists is a real check (an unknown key is reported missing)', () => {
    expect(i18n.exists('nurture:doesNotExist', { lng: 'nl' })).toBe(false);
    expect(inDutch('nurture:button.doesNotExist')).toBe(false);
  });
});

describe('messageKeyOf', () => {
  const rules = parseReminderRules(raw());
  const rule = (id: string) => rules.find((r) => r.id === id) as ReminderRule;

  it.each([
    ['toddler-groups', undefined, 'nurture:toddlerGroups'],
    ['toddler-groups', 'date', 'nurture:toddlerGroups'],
    ['registration-opens', 'date', 'nurture:registrationOpens.date'],
    ['registration-opens', 'monthOnly', 'nurture:registrationOpens.monthOnly'],
    ['registration-opens', 'fromAge3', 'nurture:registrationOpens.fromAge3'],
    ['group-registration', 'monthOnly', 'nurture:groupRegistration.monthOnly'],
    ['group-registration', 'fromAge3', null],
    ['registration-opens', undefined, null],
  ] as const)('%s (%s) → %s', (id, kind, expected) => {
    expect(messageKeyOf(rule(id), kind)).toBe(expected);
  });
});

describe('an invalid rules file is refused with a useful path', () => {
  /** The first shipped rule, changed. */
  const withRule = (change: (r: Record<string, unknown>) => Record<string, unknown>) => {
    const file = raw();
    file.rules[0] = change({ ...file.rules[0] });
    return file;
  };
  const errorOf = (data: unknown): string => {
    try {
      parseReminderRules(data);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('accepted an invalid file');
  };

  it.each([
    ['a duplicate id', () => ({ ...raw(), rules: [...raw().rules, raw().rules[3]] }), 'rules.18.id', /duplicate rule id look-at-schools/],
    ['an unknown trigger type', () => withRule((r) => ({ ...r, trigger: { type: 'weekly', at: '10:00' } })), 'rules.0.trigger.type', /childAge/],
    ['a bad time "25:00"', () => withRule((r) => ({ ...r, trigger: { type: 'childAge', months: 1, untilMonths: 4, at: '25:00' } })), 'rules.0.trigger.at', /HH:MM/],
    ['a bad time "10:60"', () => withRule((r) => ({ ...r, trigger: { type: 'childAge', months: 1, untilMonths: 4, at: '10:60' } })), 'rules.0.trigger.at', /HH:MM/],
    ['an unknown audience field', () => withRule((r) => ({ ...r, audience: { expected: true, postcode: '1234' } })), 'rules.0.audience', /postcode/],
    ['an unknown rule field', () => withRule((r) => ({ ...r, sendTwice: true })), 'rules.0', /sendTwice/],
    ['an unknown button set', () => withRule((r) => ({ ...r, buttons: 'yesNo' })), 'rules.0.buttons', /./],
    ['an unknown consent kind', () => withRule((r) => ({ ...r, consent: 'marketing' })), 'rules.0.consent', /./],
    ['a priority above 9', () => withRule((r) => ({ ...r, priority: 10 })), 'rules.0.priority', /./],
    ['an unknown rsvp label', () => withRule((r) => ({ ...r, audience: { rsvp: ['perhaps'] } })), 'rules.0.audience.rsvp.0', /./],
    ['an unknown deadline kind', () => withRule((r) => ({ ...r, trigger: { type: 'registration', anchor: 'deadline', offsetDays: -2, untilOffsetDays: 1, at: '10:00', deadlineKinds: ['week'] } })), 'rules.0.trigger.deadlineKinds.0', /./],
    ['an event trigger after the event', () => withRule((r) => ({ ...r, trigger: { type: 'event', offsetDays: 1, untilOffsetDays: 1, at: '10:00' } })), 'rules.0.trigger.offsetDays', /./],
    ['a bad rule id', () => withRule((r) => ({ ...r, id: 'Birth Check' })), 'rules.0.id', /./],
    ['a wrong version', () => ({ ...raw(), version: 2 }), 'version', /./],
    ['no rules', () => ({ version: 1, rules: [] }), 'rules', /./],
  ] as [string, () => unknown, string, RegExp][])('%s → %s', (_name, make, path, message) => {
    const error = errorOf(make());
    expect(error).toMatch(/^Invalid reminder rules:/);
    const line = error.split('\n').find((l) => l.startsWith(`  - ${path}: `));
    expect(line, error).toBeDefined();
    expect(line).toMatch(message);
  });

  it('lists every problem, not just the first', () => {
    const file = raw();
    file.rules[0] = { ...file.rules[0], priority: 12 };
    file.rules[1] = { ...file.rules[1], consent: 'marketing' };
    const error = errorOf(file);
    expect(error).toContain('rules.0.priority');
    expect(error).toContain('rules.1.consent');
  });

  it('is not valid JSON data at all', () => {
    expect(errorOf(null)).toMatch(/^Invalid reminder rules:/);
    expect(errorOf({ rules: 'none' })).toMatch(/version|rules/);
  });
});
