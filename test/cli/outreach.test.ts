/**
 * `outreach settings | voice | status` (the CLI in-process on a temp database): the ladder on or
 * off and its cool-down per initiative (audited), a voice note for step 2 kept as a staff
 * member's media row, and the counts per step and outcome (never a list of people).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, deliveries, media, outreachSettings, outreachVoices, people, relayThreads } from '../../src/db/schema.js';
import { cliWorld } from '../support/cli-run.js';
import { OGG_VOICE } from '../support/media-world.js';

const NOW = '2027-04-01T10:00:00Z';
const w = cliWorld('ouderbrug-cli-outreach-', NOW);
beforeEach(() => w.setUp());
afterEach(() => w.tearDown());

describe('outreach settings', () => {
  it('shows the default, switches off and on, sets the cool-down; audited; refuses nonsense', async () => {
    const ini = await w.initiative('Samen naar De Linde');
    let r = await w.run(['outreach', 'settings', '--initiative', String(ini)]);
    expect(r).toMatchObject({ code: 0, out: `outreach ladder of initiative ${ini}: on, cool-down 120 days (the default: OUTREACH_COOLDOWN_DAYS)\n` });
    r = await w.run(['outreach', 'settings', '--initiative', String(ini), '--off']);
    expect(r.out).toContain('off, cool-down 120 days (saved)');
    r = await w.run(['outreach', 'settings', '--initiative', String(ini), '--on', '--cooldown-days', '90', '--json']);
    expect(JSON.parse(r.out)).toEqual({ initiative: ini, enabled: true, cooldownDays: 90, own: true });
    expect(w.withDb((db) => db.select().from(outreachSettings).all())).toMatchObject([{ initiativeId: ini, enabled: true, cooldownDays: 90 }]);
    expect(w.withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, 'outreach.settings')).all().map((a) => a.detail))).toEqual([{ enabled: false }, { enabled: true, cooldownDays: 90 }]);
    expect((await w.run(['outreach', 'settings', '--initiative', String(ini), '--cooldown-days', '400'])).code).toBe(1);
    expect((await w.run(['outreach', 'settings', '--initiative', String(ini), '--on', '--off'])).err).toContain('choose --on or --off');
    expect((await w.run(['outreach', 'settings', '--initiative', '999'])).err).toContain('no initiative with id 999');
  });
});

describe('outreach voice', () => {
  it("keeps the recording as the staff member's media row for one language; refuses a parent, a file that is no voice, an unknown language; removes it", async () => {
    const ini = await w.initiative('Samen naar De Linde');
    const coord = w.personWith(ini, 'coordinator');
    const parent = w.personWith(ini, 'parent');
    writeFileSync(join(w.dir(), 'bel.ogg'), OGG_VOICE);
    writeFileSync(join(w.dir(), 'tekst.txt'), 'geen geluid');
    let r = await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'tr', '--file', 'bel.ogg', '--owner', String(coord)]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^voice note \(tr\) stored as media \d+/);
    const voices = w.withDb((db) => db.select().from(outreachVoices).all());
    expect(voices).toMatchObject([{ initiativeId: ini, lang: 'tr' }]);
    expect(w.withDb((db) => db.select().from(media).where(eq(media.id, voices[0]!.mediaId)).get())).toMatchObject({ ownerId: coord, type: 'voice', status: 'ready' });
    expect((await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'tr', '--file', 'bel.ogg', '--owner', String(parent)])).err).toContain(`person ${parent} is no ambassador or coordinator`);
    expect((await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'tr', '--file', 'bel.ogg'])).err).toContain('--owner <personId> is needed');
    expect((await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'tr', '--file', 'tekst.txt', '--owner', String(coord)])).err).toContain('is not a voice note');
    expect((await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'xx', '--file', 'bel.ogg', '--owner', String(coord)])).err).toContain('xx is not a language of the bot');
    r = await w.run(['outreach', 'status', '--initiative', String(ini)]);
    expect(r.out).toContain('voice notes: tr');
    r = await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'tr', '--remove']);
    expect(r.out).toContain('voice note (tr) removed');
    expect(w.withDb((db) => db.select().from(outreachVoices).all())).toEqual([]);
    // Erasing the recorder erases the recording, and with it the voice note (cascade).
    await w.run(['outreach', 'voice', '--initiative', String(ini), '--lang', 'ar', '--file', 'bel.ogg', '--owner', String(coord)]);
    w.withDb((db) => db.delete(people).where(eq(people.id, coord)).run());
    expect(w.withDb((db) => db.select().from(outreachVoices).all())).toEqual([]);
  });
});

describe('outreach status', () => {
  it('counts per step and per outcome, never who', async () => {
    const ini = await w.initiative('Samen naar De Linde');
    const parents = [w.personWith(ini, 'parent'), w.personWith(ini, 'parent'), w.personWith(ini, 'parent')];
    const at = new Date(NOW);
    w.withDb((db) => {
      const row = (personId: number, step: number, status: 'sent' | 'skipped' | 'planned') => ({
        key: `ladder${step}|p${personId}|c-|s20000`,
        personId,
        childId: null,
        ruleId: `ladder${step}`,
        channel: 'telegram' as const,
        kind: step === 3 ? ('notice' as const) : ('reminder' as const),
        priority: 3,
        dueAt: at,
        sendAt: at,
        expiresAt: null,
        urgentFrom: null,
        payload: { key: 'x', params: {}, buttons: null, initiativeId: ini },
        status,
        createdAt: at,
      });
      const rows = [row(parents[0]!, 1, 'sent'), row(parents[1]!, 1, 'sent'), row(parents[2]!, 1, 'planned'), row(parents[0]!, 2, 'sent'), row(parents[1]!, 2, 'skipped'), row(parents[0]!, 3, 'sent')];
      for (const r of rows) db.insert(deliveries).values(r).run();
      db.insert(relayThreads).values({ personId: parents[0]!, initiativeId: ini, kind: 'callback', source: 'ladder', sourceRef: 's20000', language: 'tr', status: 'closed', outcome: 'reached', tier: 0, tierAt: at, createdAt: at }).run();
    });
    const r = await w.run(['outreach', 'status', '--initiative', String(ini), '--json']);
    const s = JSON.parse(r.out) as { steps: { step: number; byStatus: Record<string, number> }[]; tasks: Record<string, number> };
    expect(s.steps).toEqual([
      { step: 1, byStatus: { sent: 2, planned: 1 } },
      { step: 2, byStatus: { sent: 1, skipped: 1 } },
      { step: 3, byStatus: { sent: 1 } },
    ]);
    expect(s.tasks).toEqual({ reached: 1 });
    const text = await w.run(['outreach', 'status', '--initiative', String(ini)]);
    expect(text.out).toContain('1 question');
    for (const id of parents) expect(text.out).not.toMatch(new RegExp(`\\bp${id}\\b`));
  });
});
