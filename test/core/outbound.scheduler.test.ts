/**
 * The outbound scheduler on a real SQLite budget and outbox, with a virtual clock: replies
 * before proactive messages, limits kept before the messenger complains, nothing committed is
 * dropped, expiry with one apology, two processes sharing one budget, orphans taken over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../src/core/errors.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import type { ChannelLimits } from '../../src/core/outbound/channel-limits.js';
import { createOutboundScheduler, type OutboundScheduler } from '../../src/core/outbound/outbound.scheduler.js';
import type { ChannelAdapter } from '../../src/core/ports.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createOutbox } from '../../src/db/outbox.repo.js';
import { identities, outbox, people } from '../../src/db/schema.js';
import { createSendBudget } from '../../src/db/send-budget.repo.js';
import { virtualClock } from '../support/clock.js';
import { silentLogger } from '../support/engine-harness.js';

const LIMITS: ChannelLimits = { bot: { capacity: 1, perSecond: 10 }, chat: { capacity: 3, perSecond: 1 }, maxInFlight: 8 };

interface Sent {
  chatId: string;
  text: string;
  at: number;
}

class ScriptedAdapter implements ChannelAdapter {
  readonly name = 'telegram' as const;
  readonly sent: Sent[] = [];
  attempts = 0;
  /** Decides each attempt; default: sent. */
  script: (chatId: string, text: string, at: number) => SendOutcome = () => ({ status: 'sent' });
  constructor(private readonly now: () => number) {}
  async send(chatId: string, message: OutboundMessage): Promise<SendOutcome> {
    this.attempts++;
    const at = this.now();
    const outcome = this.script(chatId, message.text, at);
    if (outcome.status === 'sent') this.sent.push({ chatId, text: message.text, at });
    return outcome;
  }
}

