/**
 * Phases matter (issue 10, item 4): a phase-0 initiative (it stopped) sends only what the
 * parent's own child needs, never "choose school X together"; a phase change is announced once
 * to the initiative's parents, in their language, within the quiet hours and the cap, and the
 * coordinator's count before confirming is the number really reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPhase } from '../../src/db/initiatives.repo.js';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { announcementReach } from '../../src/jobs/phase-announcement.js';
import { createNurtureHarness, localTime, type NurtureHarness } from '../support/nurture-harness.js';

describe('phases', () => {
  let n: NurtureHarness;
  let stopped = 0;
  let active = 0;
  const parents: number[] = [];
  let inStopped = 0;

  beforeAll(async () => {
    n = await createNurtureHarness({ now: '2027-04-20T07:00:00Z' });
    stopped = n.h.initiative({ municipality: 'Utrecht', name: 'Samen naar De Es', school: 'De Es', phase: 0, postcodes: ['3511'] }).id;
    active = n.h.initiative({ municipality: 'Utrecht', name: 'Samen naar De Linde', school: 'De Linde', phase: 1, postcodes: ['3512'] }).id;
    // Born May 2024 in Utrecht: deadline 30 June 2027, group registration from 19 May.
    inStopped = n.parent({ chatId: 'stopped', language: 'nl', initiativeId: stopped, children: [{ year: 2024, month: 5 }] }).personId;
    for (const [chatId, language] of [['a', 'nl'], ['b', 'tr'], ['c', 'ar']] as const) parents.push(n.parent({ chatId, language, initiativeId: active, children: [{ year: 2024, month: 5 }] }).personId);
    // One parent who turned messages off is not counted and not told.
    const off = n.parent({ chatId: 'off', language: 'nl', initiativeId: active, children: [{ year: 2024, month: 5 }] }).personId;
    n.h.db.$client.prepare('update people set proactive = 0 where id = ?').run(off);
  }, 60_000);
  afterAll(async () => n?.close());

  it('phase 0 sends what the own child needs (the deadline), never group registration', async () => {
    await n.runUntil('2027-07-01T00:00:00Z');
    const rules = n.rows(inStopped).filter((r) => r.status === 'sent').map((r) => r.ruleId);
    expect(rules).toEqual(expect.arrayContaining(['deadline-14', 'deadline-2']));
    expect(rules).not.toContain('group-registration');
    // In phase 1 (no school chosen together yet) there is no group registration either.
    for (const p of parents) expect(n.rows(p).map((r) => r.ruleId)).not.toContain('group-registration');
  }, 120_000);

  it('a phase change is counted before it is confirmed, then announced once to each parent in their language', async () => {
    const now = n.h.clock.now();
    expect(announcementReach(n.h.db, n.planDeps.rules, active, 2, now, 'Europe/Amsterdam')).toBe(3);
    setPhase(n.h.db, active, 2, 'test', now);
    await n.runUntil('2027-07-05T00:00:00Z');
    for (const p of parents) {
      const rows = n.rows(p).filter((r) => r.ruleId === 'phase-change');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.key).toBe(`phase-change|p${p}|c-|i${active}-phase2`);
      expect(rows[0]!.status).toBe('sent');
      const hm = localTime(rows[0]!.sentAt!).slice(11);
      expect(hm >= '08:30' && hm < '20:00').toBe(true);
    }
    const texts = n.channel.log.filter((d) => ['a', 'b', 'c'].includes(d.chatId) && /De Linde/.test(d.message.text)).map((d) => [d.chatId, miniHtmlToPlain(d.message.text)]);
    expect(texts.find(([c]) => c === 'a')?.[1]).toContain('Nieuws van Samen naar De Linde: de aanmeldingen beginnen.');
    expect(texts.find(([c]) => c === 'b')?.[1]).toContain('haberi: kayıtlar başlıyor');
    expect(texts.find(([c]) => c === 'c')?.[1]).toContain('يبدأ التسجيل');
    // Nobody of the other initiative hears of it.
    expect(n.rows(inStopped).some((r) => r.ruleId === 'phase-change')).toBe(false);
    // Announced once: already reached, a second count is 0 and a later pass plans nothing more.
    expect(announcementReach(n.h.db, n.planDeps.rules, active, 2, n.h.clock.now(), 'Europe/Amsterdam')).toBe(0);
    await n.runUntil('2027-07-12T00:00:00Z');
    for (const p of parents) expect(n.rows(p).filter((r) => r.ruleId === 'phase-change')).toHaveLength(1);
  }, 120_000);
});
