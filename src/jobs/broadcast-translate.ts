/**
 * Machine-translated drafts of a broadcast (issue 11, item 3; ADR 0009). After a turn that asked
 * for drafts (`requestDrafts`) is committed, the Dutch text is sent to the translation service
 * for each requested language it supports, one language at a time, and each translation is stored
 * as a version marked `machine: true, approved: false`: never sent (src/domain/broadcast-message.ts
 * `isSendable`) before its author approves or edits it. A version a person wrote, recorded or
 * approved is never replaced. Then the author gets a notice (a delivery row, kicked to the queue):
 * which languages got a draft, which could not, and that drafts are sent only after approval.
 *
 * Only ids and language codes are logged, never a text.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { AfterCommitListener } from '../core/after-commit.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/dispatcher.js';
import type { Logger } from '../core/ports.js';
import { createTranslator, type TranslationSettings } from '../core/translate/provider.js';
import { TRANSLATE_FAILURES, type TranslateFailure, type TranslateFailureKind, type Translator } from '../core/translate/translator.js';
import { writeAudit } from '../db/audit.repo.js';
import { getBroadcast, setVersion } from '../db/broadcasts.repo.js';
import type { Db } from '../db/client.js';
import { insertNotice } from '../db/deliveries.repo.js';
import { auditLog, memberships } from '../db/schema.js';
import { may } from '../domain/authorization.js';
import type { BroadcastStatus, BroadcastView } from '../domain/broadcast.types.js';

/** The source of every draft: the Dutch version is required. */
export const SOURCE_LANG = 'nl';

/** A broadcast takes new versions only while it is being written (or was sent back by a coordinator). */
export const DRAFTABLE: readonly BroadcastStatus[] = ['draft', 'rejected'];

export interface RetryPolicy {
  /** Tries per language after the first when the service says "later" (429, 5xx, timeout). */
  retries: number;
  /** Waits before each retry (the last repeats); a Retry-After from the server wins, up to `maxWaitMs`. */
  backoffMs: number[];
  maxWaitMs: number;
  /** The whole request gives up after this; languages not reached count as `retry`. */
  deadlineMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { retries: 2, backoffMs: [1_000, 4_000], maxWaitMs: 30_000, deadlineMs: 120_000 };

export interface BroadcastTranslateDeps {
  db: Db;
  translator: Translator;
  clock: Clock;
  logger: Logger;
  /** Endonyms for the notice ("Türkçe"); codes without one are shown as the code. */
  languageName?: (code: string) => string | undefined;
  /** Hands the author's notice to the queue at once (nurture.planner.kick). */
  kick?: () => unknown;
  retry?: Partial<RetryPolicy>;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
}

export type DraftProblem = TranslateFailureKind | 'kept';

export interface DraftReport {
  broadcastId: number;
  /** `noSource`: no Dutch text; `closed`: not a draft (any more); `missing`: no such broadcast; `refused`: the requester may not edit it. */
  status: 'done' | 'noSource' | 'closed' | 'missing' | 'refused';
  drafted: string[];
  /** Per language: why there is no draft (`kept`: a person's version was already there). */
  failed: { lang: string; problem: DraftProblem; reason?: string }[];
  /** Whether a notice was written for the author. */
  noticed: boolean;
}

export interface TranslateRequest {
  broadcastId: number;
  languages: readonly string[];
  /** Who asked (gets the notice; the audit's actor); null: the CLI without a person. */
  requesterId: number | null;
  /** Audit actor (default `person:<requesterId>`, or 'cli'). */
  actor?: string;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** As src/db/broadcast.effects.ts decides: a coordinator of its initiative, or its author while still allowed to broadcast there. */
function mayEdit(db: Db, personId: number, b: BroadcastView): boolean {
  const ms = db.select({ initiativeId: memberships.initiativeId, role: memberships.role }).from(memberships).where(eq(memberships.personId, personId)).all();
  return may(ms, 'broadcast.approve', b.initiativeId) || (b.authorId === personId && may(ms, 'broadcast', b.initiativeId));
}

/** A human version (typed, recorded or approved) is the author's word: a machine draft never replaces it. */
const isHumanVersion = (b: BroadcastView, lang: string): boolean => b.versions.some((v) => v.lang === lang && (!v.machine || v.approved));

export function createBroadcastTranslator(deps: BroadcastTranslateDeps) {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry };
  const sleep = deps.sleep ?? sleepReal;
  /** One run per broadcast at a time: a double press waits for the first instead of racing it. */
  const running = new Map<number, Promise<unknown>>();

  async function withRetry<T extends { ok: true } | TranslateFailure>(call: () => Promise<T>, deadline: number): Promise<T> {
    let outcome = await call();
    for (let i = 0; i < policy.retries && !outcome.ok && outcome.failure === 'retry'; i++) {
      const wait = Math.min(outcome.retryAfterMs ?? policy.backoffMs[Math.min(i, policy.backoffMs.length - 1)] ?? 1_000, policy.maxWaitMs);
      if (Date.now() + wait > deadline) break;
      await sleep(wait);
      outcome = await call();
    }
    return outcome;
  }

