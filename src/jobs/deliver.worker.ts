/**
 * The delivery worker of one channel: a thin BullMQ processor around the delivery row.
 *   re-check (still wanted? quiet hours? cap?) → claim (queued → sending, one UPDATE)
 *   → send through the channel adapter → record the outcome.
 * Outcomes: sent · retry (network, 5xx: backoff, 5 attempts) · wait (429: the whole queue
 * pauses for retry_after, not counted as an attempt) · unreachable (403: never again) ·
 * invalid (400: one more try, then failed). The limiter is the channel's rate.
 */
import { RateLimitError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { i18n } from 'i18next';
import type { ChannelName } from '../core/messages.js';
import type { ChannelAdapter } from '../core/ports.js';
import { describeError } from '../core/dispatcher.js';
import { renderReply, renderText } from '../core/render.js';
import type { TextParam } from '../core/messages.js';
import { bodyOf, deliveryReply, hasChildButtons, templateAbout } from '../domain/delivery-message.js';
import { claimDelivery, deferDelivery, finishDelivery, getDelivery, holdDelivery, requeueDelivery, type DeliveryRow } from '../db/deliveries.repo.js';
import { deliveryContext } from '../db/delivery-context.repo.js';
import { broadcastSkipReason } from '../domain/broadcast-message.js';
import { createWriteBatch, type WriteBatch } from '../db/write-batch.js';
import { checkDelivery, isTask } from './delivery.check.js';
import { runOutreachTask } from './outreach-task.js';
import { JOB_ATTEMPTS, queueName, type DeliveryJobData } from './delivery.queue.js';
import type { PlanPassDeps } from './plan-pass.js';

export interface DeliveryWorkerDeps extends PlanPassDeps {
  connection: Redis;
  prefix: string;
  channel: ChannelName;
  adapter: ChannelAdapter;
  i18n: i18n;
  /** Messages per second on this channel (Telegram: 25, leaving room for replies). */
  ratePerSecond: number;
  concurrency?: number;
  onUnreachable(personId: number, chatId: string): void;
}

/**
 * Jobs at once: each waits in the outbound scheduler for its token while the others read, render
 * and record. Four were too few to keep a 28/s budget busy (a broadcast went at 89 % of the limit,
 * docs/benchmarks.md); about one job per two messages a second is enough.
 */
export const workerConcurrency = (ratePerSecond: number): number => Math.max(4, Math.ceil(ratePerSecond / 2));

export type JobResult = 'sent' | 'held' | 'skipped' | 'expired' | 'deferred' | 'failed' | 'unreachable' | 'noop';

export function createDeliveryWorker(deps: DeliveryWorkerDeps): Worker<DeliveryJobData, JobResult> {
  // Claims and outcomes of the jobs running at once share a commit (src/db/write-batch.ts).
  const batch = createWriteBatch(deps.db.$client);
  const worker: Worker<DeliveryJobData, JobResult> = new Worker<DeliveryJobData, JobResult>(queueName(deps.channel), (job) => processJob(deps, batch, worker, job), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? workerConcurrency(deps.ratePerSecond),
    // The same rate in fifths of a second: BullMQ's window is fixed, so "25 per 1000 ms" can put
    // 50 messages into one sliding second at a window edge (and Telegram answers 429).
    limiter: { max: Math.max(1, Math.round(deps.ratePerSecond / 5)), duration: 200 },
    autorun: false,
  });
  worker.on('error', (err) => {
    // Redis outages are reported once by the connection (src/jobs/redis.ts), not on every retry.
    const level = isConnectionError(err) ? 'debug' : 'error';
    deps.logger[level]({ err: describeError(err), channel: deps.channel }, 'delivery worker error');
  });
  return worker;
}

