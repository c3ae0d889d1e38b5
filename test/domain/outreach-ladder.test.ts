/**
 * The outreach ladder as a pure function (src/domain/outreach-ladder.ts) with an injected clock:
 * silent → step 1 (a question about the child's next step); 10 days without a reaction → step 2
 * (the voice note where the initiative has one in the parent's language); 10 more days → the
 * call-back task; a reaction drops the parent out at once; 'no contact' is final; after the
 * cool-down a still-silent parent gets a new episode; fading parents, no consent and /stop: nothing.
 * The history is fed back the way the planner loads it (rows with their status and times).
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { deliveryKey, type Candidate, type PlanChild, type PlanInitiative, type PlanPerson } from '../../src/domain/nurture.types.js';
import { ladderCandidates, step1For, type LadderRow, type LadderSettings } from '../../src/domain/outreach-ladder.js';
import { ACTIVE_DAYS, SILENT_DAYS, silentFrom } from '../../src/domain/participation.js';
import type { CohortRule } from '../../src/domain/registration-deadline.js';

const AMS = 'Europe/Amsterdam';
const DAY = 86_400_000;
const HORIZON = DAY;

const at = (local: string): Date => DateTime.fromFormat(local, 'yyyy-LL-dd HH:mm', { zone: AMS }).toJSDate();
const fmt = (d: Date | null): string | null => (d === null ? null : DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-LL-dd HH:mm'));
const plus = (d: Date, days: number): Date => new Date(d.getTime() + days * DAY);

const amsterdam: CohortRule = {
  kind: 'cohorts',
  windows: [
    { fromMonth: 1, toMonth: 4, deadlineYearOffset: 3, deadlineMonth: 6 },
    { fromMonth: 5, toMonth: 8, deadlineYearOffset: 3, deadlineMonth: 11 },
    { fromMonth: 9, toMonth: 12, deadlineYearOffset: 4, deadlineMonth: 3 },
  ],
  dates: {},
};
const ini: PlanInitiative = { id: 7, phase: 2, timeZone: AMS, registration: amsterdam, hasNewsletterSchedule: false };

function child(id: number, ym: string, extra: Partial<PlanChild> = {}): PlanChild {
  const [year, month] = ym.split('-').map(Number) as [number, number];
  return { id, year, month, expected: false, registered: false, placement: null, ...extra };
}

/** A Turkish parent who joined on 2027-01-04 and did nothing since: silent from 90 days later. */
const JOINED = at('2027-01-04 10:00');
function parent(extra: Partial<PlanPerson> = {}): PlanPerson {
  return { id: 1, proactive: true, reminders: true, newsletter: false, quiet: null, initiativeId: 7, joinedAt: JOINED, children: [child(11, '2025-01')], lastActionAt: JOINED, lastReadAt: null, contactDeclined: false, language: 'tr', ...extra };
}
const SILENT = silentFrom({ joinedAt: JOINED, lastActionAt: JOINED, lastReadAt: null });

function ladder(now: Date, history: LadderRow[] = [], opts: { person?: PlanPerson; settings?: LadderSettings; voices?: string[] } = {}): Candidate[] {
  return ladderCandidates({
    now,
    horizonMs: HORIZON,
    person: opts.person ?? parent(),
    initiative: ini,
    history,
    settings: opts.settings,
    defaultCooldownDays: 120,
    voiceLanguages: new Set(opts.voices ?? []),
  });
}

/** The row the planner wrote for a candidate and what became of it. */
function row(c: Candidate, status: string, at: Date): LadderRow {
  return { ruleId: c.ruleId, occurrence: c.occurrence, status, at, dueAt: c.dueAt, expiresAt: c.expiresAt };
}

/** Walks the ladder as the planner and worker would: each step sent at its due time, nobody reacts. */
function walk(from: Date, history: LadderRow[] = [], opts: Parameters<typeof ladder>[2] = {}): { steps: Candidate[]; history: LadderRow[] } {
  const steps: Candidate[] = [];
  const rows = [...history];
  for (let t = from.getTime(); t < from.getTime() + 60 * DAY; t += 6 * 3_600_000) {
    const now = new Date(t);
    for (const c of ladder(now, rows, opts)) {
      if (rows.some((r) => r.ruleId === c.ruleId && r.occurrence === c.occurrence)) continue;
      steps.push(c);
      rows.push(row(c, 'sent', c.dueAt > now ? c.dueAt : now));
    }
  }
  return { steps, history: rows };
}

