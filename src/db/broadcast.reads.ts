/**
 * What the broadcast chat flow may read (BroadcastReads): counts per language with small counts
 * suppressed ("fewer than 5"), drafts, broadcasts waiting for approval, the author's active
 * broadcasts. Synchronous SQLite reads; never a list of people.
 */
import { smallCount, type AudienceCount, type BroadcastReads } from '../domain/broadcast.types.js';
import type { Db } from './client.js';
import { countAudience, initiativeZone } from './broadcast-audience.repo.js';
import { draftByKey, getBroadcast, listBroadcasts, requiresApproval } from './broadcasts.repo.js';
import { draftRequestState } from '../jobs/broadcast-translate.js';

export interface BroadcastReadsOptions {
  /** Machine translation is configured (src/core/translate/provider.ts#isTranslationConfigured). */
  translationAvailable?: boolean;
  /** The zone for "turns 3 within N months" when the initiative has none (config.timeZone). */
  defaultTimeZone?: string;
}

/** Exact per-language numbers → what staff may see (each cell and the total suppressed under 5). */
export function suppressCounts(byLang: Map<string, number>): AudienceCount {
  const total = [...byLang.values()].reduce((a, b) => a + b, 0);
  return { total: smallCount(total), byLanguage: [...byLang].map(([lang, n]) => ({ lang, count: smallCount(n) })) };
}

export function createBroadcastReads(db: Db, opts: BroadcastReadsOptions = {}): BroadcastReads {
  const zoneOf = (initiativeId: number) => initiativeZone(db, initiativeId, opts.defaultTimeZone ?? 'Europe/Amsterdam');
  return {
    audienceCount: (initiativeId, audience, now) => suppressCounts(countAudience(db, initiativeId, audience, now, zoneOf(initiativeId))),
    byId: (id) => getBroadcast(db, id),
    draftByKey: (authorId, key) => draftByKey(db, authorId, key),
    pendingApproval: (initiativeId) => listBroadcasts(db, { initiativeId, statuses: ['pending'] }),
    activeOf: (authorId) => listBroadcasts(db, { authorId, statuses: ['scheduled', 'sending', 'paused'] }),
    activeOn: (initiativeId) => listBroadcasts(db, { initiativeId, statuses: ['scheduled', 'sending', 'paused'] }),
    requiresApproval: (initiativeId) => requiresApproval(db, initiativeId),
    translationAvailable: () => opts.translationAvailable === true,
    draftsState: (broadcastId) => {
      const s = draftRequestState(db, broadcastId);
      // Finished: the last request's drafts are written (none asked, or one still running: not finished).
      return { finished: s.finished, failed: s.failed.map((f) => f.lang) };
    },
  };
}
