/**
 * The media store: the bytes of voice notes, photos and files, one file per `media` row, named
 * by the row's id only (`<dir>/<id>`): nothing a user typed or a messenger named ever reaches a
 * path. The directory is `<dirname(DATABASE_PATH)>/media`, private to the process (0700, files
 * 0600). Writes go to a temporary file first, so a crash never leaves half a file under an id.
 *
 * Erasure: erasePerson removes a person's files before their rows cascade away
 * (src/db/media.repo.ts#removePersonMediaFiles); `sweep` removes whatever has no row any more
 * (a crash between the two, a file written while its owner was erased), at every start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface StoredFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface MediaStore {
  readonly dir: string;
  /** Writes the bytes of media row `id`; returns where and what was stored. */
  write(id: number, data: Buffer): StoredFile;
  read(path: string): Buffer;
  /** Removes a stored file; true when it was there. */
  remove(path: string): boolean;
  /** Removes files whose id is not in `keep`, and leftover temporary files; returns how many. */
  sweep(keep: ReadonlySet<number>): number;
}

/** `<dirname(DATABASE_PATH)>/media`; an in-memory database gets a directory of its own under the system's temp dir. */
export function mediaDirFor(databasePath: string): string {
  if (databasePath === ':memory:' || databasePath === '') return join(tmpdir(), `ouderbrug-media-${process.pid}`);
  return join(dirname(resolve(databasePath)), 'media');
}

const ID_NAME = /^[1-9]\d{0,15}$/;
const TMP_NAME = /^\.tmp-/;

export function createMediaStore(dir: string): MediaStore {
  const root = resolve(dir);
  let made = false;
  const ensureDir = (): void => {
    if (made) return;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    made = true;
  };
  /** Only paths inside the store are read or removed. */
  const inside = (path: string): string => {
    const full = resolve(path);
    if (dirname(full) !== root || !ID_NAME.test(full.slice(root.length + 1))) throw new Error('not a file of the media store');
    return full;
  };

  return {
    dir: root,
    write(id, data) {
      if (!Number.isSafeInteger(id) || id <= 0) throw new Error('media id must be a positive integer');
      ensureDir();
      const path = join(root, String(id));
      const tmp = join(root, `.tmp-${id}-${randomBytes(6).toString('hex')}`);
      writeFileSync(tmp, data, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
      return { path, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    },
    read: (path) => readFileSync(inside(path)),
    remove(path) {
      try {
        unlinkSync(inside(path));
        return true;
      } catch {
        return false;
      }
    },
    sweep(keep) {
      let names: string[];
      try {
        names = readdirSync(root);
      } catch {
        return 0; // no directory yet: nothing stored
      }
      let removed = 0;
      for (const name of names) {
        const orphan = TMP_NAME.test(name) || (ID_NAME.test(name) && !keep.has(Number(name)));
        if (!orphan) continue;
        try {
          unlinkSync(join(root, name));
          removed++;
        } catch {
          // gone meanwhile
        }
      }
      return removed;
    },
  };
}
