/**
 * Reminders through the whole bot as `npm start` builds it: a parent onboards over Telegram
 * (telegraf against the fake Bot API), the planner finds what is due, BullMQ on a real Redis
 * hands it to the Telegram worker, and the parent answers an invitation with a button.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { createEvent } from '../../src/db/events.repo.js';
import { deliveries } from '../../src/db/schema.js';
import { fixedClock } from '../support/clock.js';
import { button, startAppHarness, texts, type AppHarness } from '../support/app-harness.js';

let h: AppHarness;
const clock = fixedClock('2026-12-01T09:00:00Z'); // 10:00 in Amsterdam

beforeEach(async () => {
  clock.set('2026-12-01T09:00:00Z');
  h = await startAppHarness({}, { clock });
});
afterEach(async () => h.close());

/** The worker records "sent" just after the Bot API answered: wait for it, briefly. */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function onboard(chat: number): Promise<void> {
  let out = await h.exchange(chat, () => h.api.sendCommand(chat, 'start', 'regenboog', { languageCode: 'nl' }));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nederlands')));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Ja, dat is goed')));
  out = await h.exchange(chat, () => h.api.sendText(chat, 'Fatima'));
  out = await h.exchange(chat, () => h.api.sendText(chat, 'juli 2024'));
  out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Nee, verder')));
  out = await h.exchange(chat, () => h.api.sendText(chat, '1094'));
  if (texts(out).includes('Samen naar De Regenboog') && !texts(out).includes('Gehoord')) {
    const choice = out.flatMap((m) => (m.reply_markup ? [m] : []));
    if (choice.length && texts(choice).includes('Samen')) out = await h.exchange(chat, () => h.api.press(chat, button(out, 'Samen naar De Regenboog')));
  }
  await h.exchange(chat, () => h.api.press(chat, button(out, 'Consultatiebureau')));
}

it('plans, queues and sends due reminders over Telegram, in order, and takes an RSVP with a calendar file', async () => {
  const ini = createInitiative(
    h.app.db,
    { name: 'Samen naar De Regenboog', school: 'De Regenboog', neighbourhood: 'Oost', contact: '', municipality: 'Amsterdam', phase: 2, postcodes: ['1094'], code: 'regenboog' },
    'test',
  );
  const eventId = createEvent(h.app.db, {
    initiativeId: ini.id,
    kind: 'open_morning',
    startsAt: new Date('2026-12-09T09:00:00Z'),
    endsAt: new Date('2026-12-09T10:30:00Z'),
    capacity: 12,
    minAgeMonths: 24,
    maxAgeMonths: 42,
    titles: { nl: 'Inloopochtend De Regenboog' },
    places: { nl: 'Hoofdweg 1' },
  });
  const chat = 801;
  await onboard(chat);
  const before = h.api.sent(chat).length;

  const report = await h.app.nurture!.planner!.tick();
  expect(report?.enqueued).toBe(2);
  // A child of 2y4m (born July 2024) whose parent joins late: toddler groups (relevant until 2y6m) and look at schools,
  // the more important one first (the cap orders by importance, then by due time).
  const first = (await h.api.waitForSent(chat, before + 2, 10_000)).slice(before);
  expect(first.map((m) => m.plain ?? '')).toEqual([expect.stringContaining('scholen te bekijken'), expect.stringContaining('peuteropvang')]);
  // The next day at 10:00: the invitation, 7 days before the open morning.
  clock.set('2026-12-02T09:00:00Z');
  await h.app.nurture!.planner!.tick();
  const sent = (await h.api.waitForSent(chat, before + 3, 10_000)).slice(before + 2);
  expect(texts(sent)).toContain('Inloopochtend De Regenboog');
  await until(() => h.app.db.select().from(deliveries).all().every((r) => r.status === 'sent'));
  expect(h.app.db.select().from(deliveries).all().map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);

  // A second tick (the cron's next minute) sends nothing again.
  await h.app.nurture!.planner!.tick();
  expect(h.app.db.select().from(deliveries).all()).toHaveLength(3);

  const answer = await h.exchange(chat, () => h.api.press(chat, button(sent, 'Ik kom')));
  expect(texts(answer)).toContain('Fijn dat je komt');
  expect(answer.some((m) => m.method === 'sendDocument' && m.document?.filename === `ouderbrug-${eventId}.ics`)).toBe(true);

  // On the day: the reminder for parents who come, at 08:30 (end of the quiet hours).
  const count = h.api.sent(chat).length;
  clock.set('2026-12-09T07:30:00Z');
  await h.app.nurture!.planner!.tick();
  const today = await h.api.waitForSent(chat, count + 1, 10_000);
  expect(texts(today.slice(-1))).toContain('Vandaag is het zover');
  await until(() => h.app.db.select().from(deliveries).where(eq(deliveries.ruleId, 'event-today')).get()?.status === 'sent');
});

it('says so in the health check when Redis is up', async () => {
  const res = await fetch(`http://127.0.0.1:${h.port}/health`);
  const body = (await res.json()) as { redis: string; workers: unknown };
  expect(body.redis).toBe('up');
  expect(body.workers).toContainEqual({ channel: 'telegram', state: 'up' });
});

it('shows a dead delivery worker on /health, and the bot as degraded', async () => {
  const health = async () => (await (await fetch(`http://127.0.0.1:${h.port}/health`)).json()) as { status: string; workers: unknown };
  expect((await health()).status).toBe('ok');
  const index = h.app.nurture?.workerState().findIndex((w) => w.channel === 'telegram') ?? -1;
  await h.app.nurture?.bullWorkers()[index]?.close();
  await until(() => h.app.nurture?.workerState()[index]?.state === 'down');
  const body = await health();
  expect(body.status).toBe('degraded');
  expect(body.workers).toContainEqual({ channel: 'telegram', state: 'down' });
  expect(body.workers).toContainEqual({ channel: 'local', state: 'up' });
});