  async function run(req: TranslateRequest): Promise<DraftReport> {
    const { db, translator, logger } = deps;
    const report: DraftReport = { broadcastId: req.broadcastId, status: 'done', drafted: [], failed: [], noticed: false };
    const wanted = [...new Set(req.languages)].filter((l) => l !== SOURCE_LANG);
    const b = getBroadcast(db, req.broadcastId);
    if (!b) return { ...report, status: 'missing' };
    // The applier refused (and audited) a request from someone who may not edit it; its effect still reaches us.
    if (req.requesterId !== null && !mayEdit(db, req.requesterId, b)) return { ...report, status: 'refused' };
    const source = b.versions.find((v) => v.lang === SOURCE_LANG)?.text?.trim();
    if (!DRAFTABLE.includes(b.status)) report.status = 'closed';
    else if (!source) report.status = 'noSource';
    else {
      const deadline = Date.now() + policy.deadlineMs;
      const supported = await withRetry(() => translator.targets(SOURCE_LANG), deadline);
      let stop: { problem: DraftProblem; reason: string } | null = supported.ok ? null : { problem: supported.failure, reason: supported.reason };
      for (const lang of wanted) {
        if (isHumanVersion(b, lang)) {
          report.failed.push({ lang, problem: 'kept' });
          continue;
        }
        if (stop) {
          report.failed.push({ lang, ...stop });
          continue;
        }
        if (supported.ok && !supported.targets.has(lang)) {
          report.failed.push({ lang, problem: 'unsupported', reason: `pair ${SOURCE_LANG}-${lang}` });
          continue;
        }
        if (Date.now() > deadline) stop = { problem: 'retry', reason: 'deadline' };
        const outcome = stop ? null : await withRetry(() => translator.translate(source, SOURCE_LANG, lang), deadline);
        if (!outcome || !outcome.ok) {
          const failed = outcome && !outcome.ok ? { problem: outcome.failure, reason: outcome.reason } : (stop ?? { problem: 'retry' as const, reason: 'deadline' });
          report.failed.push({ lang, ...failed });
          // A server that is gone or refuses our key will not answer the next language either.
          if (outcome && !outcome.ok && outcome.failure === 'unavailable') stop = failed;
          continue;
        }
        const stored = store(req.broadcastId, lang, outcome.text);
        if (stored === 'stored') report.drafted.push(lang);
        else if (stored === 'kept') report.failed.push({ lang, problem: 'kept' });
        else {
          report.status = 'closed';
          break;
        }
      }
    }
    const now = deps.clock.now();
    db.transaction((tx) => {
      writeAudit(
        tx,
        {
          actor: req.actor ?? (req.requesterId !== null ? `person:${req.requesterId}` : 'cli'),
          action: 'broadcast.machineDrafts',
          subjectType: 'broadcast',
          subjectId: req.broadcastId,
          detail: { initiativeId: b.initiativeId, status: report.status, drafted: report.drafted.join(','), failed: report.failed.map((f) => `${f.lang}:${f.problem}`).join(','), provider: translator.name },
        },
        now,
      );
      const personId = req.requesterId ?? b.authorId;
      const notice = personId !== null ? noticeOf(report, b.initiativeId, deps.languageName) : null;
      if (personId !== null && notice) {
        report.noticed = insertNotice(tx, { personId, ruleId: 'notice-machine-drafts', occurrence: `b${req.broadcastId}@${now.getTime()}`, payload: notice, now });
      }
    });
    logger.info(
      { broadcastId: req.broadcastId, status: report.status, drafted: report.drafted, failed: report.failed.map((f) => ({ lang: f.lang, problem: f.problem, reason: f.reason })) },
      'machine drafts',
    );
    if (report.noticed) void Promise.resolve(deps.kick?.()).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'kick after machine drafts failed'));
    return report;
  }

  /** Stores a machine draft in one transaction, re-reading the broadcast so a version written meanwhile wins. */
  function store(broadcastId: number, lang: string, text: string): 'stored' | 'kept' | 'closed' {
    return deps.db.transaction((tx) => {
      const now = deps.clock.now();
      const b = getBroadcast(tx, broadcastId);
      if (!b || !DRAFTABLE.includes(b.status)) return 'closed';
      if (isHumanVersion(b, lang)) return 'kept';
      // A flyer (photo or PDF) of the Dutch version comes along; a Dutch voice note does not.
      const nl = b.versions.find((v) => v.lang === SOURCE_LANG)?.media;
      const flyer = nl && nl.type !== 'voice' ? { mediaId: nl.mediaId, mediaType: nl.type } : { mediaId: null };
      setVersion(tx, broadcastId, lang, { text, ...flyer, machine: true, approved: false, now });
      return 'stored';
    });
  }

  return {
    /** Drafts the requested languages now; resolves with what happened (the CLI prints it). */
    translate(req: TranslateRequest): Promise<DraftReport> {
      const before = running.get(req.broadcastId) ?? Promise.resolve();
      const next = before.then(() => run(req));
      const settled = next.catch(() => undefined);
      running.set(req.broadcastId, settled);
      void settled.then(() => {
        if (running.get(req.broadcastId) === settled) running.delete(req.broadcastId);
      });
      return next;
    },
  };
}

