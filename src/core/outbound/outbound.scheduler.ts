/**
 * The one path to a messenger (ADR 0005): every reply and every proactive message of a channel
 * goes through its scheduler, which keeps within the channel's limits before the messenger has
 * to say 429.
 *
 *   - Replies to a parent who is waiting go first; proactive messages use what replies leave
 *     (in this process by the pick order, across processes by the shared budget's mark).
 *   - One chat is one FIFO: replies in the order they were committed, then proactive messages.
 *   - A committed reply is never dropped: 429 waits `retry_after`, network trouble and 5xx back
 *     off, until it is delivered, unreachable or refused. One that waited longer than
 *     `maxReplyAgeMs` is expired; the parent then gets one "sorry, I was busy" and the latest
 *     message (the current question).
 *   - A proactive message gets one attempt; its BullMQ job decides about retries.
 *   - `proactive.edit` (where the messenger can edit) is queued and paced like a proactive send.
 */
import type { Clock } from '../clock.js';
import { describeError } from '../dispatcher.js';
import type { SendOutcome } from '../errors.js';
import type { ChannelName, OutboundMessage } from '../messages.js';
import type { ChannelAdapter, Logger, SendOptions } from '../ports.js';
import { bucketsFor, type ChannelLimits } from './channel-limits.js';
import { OUTBOX_LEASE_MS, type OutboxPort, type PendingReply } from './outbox-port.js';
import type { Priority, SendBudget } from './send-budget.js';

export interface OutboundSchedulerDeps {
  channel: ChannelName;
  adapter: ChannelAdapter;
  limits: ChannelLimits;
  budget: SendBudget;
  outbox: OutboxPort;
  clock: Clock;
  logger: Logger;
  /** "Sorry, I was busy", rendered in the reader's language. */
  busyNotice(lang: string | undefined): OutboundMessage;
  maxReplyAgeMs: number;
}

export interface OutboundScheduler {
  readonly channel: ChannelName;
  /** Replies of one turn, in order; `id` is the outbox row (absent for a reply nothing stored). */
  enqueueReplies(chatId: string, replies: { id?: number; message: OutboundMessage }[]): void;
  /** A ChannelAdapter whose send is one proactive attempt, after every waiting reply. */
  readonly proactive: ChannelAdapter;
  /** Takes over replies a stopped process left, then keeps its leases and looks again every 10 s. */
  start(): void;
  stop(): Promise<void>;
  /** Resolves when nothing is waiting or in flight. */
  idle(): Promise<void>;
  waiting(): { replies: number; proactive: number; inFlight: number };
}

interface Item {
  kind: Priority;
  id?: number;
  message: OutboundMessage;
  createdAt: number;
  attempts: number;
  partsSent: number;
  notBefore: number;
  /** Sent even when old (the current question after an expiry). */
  forced?: boolean;
  options?: SendOptions;
  /** An edit of the message the messenger knows by this id, instead of a new message (proactive only). */
  edit?: string;
  done?: (outcome: SendOutcome) => void;
}

interface Chat {
  chatId: string;
  replies: Item[];
  proactive: Item[];
  busy: boolean;
  notBefore: number;
}

const MAX_NAP_MS = 1_000;
const LEASE_TICK_MS = 10_000;
const backoffMs = (attempts: number): number => Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 30_000);

