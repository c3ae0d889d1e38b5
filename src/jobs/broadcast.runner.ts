/**
 * A broadcast's fan-out (issue 11, item 2): when a scheduled broadcast is due, ONE transaction
 * flips it scheduled → sending (`UPDATE … WHERE status = 'scheduled'`, so it fires once, also
 * across a restart or with two processes) and writes one delivery row per parent of its
 * audience (kind 'broadcast', rule `b<id>`, key `b<id>|p<person>`: unique, so nobody is reached
 * twice). Each row gets its send time as any proactive message does (quiet hours, the cap), paced
 * at the channel's rate (row n at now + n / rate), so Redis holds minutes of work and a reminder
 * due meanwhile goes between them instead of behind 100,000 jobs. Parents who stopped, gave no
 * consent or have no reachable chat are counted as skipped (no row). What is due within the next
 * minutes goes to BullMQ at once; the planner's minutely tick hands over the rest as it comes due.
 * The delivery worker renders each row at send time with src/domain/broadcast-message.ts.
 */
import type { i18n } from 'i18next';
import { CHANNEL_INFO, type ChannelName, type Reply } from '../core/messages.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/dispatcher.js';
import type { SendOutcome } from '../core/errors.js';
import type { ChannelAdapter, Logger } from '../core/ports.js';
import { renderReply } from '../core/render.js';
import type { DeliveryQueues } from './delivery.queue.js';
import { ENQUEUE_AHEAD_MS } from './planner.js';
import { broadcastRuleId, type AudienceFilter, type BroadcastStatus, type BroadcastSummary } from '../domain/broadcast.types.js';
import { OPEN_STATUSES, progressOf, progressReply, summarize, summaryReply, type RowGroup } from '../domain/broadcast-report.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import { afterQuiet, fitsCap, planSendTime, type SendPolicy } from '../domain/send-window.js';
import type { Db } from '../db/client.js';
import { writeAudit } from '../db/audit.repo.js';
import { initiativeZone, selectAudience } from '../db/broadcast-audience.repo.js';
import type { QueueItem } from '../db/deliveries.repo.js';
import { dueBroadcasts, getBroadcastRow, setProgressRef, setSummary } from '../db/broadcasts.repo.js';

/**
 * Where a broadcast stands among a parent's messages in the cap: above keep-warm messages,
 * newsletters, toddler groups, settling-in and birth checks (1–5) and the first event invitations
 * (5); below deadline reminders, "tomorrow"/"today" event messages and phase changes (7–9). A
 * broadcast does not wait for planned messages of lower priority: they are deferred instead.
 */
export const BROADCAST_PRIORITY = 6;
/** A broadcast that could not go out within 3 days of its moment (the cap, quiet hours) is stale news: skipped. */
export const BROADCAST_EXPIRY_MS = 3 * 86_400_000;

export interface BroadcastRunnerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  policy: SendPolicy;
  defaultTimeZone: string;
  /**
   * Messages per second each channel sends proactively (the delivery worker's rate): a broadcast's
   * rows get send times one after another at that pace (absent: all at once, e.g. tests and the CLI).
   */
  ratePerSecond?: Partial<Record<ChannelName, number>>;
  /** The delivery queues: the rows due within the next minutes are handed to BullMQ at once; the planner's tick takes the rest as they come due. */
  queues?: DeliveryQueues;
  /** Without queues: hands rows due now to BullMQ (the planner's kick); neither: the planner's next tick does. */
  kick?: () => Promise<number>;
}

/** Skip reasons counted at the start (no row is written for these parents). */
export type StartSkip = 'stopped' | 'noConsent' | 'unreachable' | 'cap' | 'quietHours';

export interface FanOutReport {
  broadcastId: number;
  /** Delivery rows written (one per parent who will be sent the broadcast). */
  recipients: number;
  skipped: Partial<Record<StartSkip, number>>;
  /** Rows handed to BullMQ at once (the kick's count; 0 without a kick). */
  enqueued: number;
  /** Time to write the rows (the transaction), and until they were queued. */
  writeMs: number;
  totalMs: number;
}

