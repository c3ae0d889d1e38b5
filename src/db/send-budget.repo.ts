/**
 * SendBudget on SQLite: one row per bucket, read and written in one IMMEDIATE transaction,
 * so two processes sharing the database file (WAL) share the budget. A take costs a few tens
 * of microseconds (measured in docs/benchmarks.md), far below the 33 ms between two messages
 * at 30/s. Raw prepared statements: this is the hottest path of every send.
 */
import { REPLY_WANTED_MS, type Bucket, type Priority, type SendBudget, type TakeResult } from '../core/outbound/send-budget.js';
import type { Db } from './client.js';

interface Row {
  tokens: number;
  updated_ms: number;
  paused_until_ms: number;
  reply_wanted_until_ms: number;
}

export function createSendBudget(db: Db): SendBudget {
  const sqlite = db.$client;
  const read = sqlite.prepare<[string], Row>('SELECT tokens, updated_ms, paused_until_ms, reply_wanted_until_ms FROM send_budget WHERE key = ?');
  const write = sqlite.prepare<[string, number, number]>(
    `INSERT INTO send_budget (key, tokens, updated_ms) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms`,
  );
  const wantReplies = sqlite.prepare<[string, number, number, number]>(
    `INSERT INTO send_budget (key, tokens, updated_ms, reply_wanted_until_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET reply_wanted_until_ms = MAX(reply_wanted_until_ms, excluded.reply_wanted_until_ms)`,
  );
  const pauseStmt = sqlite.prepare<[string, number, number]>(
    `INSERT INTO send_budget (key, tokens, updated_ms, paused_until_ms) VALUES (?, 0, ?, ?)
     ON CONFLICT(key) DO UPDATE SET tokens = 0, updated_ms = excluded.updated_ms, paused_until_ms = MAX(paused_until_ms, excluded.paused_until_ms)`,
  );
  const clearReplyMark = sqlite.prepare<[string, number]>('UPDATE send_budget SET reply_wanted_until_ms = 0 WHERE key = ? AND reply_wanted_until_ms > ?');
  const sweepStmt = sqlite.prepare<[string, number, number]>(`DELETE FROM send_budget WHERE key LIKE ? AND updated_ms < ? AND paused_until_ms < ?`);

  const level = (b: Bucket, row: Row | undefined, now: number): number =>
    row ? Math.min(b.capacity, row.tokens + (Math.max(0, now - row.updated_ms) * b.perSecond) / 1000) : b.capacity;

  const take = sqlite.transaction((buckets: Bucket[], priority: Priority, now: number): TakeResult => {
    const levels: number[] = [];
    const waits = { chat: 0, bot: 0, replies: 0 };
    for (const b of buckets) {
      const row = read.get(b.key);
      const tokens = level(b, row, now);
      levels.push(tokens);
      const kind = b.shared ? 'bot' : 'chat';
      if (row && row.paused_until_ms > now) waits[kind] = Math.max(waits[kind], row.paused_until_ms - now);
      else if (tokens < 1) waits[kind] = Math.max(waits[kind], Math.ceil(((1 - tokens) * 1000) / b.perSecond));
      else if (priority === 'proactive' && b.shared && row && row.reply_wanted_until_ms > now) waits.replies = row.reply_wanted_until_ms - now;
    }
    // The chat's verdict comes first: the scheduler can serve another chat meanwhile.
    if (waits.chat > 0) return { ok: false, waitMs: waits.chat, blockedBy: 'chat' };
    if (waits.bot > 0) {
      if (priority === 'reply') for (const b of buckets) if (b.shared) wantReplies.run(b.key, b.capacity, now, now + Math.max(REPLY_WANTED_MS, waits.bot));
      return { ok: false, waitMs: waits.bot, blockedBy: 'bot' };
    }
    if (waits.replies > 0) return { ok: false, waitMs: waits.replies, blockedBy: 'replies' };
    buckets.forEach((b, i) => write.run(b.key, (levels[i] ?? b.capacity) - 1, now));
    // The reply that asked for room got it: proactive messages may use the next token again. (A
    // reply still waiting in another process marks it anew when it finds the bucket empty; in this
    // process the scheduler picks replies before proactive messages anyway.) Without this, every
    // mark kept proactive messages out for its whole span and the budget ran at ~80 %.
    if (priority === 'reply') for (const b of buckets) if (b.shared) clearReplyMark.run(b.key, now);
    return { ok: true };
  });

  return {
    take: (buckets, priority, nowMs) => take.immediate(buckets, priority, nowMs),
    pause(bucket, untilMs, nowMs) {
      pauseStmt.run(bucket.key, nowMs, untilMs);
    },
    sweep(channel, nowMs) {
      // A chat bucket refills within a few seconds (Telegram: 2 tokens at 1/s); a minute is ample.
      return sweepStmt.run(`${channel}:chat:%`, nowMs - 60_000, nowMs).changes;
    },
  };
}
