/**
 * Broadcasts through the whole bot as `npm start` builds it: the runner fans out, BullMQ on a
 * real Redis hands the rows to the Telegram worker, telegraf sends to the fake Bot API, and the
 * author's progress message is edited in place until it becomes the summary.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { runBroadcastCommand } from '../../src/db/broadcast.effects.js';
import { getBroadcast } from '../../src/db/broadcasts.repo.js';
import type { BroadcastCommand } from '../../src/domain/broadcast.types.js';
import { startAppHarness, type AppHarness } from '../support/app-harness.js';
import { seedInitiative, seedParents, type SeedParent } from '../support/broadcast-seed.js';

let h: AppHarness;
const NOW = '2026-12-07T10:00:00Z'; // 11:00 in Amsterdam
/**
 * A clock that runs with real time from a chosen moment (rows are paced at the channel's rate, so
 * their send times lie seconds ahead and must really come), and that a test may move forward.
 */
function runningClock(start: string): Clock & { set(d: string | Date): void; advance(ms: number): void } {
  let base = new Date(start).getTime();
  let real = Date.now();
  return {
    now: () => new Date(base + (Date.now() - real)),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    set: (d) => {
      base = new Date(d).getTime();
      real = Date.now();
    },
    advance: (ms) => {
      base += ms;
    },
  };
}
const clock = runningClock(NOW);

beforeEach(async () => {
  clock.set(NOW);
  h = await startAppHarness({ TELEGRAM_RATE_PER_SECOND: '30' }, { clock });
});
afterEach(async () => h.close());

async function until(check: () => boolean, timeoutMs: number, step?: () => void): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    step?.();
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A command as a chat turn applies it, then the app's after-commit listeners (fan-out, queue kick). */
async function act(personId: number, command: BroadcastCommand): Promise<void> {
  const out = h.app.db.transaction((tx) => runBroadcastCommand(tx, { personId }, command, clock.now()));
  expect(out.ok, `${command.op}: ${JSON.stringify(out)}`).toBe(true);
  await h.app.afterCommit.emit({ effects: [{ type: 'broadcast', command }], personId, channel: 'telegram', now: clock.now() });
}

const AUTHOR_CHAT = 555;

function seedWorld(parents: SeedParent[]): { initiativeId: number; author: number; chats: number[] } {
  const initiativeId = seedInitiative(h.app.db, 'regenboog', 'Samen naar De Regenboog');
  const [author] = seedParents(h.app.db, initiativeId, [{ language: 'nl', role: 'coordinator', chatId: String(AUTHOR_CHAT) }], clock.now());
  h.api.meet(AUTHOR_CHAT);
  const chats = parents.map((_, i) => 200_000 + i);
  seedParents(h.app.db, initiativeId, parents.map((p, i) => ({ ...p, chatId: String(chats[i]) })), clock.now());
  for (const c of chats) h.api.meet(c);
  return { initiativeId, author: author!, chats };
}

async function draft(author: number, initiativeId: number, versions: Record<string, string>): Promise<number> {
  const created = h.app.db.transaction((tx) => runBroadcastCommand(tx, { personId: author }, { op: 'create', initiativeId, draftKey: 'e2e' }, clock.now()));
  if (!created.ok) throw new Error('create refused');
  for (const [lang, text] of Object.entries(versions)) await act(author, { op: 'version', broadcastId: created.broadcastId, lang, text });
  return created.broadcastId;
}

const LANGS = ['nl', 'en', 'tr', 'ar', 'pl', 'uk'] as const;
const TEXT: Record<string, string> = {
  nl: 'Zaterdag is er een speelochtend op school.',
  en: 'On Saturday there is a play morning at school.',
  tr: 'Cumartesi okulda bir oyun sabahı var.',
  ar: 'يوم السبت هناك صباح لعب في المدرسة.',
};
const NOTE: Record<string, string> = { pl: 'Ta wiadomość nie jest jeszcze w twoim języku.', uk: 'Це повідомлення ще не перекладене вашою мовою.' };