const rank = (c: ChannelName): number => CHANNEL_INFO[c].rank;

/** The delivery key of one parent's copy. */
export const broadcastKey = (broadcastId: number, personId: number): string => `${broadcastRuleId(broadcastId)}|p${personId}`;
/** The key range of a broadcast's rows (`key >= lo and key < hi`: the unique index on key, no scan). */
export const broadcastKeyRange = (broadcastId: number): [string, string] => [`${broadcastRuleId(broadcastId)}|`, `${broadcastRuleId(broadcastId)}}`];

/**
 * The synchronous part: flip and write in one transaction. Null when the broadcast is not a
 * due, scheduled one (already fired, cancelled, not yet due).
 */
export function fanOutRows(deps: BroadcastRunnerDeps, broadcastId: number, now: Date): (Omit<FanOutReport, 'enqueued' | 'totalMs'> & { dueNow: QueueItem[] }) | null {
  const started = performance.now();
  const sqlite = deps.db.$client;
  const run = sqlite.transaction((): (Omit<FanOutReport, 'enqueued' | 'totalMs' | 'writeMs'> & { dueNow: QueueItem[] }) | null => {
    const flipped = sqlite
      .prepare("update broadcasts set status = 'sending', started_at = ? where id = ? and status = 'scheduled' and coalesce(send_at, 0) <= ?")
      .run(now.getTime(), broadcastId, now.getTime());
    if (flipped.changes !== 1) return null;
    const b = getBroadcastRow(deps.db, broadcastId)!;
    const zone = initiativeZone(deps.db, b.initiativeId, deps.defaultTimeZone);
    const members = selectAudience(deps.db, b.initiativeId, (b.audience ?? {}) as AudienceFilter, now, zone, rank);
    const history = capHistoryForBroadcast(deps.db, b.initiativeId, new Date(now.getTime() - deps.policy.cap.windowMs));
    const skipped: Partial<Record<StartSkip, number>> = {};
    const skip = (why: StartSkip) => void (skipped[why] = (skipped[why] ?? 0) + 1);
    const payload: DeliveryPayload = {
      key: 'broadcast:body',
      params: {},
      buttons: null,
      broadcastId,
      initiativeId: b.initiativeId,
      ...(b.nudgeId !== null ? { nudgeId: b.nudgeId } : {}),
    };
    const payloadJson = JSON.stringify(payload);
    const ruleId = broadcastRuleId(broadcastId);
    const expiresAt = new Date(now.getTime() + BROADCAST_EXPIRY_MS);
    // (run + lastInsertRowid: a RETURNING clause makes each insert several times slower.)
    const insert = sqlite.prepare(
      `insert into deliveries (key, person_id, child_id, rule_id, channel, kind, priority, due_at, send_at, expires_at, urgent_from, payload, status, attempts, parts_sent, created_at)
       values (?, ?, null, ?, ?, 'broadcast', ?, ?, ?, ?, null, ?, 'planned', 0, 0, ?) on conflict(key) do nothing`,
    );
    // Paced at the channel's rate: Redis holds minutes of work, and a reminder due meanwhile is not stuck behind 100,000 jobs.
    const rate = deps.ratePerSecond ?? {};
    const paced = new Map<ChannelName, number>();
    // The first moment outside the quiet hours, remembered per quiet window and minute (windows are whole minutes).
    const freeMemo = new Map<string, number>();
    const firstFree = (t: number, quiet: { start: string; end: string }): number => {
      const key = `${quiet.start}-${quiet.end}|${Math.floor(t / 60_000)}`;
      let v = freeMemo.get(key);
      if (v === undefined) {
        const after = afterQuiet(new Date(t), quiet, zone).getTime();
        freeMemo.set(key, (v = after === t ? -1 : after));
      }
      return v === -1 ? t : v;
    };
    const enqueueBefore = now.getTime() + ENQUEUE_AHEAD_MS;
    const dueNow: QueueItem[] = [];
    let recipients = 0;
    for (const m of members) {
      if (!m.proactive) skip('stopped');
      else if (!m.reminders) skip('noConsent');
      else if (!m.channel) skip('unreachable');
      else {
        const quiet = m.quiet ?? deps.policy.quiet;
        const n = paced.get(m.channel) ?? 0;
        paced.set(m.channel, n + 1);
        const perSecond = rate[m.channel];
        const slot = perSecond ? now.getTime() + Math.floor((n * 1000) / perSecond) : now.getTime();
        const t0 = firstFree(slot, quiet);
        const hist = history.get(m.id);
        let sendAt = t0;
        // The common case in one comparison: the cap has room at that moment. Otherwise the full planning (the cap may free later).
        if (t0 >= expiresAt.getTime() || (hist && !fitsCap(t0, hist, deps.policy.cap))) {
          const input = { dueAt: new Date(slot), now, expiresAt, urgentFrom: null, history: (hist ?? []).map((h) => new Date(h)), notBefore: null, policy: { ...deps.policy, quiet }, zone };
          const r = planSendTime({ ...input, capped: true });
          if ('expired' in r) {
            skip('expired' in planSendTime({ ...input, capped: false }) ? 'quietHours' : 'cap');
            continue;
          }
          sendAt = r.sendAt.getTime();
        }
        const res = insert.run(broadcastKey(broadcastId, m.id), m.id, ruleId, m.channel, BROADCAST_PRIORITY, now.getTime(), sendAt, expiresAt.getTime(), payloadJson, now.getTime());
        if (res.changes !== 1) continue;
        const id = Number(res.lastInsertRowid);
        recipients++;
        if (sendAt <= enqueueBefore) dueNow.push({ id, channel: m.channel, sendAt: new Date(sendAt) });
      }
    }
    // Counted now, summed with the rows' outcomes at the end (summarize, src/domain/broadcast-report.ts).
    setSummary(deps.db, broadcastId, { delivered: 0, failed: {}, skipped: { ...skipped }, waitingForReply: 0, atStart: { ...skipped } });
    writeAudit(
      deps.db,
      { actor: 'system', action: 'broadcast.send', subjectType: 'broadcast', subjectId: broadcastId, detail: { initiativeId: b.initiativeId, recipients, ...prefixed(skipped) } },
      now,
    );
    return { broadcastId, recipients, skipped, dueNow };
  });
  const out = run.immediate();
  return out ? { ...out, writeMs: Math.round(performance.now() - started) } : null;
}

