/** `nudge create|list|show|preview|trigger|pause|resume|cancel|runs`: the operator's view of coordinator nudges, audited. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, broadcasts, broadcastVersions, deliveries, nudges, people } from '../../src/db/schema.js';
import { cliWorld } from '../support/cli-run.js';

const NOW = '2027-03-01T09:00:00Z';
const world = cliWorld('ouderbrug-cli-nudge-', NOW);
const { run, withDb, initiative, personWith } = world;
const dir = (): string => world.dir();

beforeEach(() => world.setUp());
afterEach(() => world.tearDown());

describe('nudge create', () => {
  it('a voice note from a file as the Turkish version, recorded by the coordinator given with --by; never as the Dutch one', async () => {
    const ini = await initiative('Samen naar De Linde');
    const coord = personWith(ini, 'coordinator');
    writeFileSync(join(dir(), 'groet.ogg'), Buffer.concat([Buffer.from('OggS'), Buffer.alloc(200, 1)]));
    const base = ['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Bijna 2,5 jaar', '--child-age', '30'];
    expect((await run([...base, '--voice', 'tr=groet.ogg'])).err).toContain('--voice needs --by');
    expect((await run([...base, '--voice', 'nl=groet.ogg', '--by', String(coord)])).err).toContain('a voice note is for the other languages');
    const r = await run([...base, '--voice', 'tr=groet.ogg', '--by', String(coord)]);
    expect(r.code, r.err).toBe(0);
    const tr = withDb((db) => db.select().from(broadcastVersions).all()).find((v) => v.lang === 'tr');
    expect(tr).toMatchObject({ text: null, mediaType: 'voice' });
    const file = withDb((db) => db.$client.prepare('select status, owner_id, path from media where id = ?').get(tr!.mediaId)) as { status: string; owner_id: number; path: string };
    expect(file).toMatchObject({ status: 'ready', owner_id: coord });
    expect(existsSync(file.path)).toBe(true);
  });

  it('once, weekly, monthly and relative moments; Dutch required; bad moments refused with a reason', async () => {
    const ini = await initiative('Samen naar De Linde');
    const once = await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Morgen open ochtend!', '--text', 'tr=Yarın açık sabah!', '--once', '2027-03-15 10:00']);
    expect(once.code, once.err).toBe(0);
    expect(once.out).toContain('nudge 1: once, once 2027-03-15 10:00, first 2027-03-15T09:00:00.000Z.');
    const weekly = await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Koffie op woensdag', '--weekly', 'wed 9:30', '--lang', 'tr,ar']);
    expect(weekly.out).toContain('every Wed 09:30, first 2027-03-03T08:30:00.000Z.');
    expect((await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Nieuws', '--monthly', '31 10:00'])).out).toContain('first 2027-03-31T08:00:00.000Z');
    const age = await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Bijna 2,5 jaar', '--child-age', '30', '--registered', 'no']);
    expect(age.out).toContain('nudge 4: relative, when a child turns 30 months (window 1 month) 10:00.');
    const ev = await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Speelochtend', '--before-event', 'play_morning', '--days', '3']);
    expect(ev.code, ev.err).toBe(0);
    const rules = withDb((db) => db.select({ id: nudges.id, rule: nudges.rule }).from(nudges).all());
    expect(rules.find((r) => r.id === 5)?.rule).toMatchObject({ id: 'n5', trigger: { type: 'event', offsetDays: -3, untilOffsetDays: 0, kinds: ['play_morning'] } });

    const bad = async (args: string[], message: string) => {
      const r = await run(['nudge', 'create', '--initiative', String(ini), ...args]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(message);
    };
    await bad(['--text', 'tr=Merhaba', '--once', '2027-03-15 10:00'], 'the Dutch version is required');
    await bad(['--text', 'nl=Hallo', '--once', '2027-02-15 10:00'], 'that moment has already passed');
    await bad(['--text', 'nl=Hallo', '--child-age', '30', '--lang', 'tr'], 'a relative nudge goes to all parents');
    await bad(['--text', 'nl=Hallo'], 'give exactly one of');
    await bad(['--text', 'nl=Hallo', '--weekly', 'someday 10:00'], 'expected a weekday and a time');
  });

  it('--by must be a coordinator of the initiative; the audit names who did what', async () => {
    const ini = await initiative('Samen naar De Linde');
    const other = await initiative('Samen naar De Es');
    const coord = personWith(ini, 'coordinator');
    const amb = personWith(ini, 'ambassador');
    const otherCoord = personWith(other, 'coordinator');
    for (const by of [amb, otherCoord]) {
      const r = await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Hallo', '--weekly', 'mon 10:00', '--by', String(by)]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`person ${by} may not manage nudges of initiative ${ini}`);
    }
    expect((await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Hallo', '--weekly', 'mon 10:00', '--by', String(coord)])).code).toBe(0);
    expect((await run(['nudge', 'pause', '1', '--by', String(otherCoord)])).code).toBe(1);
    expect((await run(['nudge', 'pause', '1', '--by', String(coord)])).out).toContain('nudge 1: paused.');
    expect((await run(['nudge', 'pause', '1'])).err).toContain('nudge 1 cannot be paused now.');
    expect((await run(['nudge', 'resume', '1'])).out).toContain('nudge 1: active.');
    expect((await run(['nudge', 'cancel', '1'])).out).toContain('nudge 1: cancelled.');
    expect((await run(['nudge', 'trigger', '1'])).err).toContain('cannot be sent');
    const audit = withDb((db) => db.select({ actor: auditLog.actor, action: auditLog.action }).from(auditLog).all().filter((a) => a.action.startsWith('nudge.')));
    expect(audit).toEqual([
      { actor: `person:${coord}`, action: 'nudge.create' },
      { actor: `person:${coord}`, action: 'nudge.pause' },
      { actor: 'cli', action: 'nudge.resume' },
      { actor: 'cli', action: 'nudge.cancel' },
    ]);
    const log = await run(['audit', '--initiative', String(ini)]);
    expect(log.out).toContain('nudge.create');
  });
});

describe('nudge list, show, preview, trigger, runs', () => {
  it('shows what an operator needs, previews per language, triggers a run and lists it with its rows', async () => {
    const ini = await initiative('Samen naar De Linde');
    await run(['nudge', 'create', '--initiative', String(ini), '--text', 'nl=Kom naar de speelochtend!', '--text', 'tr=Oyun sabahına gelin!', '--monthly', '15 10:00']);
    const list = await run(['nudge', 'list', '--initiative', String(ini)]);
    expect(list.out).toMatch(/1\s+recurring\s+active\s+every month on day 15 10:00\s+2027-03-15T09:00:00.000Z\s+all parents\s+Kom naar de speelochtend!/);
    const show = await run(['nudge', 'show', '1']);
    expect(show.out).toContain('nl: Kom naar de speelochtend!');
    expect(show.out).toContain('tr: Oyun sabahına gelin!');
    const preview = await run(['nudge', 'preview', '1', '--lang', 'tr,pl']);
    expect(preview.out).toContain('── tr\nOyun sabahına gelin!');
    // Polish readers get the Dutch text with the line in Polish.
    expect(preview.out).toMatch(/── pl\nKom naar de speelochtend!\n\n.*(?:Twoim|twoim|języku)/);

    const trig = await run(['nudge', 'trigger', '1']);
    expect(trig.out).toMatch(/nudge 1: run \d+ scheduled now/);
    const run1 = withDb((db) => db.select().from(broadcasts).all().find((b) => b.status === 'scheduled'));
    expect(run1).toMatchObject({ nudgeId: 1, initiativeId: ini, audience: {} });
    // Two of its rows (as the bot's fan-out would write them): one sent, one still waiting.
    withDb((db) => {
      const p = db.insert(people).values({ language: 'nl' }).returning({ id: people.id }).get().id;
      const q = db.insert(people).values({ language: 'tr' }).returning({ id: people.id }).get().id;
      const row = (personId: number, status: 'sent' | 'planned') => ({
        key: `b${run1!.id}|p${personId}`,
        personId,
        ruleId: `b${run1!.id}`,
        channel: 'local' as const,
        kind: 'broadcast' as const,
        dueAt: new Date(NOW),
        sendAt: new Date(NOW),
        payload: { key: 'broadcast:body', params: {}, buttons: null, broadcastId: run1!.id },
        status,
        createdAt: new Date(NOW),
      });
      db.insert(deliveries).values([row(p, 'sent'), row(q, 'planned')]).run();
    });
    const runs = await run(['nudge', 'runs', '1', '--json']);
    expect(JSON.parse(runs.out)).toEqual([{ key: `now:${Date.parse(NOW)}`, at: '2027-03-01T09:00:00.000Z', trigger: 'manual', broadcastId: run1!.id, counts: { delivered: 1, failed: 0, skipped: 0, waiting: 1 } }]);
    expect((await run(['nudge', 'runs', '1'])).out).toMatch(new RegExp(`now:${Date.parse(NOW)}\\s+2027-03-01T09:00:00.000Z\\s+manual\\s+\\d+\\s+1\\s+0\\s+0\\s+1`));
    expect((await run(['nudge', 'show', '99'])).err).toContain('no nudge with id 99');
  });
});
