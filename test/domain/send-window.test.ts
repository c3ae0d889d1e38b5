/**
 * The send window (src/domain/send-window.ts): quiet hours in local time on both sides of a
 * DST change, the frequency cap (3 per 7 days) with its order, urgent deadline reminders
 * and expiry. Times are local Amsterdam wall-clock times unless they end in "Z".
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { QuietHours } from '../../src/domain/nurture.types.js';
import { afterQuiet, DEFAULT_POLICY, isQuiet, planSendTime, type PlanSendInput, type SendPolicy } from '../../src/domain/send-window.js';

const AMS = 'Europe/Amsterdam';
const DAY = 86_400_000;

/** "2027-01-12 19:59" or "2027-01-12 19:59:59" local, or an ISO instant ending in Z. */
function at(s: string): Date {
  if (s.endsWith('Z')) return new Date(s);
  const d = DateTime.fromFormat(s.length === 16 ? `${s}:00` : s, 'yyyy-LL-dd HH:mm:ss', { zone: AMS });
  if (!d.isValid) throw new Error(`bad local time ${s}`);
  return d.toJSDate();
}
/** Local time with seconds, ":00" dropped so tables stay short. */
const fmt = (d: Date): string => DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-LL-dd HH:mm:ss').replace(/:00$/, '');

const DEFAULT_QUIET = DEFAULT_POLICY.quiet;
const policyWith = (quiet: QuietHours): SendPolicy => ({ ...DEFAULT_POLICY, quiet });

interface Msg {
  due: string;
  now?: string;
  expires?: string | null;
  urgentFrom?: string | null;
  capped?: boolean;
  history?: string[];
  notBefore?: string | null;
  policy?: SendPolicy;
  zone?: string;
}

function input(m: Msg): PlanSendInput {
  const due = at(m.due);
  return {
    dueAt: due,
    now: m.now ? at(m.now) : new Date(due.getTime() - DAY),
    expiresAt: m.expires ? at(m.expires) : null,
    urgentFrom: m.urgentFrom ? at(m.urgentFrom) : null,
    capped: m.capped ?? true,
    history: (m.history ?? []).map(at),
    notBefore: m.notBefore ? at(m.notBefore) : null,
    policy: m.policy ?? DEFAULT_POLICY,
    zone: m.zone ?? AMS,
  };
}

/** The planned local send time, or "expired". */
function send(m: Msg): string {
  const r = planSendTime(input(m));
  return 'expired' in r ? 'expired' : fmt(r.sendAt);
}
function sendAtOf(m: Msg): Date {
  const r = planSendTime(input(m));
  if ('expired' in r) throw new Error('expired');
  return r.sendAt;
}