const prefixed = (skipped: Partial<Record<StartSkip, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(skipped).map(([k, v]) => [`skipped_${k}`, v ?? 0]));

/**
 * Send times of the initiative's parents' capped messages in the cap window that a broadcast must respect:
 * what was sent (or is being sent), and what is planned with at least the broadcast's priority.
 * Planned messages of lower priority do not hold a broadcast back (the worker defers them).
 */
function capHistoryForBroadcast(db: Db, initiativeId: number, since: Date): Map<number, number[]> {
  const rows = db.$client
    .prepare(
      `select person_id, coalesce(sent_at, send_at) from deliveries where send_at > ? and kind != 'notice'
       and (status in ('sending', 'sent', 'held') or (status in ('planned', 'queued', 'paused') and priority >= ?))
       and person_id in (select m.person_id from memberships m where m.initiative_id = ? and m.role = 'parent')`,
    )
    .raw()
    .all(since.getTime(), BROADCAST_PRIORITY, initiativeId) as [number, number][];
  const out = new Map<number, number[]>();
  for (const [personId, t] of rows) {
    const list = out.get(personId);
    if (list) list.push(t);
    else out.set(personId, [t]);
  }
  for (const list of out.values()) if (list.length > 1) list.sort((a, b) => a - b);
  return out;
}

/**
 * Fires a due, scheduled broadcast: writes its rows (once), then hands what is due now to
 * BullMQ. Null when there was nothing to fire. Nudge runs call this too (src/jobs/nudge*).
 */
