/** `broadcast translate <id> [--lang tr,ar] [--json]` against a fake LibreTranslate server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/db/audit.repo.js';
import { createBroadcast, getBroadcast, moveStatus, setVersion } from '../../src/db/broadcasts.repo.js';
import type { Db } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { deliveries, identities, memberships, people } from '../../src/db/schema.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';
import { startFakeLibreTranslate, type FakeLibreTranslate } from '../support/fake-libretranslate.js';

let dir: string;
let dbPath: string;
let fake: FakeLibreTranslate;

const NL = 'Woensdag komt de bibliotheek voorlezen. Kom je ook?';
const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);
const env = () => ({ LIBRETRANSLATE_URL: fake.url, LIBRETRANSLATE_API_KEY: 'k', LIBRETRANSLATE_TIMEOUT_MS: '1000' });
const run = (args: string[], extraEnv: NodeJS.ProcessEnv = env()): Promise<CliResult> => runCliOn(dbPath, dir, ['broadcast', 'translate', ...args], '2027-03-01T09:00:00Z', extraEnv);

/** A draft by an ambassador with a chat, to an initiative whose parents read nl, tr (3), ar (2) and so (1). */
function arrange(): { id: number; author: number } {
  return withDb((db) => {
    const ini = createInitiative(db, { name: 'Samen naar De Linde', school: 'De Linde', municipality: 'amsterdam', phase: 2, postcodes: ['1091'] }, 'cli').id;
    const add = (language: string, role: 'parent' | 'ambassador', chat: string) => {
      const id = db.insert(people).values({ language }).returning().get().id;
      db.insert(identities).values({ personId: id, channel: 'local', chatId: chat }).run();
      db.insert(memberships).values({ personId: id, initiativeId: ini, role }).run();
      return id;
    };
    const author = add('nl', 'ambassador', 'a');
    ['nl', 'tr', 'tr', 'tr', 'ar', 'ar', 'so'].forEach((l, i) => add(l, 'parent', `p${i}`));
    const id = createBroadcast(db, { initiativeId: ini, authorId: author, audience: {}, sendAt: null });
    setVersion(db, id, 'nl', { text: NL });
    setVersion(db, id, 'ar', { text: 'الأربعاء تأتي المكتبة للقراءة.' });
    return { id, author };
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-cli-translate-'));
  dbPath = join(dir, 'test.db');
  fake = await startFakeLibreTranslate({ apiKeys: ['k'] });
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('broadcast translate', () => {
  it('without --lang: the audience languages that lack a version; drafts unapproved, the author noticed, audited as cli', async () => {
    const { id, author } = arrange();
    const r = await run([String(id)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`broadcast ${id}: machine drafts from Dutch`);
    expect(r.out).toMatch(/tr\s+draft stored: machine translation, not approved/);
    expect(r.out).toMatch(/so\s+no draft: the translation server cannot translate Dutch into it \(pair nl-so\)/);
    expect(r.out).toContain('The author was sent a notice.');
    expect(fake.requests.filter((q) => q.path === '/translate').map((q) => q.body.target)).toEqual(['tr']);
    withDb((db) => {
      expect(getBroadcast(db, id)!.versions.map((v) => [v.lang, v.machine, v.approved])).toEqual([
        ['nl', false, true],
        ['ar', false, true],
        ['tr', true, false],
      ]);
      expect(db.select().from(deliveries).all().map((d) => [d.personId, (d.payload as { key: string }).key])).toEqual([[author, 'translate:drafts.some']]);
      expect(listAudit(db).filter((a) => a.action === 'broadcast.machineDrafts').map((a) => a.actor)).toEqual(['cli']);
    });
  });

  it('--lang picks the languages; --json prints the report', async () => {
    const { id } = arrange();
    const r = await run([String(id), '--lang', 'uk,PL', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ broadcastId: id, status: 'done', drafted: ['uk', 'pl'], failed: [], noticed: true });
  });

  it('says so when translation is off, the broadcast is missing or not a draft, or there is no Dutch text', async () => {
    const { id } = arrange();
    let r = await run([String(id)], {});
    expect(r.code).toBe(1);
    expect(r.err).toContain('machine translation is off: set LIBRETRANSLATE_URL');
    r = await run(['999']);
    expect(r.err).toContain('no broadcast with id 999.');
    r = await run([String(id), '--lang', 'tr;ar']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('expected language codes like tr,ar');
    withDb((db) => moveStatus(db, id, ['draft'], 'scheduled'));
    r = await run([String(id)]);
    expect(r.err).toContain(`broadcast ${id} is scheduled: drafts can be added only while it is a draft.`);
    const voiceOnly = withDb((db) => {
      const b = createBroadcast(db, { initiativeId: 1, authorId: null, audience: {}, sendAt: null });
      setVersion(db, b, 'nl', { text: null, mediaId: 3, mediaType: 'voice' });
      return b;
    });
    r = await run([String(voiceOnly), '--lang', 'tr']);
    expect(r.err).toContain(`broadcast ${voiceOnly} has no Dutch text to translate from.`);
    expect(fake.requests).toEqual([]);
  });

  it('reports a server in trouble per language, in words an operator can act on', async () => {
    const { id } = arrange();
    const r = await run([String(id), '--lang', 'tr'], { LIBRETRANSLATE_URL: fake.url, LIBRETRANSLATE_API_KEY: 'wrong' });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/tr\s+no draft: the translation server cannot be reached or refuses the key \(http 403\)/);
  });
});