it(
  'a broadcast to 1,000 parents in 6 languages with 2 versions missing: each parent receives exactly one message, in their language or the fallback with the note; the author sees progress edited in place and the summary',
  async () => {
    const parents: SeedParent[] = Array.from({ length: 1000 }, (_, i) => {
      const language = LANGS[i % LANGS.length]!;
      // Some Polish and Ukrainian parents chose English as their second language.
      return { language, fallback: (language === 'pl' || language === 'uk') && i % 4 === 0 ? 'en' : null };
    });
    const { initiativeId, author, chats } = seedWorld(parents);
    const id = await draft(author, initiativeId, TEXT);
    await act(author, { op: 'submit', broadcastId: id });
    expect(getBroadcast(h.app.db, id)?.status).toBe('sending');

    // Time moves on while it sends, so the progress message is edited (at most every 5 s).
    await until(
      () => chats.every((c) => h.api.sent(c).length >= 1) && getBroadcast(h.app.db, id)?.status === 'done',
      90_000,
      () => clock.advance(1000),
    );
    await new Promise((r) => setTimeout(r, 500));

    for (const [i, chat] of chats.entries()) {
      const got = h.api.sent(chat);
      expect(got, `chat ${chat}`).toHaveLength(1);
      const msg = got[0]!;
      const p = parents[i]!;
      const plain = msg.plain ?? '';
      if (TEXT[p.language]) {
        expect(plain).toContain(TEXT[p.language]);
        expect(msg.reply_markup).toBeUndefined();
      } else {
        expect(plain).toContain(p.fallback === 'en' ? TEXT.en : TEXT.nl);
        expect(plain).toContain(NOTE[p.language]);
        const buttons = (msg.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat();
        // (Telegram callback data carries the bot's button version before the value.)
        expect(buttons).toEqual([{ text: p.language === 'pl' ? 'Pomoc' : 'Допомога', callback_data: expect.stringMatching(new RegExp(`(^|\\|)rl:bc:${id}$`)) }]);
      }
    }

    // The author: one message, edited in place while sending, ending as the summary.
    // (The coordinator may also hear from the planner, e.g. a missing registration date: not about this broadcast.)
    const authorMessages = h.api.sent(AUTHOR_CHAT).filter((m) => (m.plain ?? '').includes(`Bericht ${id} `));
    expect(authorMessages).toHaveLength(1);
    expect(authorMessages[0]!.edits ?? 0).toBeGreaterThanOrEqual(2);
    expect(authorMessages[0]!.plain).toContain(`Bericht ${id} is klaar.`);
    expect(authorMessages[0]!.plain).toContain('Afgeleverd: 1000');
    const b = getBroadcast(h.app.db, id)!;
    expect(b.summary).toMatchObject({ delivered: 1000, failed: {}, skipped: {}, waitingForReply: 0 });
  },
  120_000,
);

it(
  'pause, resume and cancel mid-send: nothing goes out while paused, nobody gets two, the rest is cancelled and counted',
  async () => {
    const { initiativeId, author, chats } = seedWorld(Array.from({ length: 200 }, () => ({ language: 'nl' })));
    const id = await draft(author, initiativeId, { nl: 'Een bericht voor iedereen.' });
    const delivered = () => chats.filter((c) => h.api.sent(c).length > 0).length;
    await act(author, { op: 'submit', broadcastId: id });
    await until(() => delivered() >= 20, 30_000);
    await act(author, { op: 'pause', broadcastId: id });
    // What was in flight finishes; then nothing more.
    await new Promise((r) => setTimeout(r, 1000));
    const atPause = delivered();
    expect(atPause).toBeLessThan(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect(delivered()).toBe(atPause);
    expect(getBroadcast(h.app.db, id)?.status).toBe('paused');

    await act(author, { op: 'resume', broadcastId: id });
    await until(() => delivered() >= atPause + 20, 30_000);
    await act(author, { op: 'cancel', broadcastId: id });
    await new Promise((r) => setTimeout(r, 1000));
    const atCancel = delivered();
    await new Promise((r) => setTimeout(r, 2000));
    expect(delivered()).toBe(atCancel);
    expect(atCancel).toBeLessThan(200);
    for (const c of chats) expect(h.api.sent(c).length).toBeLessThanOrEqual(1);

    await until(() => getBroadcast(h.app.db, id)?.finishedAt != null, 10_000);
    const b = getBroadcast(h.app.db, id)!;
    expect(b.status).toBe('cancelled');
    expect(b.summary?.delivered).toBe(atCancel);
    expect(b.summary?.skipped).toEqual({ cancelled: 200 - atCancel });
    // The author's summary says it was stopped.
    await until(() => (h.api.sent(AUTHOR_CHAT).at(-1)?.plain ?? '').includes(`Bericht ${id} is gestopt.`), 10_000);
  },
  90_000,
);

it(
  'a scheduled broadcast fires once, also across restarts',
  async () => {
    const { initiativeId, author, chats } = seedWorld(Array.from({ length: 30 }, () => ({ language: 'tr' })));
    const id = await draft(author, initiativeId, { nl: 'Morgen koffie.', tr: 'Yarın kahve.' });
    await act(author, { op: 'timing', broadcastId: id, sendAt: new Date('2026-12-07T13:00:00Z') });
    await act(author, { op: 'submit', broadcastId: id });
    await h.app.nurture!.broadcasts!.tick();
    expect(getBroadcast(h.app.db, id)?.status).toBe('scheduled');
    expect(chats.some((c) => h.api.sent(c).length > 0)).toBe(false);

    // The process stops before the moment and starts after it: the runner fires it.
    await h.restart();
    clock.set('2026-12-07T13:00:05Z');
    await h.app.nurture!.broadcasts!.tick();
    await until(() => chats.every((c) => h.api.sent(c).length === 1), 20_000);
    // Another restart (and the runner looking again) sends nothing more.
    await h.restart();
    await h.app.nurture!.broadcasts!.tick();
    await h.app.nurture!.planner!.tick();
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of chats) expect(h.api.sent(c).map((m) => m.plain)).toEqual(['Yarın kahve.']);
    expect(h.app.db.$client.prepare("select count(*) from audit_log where action = 'broadcast.send'").pluck().get()).toBe(1);
  },
  60_000,
);
