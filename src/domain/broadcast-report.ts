/**
 * What the author of a broadcast sees while it sends and at the end (pure): the progress
 * (sent / waiting / failed, an estimated end) with pause / resume / cancel buttons, and the
 * summary (delivered, failed by reason, skipped by reason, waiting for a reply on WhatsApp).
 * Counts shown in the chat are suppressed under 5 like every count staff see; the CLI shows
 * the exact numbers to the operator.
 */
import type { Choice, Reply, Text, TextParam } from '../core/messages.js';
import { smallCount, type BroadcastProgress, type BroadcastStatus, type BroadcastSummary } from './broadcast.types.js';

/** One group of a broadcast's delivery rows: status, last_error, the messenger's late verdict, how many, latest send time. */
export interface RowGroup {
  status: string;
  lastError: string | null;
  channelFailed: boolean;
  count: number;
  maxSendAt: number | null;
}

const add = (m: Record<string, number>, k: string, n: number) => void (m[k] = (m[k] ?? 0) + n);

/** A failed row's reason in words staff understand: refused by the messenger (a 400) or a technical problem. */
export function failedReason(lastError: string | null): string {
  if (lastError?.startsWith('invalid')) return 'refused';
  if (lastError?.startsWith('retry') || lastError?.startsWith('wait')) return 'network';
  return 'other';
}

/** A skipped row's reason (the worker's and the commands' last_error values). */
export function skippedReason(lastError: string | null): string {
  switch (lastError) {
    case 'cancelled':
      return 'cancelled';
    case 'stopped':
      return 'stopped';
    case 'no consent':
    case 'reminders off':
      return 'noConsent';
    case 'person erased':
      return 'erased';
    default:
      return 'other';
  }
}

/** The summary from the rows' outcomes plus what was counted when sending began (no rows for those). */
export function summarize(groups: readonly RowGroup[], atStart: Record<string, number> = {}): BroadcastSummary {
  const s: BroadcastSummary = { delivered: 0, failed: {}, skipped: { ...atStart }, waitingForReply: 0, atStart: { ...atStart } };
  for (const g of groups) {
    switch (g.status) {
      case 'sent':
        if (g.channelFailed) add(s.failed, 'refused', g.count);
        else s.delivered += g.count;
        break;
      case 'held':
        s.waitingForReply += g.count;
        break;
      case 'failed':
        add(s.failed, failedReason(g.lastError), g.count);
        break;
      case 'unreachable':
        add(s.skipped, 'unreachable', g.count);
        break;
      case 'expired':
        add(s.skipped, 'expired', g.count);
        break;
      case 'skipped':
        add(s.skipped, skippedReason(g.lastError), g.count);
        break;
      default:
        // planned, queued, sending, paused: not an outcome yet.
        break;
    }
  }
  return s;
}

/** Rows still to go (counted as waiting). */
export const OPEN_STATUSES = ['planned', 'queued', 'sending', 'paused'] as const;

/**
 * Sent / waiting / failed, and an estimated end: the rate so far (since sending began) carries
 * the rest, never before the latest planned send time (quiet hours, the cap).
 */
export function progressOf(groups: readonly RowGroup[], startedAt: Date | null, now: Date): BroadcastProgress {
  let sent = 0;
  let waiting = 0;
  let failed = 0;
  let latest = 0;
  for (const g of groups) {
    if (g.status === 'sent' || g.status === 'held') sent += g.count;
    else if ((OPEN_STATUSES as readonly string[]).includes(g.status)) {
      waiting += g.count;
      latest = Math.max(latest, g.maxSendAt ?? 0);
    } else if (g.status === 'failed' || g.status === 'unreachable') failed += g.count;
  }
  let estimatedEnd: Date | null = null;
  if (waiting > 0) {
    const elapsed = startedAt ? now.getTime() - startedAt.getTime() : 0;
    const done = sent + failed;
    const byRate = done > 0 && elapsed > 0 ? now.getTime() + (waiting * elapsed) / done : null;
    const end = Math.max(byRate ?? 0, latest);
    estimatedEnd = end > 0 ? new Date(Math.ceil(end / 60_000) * 60_000) : null;
  }
  return { sent, waiting, failed, estimatedEnd };
}

/** A count as staff may see it in the chat ("fewer than 5"). */
export function shownCount(n: number): TextParam {
  const c = smallCount(n);
  return c === 'fewer-than-5' ? { key: 'broadcast:fewerThan5' } : c;
}

export const progressButtons = (broadcastId: number, status: BroadcastStatus): Choice[][] => [
  [
    status === 'paused'
      ? { value: `bc:resume:${broadcastId}`, label: { key: 'broadcast:button.resume' } }
      : { value: `bc:pause:${broadcastId}`, label: { key: 'broadcast:button.pause' } },
    { value: `bc:cancel:${broadcastId}`, label: { key: 'broadcast:button.cancel' } },
  ],
];

const lines = (...texts: (Text | null)[]): Text => joinLines(texts.filter((t): t is Text => t !== null));

/** The progress message (edited in place); `editable` false: the one message at the start says another will follow. */
export function progressReply(broadcastId: number, status: BroadcastStatus, p: BroadcastProgress, timeZone: string, editable: boolean): Reply {
  const title: Text = { key: status === 'paused' ? 'broadcast:progress.paused' : 'broadcast:progress.sending', params: { id: broadcastId } };
  const counts: Text = { key: 'broadcast:progress.counts', params: { sent: shownCount(p.sent), waiting: shownCount(p.waiting), failed: shownCount(p.failed) } };
  const eta: Text | null = p.estimatedEnd && status !== 'paused' ? { key: 'broadcast:progress.eta', params: { end: { dateTime: p.estimatedEnd.toISOString(), timeZone } } } : null;
  const note: Text | null = editable ? null : { key: 'broadcast:progress.noEdit' };
  return { text: lines(title, counts, eta, note), choices: progressButtons(broadcastId, status) };
}

const reasonLines = (m: Record<string, number>): Text[] =>
  Object.entries(m)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => ({ key: 'broadcast:summary.line', params: { reason: { key: `broadcast:reason.${reason}` }, count: shownCount(n) } }));

const total = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/** The summary at the end (done or cancelled). */
export function summaryReply(broadcastId: number, status: BroadcastStatus, s: BroadcastSummary): Reply {
  const parts: Text[] = [
    { key: status === 'cancelled' ? 'broadcast:summary.cancelled' : 'broadcast:summary.done', params: { id: broadcastId } },
    { key: 'broadcast:summary.delivered', params: { count: shownCount(s.delivered) } },
  ];
  if (s.waitingForReply > 0) parts.push({ key: 'broadcast:summary.waiting', params: { count: shownCount(s.waitingForReply) } });
  if (total(s.failed) > 0) parts.push({ key: 'broadcast:summary.failed', params: { count: shownCount(total(s.failed)) } }, ...reasonLines(s.failed));
  if (total(s.skipped) > 0) parts.push({ key: 'broadcast:summary.skipped', params: { count: shownCount(total(s.skipped)) } }, ...reasonLines(s.skipped));
  return { text: joinLines(parts) };
}

/** Many lines as one text: nested pairs of "{{a}}\n{{b}}". */
function joinLines(parts: Text[]): Text {
  let out = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) out = { key: 'broadcast:lines.n2', params: { l0: parts[i]!, l1: out } };
  return out;
}
