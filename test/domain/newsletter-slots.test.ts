import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { newsletterSlots, type NewsletterSchedule } from '../../src/domain/newsletter-slots.js';

const AMS = 'Europe/Amsterdam';
const schedule = (s: Partial<NewsletterSchedule>): NewsletterSchedule => ({ everyWeeks: 1, firstDate: '2027-01-04', time: '10:00', active: true, ...s });
const slots = (s: Partial<NewsletterSchedule>, from: string, to: string, zone = AMS) =>
  newsletterSlots(schedule(s), zone, new Date(from), new Date(to)).map((x) => ({ slot: x.slot, at: x.at.toISOString() }));
const localTime = (at: string, zone = AMS) => DateTime.fromISO(at, { zone }).toFormat('HH:mm');

describe('newsletter slots', () => {
  it('weekly from the first date, at the local time (09:00 UTC in winter)', () => {
    expect(slots({}, '2027-01-01T00:00:00Z', '2027-01-26T00:00:00Z')).toEqual([
      { slot: '2027-01-04T10:00', at: '2027-01-04T09:00:00.000Z' },
      { slot: '2027-01-11T10:00', at: '2027-01-11T09:00:00.000Z' },
      { slot: '2027-01-18T10:00', at: '2027-01-18T09:00:00.000Z' },
      { slot: '2027-01-25T10:00', at: '2027-01-25T09:00:00.000Z' },
    ]);
  });

  it('every 6 weeks, also when asked for a window long after the first date', () => {
    const s = { everyWeeks: 6, firstDate: '2027-01-11' };
    expect(slots(s, '2027-01-01T00:00:00Z', '2027-05-01T00:00:00Z').map((x) => x.slot)).toEqual(['2027-01-11T10:00', '2027-02-22T10:00', '2027-04-05T10:00']);
    // 2027-03-01 lies between two slots: the next one is 2027-04-05 (after the DST change: 08:00 UTC).
    expect(slots(s, '2027-03-01T00:00:00Z', '2027-05-18T00:00:00Z')).toEqual([
      { slot: '2027-04-05T10:00', at: '2027-04-05T08:00:00.000Z' },
      { slot: '2027-05-17T10:00', at: '2027-05-17T08:00:00.000Z' },
    ]);
    const far = slots(s, '2031-06-01T00:00:00Z', '2032-06-01T00:00:00Z');
    expect(far.length).toBeGreaterThanOrEqual(8);
    for (const x of far) {
      const days = DateTime.fromISO(x.slot.slice(0, 10), { zone: 'UTC' }).diff(DateTime.fromISO('2027-01-11', { zone: 'UTC' }), 'days').days;
      expect(days % 42).toBe(0);
      expect(localTime(x.at)).toBe('10:00');
    }
  });

  it('keeps 10:00 local across the March DST change; the UTC hour moves from 09 to 08', () => {
    const got = slots({ firstDate: '2027-03-22' }, '2027-03-20T00:00:00Z', '2027-04-06T00:00:00Z');
    expect(got).toEqual([
      { slot: '2027-03-22T10:00', at: '2027-03-22T09:00:00.000Z' },
      { slot: '2027-03-29T10:00', at: '2027-03-29T08:00:00.000Z' },
      { slot: '2027-04-05T10:00', at: '2027-04-05T08:00:00.000Z' },
    ]);
    expect(got.map((x) => localTime(x.at))).toEqual(['10:00', '10:00', '10:00']);
  });

  it('keeps 10:00 local across the October DST change; the UTC hour moves from 08 to 09', () => {
    const got = slots({ firstDate: '2027-10-18', everyWeeks: 1 }, '2027-10-18T00:00:00Z', '2027-11-02T00:00:00Z');
    expect(got.map((x) => x.at)).toEqual(['2027-10-18T08:00:00.000Z', '2027-10-25T08:00:00.000Z', '2027-11-01T09:00:00.000Z']);
    expect(got.map((x) => localTime(x.at))).toEqual(['10:00', '10:00', '10:00']);
  });

  it('moves a local time that does not exist (02:30 on 2027-03-28) to 03:00; the slot keeps its scheduled name', () => {
    const got = slots({ firstDate: '2027-03-21', time: '02:30' }, '2027-03-20T00:00:00Z', '2027-04-05T00:00:00Z');
    expect(got).toEqual([
      { slot: '2027-03-21T02:30', at: '2027-03-21T01:30:00.000Z' },
      { slot: '2027-03-28T02:30', at: '2027-03-28T01:00:00.000Z' },
      { slot: '2027-04-04T02:30', at: '2027-04-04T00:30:00.000Z' },
    ]);
    expect(localTime(got[1]?.at ?? '')).toBe('03:00');
  });

  it('takes the later of two 02:30s when the clock goes back (luxon)', () => {
    expect(slots({ firstDate: '2027-10-31', time: '02:30' }, '2027-10-30T00:00:00Z', '2027-11-01T00:00:00Z')).toEqual([
      { slot: '2027-10-31T02:30', at: '2027-10-31T01:30:00.000Z' },
    ]);
  });

  it('includes `from`, excludes `to`, and gives nothing for a paused schedule or an empty window', () => {
    expect(slots({}, '2027-01-04T09:00:00Z', '2027-01-11T09:00:00Z').map((x) => x.slot)).toEqual(['2027-01-04T10:00']);
    expect(slots({ active: false }, '2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z')).toEqual([]);
    expect(slots({}, '2027-02-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([]);
    expect(slots({ firstDate: '2027-06-07' }, '2027-01-01T00:00:00Z', '2027-06-01T00:00:00Z')).toEqual([]);
  });

  it('works in any IANA zone', () => {
    expect(slots({ firstDate: '2027-03-08', time: '09:15' }, '2027-03-01T00:00:00Z', '2027-03-16T00:00:00Z', 'America/New_York').map((x) => x.at)).toEqual([
      '2027-03-08T14:15:00.000Z',
      '2027-03-15T13:15:00.000Z',
    ]);
  });

  it.each([
    [{ everyWeeks: 0 }, AMS, /everyWeeks/],
    [{ firstDate: '2027-02-30' }, AMS, /firstDate/],
    [{ time: '24:00' }, AMS, /time/],
    [{}, 'Mars/Olympus', /time zone/],
  ])('refuses %j in %s', (s, zone, message) => {
    expect(() => newsletterSlots(schedule(s), zone, new Date('2027-01-01T00:00:00Z'), new Date('2027-02-01T00:00:00Z'))).toThrow(message);
  });
});
