/**
 * Fetching the files people sent, after the commit (issue 11, item 2). A turn that keeps a
 * voice note, photo or file writes a pending `media` row (recordInboundMedia); app.ts kicks this
 * fetcher after such a turn, and once at start for rows a stop left pending. It asks the
 * messenger the file came from (the channel's MediaDownloader), stores the bytes in the media
 * store and marks the row ready, or failed: 'too_large' (over MEDIA_LIMITS), 'gone' (the
 * messenger no longer has it, or the channel is not running), 'error' (still failing after
 * MAX_ATTEMPTS tries a minute apart). One file at a time: voice notes are small and rare.
 *
 * A row erased while its file was downloading: the update finds no pending row, and the file
 * just written is removed at once. Logs carry ids, outcomes and sizes only.
 */
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/dispatcher.js';
import { MEDIA_LIMITS, sniffMime, type MediaDownloader } from '../core/media.js';
import type { MediaStore } from '../core/media-store.js';
import type { ChannelName } from '../core/messages.js';
import type { Logger } from '../core/ports.js';
import type { Db } from '../db/client.js';
import { claimMediaFetch, markMediaFailed, markMediaReady, pendingMedia, type MediaRow } from '../db/media.repo.js';

export const MAX_ATTEMPTS = 5;
const RETRY_MS = 60_000;

export interface MediaFetcherDeps {
  db: Db;
  store: MediaStore;
  downloaders: ReadonlyMap<ChannelName, MediaDownloader>;
  clock: Clock;
  logger: Logger;
  /** Wait between tries of a file that could not be fetched (default 1 minute). */
  retryMs?: number;
}

export interface MediaFetcher {
  /** Fetches what is pending now (in the background; a kick while running runs one more pass). */
  kick(): void;
  /** One pass over the pending rows; resolves with how many were settled (ready or failed). */
  fetchPending(): Promise<number>;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
  stop(): void;
}

export function createMediaFetcher(deps: MediaFetcherDeps): MediaFetcher {
  const { db, store, clock, logger } = deps;
  const retryMs = deps.retryMs ?? RETRY_MS;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;

  async function fetchOne(row: MediaRow): Promise<'settled' | 'later'> {
    const now = clock.now();
    if (!claimMediaFetch(db, row.id, row.attempts, now)) return 'settled';
    const log = { mediaId: row.id, channel: row.channel, type: row.type, attempt: row.attempts + 1 };
    const downloader = deps.downloaders.get(row.channel);
    if (!downloader) {
      markMediaFailed(db, row.id, 'gone', now);
      logger.warn({ ...log, outcome: 'gone' }, 'media not fetched: its channel is not running');
      return 'settled';
    }
    const limit = MEDIA_LIMITS[row.type];
    const result = await downloader.download(row.ref, limit).catch((err: unknown) => ({ ok: false as const, failure: 'retry' as const, reason: `download threw: ${describeError(err).message}` }));
    if (!result.ok) {
      if (result.failure === 'retry' && row.attempts + 1 < MAX_ATTEMPTS) {
        logger.warn({ ...log, reason: result.reason }, 'media not fetched yet; trying again later');
        return 'later';
      }
      const failure = result.failure === 'retry' ? 'error' : result.failure;
      markMediaFailed(db, row.id, failure, clock.now());
      logger.warn({ ...log, outcome: failure, reason: result.reason }, 'media could not be fetched');
      return 'settled';
    }
    if (result.data.length > limit) {
      markMediaFailed(db, row.id, 'too_large', clock.now());
      logger.warn({ ...log, outcome: 'too_large', bytes: result.data.length }, 'media could not be fetched');
      return 'settled';
    }
    const file = store.write(row.id, result.data);
    const mimeType = row.mimeType ?? result.mimeType ?? sniffMime(result.data) ?? null;
    if (!markMediaReady(db, row.id, { ...file, mimeType, filename: row.filename ?? result.filename }, clock.now())) {
      // Erased (or settled by another process) while downloading: keep nothing.
      store.remove(file.path);
      logger.info(log, 'media erased while it was fetched; the file is removed');
      return 'settled';
    }
    logger.info({ ...log, bytes: file.bytes }, 'media stored');
    return 'settled';
  }

  async function pass(): Promise<number> {
    let settled = 0;
    let later = false;
    for (;;) {
      const rows = pendingMedia(db, clock.now(), 20, retryMs).filter((r) => r.attempts < MAX_ATTEMPTS);
      if (rows.length === 0 || stopped) break;
      let progressed = false;
      for (const row of rows) {
        if (stopped) break;
        try {
          const outcome = await fetchOne(row);
          if (outcome === 'settled') {
            settled++;
            progressed = true;
          } else later = true;
        } catch (err) {
          later = true;
          logger.error({ mediaId: row.id, err: describeError(err) }, 'media fetch failed');
        }
      }
      if (!progressed) break;
    }
    if (later && !stopped && !retryTimer) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        kick();
      }, retryMs);
      retryTimer.unref();
    }
    return settled;
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
    })()
      .catch((err: unknown) => logger.error({ err: describeError(err) }, 'media fetcher failed'))
      .finally(() => {
        running = null;
      });
  }

  return {
    kick,
    fetchPending: async () => {
      if (running) await running;
      return pass();
    },
    idle: async () => {
      while (running) await running;
    },
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