describe('quiet hours', () => {
  it('the default window is 20:00–08:30 and the cap 3 per 7 days', () => {
    expect(DEFAULT_POLICY).toEqual({ quiet: { start: '20:00', end: '08:30' }, cap: { max: 3, windowMs: 7 * DAY } });
  });

  it.each([
    // window, local time (Tuesday 12 January 2027), quiet?
    [DEFAULT_QUIET, '19:59', false],
    [DEFAULT_QUIET, '20:00', true],
    [DEFAULT_QUIET, '23:59', true],
    [DEFAULT_QUIET, '00:00', true],
    [DEFAULT_QUIET, '03:00', true],
    [DEFAULT_QUIET, '08:29', true],
    [DEFAULT_QUIET, '08:30', false],
    [DEFAULT_QUIET, '12:00', false],
    [{ start: '22:00', end: '07:30' }, '21:59', false],
    [{ start: '22:00', end: '07:30' }, '22:00', true],
    [{ start: '22:00', end: '07:30' }, '07:29', true],
    [{ start: '22:00', end: '07:30' }, '07:30', false],
    [{ start: '22:00', end: '07:30' }, '20:30', false],
    [{ start: '12:00', end: '13:00' }, '11:59', false],
    [{ start: '12:00', end: '13:00' }, '12:00', true],
    [{ start: '12:00', end: '13:00' }, '12:59', true],
    [{ start: '12:00', end: '13:00' }, '13:00', false],
    [{ start: '12:00', end: '13:00' }, '21:00', false],
    [{ start: '12:00', end: '13:00' }, '03:00', false],
    // An empty window (start = end) is never quiet.
    [{ start: '09:00', end: '09:00' }, '09:00', false],
    [{ start: '09:00', end: '09:00' }, '03:00', false],
  ] as [QuietHours, string, boolean][])('%j at %s → quiet: %s', (quiet, time, expected) => {
    expect(isQuiet(at(`2027-01-12 ${time}`), quiet, AMS)).toBe(expected);
  });

  it.each([
    // window, due (local), send at (local)
    [DEFAULT_QUIET, '2027-01-12 19:59', '2027-01-12 19:59'],
    [DEFAULT_QUIET, '2027-01-12 20:00', '2027-01-13 08:30'],
    [DEFAULT_QUIET, '2027-01-12 23:45', '2027-01-13 08:30'],
    [DEFAULT_QUIET, '2027-01-12 03:00', '2027-01-12 08:30'],
    [DEFAULT_QUIET, '2027-01-12 08:30', '2027-01-12 08:30'],
    [DEFAULT_QUIET, '2027-12-31 21:00', '2028-01-01 08:30'], // over the year boundary
    [DEFAULT_QUIET, '2028-02-28 22:00', '2028-02-29 08:30'], // leap day
    [{ start: '22:00', end: '07:30' }, '2027-01-12 21:59', '2027-01-12 21:59'],
    [{ start: '22:00', end: '07:30' }, '2027-01-12 22:00', '2027-01-13 07:30'],
    [{ start: '22:00', end: '07:30' }, '2027-01-12 06:00', '2027-01-12 07:30'],
    [{ start: '22:00', end: '07:30' }, '2027-01-12 20:30', '2027-01-12 20:30'],
    [{ start: '12:00', end: '13:00' }, '2027-01-12 12:30', '2027-01-12 13:00'],
    [{ start: '12:00', end: '13:00' }, '2027-01-12 11:59', '2027-01-12 11:59'],
    [{ start: '12:00', end: '13:00' }, '2027-01-12 21:00', '2027-01-12 21:00'],
  ] as [QuietHours, string, string][])('%j: due %s → sent %s', (quiet, due, expected) => {
    expect(send({ due, policy: policyWith(quiet) })).toBe(expected);
    // afterQuiet agrees, and what it returns is never quiet.
    const moved = afterQuiet(at(due), quiet, AMS);
    expect(fmt(moved)).toBe(expected);
    expect(isQuiet(moved, quiet, AMS)).toBe(false);
  });

  it('a message due in the past goes out now, or when the quiet hours end', () => {
    expect(send({ due: '2027-01-10 10:00', now: '2027-01-12 14:15' })).toBe('2027-01-12 14:15');
    expect(send({ due: '2027-01-10 10:00', now: '2027-01-12 22:15' })).toBe('2027-01-13 08:30');
  });
});

