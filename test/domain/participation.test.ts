import { describe, expect, it } from 'vitest';
import { ACTIVE_DAYS, SILENT_DAYS, levelAt, participationLevel, silentFrom, type ParticipationSignals } from '../../src/domain/participation.js';

const DAY = 86_400_000;
const NOW = new Date('2027-06-01T10:00:00Z');
const ago = (days: number): Date => new Date(NOW.getTime() - days * DAY);
const signals = (s: Partial<ParticipationSignals>): ParticipationSignals => ({ joinedAt: ago(400), lastActionAt: null, lastReadAt: null, ...s });

describe('participation level (ADR 0010)', () => {
  it('a parent who did something in the last six weeks is active; the boundary day included', () => {
    expect(participationLevel(signals({ lastActionAt: ago(1) }), NOW)).toBe('active');
    expect(participationLevel(signals({ lastActionAt: ago(ACTIVE_DAYS) }), NOW)).toBe('active');
    expect(participationLevel(signals({ lastActionAt: ago(ACTIVE_DAYS + 1) }), NOW)).toBe('fading');
  });

  it('joining counts as an action: a new parent who has not done anything since is active, then fading, then silent', () => {
    expect(participationLevel(signals({ joinedAt: ago(3) }), NOW)).toBe('active');
    expect(participationLevel(signals({ joinedAt: ago(60) }), NOW)).toBe('fading');
    expect(participationLevel(signals({ joinedAt: ago(SILENT_DAYS + 1) }), NOW)).toBe('silent');
  });

  it('three months without an own action is silent, unless the parent read one of our messages lately', () => {
    expect(participationLevel(signals({ lastActionAt: ago(SILENT_DAYS) }), NOW)).toBe('fading');
    expect(participationLevel(signals({ lastActionAt: ago(SILENT_DAYS + 1) }), NOW)).toBe('silent');
    expect(participationLevel(signals({ lastActionAt: ago(200), lastReadAt: ago(10) }), NOW)).toBe('fading');
    expect(participationLevel(signals({ lastActionAt: ago(200), lastReadAt: ago(ACTIVE_DAYS + 1) }), NOW)).toBe('silent');
  });

  it('reading alone never makes a parent active (they read, and do not answer)', () => {
    expect(participationLevel(signals({ lastActionAt: ago(50), lastReadAt: ago(0) }), NOW)).toBe('fading');
  });

  it('an action older than joining (a parent who left and joined again) counts from joining', () => {
    expect(participationLevel(signals({ joinedAt: ago(5), lastActionAt: ago(300) }), NOW)).toBe('active');
  });

  it('silentFrom is the first moment the level is silent when nothing else happens', () => {
    for (const s of [signals({ lastActionAt: ago(10) }), signals({ lastActionAt: ago(100), lastReadAt: ago(20) }), signals({ joinedAt: ago(2) })]) {
      const from = silentFrom(s);
      expect(participationLevel(s, new Date(from.getTime() - 1))).not.toBe('silent');
      expect(participationLevel(s, from)).toBe('silent');
    }
  });

  it('levelAt sees only what had happened by that moment, and nothing before joining', () => {
    const history = { joinedAt: ago(300), actions: [ago(290).getTime(), ago(100).getTime(), ago(5).getTime()], reads: [ago(150).getTime()] };
    expect(levelAt(history, ago(301))).toBeNull();
    expect(levelAt(history, ago(280))).toBe('active');
    expect(levelAt(history, ago(160))).toBe('silent'); // 130 days after the action at 290, nothing read yet
    expect(levelAt(history, ago(140))).toBe('fading'); // read 10 days earlier
    expect(levelAt(history, ago(90))).toBe('active');
    expect(levelAt(history, NOW)).toBe('active');
  });
});