export async function fanOut(deps: BroadcastRunnerDeps, broadcastId: number, now: Date): Promise<FanOutReport | null> {
  const started = performance.now();
  const written = fanOutRows(deps, broadcastId, now);
  if (!written) return null;
  const { dueNow, ...rest } = written;
  const enqueued = await enqueue(deps, broadcastId, dueNow, now);
  const report = { ...rest, enqueued, totalMs: Math.round(performance.now() - started) };
  deps.logger.info({ broadcastId, recipients: report.recipients, skipped: report.skipped, enqueued, writeMs: report.writeMs, totalMs: report.totalMs }, 'broadcast fan-out');
  return report;
}

/**
 * Hands the rows due now to BullMQ (their ids are known: no query), then marks them queued in
 * one UPDATE over the broadcast's key range. Redis away: they stay planned and the planner's
 * next tick enqueues them. Without queues (tests of the database alone): the planner's kick.
 */
async function enqueue(deps: BroadcastRunnerDeps, broadcastId: number, items: QueueItem[], now: Date): Promise<number> {
  if (!items.length) return 0;
  if (!deps.queues) return deps.kick ? deps.kick() : 0;
  try {
    await deps.queues.add(items, now);
  } catch (err) {
    deps.logger.warn({ err: describeError(err), broadcastId }, 'broadcast rows not handed to the queue yet; the planner retries every minute');
    return 0;
  }
  const [lo, hi] = broadcastKeyRange(broadcastId);
  const bound = items.reduce((m, i) => Math.max(m, i.sendAt.getTime()), 0);
  deps.db.$client.prepare("update deliveries set status = 'queued' where key >= ? and key < ? and status = 'planned' and send_at <= ?").run(lo, hi, bound);
  return items.length;
}

/* ── The runner: due broadcasts, progress, the end ─────────────────────────────────────────── */

/** How the author's progress message reaches them: the outbound schedulers' proactive adapters (send, and edit where the messenger can). */
export interface ProgressPort {
  adapters: ReadonlyMap<ChannelName, ChannelAdapter>;
  i18n: i18n;
}

export interface BroadcastLoopDeps extends BroadcastRunnerDeps {
  progress?: ProgressPort;
  /** How often the loop looks (default 2 s). */
  everyMs?: number;
  /** The progress message is edited at most this often (default 5 s). */
  progressEveryMs?: number;
}