describe('daylight saving time', () => {
  it.each([
    // Spring forward on Sunday 28 March 2027, fall back on Sunday 31 October 2027.
    ['2027-03-27', '2027-03-27T09:00:00.000Z'],
    ['2027-03-29', '2027-03-29T08:00:00.000Z'],
    ['2027-10-30', '2027-10-30T08:00:00.000Z'],
    ['2027-11-01', '2027-11-01T09:00:00.000Z'],
  ])('a message due at 10:00 local on %s goes at 10:00 local (%s)', (day, utc) => {
    expect(sendAtOf({ due: `${day} 10:00` }).toISOString()).toBe(utc);
    // The same when the parent's own quiet hours end at 10:00 and the message was due at 06:00.
    const late = sendAtOf({ due: `${day} 06:00`, policy: policyWith({ start: '21:00', end: '10:00' }) });
    expect(late.toISOString()).toBe(utc);
    expect(fmt(late)).toBe(`${day} 10:00`);
  });

  it.each([
    // due (local or UTC), send at (UTC): 08:30 is 06:30 UTC in summer time, 07:30 UTC in winter time.
    ['2027-03-27 21:00', '2027-03-28T06:30:00.000Z'], // CET evening → CEST morning
    ['2027-03-28T00:30:00Z', '2027-03-28T06:30:00.000Z'], // 01:30 CET, before the change
    ['2027-03-28T01:30:00Z', '2027-03-28T06:30:00.000Z'], // 03:30 CEST, just after the missing hour
    ['2027-10-30 21:00', '2027-10-31T07:30:00.000Z'], // CEST evening → CET morning
    ['2027-10-31T00:30:00Z', '2027-10-31T07:30:00.000Z'], // 02:30 CEST, the first 02:30
    ['2027-10-31T01:30:00Z', '2027-10-31T07:30:00.000Z'], // 02:30 CET, the second 02:30
  ])('quiet hours on the DST night: due %s → %s (08:30 local)', (due, utc) => {
    const sent = sendAtOf({ due });
    expect(sent.toISOString()).toBe(utc);
    expect(fmt(sent)).toBe(`${utc.slice(0, 10)} 08:30`);
  });

  it('isQuiet reads the local clock of that day', () => {
    // 28 March 2027: 06:29 UTC is 08:29 CEST (quiet), 06:30 UTC is 08:30 (not), 07:00 UTC is 09:00 (not).
    expect(isQuiet(new Date('2027-03-28T06:29:00Z'), DEFAULT_QUIET, AMS)).toBe(true);
    expect(isQuiet(new Date('2027-03-28T06:30:00Z'), DEFAULT_QUIET, AMS)).toBe(false);
    expect(isQuiet(new Date('2027-03-27T07:00:00Z'), DEFAULT_QUIET, AMS)).toBe(true); // 08:00 CET the day before
    // 31 October 2027: 07:29 UTC is 08:29 CET (quiet), 07:30 UTC is 08:30 (not), 06:45 UTC is 07:45 (quiet).
    expect(isQuiet(new Date('2027-10-31T07:29:00Z'), DEFAULT_QUIET, AMS)).toBe(true);
    expect(isQuiet(new Date('2027-10-31T07:30:00Z'), DEFAULT_QUIET, AMS)).toBe(false);
    expect(isQuiet(new Date('2027-10-31T06:45:00Z'), DEFAULT_QUIET, AMS)).toBe(true);
    expect(isQuiet(new Date('2027-10-30T06:45:00Z'), DEFAULT_QUIET, AMS)).toBe(false); // 08:45 CEST the day before
  });

  it('uses the zone it is given', () => {
    // 10:00 in Amsterdam is 04:00 in New York: quiet there, sent at 08:30 New York time.
    const r = planSendTime({ ...input({ due: '2027-01-12 10:00' }), zone: 'America/New_York' });
    expect('sendAt' in r && r.sendAt.toISOString()).toBe('2027-01-12T13:30:00.000Z');
  });
});

