/**
 * A flyer at a school gate (issue 9): hundreds of new parents at once, through the real app and
 * the real Telegram adapter, against a fake Bot API that enforces Telegram's flood limits
 * (30 message calls in any sliding second, a burst of 3 then 1/s per chat; over a limit: 429,
 * not delivered). The app runs with its production limits (the defaults of src/config.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { insertDeliveries, type NewDelivery } from '../../src/db/deliveries.repo.js';
import { identities, people } from '../../src/db/schema.js';
import { startAppHarness, type AppHarness } from '../support/app-harness.js';
import { fixedClock } from '../support/clock.js';
import { p50, p95, p99, runCrowd } from '../support/crowd.js';

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The production limits (the harness lifts a chat's limit for conversation tests). */
const PRODUCTION_LIMITS = { TELEGRAM_CHAT_BURST: '', TELEGRAM_CHAT_PER_SECOND: '' };

function flyer(app: AppHarness): void {
  createInitiative(
    app.app.db,
    { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: 'regenboog@example.org', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' },
    'test',
  );
}

describe('a crowd of new parents on Telegram', () => {
  it('300 parents onboard at once: all finish, every reply arrives in order, at most 1 % of requests get a 429', async () => {
    h = await startAppHarness({ ...PRODUCTION_LIMITS, NURTURE_ENABLED: 'false' });
    flyer(h);
    h.api.setLimits(true);
    h.api.resetStats();
    const r = await runCrowd({ api: h.api, parents: 300, code: 'regenboog', replyTimeoutMs: 90_000 });
    const floorMs = (r.totalMessages / 30) * 1000;
    console.log(
      `[crowd 300] finished ${r.finished}, ${r.totalMessages} messages, last at ${(r.lastFinishedMs / 1000).toFixed(1)} s (floor ${(floorMs / 1000).toFixed(1)} s, ratio ${(r.lastFinishedMs / floorMs).toFixed(2)}), ` +
        `reply p50/p95/p99 ${p50(r.latencies)}/${p95(r.latencies)}/${p99(r.latencies)} ms, 429s ${r.tooMany}/${r.messageRequests}`,
    );
    expect(r.stuck).toEqual([]);
    expect(r.finished).toBe(300);
    expect(r.orderViolations).toEqual([]);
    expect(r.unexpected).toBe(0);
    expect(r.tooMany).toBeLessThanOrEqual(r.messageRequests * 0.01);
    expect(r.maxInAnyWindow).toBeLessThanOrEqual(30);
    expect(h.logs.filter((l) => l.includes('gave up') || l.includes('expired'))).toEqual([]);
  }, 300_000);

  it('replies keep flowing while 5,000 proactive messages are queued, and no 429 is caused', async () => {
    // Noon on a weekday: no quiet hours; the delivery worker, BullMQ and the scheduler are real.
    h = await startAppHarness({ ...PRODUCTION_LIMITS }, { clock: fixedClock('2026-12-08T11:00:00Z') });
    flyer(h);
    const db = h.app.db;
    const now = new Date('2026-12-08T11:00:00Z');
    const rows: NewDelivery[] = [];
    db.transaction((tx) => {
      for (let i = 0; i < 5000; i++) {
        const personId = tx.insert(people).values({ language: 'nl' }).returning({ id: people.id }).get().id;
        tx.insert(identities).values({ personId, channel: 'telegram', chatId: String(700_000_000 + i) }).run();
        rows.push({
          key: `crowd-notice|p${personId}`,
          personId,
          childId: null,
          ruleId: 'test-notice',
          channel: 'telegram',
          kind: 'notice',
          priority: 9,
          dueAt: now,
          sendAt: now,
          expiresAt: null,
          urgentFrom: null,
          payload: { key: 'nurture:lookAtSchools', params: {}, buttons: null },
        });
      }
    });
    insertDeliveries(db, rows, now);
    for (let i = 0; i < 5000; i++) h.api.meet(700_000_000 + i);
    h.api.setLimits(true);
    h.api.resetStats();
    await h.app.nurture?.planner?.tick();
    // Let the reminders reach full speed first.
    const proactiveChats = new Set(Array.from({ length: 5000 }, (_, i) => 700_000_000 + i));
    const proactiveSent = () => h!.api.stats().delivered;
    for (let i = 0; i < 200 && proactiveSent() < 50; i++) await new Promise((r) => setTimeout(r, 50));
    expect(proactiveSent()).toBeGreaterThanOrEqual(50);
    const before = proactiveSent();

    const r = await runCrowd({ api: h.api, parents: 20, code: 'regenboog', replyTimeoutMs: 30_000, firstChatId: 880_100_001 });
    const duringCrowd = proactiveSent() - before - r.totalMessages;
    console.log(
      `[crowd + 5000 queued] 20 parents finished ${r.finished} in ${(r.lastFinishedMs / 1000).toFixed(1)} s, reply p50/p95/p99 ${p50(r.latencies)}/${p95(r.latencies)}/${p99(r.latencies)} ms; ` +
        `${duringCrowd} reminders sent meanwhile; 429s ${h.api.stats().tooMany}`,
    );
    expect(r.stuck).toEqual([]);
    expect(r.finished).toBe(20);
    expect(r.orderViolations).toEqual([]);
    expect(h.api.stats().tooMany).toBe(0);
    // Replies go first: a parent waits for their own chat's limit, not behind 5,000 reminders.
    expect(p95(r.latencies)).toBeLessThan(3_000);
    // And the reminders were not starved either: they used what replies left.
    expect(duringCrowd).toBeGreaterThan(0);
    expect([...proactiveChats].some((c) => h!.api.sent(c).length > 0)).toBe(true);
  }, 180_000);
});
