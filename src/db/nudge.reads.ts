/** The nudge reads a flow may make (synchronous; counts, never people): src/domain/nudge.types.ts NudgeReads. */
import { smallCount, type SmallCount } from '../domain/broadcast.types.js';
import type { NudgeReads, NudgeRunView } from '../domain/nudge.types.js';
import type { Db } from './client.js';
import { getNudge, listNudges, listRuns, nudgeVersions, zoneOfInitiative } from './nudges.repo.js';

const DEFAULT_ZONE = 'Europe/Amsterdam';

export function createNudgeReads(db: Db): NudgeReads {
  return {
    byId: (id) => getNudge(db, id),
    listFor: (initiativeId) => listNudges(db, initiativeId),
    versions: (nudgeId) => nudgeVersions(db, nudgeId),
    runs(nudgeId, limit) {
      const n = getNudge(db, nudgeId);
      if (!n) return [];
      return listRuns(db, n, zoneOfInitiative(db, n.initiativeId, DEFAULT_ZONE), limit).map(suppressed);
    },
  };
}

/** What staff see in the chat: small counts as "fewer than 5". */
const suppressed = (r: NudgeRunView): NudgeRunView<SmallCount> => ({
  ...r,
  counts: { delivered: smallCount(r.counts.delivered), failed: smallCount(r.counts.failed), skipped: smallCount(r.counts.skipped), waiting: smallCount(r.counts.waiting) },
});
