/**
 * Media for tests: sample files with the first bytes of the real formats (what the fake servers
 * check), and a small world of a real SQLite database, a media store in a temp directory and the
 * library over both, with helpers to make a person and a stored (ready) or pending file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaLibrary } from '../../src/core/media.js';
import { createMediaStore, type MediaStore } from '../../src/core/media-store.js';
import type { ChannelName, InboundMedia, MediaType } from '../../src/core/messages.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createMediaLibrary, markMediaReady, recordInboundMedia } from '../../src/db/media.repo.js';
import { people } from '../../src/db/schema.js';

const filler = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));

/** An OGG/Opus voice note (Telegram's and WhatsApp's voice format). */
export const OGG_VOICE = Buffer.concat([Buffer.from('OggS\0\x02', 'latin1'), filler(3000, 1)]);
/** An M4A (iPhone WhatsApp voice notes, audio files). */
export const M4A_AUDIO = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A ', 'latin1'), filler(2000, 2)]);
export const JPEG_PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), filler(4000, 3), Buffer.from([0xff, 0xd9])]);
export const PDF_FLYER = Buffer.concat([Buffer.from('%PDF-1.4\n', 'latin1'), filler(5000, 4), Buffer.from('\n%%EOF\n', 'latin1')]);

export interface MediaWorld {
  dir: string;
  db: Db;
  store: MediaStore;
  library: MediaLibrary;
  person(language?: string): number;
  /** A pending row as a turn records it. */
  pending(ownerId: number, channel: ChannelName, media: InboundMedia): number;
  /** A stored file, ready to send. */
  ready(ownerId: number, type: MediaType, data: Buffer, mimeType: string, filename?: string): number;
  close(): void;
}

export function createMediaWorld(): MediaWorld {
  const dir = mkdtempSync(join(tmpdir(), 'ouderbrug-media-'));
  const db = openDatabase(join(dir, 'test.db'));
  const store = createMediaStore(join(dir, 'media'));
  const library = createMediaLibrary(db, store);
  const pending = (ownerId: number, channel: ChannelName, media: InboundMedia): number => db.transaction((tx) => recordInboundMedia(tx, { ownerId, channel, media }));
  return {
    dir,
    db,
    store,
    library,
    person: (language = 'nl') => db.insert(people).values({ language }).returning({ id: people.id }).get().id,
    pending,
    ready(ownerId, type, data, mimeType, filename) {
      const id = pending(ownerId, 'telegram', { type, ref: `ref-${type}-${data.length}`, mimeType, ...(filename ? { filename } : {}) });
      const file = store.write(id, data);
      markMediaReady(db, id, { ...file, mimeType }, new Date());
      return id;
    },
    close() {
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