let dir: string;
let db: Db;
let clock: ReturnType<typeof virtualClock>;
const schedulers: OutboundScheduler[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-outbound-'));
  db = openDatabase(join(dir, 'test.db'));
  clock = virtualClock('2026-12-07T10:00:00Z');
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

function scheduler(adapter: ChannelAdapter, opts: { limits?: ChannelLimits; owner?: string; maxReplyAgeMs?: number; database?: Db } = {}): OutboundScheduler {
  const d = opts.database ?? db;
  const s = createOutboundScheduler({
    channel: 'telegram',
    adapter,
    limits: opts.limits ?? LIMITS,
    budget: createSendBudget(d),
    outbox: createOutbox(d, clock, opts.owner ?? 'host:1:a'),
    clock,
    logger: silentLogger,
    busyNotice: (lang) => ({ text: `sorry (${lang ?? '-'})`, lang }),
    maxReplyAgeMs: opts.maxReplyAgeMs ?? 10 * 60_000,
  });
  schedulers.push(s);
  return s;
}

/** A consented parent on chat `chatId` (replies of people are kept; those before consent are not). */
function personOn(chatId: string): { personId: number; identityId: number } {
  const personId = db.insert(people).values({ language: 'nl' }).returning({ id: people.id }).get().id;
  const identityId = db.insert(identities).values({ personId, channel: 'telegram', chatId }).returning({ id: identities.id }).get().id;
  return { personId, identityId };
}

/** Commits replies as the engine does (outbox rows) and hands them to the scheduler. */
function commit(s: OutboundScheduler, chatId: string, texts: string[]): number[] {
  const who = personOn(chatId);
  const ids = texts.map((text) => db.insert(outbox).values({ ...who, channel: 'telegram', chatId, message: { text, lang: 'nl' }, createdAt: clock.now(), owner: 'host:1:a' }).returning({ id: outbox.id }).get().id);
  s.enqueueReplies(
    chatId,
    texts.map((text, i) => ({ id: ids[i], message: { text, lang: 'nl' } })),
  );
  return ids;
}

const maxInWindow = (times: number[], windowMs: number): number => {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
};

describe('outbound scheduler', () => {
  it('sends replies before proactive messages, keeps each chat in order and stays within the limits', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    const s = scheduler(adapter);
    const proactive = Array.from({ length: 30 }, (_, i) => s.proactive.send(`p${i}`, { text: `reminder ${i}` }));
    for (let c = 0; c < 10; c++) commit(s, `c${c}`, [`c${c} one`, `c${c} two`]);
    await clock.run(60_000, () => adapter.sent.length === 50);
    const outcomes = await Promise.all(proactive);
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    const texts = adapter.sent.map((m) => m.text);
    // Every reply went before the first reminder.
    const lastReply = Math.max(...texts.map((t, i) => (t.startsWith('c') ? i : -1)));
    const firstReminder = texts.findIndex((t) => t.startsWith('reminder'));
    expect(lastReply).toBeLessThan(firstReminder);
    for (let c = 0; c < 10; c++) expect(texts.filter((t) => t.startsWith(`c${c} `))).toEqual([`c${c} one`, `c${c} two`]);
    // At most 10 a second overall (+1 for the bucket), and never more than the chat's burst per second.
    expect(maxInWindow(adapter.sent.map((m) => m.at), 1000)).toBeLessThanOrEqual(11);
    expect(adapter.sent.at(-1)!.at - adapter.sent[0]!.at).toBeGreaterThanOrEqual(4_000);
    expect(db.select().from(outbox).all().every((r) => r.status === 'sent')).toBe(true);
  });

  it('keeps one chat to its burst, then one a second', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    const s = scheduler(adapter);
    commit(s, 'a', ['1', '2', '3', '4', '5', '6']);
    await clock.run(60_000, () => adapter.sent.length === 6);
    const at = adapter.sent.map((m) => m.at - adapter.sent[0]!.at);
    expect(at.slice(0, 3).every((t) => t <= 200)).toBe(true);
    expect(at[3]).toBeGreaterThanOrEqual(900);
    expect(at[5]! - at[4]!).toBeGreaterThanOrEqual(900);
  });

  it('waits retry_after on a 429 and never drops the reply', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    let refused = 0;
    adapter.script = () => (refused++ < 3 ? { status: 'wait', retryAfterMs: 5_000, reason: '429' } : { status: 'sent' });
    const s = scheduler(adapter);
    const t0 = clock.now().getTime();
    const [id] = commit(s, 'a', ['hello']);
    await clock.run(60_000, () => adapter.sent.length === 1);
    expect(adapter.sent[0]!.at - t0).toBeGreaterThanOrEqual(15_000);
    const row = db.select().from(outbox).all().find((r) => r.id === id);
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('retries a reply that fails with 5xx for two minutes, then delivers it', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    const t0 = clock.now().getTime();
    adapter.script = (_c, _t, at) => (at - t0 < 120_000 ? { status: 'retry', reason: '502 Bad Gateway' } : { status: 'sent' });
    const s = scheduler(adapter);
    commit(s, 'a', ['your question', 'the next one']);
    await clock.run(10 * 60_000, () => adapter.sent.length === 2);
    expect(adapter.sent.map((m) => m.text)).toEqual(['your question', 'the next one']);
    expect(adapter.sent[0]!.at - t0).toBeGreaterThanOrEqual(120_000);
    expect(adapter.sent[0]!.at - t0).toBeLessThan(160_000); // backoff is capped at 30 s
    expect(adapter.attempts).toBeGreaterThan(5); // more than the old 5 attempts
  });

  it('expires replies that waited longer than the maximum age: one apology, then the current question', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    const t0 = clock.now().getTime();
    adapter.script = (_c, _t, at) => (at - t0 < 11 * 60_000 ? { status: 'retry', reason: 'network down' } : { status: 'sent' });
    const s = scheduler(adapter);
    const ids = commit(s, 'a', ['thanks', 'how old is your child?']);
    await clock.run(30 * 60_000, () => adapter.sent.length === 2);
    expect(adapter.sent.map((m) => m.text)).toEqual(['sorry (nl)', 'how old is your child?']);
    const rows = db.select().from(outbox).all();
    expect(rows.find((r) => r.id === ids[0])?.status).toBe('expired');
    expect(rows.find((r) => r.id === ids[1])?.status).toBe('sent');
  });

  it('stops at an unreachable chat and marks its other replies, without touching other chats', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    adapter.script = (chatId) => (chatId === 'blocked' ? { status: 'unreachable', reason: '403' } : { status: 'sent' });
    const s = scheduler(adapter);
    commit(s, 'blocked', ['1', '2']);
    commit(s, 'fine', ['1', '2']);
    await clock.run(60_000, () => adapter.sent.length === 2);
    await s.idle();
    expect(adapter.sent.map((m) => m.chatId)).toEqual(['fine', 'fine']);
    expect(db.select().from(outbox).all().filter((r) => r.chatId === 'blocked').map((r) => r.status)).toEqual(['unreachable', 'unreachable']);
  });

  it('shares one budget between two processes on the same database', async () => {
    const a = new ScriptedAdapter(() => clock.now().getTime());
    const b = new ScriptedAdapter(() => clock.now().getTime());
    const db2 = openDatabase(join(dir, 'test.db'));
    try {
      const s1 = scheduler(a, { owner: 'host:1:a' });
      const s2 = scheduler(b, { owner: 'host:2:b', database: db2 });
      for (let c = 0; c < 20; c++) {
        s1.enqueueReplies(`x${c}`, [{ message: { text: 'x' } }]);
        s2.enqueueReplies(`y${c}`, [{ message: { text: 'y' } }]);
      }
      await clock.run(60_000, () => a.sent.length + b.sent.length === 40);
      const times = [...a.sent, ...b.sent].map((m) => m.at);
      expect(times).toHaveLength(40);
      expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(11);
    } finally {
      for (const s of schedulers.splice(0)) await s.stop();
      db2.$client.close();
    }
  });

  it('lets proactive messages of another process wait while replies are waiting for the budget', async () => {
    const a = new ScriptedAdapter(() => clock.now().getTime());
    const b = new ScriptedAdapter(() => clock.now().getTime());
    const s1 = scheduler(a, { owner: 'host:1:a' });
    const s2 = scheduler(b, { owner: 'host:2:b' });
    const reminders = Array.from({ length: 20 }, (_, i) => s2.proactive.send(`p${i}`, { text: 'reminder' }));
    for (let c = 0; c < 20; c++) s1.enqueueReplies(`r${c}`, [{ message: { text: 'reply' } }]);
    await clock.run(60_000, () => a.sent.length + b.sent.length === 40);
    await Promise.all(reminders);
    const lastReply = Math.max(...a.sent.map((m) => m.at));
    const remindersBefore = b.sent.filter((m) => m.at < lastReply).length;
    // Proactive work only used what replies left: at most the first one or two slipped in.
    expect(remindersBefore).toBeLessThanOrEqual(2);
  });

  it('keeps no trace of a reply from before consent once it is delivered', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    const s = scheduler(adapter);
    const id = db.insert(outbox).values({ channel: 'telegram', chatId: '42', message: { text: 'which language?' }, createdAt: clock.now(), owner: 'host:1:a' }).returning().get().id;
    s.enqueueReplies('42', [{ id, message: { text: 'which language?' } }]);
    await clock.run(5_000, () => adapter.sent.length === 1);
    await s.idle();
    expect(db.select().from(outbox).all()).toEqual([]);
  });

  it('takes over replies of a process that died, and sends each once', async () => {
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    // Rows of a dead process on this host (no such pid) and of a live one elsewhere with a fresh lease.
    const dead = db.insert(outbox).values({ ...personOn('a'), channel: 'telegram', chatId: 'a', message: { text: 'left behind' }, createdAt: clock.now(), owner: `${(await import('node:os')).hostname()}:999999:zz`, leaseUntil: new Date(clock.now().getTime() + 30_000) }).returning().get();
    db.insert(outbox).values({ channel: 'telegram', chatId: 'b', message: { text: 'someone else sends this' }, createdAt: clock.now(), owner: 'other-host:5:yy', leaseUntil: new Date(clock.now().getTime() + 30_000) }).run();
    const s = scheduler(adapter, { owner: 'host:1:a' });
    s.start();
    await clock.run(5_000, () => adapter.sent.length === 1);
    await s.idle();
    expect(adapter.sent.map((m) => m.text)).toEqual(['left behind']);
    expect(db.select().from(outbox).all().find((r) => r.id === dead.id)?.status).toBe('sent');
  });

  it('passes edits through the proactive adapter when the messenger can edit, each taking a token like a send', async () => {
    const edits: { chatId: string; externalId: string; text: string; at: number }[] = [];
    const adapter = new ScriptedAdapter(() => clock.now().getTime());
    const editing: ChannelAdapter = {
      name: 'telegram',
      send: (chatId, message) => adapter.send(chatId, message),
      edit: async (chatId, externalId, message) => {
        edits.push({ chatId, externalId, text: message.text, at: clock.now().getTime() });
        return { status: 'sent', externalId };
      },
    };
    const s = scheduler(editing, { limits: { ...LIMITS, chat: { capacity: 1, perSecond: 1 } } });
    expect(scheduler(adapter).proactive.edit).toBeUndefined();
    const first = await s.proactive.send('7', { text: 'progress 0%' });
    expect(first.status).toBe('sent');
    const outcomes = [s.proactive.edit!('7', '55', { text: 'progress 50%' }), s.proactive.edit!('7', '55', { text: 'progress 100%' })];
    await clock.run(10_000, () => edits.length === 2);
    expect(await Promise.all(outcomes)).toEqual([
      { status: 'sent', externalId: '55' },
      { status: 'sent', externalId: '55' },
    ]);
    expect(edits.map((e) => e.text)).toEqual(['progress 50%', 'progress 100%']);
    // One token a second for this chat: the send and the two edits are a second apart each.
    const times = [adapter.sent[0]!.at, ...edits.map((e) => e.at)];
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(1000);
  });
});
