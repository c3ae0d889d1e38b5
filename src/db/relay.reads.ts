/** The relay's reads for the flows (Directory.relay): synchronous SQLite reads, ids and what the role may see. */
import type { RelayReads } from '../domain/relay.types.js';
import type { Db } from './client.js';
import { fallbackBroadcast, openThreadOf, staffCard, staffLines, threadById, threadOfMessage } from './relay.repo.js';

export function createRelayReads(db: Db): RelayReads {
  return {
    thread: (id) => threadById(db, id),
    openThreadOf: (personId, kind = 'question') => openThreadOf(db, personId, kind),
    threadOfMessage: (personId, externalId) => threadOfMessage(db, personId, externalId),
    staffLines: (staffId, initiativeIds, kind) => staffLines(db, staffId, initiativeIds, kind),
    staffCard: (threadId, staffId, now) => staffCard(db, threadId, staffId, now),
    fallbackBroadcast: (personId, since) => fallbackBroadcast(db, personId, since),
  };
}
