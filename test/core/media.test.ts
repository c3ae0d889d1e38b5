/**
 * The media store and the fetcher on a real SQLite database and a real directory: pending →
 * ready with the bytes under <dir>/<id> (0600, no user names in paths), the limits, failures
 * (too large, gone, retried then given up), a row erased while downloading, erasure removing the
 * files (erasePerson, the retention job's path too), the orphan sweep, /mydata listing the files.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { MEDIA_LIMITS, mediaLimitMb, mediaTooLarge, type DownloadResult, type MediaDownloader } from '../../src/core/media.js';
import { mediaDirFor } from '../../src/core/media-store.js';
import { renderMyData } from '../../src/core/mydata.render.js';
import { erasePerson } from '../../src/db/effects.apply.js';
import { exportPerson } from '../../src/db/export.repo.js';
import { mediaById, mediaIds, recordInboundMedia, safeFilename } from '../../src/db/media.repo.js';
import { createMediaFetcher, MAX_ATTEMPTS } from '../../src/jobs/media-fetch.js';
import { fixedClock } from '../support/clock.js';
import { silentLogger } from '../support/engine-harness.js';
import { createMediaWorld, JPEG_PHOTO, OGG_VOICE, PDF_FLYER, type MediaWorld } from '../support/media-world.js';

let world: MediaWorld;
beforeEach(() => {
  world = createMediaWorld();
});
afterEach(() => world.close());

/** A messenger's files by ref; `script` decides an answer per call when set. */
function scriptedDownloader(files: Record<string, Buffer>, script?: (ref: string, call: number) => DownloadResult | undefined): MediaDownloader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async download(ref, maxBytes) {
      calls.push(ref);
      const scripted = script?.(ref, calls.length);
      if (scripted) return scripted;
      const data = files[ref];
      if (!data) return { ok: false, failure: 'gone', reason: 'unknown ref' };
      return data.length > maxBytes ? { ok: false, failure: 'too_large', reason: `${data.length}` } : { ok: true, data };
    },
  };
}

function fetcher(downloader: MediaDownloader, clock = fixedClock('2027-03-01T10:00:00Z')) {
  return createMediaFetcher({ db: world.db, store: world.store, downloaders: new Map([['telegram', downloader]]), clock, logger: silentLogger, retryMs: 60_000 });
}

describe('media fetcher', () => {
  it('downloads a pending file after the turn and stores it under its id only, private to the process', async () => {
    const owner = world.person();
    const id = world.pending(owner, 'telegram', { type: 'voice', ref: 'tg-file-1', mimeType: 'audio/ogg', filename: '../../etc/passwd', durationSeconds: 4 });
    const f = fetcher(scriptedDownloader({ 'tg-file-1': OGG_VOICE }));
    expect(await f.fetchPending()).toBe(1);
    const row = mediaById(world.db, id)!;
    expect(row).toMatchObject({ status: 'ready', bytes: OGG_VOICE.length, path: join(world.store.dir, String(id)), filename: '_.._etc_passwd' });
    expect(readdirSync(world.store.dir)).toEqual([String(id)]);
    expect(statSync(row.path!).mode & 0o777).toBe(0o600);
    const loaded = world.library.load(id);
    expect(loaded.status === 'ready' && loaded.read().equals(OGG_VOICE)).toBe(true);
  });

  it('refuses a file over the limit (announced or while downloading) and a file the messenger no longer has', async () => {
    const owner = world.person();
    const big = world.pending(owner, 'telegram', { type: 'photo', ref: 'big' });
    const gone = world.pending(owner, 'telegram', { type: 'document', ref: 'missing' });
    const huge = Buffer.alloc(MEDIA_LIMITS.photo + 1, 1);
    await fetcher(scriptedDownloader({ big: huge })).fetchPending();
    expect(mediaById(world.db, big)).toMatchObject({ status: 'failed', failure: 'too_large', path: null });
    expect(mediaById(world.db, gone)).toMatchObject({ status: 'failed', failure: 'gone' });
    expect(world.library.load(big)).toMatchObject({ status: 'gone' });
    expect(existsSync(world.store.dir) ? readdirSync(world.store.dir) : []).toEqual([]);
  });

  it('tries a failing download again a minute later, and gives up after the last attempt', async () => {
    const clock = fixedClock('2027-03-01T10:00:00Z');
    const id = world.pending(world.person(), 'telegram', { type: 'voice', ref: 'flaky' });
    const downloader = scriptedDownloader({}, () => ({ ok: false, failure: 'retry', reason: 'telegram 502' }));
    const f = fetcher(downloader, clock);
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await f.fetchPending();
      // Within the minute nothing is tried again.
      await f.fetchPending();
      clock.advance(61_000);
    }
    f.stop();
    expect(downloader.calls).toHaveLength(MAX_ATTEMPTS);
    expect(mediaById(world.db, id)).toMatchObject({ status: 'failed', failure: 'error', attempts: MAX_ATTEMPTS });
  });

  it('a file from a channel that is not running is gone', async () => {
    const id = world.pending(world.person(), 'whatsapp', { type: 'voice', ref: 'wa' });
    await fetcher(scriptedDownloader({})).fetchPending();
    expect(mediaById(world.db, id)).toMatchObject({ status: 'failed', failure: 'gone' });
  });

  it('keeps nothing when the owner is erased while the file downloads', async () => {
    const owner = world.person();
    world.pending(owner, 'telegram', { type: 'voice', ref: 'slow' });
    const downloader: MediaDownloader = {
      async download() {
        world.db.transaction((tx) => erasePerson(tx, owner, new Date()));
        return { ok: true, data: OGG_VOICE };
      },
    };
    await fetcher(downloader).fetchPending();
    expect(mediaIds(world.db).size).toBe(0);
    expect(readdirSync(world.store.dir)).toEqual([]);
  });
});

