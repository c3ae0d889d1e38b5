/** `broadcast …` on the command line: counts, a draft with versions and a voice note, preview, the lifecycle, approval, audit. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { runBroadcastCommand } from '../../src/db/broadcast.effects.js';
import { getBroadcast } from '../../src/db/broadcasts.repo.js';
import { listAudit } from '../../src/db/audit.repo.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';
import { seedInitiative, seedParents } from '../support/broadcast-seed.js';

let dir: string;
let dbPath: string;
const NOW = '2026-12-07T10:00:00Z';
const run = (args: string[]): Promise<CliResult> => runCliOn(dbPath, dir, ['broadcast', ...args], NOW);
const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);

let ini: number;
let staff: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-cli-bc-'));
  dbPath = join(dir, 'test.db');
  withDb((db) => {
    ini = seedInitiative(db, 'linde', 'Samen naar De Linde');
    staff = seedParents(db, ini, [{ language: 'tr', role: 'ambassador' }], new Date(NOW))[0]!;
    seedParents(
      db,
      ini,
      [
        ...Array.from({ length: 7 }, () => ({ language: 'tr', children: [{ year: 2024, month: 5 }] })),
        ...Array.from({ length: 3 }, () => ({ language: 'ar', children: [{ year: 2023, month: 2 }] })),
      ],
      new Date(NOW),
    );
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('broadcast count', () => {
  it('counts per language, under 5 as "fewer than 5"; audience flags narrow', async () => {
    let r = await run(['count', '--initiative', String(ini)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('parents: 10');
    expect(r.out).toMatch(/tr\s+7/);
    expect(r.out).toMatch(/ar\s+fewer than 5/);
    r = await run(['count', '--initiative', String(ini), '--born-from', '2024-01', '--born-to', '2024-12', '--json']);
    expect(JSON.parse(r.out)).toEqual({ total: 7, byLanguage: [{ lang: 'tr', count: 7 }] });
    r = await run(['count', '--initiative', String(ini), '--lang', 'ar', '--json']);
    expect(JSON.parse(r.out)).toEqual({ total: 'fewer-than-5', byLanguage: [{ lang: 'ar', count: 'fewer-than-5' }] });
  });

  it('refuses bad flags kindly', async () => {
    expect((await run(['count', '--initiative', String(ini), '--born-from', '2024-13'])).err).toContain('expected a month like 2024-03');
    expect((await run(['count', '--initiative', String(ini), '--rsvp', 'x:yes'])).err).toContain('expected EVENT:answers');
    expect((await run(['count', '--initiative', '999'])).err).toContain('no initiative with id 999');
  });
});

describe('broadcast create, preview, submit and the lifecycle', () => {
  it('writes a draft with versions, previews each language group, submits; audited as cli', async () => {
    const r = await run(['create', '--initiative', String(ini), '--lang', 'tr,ar', '--text', 'nl=Zaterdag koffie op school.', '--text', 'tr=Cumartesi okulda kahve.', '--at', '2026-12-08T09:00:00Z', '--json']);
    expect(r.code, r.err).toBe(0);
    const id = (JSON.parse(r.out) as { id: number }).id;
    const b = withDb((db) => getBroadcast(db, id))!;
    expect(b).toMatchObject({ status: 'draft', audience: { languages: ['tr', 'ar'] }, sendAt: new Date('2026-12-08T09:00:00Z'), authorId: null });
    expect(b.versions.map((v) => [v.lang, v.text])).toEqual([
      ['nl', 'Zaterdag koffie op school.'],
      ['tr', 'Cumartesi okulda kahve.'],
    ]);

    const p = await run(['preview', String(id), '--lang', 'tr,ar']);
    expect(p.out).toContain('── tr\nCumartesi okulda kahve.');
    expect(p.out).toContain('── ar\nZaterdag koffie op school.');
    expect(p.out).toContain('هذه الرسالة ليست بلغتك بعد');
    expect(p.out).toContain('[مساعدة]');

    expect((await run(['submit', String(id)])).out).toContain(`broadcast ${id}: scheduled.`);
    expect((await run(['submit', String(id)])).err).toContain('not possible in its current status');
    expect((await run(['list', '--status', 'scheduled'])).out).toMatch(new RegExp(`^${id}\\s+${ini}\\s+scheduled\\s+nl,tr`, 'm'));
    expect((await run(['cancel', String(id)])).out).toContain('cancelled');
    const audit = withDb((db) => listAudit(db, ini)).filter((a) => a.action.startsWith('broadcast.'));
    expect(audit.map((a) => `${a.actor} ${a.action}`)).toEqual(['cli broadcast.create', 'cli broadcast.submit', 'cli broadcast.cancel']);
  });

  it('the Dutch version is required to submit', async () => {
    const r = await run(['create', '--initiative', String(ini), '--text', 'tr=Merhaba', '--json']);
    const id = (JSON.parse(r.out) as { id: number }).id;
    const s = await run(['submit', String(id)]);
    expect(s.code).toBe(1);
    expect(s.err).toContain('the Dutch version is required');
  });

  it('a voice note from a file becomes a version (stored in the media store, owned by a person)', async () => {
    const ogg = join(dir, 'groet.ogg');
    writeFileSync(ogg, Buffer.concat([Buffer.from('OggS'), Buffer.alloc(200, 1)]));
    expect((await run(['create', '--initiative', String(ini), '--text', 'nl=Hallo', '--voice', 'ar=groet.ogg'])).err).toContain('--voice needs --owner');
    const r = await run(['create', '--initiative', String(ini), '--text', 'nl=Hallo', '--voice', 'ar=groet.ogg', '--owner', String(staff), '--json']);
    expect(r.code, r.err).toBe(0);
    const id = (JSON.parse(r.out) as { id: number }).id;
    const ar = withDb((db) => getBroadcast(db, id))!.versions.find((v) => v.lang === 'ar')!;
    expect(ar).toMatchObject({ text: null, media: { type: 'voice' } });
    const row = withDb((db) => db.$client.prepare('select status, owner_id, path from media where id = ?').get(ar.media!.mediaId)) as { status: string; owner_id: number; path: string };
    expect(row).toMatchObject({ status: 'ready', owner_id: staff });
    expect(existsSync(row.path)).toBe(true);
    const p = await run(['preview', String(id), '--lang', 'ar']);
    expect(p.out).toContain('+ voice');
    expect(p.out).toContain('رسالة صوتية من Samen naar De Linde');
  });

  it('approval: on for the initiative, an ambassador\'s broadcast waits; the operator approves or rejects it', async () => {
    expect((await run(['approval', '--initiative', String(ini), 'on'])).out).toContain('need a coordinator');
    const id = withDb((db) =>
      db.transaction((tx) => {
        const made = runBroadcastCommand(tx, { personId: staff }, { op: 'create', initiativeId: ini, draftKey: 'x' }, new Date(NOW));
        if (!made.ok) throw new Error('refused');
        runBroadcastCommand(tx, { personId: staff }, { op: 'version', broadcastId: made.broadcastId, lang: 'nl', text: 'Hallo' }, new Date(NOW));
        runBroadcastCommand(tx, { personId: staff }, { op: 'submit', broadcastId: made.broadcastId }, new Date(NOW));
        return made.broadcastId;
      }),
    );
    expect((await run(['list', '--status', 'pending', '--json'])).out).toContain(`"id": ${id}`);
    expect((await run(['approve', String(id)])).out).toContain(`broadcast ${id}: scheduled.`);
    const show = await run(['show', String(id), '--json']);
    expect(JSON.parse(show.out)).toMatchObject({ id, status: 'scheduled', needsApproval: true, initiativeRequiresApproval: true });
    expect((await run(['approval', '--initiative', String(ini), 'off'])).out).toContain('do not need');
  });
});