export function createOutboundScheduler(deps: OutboundSchedulerDeps): OutboundScheduler {
  const { channel, adapter, limits, budget, outbox, clock, logger } = deps;
  const chats = new Map<string, Chat>();
  let inFlight = 0;
  let stopped = false;
  let running = false;
  let wakeUp: (() => void) | null = null;
  let idleWaiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const now = (): number => clock.now().getTime();

  const chatOf = (chatId: string): Chat => {
    let c = chats.get(chatId);
    if (!c) chats.set(chatId, (c = { chatId, replies: [], proactive: [], busy: false, notBefore: 0 }));
    return c;
  };
  const wake = (): void => {
    const w = wakeUp;
    wakeUp = null;
    w?.();
    // On a microtask, so everything enqueued in the same tick is weighed together (replies first).
    if (!running && !stopped) {
      running = true;
      queueMicrotask(() => void run());
    }
  };
  const nap = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      wakeUp = resolve;
      void clock.sleep(Math.max(1, Math.min(ms, MAX_NAP_MS))).then(() => {
        if (wakeUp === resolve) wakeUp = null;
        resolve();
      });
    });
  const empty = (): boolean => inFlight === 0 && [...chats.values()].every((c) => c.replies.length === 0 && c.proactive.length === 0);
  const settle = (): void => {
    for (const [id, c] of chats) if (!c.busy && c.replies.length === 0 && c.proactive.length === 0) chats.delete(id);
    if (empty()) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  /** The next item to send, or how long until one may be ready. */
  function pick(t: number): { chat: Chat; item: Item } | { napMs: number } {
    let soonest = Infinity;
    for (const kind of ['reply', 'proactive'] as const) {
      for (const chat of chats.values()) {
        const queue = kind === 'reply' ? chat.replies : chat.proactive;
        const head = queue[0];
        if (!head || chat.busy || (kind === 'proactive' && chat.replies.length > 0)) continue;
        const ready = Math.max(chat.notBefore, head.notBefore);
        if (ready <= t) return { chat, item: head };
        soonest = Math.min(soonest, ready);
      }
    }
    return { napMs: soonest === Infinity ? MAX_NAP_MS : soonest - t };
  }

  async function run(): Promise<void> {
    try {
      while (!stopped && !empty()) {
        if (inFlight >= limits.maxInFlight) {
          await nap(MAX_NAP_MS);
          continue;
        }
        const t = now();
        const next = pick(t);
        if ('napMs' in next) {
          if (inFlight === 0 && [...chats.values()].every((c) => c.replies.length === 0 && c.proactive.length === 0)) break;
          await nap(next.napMs);
          continue;
        }
        const { chat, item } = next;
        if (item.kind === 'reply' && !item.forced && t - item.createdAt > deps.maxReplyAgeMs) {
          expire(chat, t);
          continue;
        }
        const verdict = budget.take(bucketsFor(channel, limits, chat.chatId, item.kind), item.kind, t);
        if (!verdict.ok) {
          if (verdict.blockedBy === 'chat') chat.notBefore = t + verdict.waitMs;
          else await nap(verdict.waitMs);
          continue;
        }
        // Round robin: the chat just served goes to the back.
        chats.delete(chat.chatId);
        chats.set(chat.chatId, chat);
        chat.busy = true;
        inFlight++;
        void deliver(chat, item);
      }
    } catch (err) {
      logger.error({ err: describeError(err), channel }, 'outbound scheduler stopped unexpectedly; restarting it');
    } finally {
      running = false;
      settle();
      if (!stopped && !empty()) setTimeout(wake, 100).unref();
    }
  }

  /** Before each later part of a message (a long text, a file): one more token. */
  const pacer = (chatId: string, kind: Priority) => async (): Promise<void> => {
    for (;;) {
      const verdict = budget.take(bucketsFor(channel, limits, chatId, kind), kind, now());
      if (verdict.ok || stopped) return;
      await clock.sleep(verdict.waitMs);
    }
  };

  async function deliver(chat: Chat, item: Item): Promise<void> {
    let outcome: SendOutcome;
    try {
      outcome =
        item.edit !== undefined && adapter.edit
          ? await adapter.edit(chat.chatId, item.edit, item.message)
          : await adapter.send(chat.chatId, item.message, { ...item.options, ...(item.partsSent ? { fromPart: item.partsSent } : {}), pace: pacer(chat.chatId, item.kind) });
    } catch (err) {
      outcome = { status: 'retry', reason: `adapter threw: ${describeError(err).message}` };
    }
    try {
      if (item.kind === 'reply') afterReply(chat, item, outcome);
      else afterProactive(chat, item, outcome);
    } catch (err) {
      logger.error({ err: describeError(err), channel, outboxId: item.id }, 'recording a send outcome failed');
    } finally {
      chat.busy = false;
      inFlight--;
      settle();
      wake();
    }
  }

  function slowDown(chat: Chat, retryAfterMs: number, t: number): void {
    // Telegram does not say whether the chat or the whole bot was too fast: every bucket of this
    // chat waits (the reply and proactive sets share the chat's and, by default, the bot's bucket).
    const buckets = new Map([...bucketsFor(channel, limits, chat.chatId, 'reply'), ...bucketsFor(channel, limits, chat.chatId, 'proactive')].map((b) => [b.key, b]));
    for (const b of buckets.values()) budget.pause(b, t + retryAfterMs, t);
  }

  function afterReply(chat: Chat, item: Item, outcome: SendOutcome): void {
    const t = now();
    const log = { channel, outboxId: item.id, attempt: item.attempts + 1 };
    switch (outcome.status) {
      case 'sent':
        chat.replies.shift();
        if (item.id !== undefined) outbox.finish(item.id, 'sent', t);
        return;
      case 'wait':
      case 'retry': {
        item.attempts++;
        item.partsSent += outcome.partsSent ?? 0;
        const waitMs = outcome.status === 'wait' ? outcome.retryAfterMs : backoffMs(item.attempts);
        if (outcome.status === 'wait') slowDown(chat, waitMs, t);
        item.notBefore = t + waitMs;
        if (item.id !== undefined) outbox.noteAttempt(item.id, item.attempts, item.partsSent, `${outcome.status}: ${outcome.reason}`);
        logger.warn({ ...log, outcome: outcome.status, waitMs, reason: outcome.reason }, 'reply not delivered yet; it stays in the outbox');
        return;
      }
      case 'unreachable':
        for (const r of chat.replies.splice(0)) if (r.id !== undefined) outbox.finish(r.id, 'unreachable', t, outcome.reason);
        for (const p of chat.proactive.splice(0)) p.done?.(outcome);
        outbox.markUnreachable({ channel, chatId: chat.chatId });
        logger.info({ ...log, reason: outcome.reason }, 'person unreachable; proactive messages stopped');
        return;
      case 'invalid':
        // A bug on our side: log with context, never retry; the next reply may still help the parent.
        chat.replies.shift();
        if (item.id !== undefined) outbox.finish(item.id, 'failed', t, `invalid: ${outcome.reason}`);
        logger.error({ ...log, reason: outcome.reason, length: item.message.text.length, choices: item.message.choices?.length ?? 0 }, 'message refused (bug)');
        return;
    }
  }

  function afterProactive(chat: Chat, item: Item, outcome: SendOutcome): void {
    chat.proactive.shift();
    if (outcome.status === 'wait') slowDown(chat, outcome.retryAfterMs, now());
    item.done?.(outcome);
  }

  /** Old replies are dropped but the last (the current question), with one "sorry" before it. */
  function expire(chat: Chat, t: number): void {
    const last = chat.replies[chat.replies.length - 1];
    if (!last) return;
    const dropped = chat.replies.slice(0, -1);
    for (const r of dropped) if (r.id !== undefined) outbox.finish(r.id, 'expired', t);
    const sorry: Item = { kind: 'reply', message: deps.busyNotice(last.message.lang), createdAt: t, attempts: 0, partsSent: 0, notBefore: 0, forced: true };
    chat.replies = [sorry, { ...last, forced: true }];
    logger.warn({ channel, expired: dropped.length, outboxId: last.id }, 'replies waited too long: expired; the parent gets a short apology and the current question');
  }

  function adopt(rows: PendingReply[]): void {
    const t = now();
    for (const row of rows) {
      const chat = chatOf(row.address.chatId);
      if (row.id !== undefined && chat.replies.some((r) => r.id === row.id)) continue;
      chat.replies.push({ kind: 'reply', id: row.id, message: row.message, createdAt: t - row.ageMs, attempts: row.attempts, partsSent: row.partsSent, notBefore: 0 });
    }
    if (rows.length) logger.info({ channel, count: rows.length }, 'took over replies left by a stopped process');
    wake();
  }

  const heldIds = (): number[] => [...chats.values()].flatMap((c) => c.replies.flatMap((r) => (r.id === undefined ? [] : [r.id])));

  function tick(): void {
    try {
      const t = now();
      outbox.renew(heldIds(), t + OUTBOX_LEASE_MS);
      adopt(outbox.claimOrphans(channel, t, OUTBOX_LEASE_MS));
      budget.sweep(channel, t);
    } catch (err) {
      logger.error({ err: describeError(err), channel }, 'outbox lease tick failed');
    }
  }

  const queueProactive = (chatId: string, item: Omit<Item, 'kind' | 'createdAt' | 'attempts' | 'notBefore' | 'done'>): Promise<SendOutcome> =>
    new Promise<SendOutcome>((resolve) => {
      if (stopped) return resolve({ status: 'retry', reason: 'stopping' });
      chatOf(chatId).proactive.push({ kind: 'proactive', createdAt: now(), attempts: 0, notBefore: 0, ...item, done: resolve });
      wake();
    });

  const proactive: ChannelAdapter = {
    name: channel,
    send: (chatId, message, options) => queueProactive(chatId, { message, partsSent: options?.fromPart ?? 0, options }),
    // An edit (a broadcast's progress) is one more request to the messenger: it takes a token like a send.
    ...(adapter.edit ? { edit: (chatId: string, externalId: string, message: OutboundMessage) => queueProactive(chatId, { message, partsSent: 0, edit: externalId }) } : {}),
  };

  return {
    channel,
    proactive,
    enqueueReplies(chatId, replies) {
      if (replies.length === 0) return;
      const chat = chatOf(chatId);
      const t = now();
      for (const r of replies) chat.replies.push({ kind: 'reply', id: r.id, message: r.message, createdAt: t, attempts: 0, partsSent: 0, notBefore: 0 });
      wake();
    },
    start() {
      stopped = false;
      tick();
      timer = setInterval(tick, LEASE_TICK_MS);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      wake();
      for (let i = 0; i < 50 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 100));
      try {
        outbox.release(heldIds());
      } catch (err) {
        logger.warn({ err: describeError(err), channel }, 'could not release outbox leases');
      }
      for (const c of chats.values()) for (const p of c.proactive.splice(0)) p.done?.({ status: 'retry', reason: 'stopping' });
      chats.clear();
      settle();
    },
    idle() {
      if (empty()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    waiting() {
      let replies = 0;
      let pro = 0;
      for (const c of chats.values()) {
        replies += c.replies.length;
        pro += c.proactive.length;
      }
      return { replies, proactive: pro, inFlight };
    },
  };
}