export type BroadcastTranslator = ReturnType<typeof createBroadcastTranslator>;

/** The after-commit listener: every committed `requestDrafts` of the turn, in order. */
export function broadcastTranslateListener(drafts: BroadcastTranslator): AfterCommitListener {
  return async ({ effects, personId }) => {
    for (const e of effects) {
      if (e.type !== 'broadcast' || e.command.op !== 'requestDrafts') continue;
      await drafts.translate({ broadcastId: e.command.broadcastId, languages: e.command.languages, requesterId: personId });
    }
  };
}

/** The author's notice: which languages have a draft, which not, and that nothing is sent before they approve. */
function noticeOf(report: DraftReport, initiativeId: number, languageName?: (code: string) => string | undefined) {
  const names = (codes: string[]) => codes.map((c) => languageName?.(c) ?? c).join(', ');
  const params = { number: report.broadcastId };
  const base = { buttons: null, initiativeId };
  if (report.status === 'missing' || report.status === 'refused') return null;
  if (report.status === 'noSource') return { ...base, key: 'translate:drafts.noSource', params };
  if (report.status === 'closed' && !report.drafted.length) return { ...base, key: 'translate:drafts.closed', params };
  const failed = report.failed.filter((f) => f.problem !== 'kept');
  const later = failed.some((f) => f.problem === 'retry' || f.problem === 'unavailable');
  if (!report.drafted.length && !failed.length) return null;
  if (!report.drafted.length) return { ...base, key: later ? 'translate:drafts.noneLater' : 'translate:drafts.none', params: { ...params, failed: names(failed.map((f) => f.lang)) } };
  const drafted = names(report.drafted);
  if (!failed.length) return { ...base, key: 'translate:drafts.all', params: { ...params, drafted } };
  return { ...base, key: later ? 'translate:drafts.someLater' : 'translate:drafts.some', params: { ...params, drafted, failed: names(failed.map((f) => f.lang)) } };
}

/**
 * The drafts service when translation is configured (LIBRETRANSLATE_URL), else undefined: off by
 * default, and then nothing listens for `requestDrafts` (the chat does not offer it either:
 * BroadcastReads.translationAvailable() is false).
 */
export function createMachineDrafts(config: { translation?: TranslationSettings | undefined }, deps: Omit<BroadcastTranslateDeps, 'translator'>): BroadcastTranslator | undefined {
  const translator = createTranslator(config);
  return translator ? createBroadcastTranslator({ ...deps, translator }) : undefined;
}

export interface DraftRequestState {
  /** A request for drafts was made and its drafts are not written yet. */
  pending: boolean;
  /** The last request's drafts are written (or could not be): nothing more will come without a new request. */
  finished: boolean;
  /** Of the last finished request: the languages that got no draft, and why (not `kept`). */
  failed: { lang: string; problem: TranslateFailureKind }[];
}

/**
 * Where the last request for drafts of this broadcast stands, from the audit log (the request
 * `broadcast.requestDrafts` written by the turn, the outcome `broadcast.machineDrafts` written
 * here): so the chat can say "the computer cannot translate into Soomaali" instead of waiting for
 * a draft that will never come. Synchronous (the flow reads it through BroadcastReads).
 */
export function draftRequestState(db: Pick<Db, 'select'>, broadcastId: number): DraftRequestState {
  const rows = db
    .select({ id: auditLog.id, action: auditLog.action, detail: auditLog.detail })
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'broadcast'), eq(auditLog.subjectId, broadcastId), inArray(auditLog.action, ['broadcast.requestDrafts', 'broadcast.machineDrafts'])))
    .orderBy(desc(auditLog.id))
    .limit(1)
    .all();
  const last = rows[0];
  if (!last) return { pending: false, finished: false, failed: [] };
  if (last.action === 'broadcast.requestDrafts') return { pending: true, finished: false, failed: [] };
  const failed = String((last.detail as { failed?: unknown } | null)?.failed ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [lang = '', problem = ''] = pair.split(':');
      return { lang, problem };
    })
    .filter((f): f is { lang: string; problem: TranslateFailureKind } => f.lang !== '' && (TRANSLATE_FAILURES as readonly string[]).includes(f.problem));
  return { pending: false, finished: true, failed };
}