export interface BroadcastRunner {
  /** Fires due broadcasts, updates progress, finishes what is done. One at a time; a call while one runs waits for it and runs again. */
  tick(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export const PROGRESS_EVERY_MS = 5_000;
const LOOP_EVERY_MS = 2_000;

/** One group per (status, last_error, late failure) of a broadcast's rows, by its key range (the unique index). */
export function rowGroups(db: Db, broadcastId: number): RowGroup[] {
  const [lo, hi] = broadcastKeyRange(broadcastId);
  const rows = db.$client
    .prepare(
      `select status, last_error, channel_status = 'failed' as cf, count(*) as n, max(send_at) as latest from deliveries
       where key >= ? and key < ? group by status, last_error, cf`,
    )
    .all(lo, hi) as { status: string; last_error: string | null; cf: number | null; n: number; latest: number | null }[];
  return rows.map((r) => ({ status: r.status, lastError: r.last_error, channelFailed: r.cf === 1, count: r.n, maxSendAt: r.latest }));
}

/** The author's chat for progress: the chosen channel while reachable, else the best one (as for any proactive message). */
function authorChat(db: Db, personId: number): { identityId: number; channel: ChannelName; chatId: string; language: string } | null {
  const person = db.$client.prepare('select language, preferred_channel from people where id = ?').get(personId) as { language: string; preferred_channel: ChannelName | null } | undefined;
  if (!person) return null;
  const chats = db.$client.prepare('select id, channel, chat_id from identities where person_id = ? and unreachable_at is null order by id').all(personId) as {
    id: number;
    channel: ChannelName;
    chat_id: string;
  }[];
  const pick = chats.find((c) => c.channel === person.preferred_channel) ?? [...chats].sort((a, b) => rank(b.channel) - rank(a.channel))[0];
  return pick ? { identityId: pick.id, channel: pick.channel, chatId: pick.chat_id, language: person.language } : null;
}

function identityChat(db: Db, identityId: number): { channel: ChannelName; chatId: string; language: string } | null {
  const row = db.$client
    .prepare('select i.channel, i.chat_id, p.language from identities i join people p on p.id = i.person_id where i.id = ? and i.unreachable_at is null')
    .get(identityId) as { channel: ChannelName; chat_id: string; language: string } | undefined;
  return row ? { channel: row.channel, chatId: row.chat_id, language: row.language } : null;
}

/** Sets summary and finished_at once (false: another process or an earlier tick did it). */
function claimFinish(db: Db, broadcastId: number, status: 'sending' | 'cancelled', now: Date): boolean {
  const sql =
    status === 'sending'
      ? "update broadcasts set status = 'done', finished_at = ? where id = ? and status = 'sending'"
      : "update broadcasts set finished_at = ? where id = ? and status = 'cancelled' and finished_at is null";
  return db.$client.prepare(sql).run(now.getTime(), broadcastId).changes === 1;
}

export function createBroadcastRunner(deps: BroadcastLoopDeps): BroadcastRunner {
  const every = deps.everyMs ?? LOOP_EVERY_MS;
  const progressEvery = deps.progressEveryMs ?? PROGRESS_EVERY_MS;
  /** What each progress message shows now (an edit with the same text is refused by Telegram). */
  const shown = new Map<number, string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function say(chat: { channel: ChannelName; chatId: string; language: string }, reply: Reply, key: string, edit?: string): Promise<SendOutcome | null> {
    const adapter = deps.progress?.adapters.get(chat.channel);
    if (!adapter || !deps.progress) return null;
    const message = renderReply(deps.progress.i18n, chat.language, reply);
    if (edit !== undefined) return adapter.edit ? adapter.edit(chat.chatId, edit, message) : null;
    return adapter.send(chat.chatId, message, { proactive: { key, lang: chat.language, params: {} } });
  }

  const zoneOf = (initiativeId: number) => initiativeZone(deps.db, initiativeId, deps.defaultTimeZone);

  /** The first progress message, once (claimed in the database, so two processes do not both send it). */
  async function startProgress(broadcastId: number, now: Date): Promise<void> {
    const b = getBroadcastRow(deps.db, broadcastId);
    if (!b || b.authorId === null || !deps.progress) return;
    const claimed = deps.db.$client.prepare('update broadcasts set progress_at = ? where id = ? and progress_at is null').run(now.getTime(), broadcastId).changes === 1;
    if (!claimed) return;
    const chat = authorChat(deps.db, b.authorId);
    if (!chat) return;
    const adapter = deps.progress.adapters.get(chat.channel);
    const p = progressOf(rowGroups(deps.db, broadcastId), b.startedAt, now);
    const reply = progressReply(broadcastId, b.status, p, zoneOf(b.initiativeId), Boolean(adapter?.edit));
    const outcome = await say(chat, reply, 'broadcast:progress');
    const externalId = outcome?.status === 'sent' ? (outcome.externalId ?? null) : null;
    setProgressRef(deps.db, broadcastId, { identityId: chat.identityId, externalId, at: deps.clock.now() });
    shown.set(broadcastId, JSON.stringify(reply));
  }

  async function follow(b: NonNullable<ReturnType<typeof getBroadcastRow>>, now: Date): Promise<void> {
    const groups = rowGroups(deps.db, b.id);
    const open = groups.filter((g) => (OPEN_STATUSES as readonly string[]).includes(g.status)).reduce((n, g) => n + g.count, 0);
    const inFlight = groups.filter((g) => g.status === 'sending').reduce((n, g) => n + g.count, 0);
    const ending = (b.status === 'sending' && open === 0) || (b.status === 'cancelled' && inFlight === 0);
    if (ending) {
      if (!claimFinish(deps.db, b.id, b.status === 'cancelled' ? 'cancelled' : 'sending', now)) return;
      const atStart = ((b.summary as BroadcastSummary | null)?.atStart ?? {}) as Record<string, number>;
      const summary = summarize(groups, atStart);
      setSummary(deps.db, b.id, summary);
      const status: BroadcastStatus = b.status === 'cancelled' ? 'cancelled' : 'done';
      deps.logger.info({ broadcastId: b.id, status, delivered: summary.delivered, waitingForReply: summary.waitingForReply }, 'broadcast finished');
      await finalMessages(b, status, summary);
      shown.delete(b.id);
      return;
    }
    if (b.status === 'cancelled' || b.progressExternalId === null || b.progressIdentityId === null) return;
    if (b.progressAt && now.getTime() - b.progressAt.getTime() < progressEvery) return;
    const chat = identityChat(deps.db, b.progressIdentityId);
    if (!chat) return;
    const reply = progressReply(b.id, b.status, progressOf(groups, b.startedAt, now), zoneOf(b.initiativeId), true);
    const text = JSON.stringify(reply);
    if (shown.get(b.id) === text) return;
    // At most every 5 s, also with two processes: the one that moves progress_at edits.
    const claimed = deps.db.$client
      .prepare('update broadcasts set progress_at = ? where id = ? and coalesce(progress_at, 0) = ?')
      .run(now.getTime(), b.id, b.progressAt?.getTime() ?? 0).changes === 1;
    if (!claimed) return;
    shown.set(b.id, text);
    await say(chat, reply, 'broadcast:progress', b.progressExternalId);
  }

  /** Where the messenger can edit, the progress message becomes the summary (one message in all); elsewhere the summary is the message at the end. */
  async function finalMessages(b: NonNullable<ReturnType<typeof getBroadcastRow>>, status: BroadcastStatus, summary: BroadcastSummary): Promise<void> {
    if (b.authorId === null || !deps.progress) return;
    const reply = summaryReply(b.id, status, summary);
    if (b.progressIdentityId !== null && b.progressExternalId !== null) {
      const chat = identityChat(deps.db, b.progressIdentityId);
      const outcome = chat ? await say(chat, reply, 'broadcast:summary', b.progressExternalId) : null;
      if (outcome?.status === 'sent') return;
    }
    const chat = authorChat(deps.db, b.authorId);
    if (chat) await say(chat, reply, 'broadcast:summary');
  }

  async function runTick(): Promise<void> {
    const now = deps.clock.now();
    for (const id of dueBroadcasts(deps.db, now)) {
      try {
        const report = await fanOut(deps, id, now);
        if (report) await startProgress(id, deps.clock.now());
      } catch (err) {
        deps.logger.error({ err: describeError(err), broadcastId: id }, 'broadcast fan-out failed; it stays scheduled and is tried again');
      }
    }
    const active = deps.db.$client
      .prepare("select id from broadcasts where status in ('sending', 'paused') or (status = 'cancelled' and started_at is not null and finished_at is null) order by id")
      .pluck()
      .all() as number[];
    for (const id of active) {
      const b = getBroadcastRow(deps.db, id);
      if (!b) continue;
      try {
        if (b.progressAt === null && b.status !== 'cancelled') await startProgress(id, deps.clock.now());
        await follow(getBroadcastRow(deps.db, id)!, deps.clock.now());
      } catch (err) {
        deps.logger.error({ err: describeError(err), broadcastId: id }, 'broadcast progress failed');
      }
    }
  }

  function tick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await runTick();
      } while (again && !stopped);
    })()
      .catch((err: unknown) => deps.logger.error({ err: describeError(err) }, 'broadcast runner tick failed'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    tick,
    start() {
      stopped = false;
      const loop = () => {
        if (stopped) return;
        void tick().finally(() => {
          if (!stopped) timer = setTimeout(loop, every);
        });
      };
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
    },
  };
}
