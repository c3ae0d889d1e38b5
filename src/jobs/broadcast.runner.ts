/**
 * A broadcast's fan-out (issue 11, item 2): when a scheduled broadcast is due, ONE transaction
 * flips it scheduled → sending (`UPDATE … WHERE status = 'scheduled'`, so it fires once, also
 * across a restart or with two processes) and writes one delivery row per parent of its
 * audience (kind 'broadcast', rule `b<id>`, key `b<id>|p<person>`: unique, so nobody is reached
 * twice). Each row gets its send time as any proactive message does (quiet hours, the cap);
 * parents who stopped, gave no consent or have no reachable chat are counted as skipped (no row).
 * Then what is due now goes to BullMQ (the planner's kick). The delivery worker renders each
 * row at send time with src/domain/broadcast-message.ts.
 */
import { CHANNEL_INFO, type ChannelName } from '../core/messages.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/ports.js';
import { broadcastRuleId, type AudienceFilter } from '../domain/broadcast.types.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import { planSendTime, type SendPolicy } from '../domain/send-window.js';
import type { Db } from '../db/client.js';
import { writeAudit } from '../db/audit.repo.js';
import { initiativeZone, selectAudience } from '../db/broadcast-audience.repo.js';
import { getBroadcastRow, setSummary } from '../db/broadcasts.repo.js';

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
  /** Hands rows due now to BullMQ (the planner's kick); absent: the planner's next tick does. */
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
export function fanOutRows(deps: BroadcastRunnerDeps, broadcastId: number, now: Date): Omit<FanOutReport, 'enqueued' | 'totalMs'> | null {
  const started = performance.now();
  const sqlite = deps.db.$client;
  const run = sqlite.transaction((): Omit<FanOutReport, 'enqueued' | 'totalMs' | 'writeMs'> | null => {
    const flipped = sqlite
      .prepare("update broadcasts set status = 'sending', started_at = ? where id = ? and status = 'scheduled' and coalesce(send_at, 0) <= ?")
      .run(now.getTime(), broadcastId, now.getTime());
    if (flipped.changes !== 1) return null;
    const b = getBroadcastRow(deps.db, broadcastId)!;
    const zone = initiativeZone(deps.db, b.initiativeId, deps.defaultTimeZone);
    const members = selectAudience(deps.db, b.initiativeId, (b.audience ?? {}) as AudienceFilter, now, zone, rank);
    const history = capHistoryForBroadcast(deps.db, new Date(now.getTime() - deps.policy.cap.windowMs));
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
    const insert = sqlite.prepare(
      `insert into deliveries (key, person_id, child_id, rule_id, channel, kind, priority, due_at, send_at, expires_at, urgent_from, payload, status, attempts, parts_sent, created_at)
       values (?, ?, null, ?, ?, 'broadcast', ?, ?, ?, ?, null, ?, 'planned', 0, 0, ?) on conflict(key) do nothing`,
    );
    let recipients = 0;
    for (const m of members) {
      if (!m.proactive) skip('stopped');
      else if (!m.reminders) skip('noConsent');
      else if (!m.channel) skip('unreachable');
      else {
        const policy = m.quiet ? { ...deps.policy, quiet: m.quiet } : deps.policy;
        const input = { dueAt: now, now, expiresAt, urgentFrom: null, history: history.get(m.id) ?? [], notBefore: null, policy, zone };
        const r = planSendTime({ ...input, capped: true });
        if ('expired' in r) {
          skip('expired' in planSendTime({ ...input, capped: false }) ? 'quietHours' : 'cap');
          continue;
        }
        const res = insert.run(broadcastKey(broadcastId, m.id), m.id, ruleId, m.channel, BROADCAST_PRIORITY, now.getTime(), r.sendAt.getTime(), expiresAt.getTime(), payloadJson, now.getTime());
        recipients += res.changes;
      }
    }
    // Counted now, summed with the rows' outcomes at the end (src/jobs/broadcast.progress.ts).
    setSummary(deps.db, broadcastId, { delivered: 0, failed: {}, skipped: { ...skipped }, waitingForReply: 0, atStart: { ...skipped } });
    writeAudit(
      deps.db,
      { actor: 'system', action: 'broadcast.send', subjectType: 'broadcast', subjectId: broadcastId, detail: { initiativeId: b.initiativeId, recipients, ...prefixed(skipped) } },
      now,
    );
    return { broadcastId, recipients, skipped };
  });
  const out = run.immediate();
  return out ? { ...out, writeMs: Math.round(performance.now() - started) } : null;
}

const prefixed = (skipped: Partial<Record<StartSkip, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(skipped).map(([k, v]) => [`skipped_${k}`, v ?? 0]));

/**
 * Send times of every parent's capped messages in the cap window that a broadcast must respect:
 * what was sent (or is being sent), and what is planned with at least the broadcast's priority.
 * Planned messages of lower priority do not hold a broadcast back (the worker defers them).
 */
function capHistoryForBroadcast(db: Db, since: Date): Map<number, Date[]> {
  const rows = db.$client
    .prepare(
      `select person_id, coalesce(sent_at, send_at) from deliveries where send_at > ? and kind != 'notice'
       and (status in ('sending', 'sent', 'held') or (status in ('planned', 'queued', 'paused') and priority >= ?))`,
    )
    .raw()
    .all(since.getTime(), BROADCAST_PRIORITY) as [number, number][];
  const out = new Map<number, Date[]>();
  for (const [personId, t] of rows) {
    const list = out.get(personId);
    if (list) list.push(new Date(t));
    else out.set(personId, [new Date(t)]);
  }
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
  let enqueued = 0;
  if (deps.kick && written.recipients > 0) enqueued = await deps.kick();
  const report = { ...written, enqueued, totalMs: Math.round(performance.now() - started) };
  deps.logger.info({ broadcastId, recipients: report.recipients, skipped: report.skipped, writeMs: report.writeMs, totalMs: report.totalMs }, 'broadcast fan-out');
  return report;
}