describe('frequency cap: 3 per 7 days', () => {
  const week = ['2027-01-04 10:00', '2027-01-05 10:00', '2027-01-06 10:00']; // Mon, Tue, Wed

  it.each([
    ['two in the window: the third goes at once', week.slice(1), '2027-01-07 10:00', '2027-01-07 10:00'],
    ['three in the window: the fourth waits for 7 days after the oldest, plus a second', week, '2027-01-07 10:00', '2027-01-11 10:00:01'],
    ['exactly 7 days after the oldest, the oldest no longer counts', week, '2027-01-11 10:00', '2027-01-11 10:00'],
    ['older messages do not count', ['2026-12-28 10:00', '2026-12-29 10:00', '2027-01-06 10:00'], '2027-01-07 10:00', '2027-01-07 10:00'],
    // Planned messages after the due time count too: no 7 days may ever hold 4 (the planner places important ones first).
    ['planned messages after the due time count too', ['2027-01-08 10:00', '2027-01-09 10:00', '2027-01-10 10:00'], '2027-01-07 10:00', '2027-01-15 10:00:01'],
    ['two planned after the due time leave room for one', ['2027-01-09 10:00', '2027-01-10 10:00'], '2027-01-07 10:00', '2027-01-07 10:00'],
    ['five in the window: waits for the third newest to age out', ['2027-01-02 10:00', '2027-01-03 10:00', ...week], '2027-01-07 10:00', '2027-01-11 10:00:01'],
    ['the deferral lands in the quiet hours: then 08:30 next day', ['2027-01-04 19:59:59', '2027-01-05 10:00', '2027-01-06 10:00'], '2027-01-07 10:00', '2027-01-12 08:30'],
    [
      'after the quiet hours the cap is checked again',
      ['2027-01-04 19:59:59', '2027-01-05 09:00', '2027-01-06 10:00', '2027-01-11 21:00'],
      '2027-01-07 10:00',
      '2027-01-12 09:00:01',
    ],
  ])('%s', (_name, history, due, expected) => {
    expect(send({ due, history })).toBe(expected);
  });

  it('deferred messages keep their due order (notBefore), each behind the last planned one', () => {
    // The planner's loop: messages in due order, each planned time added to the history.
    const history = week.map(at);
    let notBefore: Date | null = history[2] ?? null;
    const planned: string[] = [];
    for (const due of ['2027-01-07 10:00', '2027-01-08 10:00', '2027-01-08 10:00', '2027-01-09 09:00']) {
      const r = planSendTime({ ...input({ due }), history: [...history], notBefore });
      if ('expired' in r) throw new Error('expired');
      history.push(r.sendAt);
      notBefore = r.sendAt;
      planned.push(fmt(r.sendAt));
    }
    expect(planned).toEqual(['2027-01-11 10:00:01', '2027-01-12 10:00:01', '2027-01-13 10:00:01', '2027-01-18 10:00:02']);
    // Never more than 3 in any 7 days.
    const all = history.map((d) => d.getTime()).sort((a, b) => a - b);
    for (const t of all) expect(all.filter((h) => h > t - 7 * DAY && h <= t).length).toBeLessThanOrEqual(3);
  });

  it('a message is never planned before the last planned one, even without a cap problem', () => {
    expect(send({ due: '2027-01-07 10:00', notBefore: '2027-01-09 11:00' })).toBe('2027-01-09 11:00:01');
    // …and the quiet hours still apply after it.
    expect(send({ due: '2027-01-07 10:00', notBefore: '2027-01-09 19:59:59' })).toBe('2027-01-10 08:30');
    // A last planned time in the past does not delay anything.
    expect(send({ due: '2027-01-07 10:00', notBefore: '2027-01-05 10:00' })).toBe('2027-01-07 10:00');
  });

  it('notices (capped: false) ignore the cap, not the quiet hours', () => {
    expect(send({ due: '2027-01-07 10:00', history: week, capped: false })).toBe('2027-01-07 10:00');
    expect(send({ due: '2027-01-07 21:00', history: week, capped: false })).toBe('2027-01-08 08:30');
  });

  it('a custom cap from the policy', () => {
    const policy: SendPolicy = { quiet: DEFAULT_QUIET, cap: { max: 1, windowMs: DAY } };
    expect(send({ due: '2027-01-07 10:00', history: ['2027-01-07 09:00'], policy })).toBe('2027-01-08 09:00:01');
    expect(send({ due: '2027-01-07 10:00', history: ['2027-01-06 09:00'], policy })).toBe('2027-01-07 10:00');
  });
});

