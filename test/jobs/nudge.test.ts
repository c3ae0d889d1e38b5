/**
 * Coordinator nudges through the real planner, queue and worker (issue 11, item 4).
 * - A relative nudge is planned for a late joiner: a parent who joins after the child passed the
 *   moment's start but within its window gets it once, in their language; one who joins after the
 *   window gets nothing; parents of another initiative never.
 * - Pausing stops planned rows; a once nudge fires once, also across a restart of the runner;
 *   a recurring one that the bot missed by days is listed as missed, not sent late.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { miniHtmlToPlain } from '../../src/core/render.js';
import { changeNudgeStatus, createNudge, getNudge, listRuns, type NewNudge } from '../../src/db/nudges.repo.js';
import { broadcasts, nudgeRuns } from '../../src/db/schema.js';
import { createNudgeRunner, runNudgePass, type NudgeRunnerDeps } from '../../src/jobs/nudge.runner.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { silentLogger } from '../support/engine-harness.js';
import { createNurtureHarness, localTime, type NurtureHarness } from '../support/nurture-harness.js';

let n: NurtureHarness;
let ini: number;
let other: number;

const ZONE = 'Europe/Amsterdam';
const NL = 'Je kind is bijna tweeënhalf. Kom naar de speelochtend op school!';
const TR = 'Çocuğunuz neredeyse iki buçuk yaşında. Okuldaki oyun sabahına gelin!';

function nudge(input: Omit<NewNudge, 'initiativeId' | 'createdBy' | 'versions'> & Partial<NewNudge>): number {
  const now = n.h.clock.now();
  return n.h.db.transaction((tx) =>
    createNudge(tx, { initiativeId: ini, createdBy: null, versions: [{ lang: 'nl', text: NL }, { lang: 'tr', text: TR }], ...input }, 'cli', now, ZONE),
  );
}
const textsTo = (chatId: string) => n.channel.log.filter((d) => d.chatId === chatId).map((d) => miniHtmlToPlain(d.message.text));
const deps = (): NudgeRunnerDeps => ({ db: n.h.db, clock: n.h.clock, logger: silentLogger, policy: n.planDeps.policy, defaultTimeZone: ZONE, kick: () => n.planner.kick() });

beforeEach(async () => {
  // A roomy cap: these parents also get the shipped reminders (event invitations, registration), and
  // what is checked here is the nudge, not which of them the cap of 3 a week lets through first.
  n = await createNurtureHarness({ now: '2027-03-10T09:00:00Z', policy: { ...DEFAULT_POLICY, cap: { max: 20, windowMs: 7 * 86_400_000 } } });
  ini = n.h.initiative({ name: 'Samen naar De Regenboog' }).id;
  other = n.h.initiative({ name: 'Samen naar De Zuilen', school: 'De Zuilen', postcodes: ['1095'] }).id;
});
afterEach(async () => n.close());

describe('a relative nudge', () => {
  it('is planned for a late joiner within its window, once, in their language; not after the window; not for another initiative', async () => {
    // "When a child turns 30 months": a child born September 2024 turns 30 months in March 2027;
    // the window is the month (1 March 10:00 until 1 April).
    const id = nudge({ audience: {}, moment: { type: 'childAge', months: 30, windowMonths: 1, at: '10:00' } });
    // Both join on 10 March, after the moment's start (1 March), within its window.
    const late = n.parent({ chatId: 'late', language: 'nl', initiativeId: ini, children: [{ year: 2024, month: 9 }] }).personId;
    const lateTr = n.parent({ chatId: 'late-tr', language: 'tr', initiativeId: ini, children: [{ year: 2024, month: 9 }] }).personId;
    // Same age, other initiative: not its rule.
    n.parent({ chatId: 'elsewhere', language: 'nl', initiativeId: other, children: [{ year: 2024, month: 9 }] });
    // A younger child: not yet 30 months this month.
    n.parent({ chatId: 'young', language: 'nl', initiativeId: ini, children: [{ year: 2024, month: 12 }] });

    await n.runUntil('2027-03-20T00:00:00Z');
    expect(textsTo('late').filter((t) => t.includes(NL))).toHaveLength(1);
    expect(textsTo('late-tr').filter((t) => t.includes(TR))).toHaveLength(1);
    expect(textsTo('late-tr').some((t) => t.includes(NL))).toBe(false);
    for (const chat of ['elsewhere', 'young']) expect(textsTo(chat).some((t) => t.includes(NL))).toBe(false);
    const [row] = n.rows(late).filter((r) => r.ruleId === `n${id}`);
    expect(row).toMatchObject({ status: 'sent', kind: 'reminder', payload: { key: 'broadcast:body', nudgeId: id, broadcastId: getNudge(n.h.db, id)?.templateBroadcastId } });
    // Outside the quiet hours, on the day it was planned.
    expect(localTime(row!.sentAt!)).toBe('2027-03-10 10:00');
    expect(n.rows(lateTr).filter((r) => r.ruleId === `n${id}`)).toHaveLength(1);

    // A parent who joins on 2 April, after the window: nothing, also later.
    n.h.clock.set(new Date('2027-04-02T08:00:00Z'));
    const tooLate = n.parent({ chatId: 'too-late', language: 'nl', initiativeId: ini, children: [{ year: 2024, month: 9 }] }).personId;
    await n.runUntil('2027-04-20T00:00:00Z');
    expect(n.rows(tooLate).filter((r) => r.ruleId === `n${id}`)).toEqual([]);
    expect(textsTo('too-late').some((t) => t.includes(NL))).toBe(false);
    // Still once for the first two.
    expect(textsTo('late').filter((t) => t.includes(NL))).toHaveLength(1);

    // Its runs: the deliveries grouped by local day.
    const runs = listRuns(n.h.db, getNudge(n.h.db, id)!, ZONE);
    expect(runs).toEqual([{ key: '2027-03-10', at: expect.any(Date), trigger: 'rule', broadcastId: getNudge(n.h.db, id)?.templateBroadcastId, counts: { delivered: 2, failed: 0, skipped: 0, waiting: 0 } }]);
  }, 60_000);

  it('"3 days before each play morning": only play mornings, and pausing cancels what was planned', async () => {
    const id = nudge({ audience: {}, moment: { type: 'event', eventKind: 'play_morning', daysBefore: 3, windowDays: 3, at: '10:00' } });
    const parent = n.parent({ chatId: 'p', language: 'nl', initiativeId: ini, children: [{ year: 2024, month: 3 }] }).personId;
    const ev = (kind: string, startsAt: string) =>
      n.h.db.$client
        .prepare("insert into events (initiative_id, kind, starts_at, ends_at, titles, places) values (?, ?, ?, ?, '{\"nl\":\"Samen spelen\"}', '{\"nl\":\"School\"}')")
        .run(ini, kind, new Date(startsAt).getTime(), new Date(startsAt).getTime() + 7200_000).lastInsertRowid as number;
    const play = ev('play_morning', '2027-03-15T09:00:00Z');
    ev('tour', '2027-03-15T13:00:00Z');
    const play2 = ev('play_morning', '2027-03-22T09:00:00Z');

    await n.runUntil('2027-03-14T00:00:00Z');
    const mine = () => n.rows(parent).filter((r) => r.ruleId === `n${id}`);
    expect(mine().map((r) => [r.key, r.status, localTime(r.dueAt)])).toEqual([[`n${id}|p${parent}|c-|e${play}`, 'sent', '2027-03-12 10:00']]);

    // The row for the next play morning is planned a day ahead; a pause skips it and plans nothing more.
    n.h.clock.set(new Date('2027-03-18T12:00:00Z'));
    await n.tick();
    expect(mine().find((r) => r.key.endsWith(`e${play2}`))?.status).toBe('planned');
    n.h.db.transaction((tx) => changeNudgeStatus(tx, id, 'pause', 'cli', n.h.clock.now(), ZONE));
    expect(mine().find((r) => r.key.endsWith(`e${play2}`))).toMatchObject({ status: 'skipped', lastError: 'nudge paused' });
    await n.runUntil('2027-03-23T00:00:00Z');
    expect(mine().filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(textsTo('p').filter((t) => t.includes(NL))).toHaveLength(1);
  }, 60_000);
});

describe('once and recurring nudges', () => {
  it('a once nudge fires once at its moment, also across a restart of the runner, as a broadcast in each language', async () => {
    const id = nudge({ audience: {}, moment: { type: 'once', date: '2027-03-11', at: '10:00' } });
    n.parent({ chatId: 'a', language: 'nl', initiativeId: ini });
    n.parent({ chatId: 'b', language: 'tr', initiativeId: ini });
    n.parent({ chatId: 'c', language: 'ar', initiativeId: ini });
    n.parent({ chatId: 'x', language: 'nl', initiativeId: other });

    expect((await runNudgePass(deps())).created).toEqual([]);
    n.h.clock.set(new Date('2027-03-11T09:00:00Z'));
    const first = await runNudgePass(deps());
    expect(first.created).toHaveLength(1);
    expect(first.fanned).toEqual([{ broadcastId: first.created[0], recipients: 3 }]);
    // Again, and after a "restart" (a new runner with nothing in memory): nothing new.
    expect(await runNudgePass(deps())).toEqual({ created: [], missed: 0, fanned: [] });
    const restarted = createNudgeRunner(deps());
    expect(await restarted.run()).toEqual({ created: [], missed: 0, fanned: [] });
    expect(getNudge(n.h.db, id)).toMatchObject({ status: 'done', nextAt: null });
    expect(n.h.db.select().from(nudgeRuns).all()).toHaveLength(1);

    await n.tick();
    expect(textsTo('a').filter((t) => t.includes(NL))).toHaveLength(1);
    expect(textsTo('b').filter((t) => t.includes(TR))).toHaveLength(1);
    // Arabic has no version: the Dutch text with the line in Arabic.
    expect(textsTo('c').find((t) => t.includes(NL))).toContain('ليست بلغتك');
    expect(textsTo('x')).toEqual([]);
    const [run] = listRuns(n.h.db, getNudge(n.h.db, id)!, ZONE);
    expect(run).toMatchObject({ key: '2027-03-11T10:00', trigger: 'schedule', counts: { delivered: 3, failed: 0, waiting: 0 } });
  }, 60_000);

  it('a weekly nudge missed for days (the bot was down) is listed as missed, and the next week goes out', async () => {
    // Every Wednesday 10:00; made on Wednesday 10 March at 10:00 local → first 17 March.
    const id = nudge({ audience: {}, moment: { type: 'weekly', weekday: 3, at: '10:00' } });
    n.parent({ chatId: 'a', language: 'nl', initiativeId: ini });
    expect(getNudge(n.h.db, id)?.nextAt).toEqual(new Date('2027-03-17T09:00:00Z'));
    // Down until Saturday 20 March.
    n.h.clock.set(new Date('2027-03-20T12:00:00Z'));
    expect(await runNudgePass(deps())).toMatchObject({ created: [], missed: 1 });
    expect(getNudge(n.h.db, id)?.nextAt).toEqual(new Date('2027-03-24T09:00:00Z'));
    n.h.clock.set(new Date('2027-03-24T09:00:30Z'));
    expect((await runNudgePass(deps())).created).toHaveLength(1);
    await n.tick();
    expect(textsTo('a').filter((t) => t.includes(NL))).toHaveLength(1);
    expect(listRuns(n.h.db, getNudge(n.h.db, id)!, ZONE).map((r) => [r.key, r.broadcastId === null])).toEqual([
      ['2027-03-24T10:00', false],
      ['2027-03-17T10:00', true],
    ]);
    expect(n.h.db.select().from(broadcasts).all().filter((b) => b.nudgeId === id && b.status !== 'draft')).toHaveLength(1);
  }, 60_000);
});