describe('the outreach ladder', () => {
  it('nothing while the parent is active or fading; step 1 once silent, a question about the child, due at 10:00 and valid 7 days', () => {
    expect(ladder(plus(JOINED, ACTIVE_DAYS))).toEqual([]);
    expect(ladder(plus(JOINED, SILENT_DAYS - 1))).toEqual([]); // fading
    expect(fmt(SILENT)).toBe('2027-04-04 11:00'); // 90 × 24 hours (and a moment) after joining, summer time since
    const [step1, ...rest] = ladder(plus(SILENT, 0.1));
    expect(rest).toEqual([]);
    expect(step1).toMatchObject({ ruleId: 'ladder1', kind: 'reminder', priority: 3, timeBound: false, childId: null, occurrence: `s${Math.floor(SILENT.getTime() / DAY)}` });
    expect(fmt(step1!.dueAt)).toBe('2027-04-05 10:00');
    expect(fmt(step1!.expiresAt)).toBe('2027-04-12 10:00');
    // A child of 2y3m in Amsterdam (registration opens at 3): "would you like to see the school?".
    expect(step1!.payload).toEqual({ key: 'outreach:step1.visit', params: {}, buttons: 'outreachVisit', initiativeId: 7 });
    // Stable across ticks: the same key a day later.
    expect(ladder(plus(SILENT, 1)).map(deliveryKey)).toEqual([deliveryKey(step1!)]);
  });

  it('10 days after step 1 without a reaction: step 2 (text); 10 days after that: the call-back task, a notice that nobody is messaged by', () => {
    const { steps } = walk(SILENT);
    expect(steps.map((c) => [c.ruleId, c.kind, fmt(c.dueAt), fmt(c.expiresAt)])).toEqual([
      ['ladder1', 'reminder', '2027-04-05 10:00', '2027-04-12 10:00'],
      ['ladder2', 'reminder', '2027-04-15 10:00', '2027-04-22 10:00'],
      ['ladder3', 'notice', '2027-04-25 10:00', '2027-05-02 10:00'],
    ]);
    expect(new Set(steps.map((c) => c.occurrence)).size).toBe(1);
    expect(steps[1]!.payload).toEqual({ key: 'outreach:step2', params: {}, buttons: 'outreachCall', initiativeId: 7 });
    expect(steps[2]!.payload).toEqual({ key: 'outreach:task', params: {}, buttons: null, initiativeId: 7, task: 'outreachCallback' });
  });

  it('step 2 is the voice note where the initiative has one in the parent language, text otherwise', () => {
    const tr = walk(SILENT, [], { voices: ['tr', 'ar'] }).steps[1]!;
    expect(tr.payload).toMatchObject({ key: 'outreach:step2', outreachVoice: true });
    const pl = walk(SILENT, [], { voices: ['tr'], person: parent({ language: 'pl' }) }).steps[1]!;
    expect(pl.payload.outreachVoice).toBeUndefined();
  });

  it('a step still planned or queued stays a candidate (the worker re-check finds its key); the next waits for it to be sent', () => {
    const [step1] = ladder(plus(SILENT, 0.1));
    const queued = [row(step1!, 'queued', step1!.dueAt)];
    expect(ladder(plus(SILENT, 3), queued).map(deliveryKey)).toEqual([deliveryKey(step1!)]);
    // Past its expiry it is nothing (the worker expires it); no step 2 while it never went out.
    expect(ladder(plus(SILENT, 20), queued)).toEqual([]);
    // Sent 3 days late (the cap): step 2 counts from then.
    const sent = [row(step1!, 'sent', at('2027-04-08 15:00'))];
    expect(ladder(at('2027-04-17 12:00'), sent)).toEqual([]);
    expect(fmt(ladder(at('2027-04-19 09:00'), sent)[0]!.dueAt)).toBe('2027-04-19 10:00');
  });

  it('a parent who answers mid-ladder drops out: the queued step is no candidate any more, no later step follows', () => {
    const { steps, history } = walk(SILENT);
    const step2 = steps[1]!;
    const mid = history.filter((r) => r.ruleId !== 'ladder3').map((r) => (r.ruleId === 'ladder2' ? { ...r, status: 'queued' } : r));
    const tapped = parent({ lastActionAt: at('2027-04-16 09:00') });
    expect(ladder(at('2027-04-16 10:00'), mid, { person: tapped })).toEqual([]);
    // And the queued step 2 is not among the candidates the worker compares with.
    expect(ladder(at('2027-04-16 10:00'), mid, { person: tapped }).map(deliveryKey)).not.toContain(deliveryKey(step2));
    // Months later, silent again: a new episode, but only after the cool-down counted from the last step.
    const later = ladder(at('2027-07-16 10:00'), mid, { person: tapped });
    expect(later).toEqual([]); // silent again from 2027-07-15, but step 2 was planned for 2027-04-15 10:00: +120 days
    expect(ladder(at('2027-08-12 09:00'), mid, { person: tapped })).toEqual([]);
    const next = ladder(at('2027-08-13 12:00'), mid, { person: tapped });
    expect(next.map((c) => [c.ruleId, fmt(c.dueAt)])).toEqual([['ladder1', '2027-08-13 10:00']]);
    expect(next[0]!.occurrence).not.toBe(step2.occurrence);
  });

  it('after step 3, a cool-down (120 days by default, or the initiative own), then a new episode with a new key', () => {
    const first = walk(SILENT);
    const task = first.steps[2]!;
    expect(ladder(plus(task.dueAt, 118.5), first.history)).toEqual([]); // (the planner looks a day ahead)
    const again = ladder(plus(task.dueAt, 120.5), first.history);
    expect(again.map((c) => c.ruleId)).toEqual(['ladder1']);
    expect(again[0]!.occurrence).not.toBe(task.occurrence);
    expect(fmt(again[0]!.dueAt)).toBe('2027-08-23 10:00'); // 120 days after the task of 2027-04-25 10:00
    // The second episode walks the same ladder.
    const second = walk(plus(task.dueAt, 120), first.history);
    expect(second.steps.map((c) => c.ruleId)).toEqual(['ladder1', 'ladder2', 'ladder3']);
    // An initiative's own cool-down of 30 days.
    expect(ladder(plus(task.dueAt, 31), first.history, { settings: { enabled: true, cooldownDays: 30 } }).map((c) => c.ruleId)).toEqual(['ladder1']);
  });

  it('a step not sent in its window (expired in the cap) ends the episode: the cool-down starts then', () => {
    const [step1] = ladder(plus(SILENT, 0.1));
    const expired = [row(step1!, 'expired', step1!.dueAt)];
    expect(ladder(plus(SILENT, 30), expired)).toEqual([]);
    expect(ladder(plus(step1!.dueAt, 120.1), expired).map((c) => c.ruleId)).toEqual(['ladder1']);
  });

  it("'does not want contact' is final; switched off for the initiative; no reminders consent; /stop: nothing", () => {
    const now = plus(SILENT, 0.1);
    expect(ladder(now, [], { person: parent({ contactDeclined: true }) })).toEqual([]);
    expect(ladder(plus(now, 400), [], { person: parent({ contactDeclined: true }) })).toEqual([]);
    expect(ladder(now, [], { settings: { enabled: false, cooldownDays: 120 } })).toEqual([]);
    expect(ladder(now, [], { person: parent({ reminders: false }) })).toEqual([]);
    expect(ladder(now, [], { person: parent({ proactive: false }) })).toEqual([]);
    expect(ladderCandidates({ now, horizonMs: HORIZON, person: parent(), initiative: null, history: [], settings: undefined, defaultCooldownDays: 120, voiceLanguages: undefined })).toEqual([]);
  });

  it('a parent who reads our messages (a read receipt within 42 days) is fading, not silent: no ladder', () => {
    expect(ladder(plus(SILENT, 1), [], { person: parent({ lastReadAt: plus(SILENT, -10) }) })).toEqual([]);
  });

  it('a parent long silent when the ladder starts (switched on late) gets step 1 in the current week, once', () => {
    const now = at('2027-09-01 12:00');
    const [c] = ladder(now);
    expect(c!.ruleId).toBe('ladder1');
    expect(c!.dueAt.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(c!.expiresAt!.getTime()).toBeGreaterThan(now.getTime());
    expect(ladder(plus(now, 3)).map(deliveryKey)).toEqual([deliveryKey(c!)]);
  });
});

describe('step 1: the question fits the child', () => {
  const now = at('2027-04-05 10:00');
  it.each([
    ['expecting', [child(1, '2027-06', { expected: true })], 'play', 1],
    ['a baby of 1', [child(1, '2026-03')], 'play', 1],
    ['a child of 2y3m (registration opens at 3)', [child(1, '2025-01')], 'visit', 1],
    ['a child of 2y10m, not registered', [child(1, '2024-06')], 'register', 1],
    ['a child of 3y, registered', [child(1, '2024-03', { registered: true })], 'start', 1],
    ['a child of 4y6m (at school) only', [child(1, '2022-10')], 'general', null],
    ['registering beats a baby sibling', [child(1, '2026-09'), child(2, '2024-05')], 'register', 2],
  ])('%s → %s', (_what, kids, variant, childId) => {
    const picked = step1For(kids, ini, now);
    expect(picked.variant).toBe(variant);
    expect(picked.child?.id ?? null).toBe(childId);
  });

  it('names the child (by birth month) where the question is about one child', () => {
    const [c] = ladder(plus(SILENT, 0.1), [], { person: parent({ children: [child(21, '2024-06')] }) });
    expect(c!.payload).toEqual({ key: 'outreach:step1.register', params: { born: { yearMonth: { year: 2024, month: 6 } } }, buttons: 'outreachRegister', childId: 21, initiativeId: 7 });
  });
});