describe('urgent deadline reminders', () => {
  // Deadline 30 June 2027 (Utrecht): it ends 1 July 00:00 local; urgent from 48 h before, 29 June 00:00.
  const deadline = { urgentFrom: '2027-06-29 00:00', expires: '2027-07-01 00:00' };
  const fullWeek = ['2027-06-25 10:00', '2027-06-26 10:00', '2027-06-27 10:00'];

  it('break the cap once urgent, but still wait for the quiet hours to end', () => {
    expect(send({ due: '2027-06-29 12:00', history: fullWeek, ...deadline })).toBe('2027-06-29 12:00');
    expect(send({ due: '2027-06-29 21:00', history: fullWeek, ...deadline })).toBe('2027-06-30 08:30');
    expect(send({ due: '2027-06-29 03:00', history: fullWeek, ...deadline })).toBe('2027-06-29 08:30');
    // Not urgent (no urgentFrom): the same message waits for the cap and misses the deadline.
    expect(send({ due: '2027-06-29 12:00', history: fullWeek, expires: deadline.expires })).toBe('expired');
  });

  it('before urgentFrom the cap still applies when it frees up in time', () => {
    // The oldest of the three is from 21 June 12:00: the cap frees on 28 June 12:00:01, before urgentFrom.
    expect(send({ due: '2027-06-28 10:00', history: ['2027-06-21 12:00', '2027-06-26 10:00', '2027-06-27 10:00'], ...deadline })).toBe('2027-06-28 12:00:01');
    expect(send({ due: '2027-06-28 10:00', history: ['2027-06-26 10:00', '2027-06-27 10:00'], ...deadline })).toBe('2027-06-28 10:00');
  });

  // Due 28 June 10:00 and urgent from 29 June 00:00 (quiet until 08:30). While the cap is full
  // until after urgentFrom, the first allowed moment is 29 June 08:30: from urgentFrom on the
  // message may break the cap. Jumping straight to "oldest + 7 days" would send it too late
  // (10:00:01) or, past the deadline, not at all (expired: the reminder lost).
  it.each([
    ['cap full until 2 July, after the deadline', fullWeek],
    ['cap full until 29 June 10:00:01', ['2027-06-22 10:00', '2027-06-23 10:00', '2027-06-27 10:00']],
  ])('a deadline reminder due before urgentFrom with a full cap goes out when it becomes urgent: %s', (_name, history) => {
    expect(send({ due: '2027-06-28 10:00', history, ...deadline })).toBe('2027-06-29 08:30');
  });
});

describe('expiry', () => {
  it.each([
    ['the quiet hours end after the expiry', { due: '2027-01-09 21:00', expires: '2027-01-10 08:00' }],
    ['the quiet hours end exactly at the expiry', { due: '2027-01-09 21:00', expires: '2027-01-10 08:30' }],
    ['the cap frees after the expiry', { due: '2027-01-07 10:00', expires: '2027-01-10 00:00', history: ['2027-01-04 10:00', '2027-01-05 10:00', '2027-01-06 10:00'] }],
    ['now is already past the expiry', { due: '2027-01-07 10:00', now: '2027-01-08 10:00', expires: '2027-01-08 00:00' }],
    ['the last planned message is after the expiry', { due: '2027-01-07 10:00', expires: '2027-01-08 00:00', notBefore: '2027-01-09 10:00' }],
  ] as [string, Msg][])('%s → { expired: true }', (_name, m) => {
    expect(planSendTime(input(m))).toEqual({ expired: true });
  });

  it('sends when the possible time is just before the expiry', () => {
    expect(send({ due: '2027-01-09 21:00', expires: '2027-01-10 08:31' })).toBe('2027-01-10 08:30');
    expect(send({ due: '2027-01-07 10:00', expires: '2027-01-11 10:00:02', history: ['2027-01-04 10:00', '2027-01-05 10:00', '2027-01-06 10:00'] })).toBe('2027-01-11 10:00:01');
  });
});
