/** When once and recurring nudges run: local moments in the initiative's zone, across DST, month ends and missed runs. */
import { describe, expect, it } from 'vitest';
import { dueOccurrences, isMissed, nextOccurrence, parseDayString } from '../../src/domain/nudge-schedule.js';

const ZONE = 'Europe/Amsterdam';
const at = (iso: string) => new Date(iso);

describe('nextOccurrence', () => {
  it('once: the local moment while it lies ahead, then nothing', () => {
    const m = { type: 'once' as const, date: '2027-03-15', at: '10:00' };
    expect(nextOccurrence(m, at('2027-03-01T00:00:00Z'), ZONE)).toEqual({ key: '2027-03-15T10:00', at: at('2027-03-15T09:00:00Z') });
    expect(nextOccurrence(m, at('2027-03-15T09:00:00Z'), ZONE)).toBeNull();
  });

  it('weekly: the next weekday at the local time, 10:00 on both sides of the DST change', () => {
    const m = { type: 'weekly' as const, weekday: 1, at: '10:00' };
    // Sunday 21 March 2027 → Monday 22 March (winter time, UTC+1).
    expect(nextOccurrence(m, at('2027-03-21T12:00:00Z'), ZONE)).toEqual({ key: '2027-03-22T10:00', at: at('2027-03-22T09:00:00Z') });
    // After it: Monday 29 March, summer time (UTC+2).
    expect(nextOccurrence(m, at('2027-03-22T09:00:00Z'), ZONE)).toEqual({ key: '2027-03-29T10:00', at: at('2027-03-29T08:00:00Z') });
    // Monday before 10:00 local: today.
    expect(nextOccurrence(m, at('2027-03-29T07:59:00Z'), ZONE)?.key).toBe('2027-03-29T10:00');
  });

  it('monthly: the day of each month, the last day in a shorter month', () => {
    const m = { type: 'monthly' as const, day: 31, at: '09:30' };
    expect(nextOccurrence(m, at('2027-02-01T00:00:00Z'), ZONE)?.key).toBe('2027-02-28T09:30');
    expect(nextOccurrence(m, at('2027-02-28T08:30:00Z'), ZONE)?.key).toBe('2027-03-31T09:30');
    expect(nextOccurrence({ type: 'monthly', day: 15, at: '10:00' }, at('2027-12-20T00:00:00Z'), ZONE)?.key).toBe('2028-01-15T10:00');
  });

  it('relative moments have no occurrence of their own (the planner runs them per parent)', () => {
    expect(nextOccurrence({ type: 'childAge', months: 30, windowMonths: 1, at: '10:00' }, at('2027-01-01T00:00:00Z'), ZONE)).toBeNull();
  });
});

describe('dueOccurrences and missed runs', () => {
  it('lists each occurrence between the last one planned and now, once', () => {
    const m = { type: 'weekly' as const, weekday: 3, at: '10:00' };
    const due = dueOccurrences(m, at('2027-03-03T09:00:00Z'), at('2027-03-17T09:00:00Z'), ZONE);
    expect(due.map((o) => o.key)).toEqual(['2027-03-03T10:00', '2027-03-10T10:00', '2027-03-17T10:00']);
    const now = at('2027-03-17T09:00:00Z');
    expect(due.map((o) => isMissed(o, now))).toEqual([true, true, false]);
  });

  it('reads only real calendar days', () => {
    expect(parseDayString('2027-02-29')).toBeNull();
    expect(parseDayString('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseDayString('15-03-2027')).toBeNull();
  });
});