async function processJob(deps: DeliveryWorkerDeps, batch: WriteBatch, worker: Worker, job: Job<DeliveryJobData>): Promise<JobResult> {
  const id = job.data.deliveryId;
  const row = getDelivery(deps.db, id);
  // Sent, cancelled by /stop, or claimed by another run: nothing to do (this is what makes a duplicate job harmless).
  if (!row || (row.status !== 'queued' && row.status !== 'planned')) return 'noop';
  const now = deps.clock.now();
  if (row.sendAt.getTime() > now.getTime() + 5_000) {
    // Early (the job's delay ran on another clock): the planner enqueues it again when due.
    deferDelivery(deps.db, id, row.sendAt, 'early');
    return 'deferred';
  }
  const verdict = checkDelivery(deps, row, now);
  if (!verdict.go) {
    if ('deferTo' in verdict) {
      deferDelivery(deps.db, id, verdict.deferTo, verdict.reason);
      return 'deferred';
    }
    finishDelivery(deps.db, id, verdict.status, now, verdict.reason);
    return verdict.status;
  }
  // A task (the outreach ladder's call-back task) is carried out, not sent: nothing reaches the parent.
  if (isTask(row)) return runOutreachTask(deps.db, row, now, deps.logger);
  const ctx = deliveryContext(deps.db, row.personId, row.channel, row.payload, deps.defaultTimeZone, now);
  if (!ctx?.chatId) {
    finishDelivery(deps.db, id, 'unreachable', now, 'no reachable chat on this channel');
    return 'unreachable';
  }
  if (row.payload.aboutPersonId !== undefined && !ctx.lookups.about) {
    finishDelivery(deps.db, id, 'skipped', now, 'the parent it was about is erased');
    return 'skipped';
  }
  if (row.payload.threadId !== undefined && !ctx.lookups.relay) {
    finishDelivery(deps.db, id, 'skipped', now, 'the relay thread is gone, or the question was taken or closed');
    return 'skipped';
  }
  // A broadcast cancelled (or a request no longer waiting for approval) after this row was queued.
  const bcSkip = row.payload.broadcastId !== undefined ? broadcastSkipReason(row.payload.key, ctx.lookups.broadcast) : null;
  if (bcSkip) {
    finishDelivery(deps.db, id, 'skipped', now, bcSkip);
    return 'skipped';
  }
  if (!(await batch.run(() => claimDelivery(deps.db, id)))) return 'noop';
  // Relative phrases ("nog 3 dagen", an age) are computed now, at the moment it is read; a
  // message for siblings names only the children it is still true for.
  const payload = verdict.children ? { ...row.payload, children: row.payload.children!.filter((c) => verdict.children!.includes(c.id)) } : row.payload;
  if (payload.children?.length) payload.childId = payload.children[0]!.id;
  const lookups = { ...ctx.lookups, now: deps.clock.now() };
  const reply = deliveryReply(payload, lookups);
  const message = renderReply(deps.i18n, ctx.language, reply);
  // A template gets the line naming the children as `about` (its first variable), and is told
  // when the buttons are one per child (it then offers "Bekijk"; the full message follows).
  const about = templateAbout(payload, lookups);
  const proactive = {
    key: row.payload.key,
    lang: ctx.language,
    params: renderParams(deps.i18n, ctx.language, { ...(bodyOf(reply).params ?? {}), ...(about ? { about } : {}) }),
    ...(hasChildButtons(payload) ? { perChild: true } : {}),
    // For a stand-in outside WhatsApp's window ("a message from <initiative>; reply to read it").
    ...(ctx.lookups.initiative ? { initiative: ctx.lookups.initiative.name } : {}),
    ...(ctx.fallbackLanguage ? { fallbackLang: ctx.fallbackLanguage } : {}),
  };
  const outcome = await deps.adapter.send(ctx.chatId, message, { proactive, ...(row.partsSent ? { fromPart: row.partsSent } : {}) });
  const log = { deliveryId: id, channel: deps.channel, rule: row.ruleId };
  switch (outcome.status) {
    case 'sent':
      if (outcome.held) {
        // Only a stand-in went out (WhatsApp, outside the window): the message waits for the parent's reply.
        holdDelivery(deps.db, id, deps.clock.now(), outcome.externalId, outcome.reason ?? 'outside the window');
        deps.logger.info({ ...log, reason: outcome.reason }, 'held until the parent replies');
        return 'held';
      }
      await batch.run(() => finishDelivery(deps.db, id, 'sent', deps.clock.now(), undefined, outcome.externalId));
      return 'sent';
    case 'unreachable':
      finishDelivery(deps.db, id, 'unreachable', deps.clock.now(), outcome.reason);
      deps.onUnreachable(row.personId, ctx.chatId);
      deps.logger.info({ ...log, reason: outcome.reason }, 'person unreachable; proactive messages stopped');
      return 'unreachable';
    case 'wait':
      requeueDelivery(deps.db, id, outcome.partsSent ?? 0, `wait: ${outcome.retryAfterMs} ms`);
      deps.logger.warn({ ...log, retryAfterMs: outcome.retryAfterMs }, 'rate limited by the messenger: pausing the queue');
      await worker.rateLimit(outcome.retryAfterMs);
      throw new RateLimitError();
    case 'retry':
      return retryOrFail(deps, job, row, `retry: ${outcome.reason}`, outcome.partsSent ?? 0);
    case 'invalid':
      // A 400 is a bug on our side; one more try (the text is rendered again), never more.
      if (row.lastError?.startsWith('invalid')) {
        finishDelivery(deps.db, id, 'failed', deps.clock.now(), `invalid: ${outcome.reason}`);
        deps.logger.error({ ...log, reason: outcome.reason, length: message.text.length }, 'message refused twice (bug): given up');
        return 'failed';
      }
      return retryOrFail(deps, job, row, `invalid: ${outcome.reason}`, 0);
  }
}

function retryOrFail(deps: DeliveryWorkerDeps, job: Job<DeliveryJobData>, row: DeliveryRow, error: string, partsSent: number): JobResult {
  const log = { deliveryId: row.id, channel: deps.channel, rule: row.ruleId, attempt: job.attemptsMade + 1 };
  if (job.attemptsMade + 1 >= JOB_ATTEMPTS) {
    finishDelivery(deps.db, row.id, 'failed', deps.clock.now(), error);
    deps.logger.error({ ...log, reason: error }, 'gave up sending after retries');
    return 'failed';
  }
  requeueDelivery(deps.db, row.id, partsSent, error);
  deps.logger.warn({ ...log, reason: error }, 'send failed, will retry');
  throw new Error(error);
}


const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

function isConnectionError(err: Error): boolean {
  const code = (err as Error & { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || /Connection is closed|Stream isn't writeable/.test(err.message);
}

/** Each parameter as the reader will see it (for channels that fill approved templates). */
function renderParams(i18n: i18n, lang: string, params: Record<string, TextParam>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) out[name] = renderText(i18n, lang, { key: 'common:plain', params: { value } });
  return out;
}