describe('erasure and the sweep', () => {
  it('erasePerson (/delete and the retention job) removes the person\'s files; others stay', async () => {
    const alice = world.person();
    const bob = world.person();
    const a1 = world.ready(alice, 'voice', OGG_VOICE, 'audio/ogg');
    const a2 = world.ready(alice, 'document', PDF_FLYER, 'application/pdf', 'flyer.pdf');
    const b1 = world.ready(bob, 'photo', JPEG_PHOTO, 'image/jpeg');
    world.db.transaction((tx) => erasePerson(tx, alice, new Date(), 'retention'));
    expect(readdirSync(world.store.dir)).toEqual([String(b1)]);
    expect(mediaById(world.db, a1)).toBeNull();
    expect(mediaById(world.db, a2)).toBeNull();
    expect(world.library.load(a1)).toMatchObject({ status: 'gone' });
  });

  it('the sweep removes files without a row and half-written ones, and keeps the rest', () => {
    const keep = world.ready(world.person(), 'voice', OGG_VOICE, 'audio/ogg');
    writeFileSync(join(world.store.dir, '999'), 'orphan');
    writeFileSync(join(world.store.dir, '.tmp-5-abc'), 'half');
    writeFileSync(join(world.store.dir, 'README'), 'not ours');
    expect(world.store.sweep(mediaIds(world.db))).toBe(2);
    expect(readdirSync(world.store.dir).sort()).toEqual([String(keep), 'README']);
    expect(() => world.store.read('/etc/passwd')).toThrow('not a file of the media store');
  });

  it('files live next to the database', () => {
    expect(mediaDirFor('/var/lib/ouderbrug/ouderbrug.db')).toBe('/var/lib/ouderbrug/media');
  });
});

describe('limits and what the person sees', () => {
  it('names the limit per type and checks an announced size', () => {
    expect([mediaLimitMb('voice'), mediaLimitMb('photo'), mediaLimitMb('document')]).toEqual([16, 5, 20]);
    expect(mediaTooLarge({ type: 'voice', bytes: 17 * 1024 * 1024 })).toBe(true);
    expect(mediaTooLarge({ type: 'voice' })).toBe(false);
    expect(safeFilename('a/b\\c:d\u0000e.pdf')).toBe('a_b_c_d_e.pdf');
  });

  it('/mydata lists the stored files by kind and day, never their content', () => {
    const owner = world.person();
    world.ready(owner, 'voice', OGG_VOICE, 'audio/ogg');
    world.db.transaction((tx) => recordInboundMedia(tx, { ownerId: owner, channel: 'telegram', media: { type: 'photo', ref: 'secret-ref' } }, new Date('2027-03-04T10:00:00Z')));
    const data = exportPerson(world.db, owner, new Date())!;
    expect(data.files).toEqual([
      { type: 'voice', status: 'ready', at: expect.any(String) },
      { type: 'photo', status: 'pending', at: '2027-03-04T10:00:00.000Z' },
    ]);
    const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
    const [summary, file] = renderMyData(i18n, 'nl', data);
    expect(summary?.text).toContain('<b>Bestanden die je stuurde</b>\n• Spraakbericht (');
    expect(summary?.text).toContain('• Foto (4 maart 2027)');
    expect(file?.attachment?.content).not.toContain('secret-ref');
    expect(file?.attachment?.content).not.toContain(world.store.dir);
  });
});
