/**
 * Broadcasts at the database level (SQLite on disk): the audience (overlapping filters, one row
 * per parent, never another initiative's parents), counts with "fewer than 5", the commands with
 * their role checks and audit rows (approval included), the fan-out firing once (also with a
 * second connection and after a reopen), pause / resume / cancel of the rows, and the summary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { runBroadcastCommand, type BroadcastActor } from '../../src/db/broadcast.effects.js';
import { countAudience } from '../../src/db/broadcast-audience.repo.js';
import { createBroadcastReads } from '../../src/db/broadcast.reads.js';
import { getBroadcast, getBroadcastRow } from '../../src/db/broadcasts.repo.js';
import { listAudit } from '../../src/db/audit.repo.js';
import { erasePerson } from '../../src/db/effects.apply.js';
import { exportPerson } from '../../src/db/export.repo.js';
import type { Logger } from '../../src/core/ports.js';
import type { AudienceFilter, BroadcastCommand } from '../../src/domain/broadcast.types.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import { BROADCAST_PRIORITY, createBroadcastRunner, fanOutRows, type BroadcastRunnerDeps } from '../../src/jobs/broadcast.runner.js';
import { fixedClock } from '../support/clock.js';
import { addRole, seedInitiative, seedParents, type SeedParent } from '../support/broadcast-seed.js';

const NOW = new Date('2026-12-07T10:00:00Z'); // 11:00 in Amsterdam
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let dir: string;
let dbPath: string;
let db: Db;
let A: number;
let B: number;
const clock = fixedClock(NOW);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-bc-'));
  dbPath = join(dir, 'bot.db');
  db = openDatabase(dbPath);
  A = seedInitiative(db, 'a');
  B = seedInitiative(db, 'b');
  clock.set(NOW);
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const deps = (d: Db = db): BroadcastRunnerDeps => ({ db: d, clock, logger: quiet, policy: DEFAULT_POLICY, defaultTimeZone: 'Europe/Amsterdam' });
const cli: BroadcastActor = { cli: true };
const run = (actor: BroadcastActor, c: BroadcastCommand, d: Db = db) => d.transaction((tx) => runBroadcastCommand(tx, actor, c, clock.now()));

/** A draft with a Dutch text and an audience, written by `actor`. */
function draft(actor: BroadcastActor, initiativeId: number, audience: AudienceFilter = {}, texts: Record<string, string> = { nl: 'Hallo allemaal' }): number {
  const made = run(actor, { op: 'create', initiativeId, draftKey: 'k' });
  if (!made.ok) throw new Error(`create refused: ${made.reason}`);
  run(actor, { op: 'audience', broadcastId: made.broadcastId, audience });
  for (const [lang, text] of Object.entries(texts)) run(actor, { op: 'version', broadcastId: made.broadcastId, lang, text });
  return made.broadcastId;
}

const rowsOf = (id: number) =>
  db.$client.prepare('select person_id as personId, status, last_error as lastError, channel, priority, send_at as sendAt, payload from deliveries where rule_id = ? order by person_id').all(`b${id}`) as {
    personId: number;
    status: string;
    lastError: string | null;
    channel: string;
    priority: number;
    sendAt: number;
    payload: string;
  }[];

const count = (initiativeId: number, audience: AudienceFilter) => createBroadcastReads(db).audienceCount(initiativeId, audience, NOW);

describe('audience', () => {
  it('overlapping filters reach a parent once: several matching children, language and born range together', () => {
    const [twoKids, oneKid, other] = seedParents(
      db,
      A,
      [
        { language: 'tr', children: [{ year: 2024, month: 3 }, { year: 2024, month: 11 }] },
        { language: 'tr', children: [{ year: 2024, month: 6 }] },
        { language: 'ar', children: [{ year: 2022, month: 1 }] },
      ],
      NOW,
    );
    const audience: AudienceFilter = { bornFrom: '2024-01', bornTo: '2024-12', languages: ['tr', 'ar'] };
    const id = draft(cli, A, audience);
    run(cli, { op: 'submit', broadcastId: id });
    const out = fanOutRows(deps(), id, NOW)!;
    expect(out.recipients).toBe(2);
    expect(rowsOf(id).map((r) => r.personId)).toEqual([twoKids, oneKid]);
    expect(rowsOf(id).map((r) => r.personId)).not.toContain(other);
    // The same parent through two filters on two children (born range, not registered) is still one row.
    expect(rowsOf(id).every((r) => r.priority === BROADCAST_PRIORITY && r.status === 'planned' && JSON.parse(r.payload).broadcastId === id)).toBe(true);
  });

  it('child filters hold for one and the same child; turns 3, registered, rsvp, interest and silence narrow', () => {
    const ids = seedParents(
      db,
      A,
      [
        // born 2024-01 and registered; born 2022-05 not registered: "born 2024 and not registered" must not match.
        { language: 'nl', children: [{ year: 2024, month: 1, registered: true }, { year: 2022, month: 5 }] },
        { language: 'nl', children: [{ year: 2024, month: 2 }] },
        // turns 3 in 2027-03 (born 2024-03), and one turning 3 in 2027-09
        { language: 'nl', children: [{ year: 2024, month: 3 }] },
        { language: 'nl', children: [{ year: 2024, month: 9 }] },
        // an expected baby is not "born in 2024"
        { language: 'nl', children: [{ year: 2024, month: 12, expected: true }] },
        { language: 'nl', lastInboundAt: new Date(NOW.getTime() - 10 * 7 * 86_400_000) },
        { language: 'nl', lastInboundAt: new Date(NOW.getTime() - 86_400_000) },
      ],
      NOW,
    );
    const total = (a: AudienceFilter) => [...countExact(A, a).values()].reduce((x, y) => x + y, 0);
    expect(total({ bornFrom: '2024-01', bornTo: '2024-12', registered: false })).toBe(3);
    // Third birthdays in 2027-01, 2027-02, 2027-03 are within 6 months of December 2026; 2027-09 within 9.
    expect(total({ turns3WithinMonths: 6 })).toBe(3);
    expect(total({ turns3WithinMonths: 9 })).toBe(4);
    expect(total({ turns3WithinMonths: 1 })).toBe(1);
    expect(total({ silentWeeks: 8 })).toBe(ids.length - 1);
    // rsvp and interest
    const ev = db.$client
      .prepare("insert into events (initiative_id, kind, starts_at, ends_at, titles, places, created_at) values (?, 'tour', ?, ?, '{}', '{}', ?) returning id")
      .pluck()
      .get(A, NOW.getTime() + 86_400_000, NOW.getTime() + 90_000_000, NOW.getTime()) as number;
    db.$client.prepare("insert into event_rsvps (event_id, person_id, answer, status, answered_at) values (?, ?, 'yes', 'going', ?), (?, ?, 'no', 'none', ?)").run(ev, ids[0], 1, ev, ids[1], 1);
    expect(total({ rsvp: { eventId: ev, answers: ['yes', 'maybe'] } })).toBe(1);
    expect(total({ rsvp: { eventId: ev, answers: ['none'] } })).toBe(ids.length - 2);
    db.$client.prepare("insert into interests (person_id, initiative_id, action_key, at) values (?, ?, 'tour', 1)").run(ids[2], A);
    expect(total({ interest: 'tour' })).toBe(1);
  });

  it('counts under 5 are "fewer than 5", per language and in total; never a list', () => {
    seedParents(db, A, [...Array.from({ length: 6 }, () => ({ language: 'tr' })), { language: 'ar' }, { language: 'ar' }], NOW);
    expect(count(A, {})).toEqual({ total: 8, byLanguage: [{ lang: 'tr', count: 6 }, { lang: 'ar', count: 'fewer-than-5' }] });
    expect(count(A, { languages: ['ar'] })).toEqual({ total: 'fewer-than-5', byLanguage: [{ lang: 'ar', count: 'fewer-than-5' }] });
    expect(count(A, { languages: ['so'] })).toEqual({ total: 0, byLanguage: [] });
  });

  it("a parent of initiative B is never reached by A's broadcast (not even one who is staff of A)", () => {
    const [a1] = seedParents(db, A, [{ language: 'nl' }], NOW);
    const [b1, b2] = seedParents(db, B, [{ language: 'nl' }, { language: 'nl' }], NOW);
    addRole(db, b2!, A, 'ambassador', NOW);
    const id = draft(cli, A);
    run(cli, { op: 'submit', broadcastId: id });
    fanOutRows(deps(), id, NOW);
    expect(rowsOf(id).map((r) => r.personId)).toEqual([a1]);
    expect(rowsOf(id).map((r) => r.personId)).not.toContain(b1);
  });
});

/** Exact counts (the test looks behind the suppression), through the same SQL as the reads. */
const countExact = (initiativeId: number, a: AudienceFilter) => countAudience(db, initiativeId, a, NOW, 'Europe/Amsterdam');

describe('commands and roles', () => {
  it('a parent cannot broadcast, an ambassador of A cannot on B; refusals change nothing and are audited', () => {
    const [parent, amb] = seedParents(db, A, [{ language: 'nl' }, { language: 'nl', role: 'ambassador' }], NOW);
    expect(run({ personId: parent! }, { op: 'create', initiativeId: A, draftKey: 'x' })).toEqual({ ok: false, reason: 'refused' });
    expect(run({ personId: amb! }, { op: 'create', initiativeId: B, draftKey: 'x' })).toEqual({ ok: false, reason: 'refused' });
    expect(db.$client.prepare('select count(*) from broadcasts').pluck().get()).toBe(0);
    // Someone else's draft: a parent may not touch it.
    const id = draft({ personId: amb! }, A);
    expect(run({ personId: parent! }, { op: 'cancel', broadcastId: id })).toEqual({ ok: false, reason: 'refused' });
    expect(getBroadcast(db, id)?.status).toBe('draft');
    const actions = listAudit(db).map((r) => `${r.actor} ${r.action}`);
    expect(actions).toEqual(expect.arrayContaining([`person:${parent} broadcast.refused`, `person:${amb} broadcast.refused`, `person:${amb} broadcast.create`]));
  });

  it('approval: an ambassador\'s broadcast waits for a coordinator, who gets a preview notice with approve/reject; approve → scheduled', () => {
    const [amb, coord, coord2, parent] = seedParents(db, A, [{ language: 'tr', role: 'ambassador' }, { language: 'nl', role: 'coordinator' }, { language: 'ar', role: 'coordinator' }, { language: 'nl' }], NOW);
    // Only a coordinator may require approval.
    expect(run({ personId: amb! }, { op: 'requireApproval', initiativeId: A, required: true })).toEqual({ ok: false, reason: 'refused' });
    expect(run({ personId: coord! }, { op: 'requireApproval', initiativeId: A, required: true }).ok).toBe(true);
    expect(createBroadcastReads(db).requiresApproval(A)).toBe(true);

    const id = draft({ personId: amb! }, A, {}, { nl: 'Morgen is er koffie', tr: 'Yarın kahve var' });
    expect(run({ personId: amb! }, { op: 'submit', broadcastId: id })).toEqual({ ok: true, broadcastId: id, status: 'pending' });
    expect(createBroadcastReads(db).pendingApproval(A).map((b) => b.id)).toEqual([id]);
    const notices = db.$client.prepare("select person_id, kind, payload from deliveries where rule_id = 'bc-approval' order by person_id").all() as { person_id: number; kind: string; payload: string }[];
    expect(notices.map((n) => n.person_id)).toEqual([coord, coord2]);
    expect(notices.every((n) => n.kind === 'notice' && JSON.parse(n.payload).buttons === 'broadcastApproval' && JSON.parse(n.payload).broadcastId === id)).toBe(true);
    // Nothing goes out while pending; the ambassador cannot approve their own; a parent neither.
    expect(fanOutRows(deps(), id, NOW)).toBeNull();
    expect(run({ personId: amb! }, { op: 'approve', broadcastId: id })).toEqual({ ok: false, reason: 'refused' });
    expect(run({ personId: parent! }, { op: 'approve', broadcastId: id })).toEqual({ ok: false, reason: 'refused' });
    expect(run({ personId: coord! }, { op: 'approve', broadcastId: id })).toEqual({ ok: true, broadcastId: id, status: 'scheduled' });
    // A second press (the other coordinator) changes nothing.
    expect(run({ personId: coord2! }, { op: 'approve', broadcastId: id })).toEqual({ ok: false, reason: 'wrong_status' });
    expect(getBroadcastRow(db, id)?.approvedBy).toBe(coord);
    // The author hears it was approved.
    expect(db.$client.prepare("select person_id from deliveries where rule_id = 'bc-decision'").pluck().all()).toEqual([amb]);
    // Only the parents (role 'parent') are its audience, not the staff.
    expect(fanOutRows(deps(), id, NOW)?.recipients).toBe(1);
    expect(rowsOf(id).map((r) => r.personId)).toEqual([parent]);
    const audit = listAudit(db, A).map((r) => r.action);
    expect(audit).toEqual(expect.arrayContaining(['broadcast.requireApproval', 'broadcast.create', 'broadcast.submit', 'broadcast.approve', 'broadcast.send']));
  });

  it('reject: back to the author, who may edit (draft again) and submit again; a coordinator\'s own broadcast needs no approval; Dutch is required', () => {
    const [amb, coord] = seedParents(db, A, [{ language: 'tr', role: 'ambassador' }, { language: 'nl', role: 'coordinator' }], NOW);
    run({ personId: coord! }, { op: 'requireApproval', initiativeId: A, required: true });
    const id = draft({ personId: amb! }, A);
    run({ personId: amb! }, { op: 'submit', broadcastId: id });
    expect(run({ personId: coord! }, { op: 'reject', broadcastId: id })).toEqual({ ok: true, broadcastId: id, status: 'rejected' });
    run({ personId: amb! }, { op: 'version', broadcastId: id, lang: 'nl', text: 'Beter zo' });
    expect(getBroadcast(db, id)?.status).toBe('draft');
    expect(run({ personId: amb! }, { op: 'submit', broadcastId: id }).ok).toBe(true);
    expect(getBroadcast(db, id)?.status).toBe('pending');

    const own = draft({ personId: coord! }, A);
    expect(run({ personId: coord! }, { op: 'submit', broadcastId: own })).toEqual({ ok: true, broadcastId: own, status: 'scheduled' });
    const noDutch = draft({ personId: coord! }, A, {}, { tr: 'Merhaba' });
    expect(run({ personId: coord! }, { op: 'submit', broadcastId: noDutch })).toEqual({ ok: false, reason: 'no_dutch' });
    // A machine draft is not a sendable Dutch version until approved.
    const machine = draft({ personId: coord! }, A, {}, {});
    run({ personId: coord! }, { op: 'version', broadcastId: machine, lang: 'nl', text: 'Vertaald', machine: true });
    expect(run({ personId: coord! }, { op: 'submit', broadcastId: machine })).toEqual({ ok: false, reason: 'no_dutch' });
    run({ personId: coord! }, { op: 'approveVersion', broadcastId: machine, lang: 'nl' });
    expect(run({ personId: coord! }, { op: 'submit', broadcastId: machine }).ok).toBe(true);
  });
});

describe('fan-out', () => {
  it('fires once: a second call, a second connection (another process) and a reopened database write nothing more', () => {
    seedParents(db, A, Array.from({ length: 20 }, () => ({ language: 'nl' })), NOW);
    const id = draft(cli, A);
    run(cli, { op: 'submit', broadcastId: id });
    const other = openDatabase(dbPath);
    try {
      const results = [fanOutRows(deps(), id, NOW), fanOutRows(deps(other), id, NOW), fanOutRows(deps(), id, NOW)];
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    } finally {
      other.$client.close();
    }
    db.$client.close();
    db = openDatabase(dbPath);
    expect(fanOutRows(deps(), id, NOW)).toBeNull();
    expect(rowsOf(id)).toHaveLength(20);
    expect(getBroadcast(db, id)?.status).toBe('sending');
  });

  it('paced at the channel rate: row n at now + n / rate per channel; a resume keeps the pace from the moment it resumes', () => {
    seedParents(db, A, [...Array.from({ length: 30 }, () => ({ language: 'nl' })), ...Array.from({ length: 4 }, () => ({ language: 'nl', channel: 'whatsapp' as const }))], NOW);
    const id = draft(cli, A);
    run(cli, { op: 'submit', broadcastId: id });
    fanOutRows({ ...deps(), ratePerSecond: { telegram: 10, whatsapp: 2 } }, id, NOW);
    const at = (channel: string) => rowsOf(id).filter((r) => r.channel === channel).map((r) => r.sendAt - NOW.getTime());
    expect(at('telegram')).toEqual(Array.from({ length: 30 }, (_, n) => n * 100));
    expect(at('whatsapp')).toEqual([0, 500, 1000, 1500]);
    run(cli, { op: 'pause', broadcastId: id });
    clock.set(new Date(NOW.getTime() + 60_000));
    run(cli, { op: 'resume', broadcastId: id });
    expect(at('telegram')).toEqual(Array.from({ length: 30 }, (_, n) => 60_000 + n * 100));
    clock.set(NOW);
  });

  it('a scheduled broadcast waits for its moment', () => {
    seedParents(db, A, [{ language: 'nl' }], NOW);
    const id = draft(cli, A);
    run(cli, { op: 'timing', broadcastId: id, sendAt: new Date(NOW.getTime() + 3600_000) });
    run(cli, { op: 'submit', broadcastId: id });
    expect(fanOutRows(deps(), id, NOW)).toBeNull();
    expect(fanOutRows(deps(), id, new Date(NOW.getTime() + 3600_000))?.recipients).toBe(1);
  });

  it('quiet hours and the cap: after 20:00 it waits for the morning; lower-priority planned reminders do not hold it back; a full cap skips it', () => {
    const [evening, lowPlanned, full] = seedParents(db, A, [{ language: 'nl' }, { language: 'nl' }, { language: 'nl' }], NOW);
    const ins = db.$client.prepare(
      "insert into deliveries (key, person_id, rule_id, channel, kind, priority, due_at, send_at, payload, status, sent_at, created_at) values (?, ?, 'r', 'telegram', 'reminder', ?, ?, ?, '{}', ?, ?, ?)",
    );
    const h = (n: number) => NOW.getTime() - n * 3600_000;
    // lowPlanned: 2 sent + 1 planned of priority 2 within the week: the broadcast still goes now.
    ins.run('x1', lowPlanned, 5, h(30), h(30), 'sent', h(30), h(30));
    ins.run('x2', lowPlanned, 5, h(20), h(20), 'sent', h(20), h(20));
    ins.run('x3', lowPlanned, 2, NOW.getTime() + 3600_000, NOW.getTime() + 3600_000, 'planned', null, h(1));
    // full: 3 sent in the last day: the cap frees only after 3 days' expiry → skipped as 'cap'.
    for (const [i, hours] of [10, 8, 6].entries()) ins.run(`y${i}`, full, 5, h(hours), h(hours), 'sent', h(hours), h(hours));
    const id = draft(cli, A);
    run(cli, { op: 'submit', broadcastId: id });
    const late = new Date('2026-12-07T20:30:00Z'); // 21:30 in Amsterdam
    const out = fanOutRows(deps(), id, late)!;
    expect(out.skipped).toEqual({ cap: 1 });
    const rows = rowsOf(id);
    expect(rows.map((r) => r.personId)).toEqual([evening, lowPlanned]);
    // Both wait for 08:30 the next morning (the quiet hours), not longer.
    expect(rows.map((r) => new Date(r.sendAt).toISOString())).toEqual(['2026-12-08T07:30:00.000Z', '2026-12-08T07:30:00.000Z']);
  });
});

describe('pause, resume, cancel and the summary', () => {
  it('pause holds the rows not yet sent, resume plans them again, cancel skips them; a sent row stays sent', () => {
    const [author] = seedParents(db, A, [{ language: 'nl', role: 'ambassador' }], NOW);
    seedParents(db, A, Array.from({ length: 6 }, () => ({ language: 'nl' })), NOW);
    const id = draft({ personId: author! }, A);
    run({ personId: author! }, { op: 'submit', broadcastId: id });
    fanOutRows(deps(), id, NOW);
    const [first] = rowsOf(id);
    db.$client.prepare("update deliveries set status = 'sent', sent_at = ? where rule_id = ? and person_id = ?").run(NOW.getTime(), `b${id}`, first!.personId);
    db.$client.prepare("update deliveries set status = 'queued' where rule_id = ? and status = 'planned' and person_id % 2 = 0").run(`b${id}`);
    expect(run({ personId: author! }, { op: 'pause', broadcastId: id })).toEqual({ ok: true, broadcastId: id, status: 'paused' });
    expect(rowsOf(id).map((r) => r.status).sort()).toEqual(['paused', 'paused', 'paused', 'paused', 'paused', 'sent']);
    expect(run({ personId: author! }, { op: 'pause', broadcastId: id }).ok).toBe(false);
    expect(run({ personId: author! }, { op: 'resume', broadcastId: id })).toEqual({ ok: true, broadcastId: id, status: 'sending' });
    expect(rowsOf(id).filter((r) => r.status === 'planned')).toHaveLength(5);
    expect(run({ personId: author! }, { op: 'cancel', broadcastId: id })).toEqual({ ok: true, broadcastId: id, status: 'cancelled' });
    expect(rowsOf(id).filter((r) => r.status === 'skipped' && r.lastError === 'cancelled')).toHaveLength(5);
    expect(rowsOf(id).filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(run({ personId: author! }, { op: 'resume', broadcastId: id }).ok).toBe(false);
    expect(listAudit(db, A).map((r) => r.action)).toEqual(expect.arrayContaining(['broadcast.pause', 'broadcast.resume', 'broadcast.cancel']));
  });

  it('the summary counts delivered, failed by reason, skipped by reason and those waiting for a reply on WhatsApp', async () => {
    const parents: SeedParent[] = [
      ...Array.from({ length: 5 }, () => ({ language: 'nl' })),
      { language: 'nl', proactive: false },
      { language: 'nl', reminders: false },
      { language: 'nl', unreachable: true },
      { language: 'nl', channel: null },
    ];
    const ids = seedParents(db, A, parents, NOW);
    const id = draft(cli, A);
    run(cli, { op: 'submit', broadcastId: id });
    const runner = createBroadcastRunner(deps());
    await runner.tick();
    const out = getBroadcastRow(db, id)!;
    expect(out.status).toBe('sending');
    // Outcomes as the worker records them.
    const set = db.$client.prepare('update deliveries set status = ?, last_error = ?, channel_status = ? where rule_id = ? and person_id = ?');
    set.run('sent', null, null, `b${id}`, ids[0]);
    set.run('sent', null, 'failed', `b${id}`, ids[1]);
    set.run('held', null, null, `b${id}`, ids[2]);
    set.run('failed', 'invalid: Bad Request', null, `b${id}`, ids[3]);
    set.run('expired', 'expired before it could be sent', null, `b${id}`, ids[4]);
    await runner.tick();
    const b = getBroadcast(db, id)!;
    expect(b.status).toBe('done');
    expect(b.finishedAt).not.toBeNull();
    expect(b.summary).toEqual({
      delivered: 1,
      failed: { refused: 2 },
      skipped: { stopped: 1, noConsent: 1, unreachable: 2, expired: 1 },
      waitingForReply: 1,
      atStart: { stopped: 1, noConsent: 1, unreachable: 2 },
    });
    // Done once: another tick changes nothing.
    await runner.tick();
    expect(getBroadcast(db, id)?.summary).toEqual(b.summary);
  });

  it('a cancelled broadcast gets its summary once nothing is in flight; an empty audience is done at once', async () => {
    seedParents(db, A, Array.from({ length: 3 }, () => ({ language: 'nl' })), NOW);
    const id = draft(cli, A);
    run(cli, { op: 'submit', broadcastId: id });
    const runner = createBroadcastRunner(deps());
    await runner.tick();
    run(cli, { op: 'cancel', broadcastId: id });
    await runner.tick();
    expect(getBroadcast(db, id)?.summary?.skipped).toEqual({ cancelled: 3 });
    expect(getBroadcast(db, id)?.finishedAt).not.toBeNull();

    const empty = draft(cli, A, { languages: ['so'] });
    run(cli, { op: 'submit', broadcastId: empty });
    await runner.tick();
    await runner.tick();
    expect(getBroadcast(db, empty)?.status).toBe('done');
    expect(getBroadcast(db, empty)?.summary?.delivered).toBe(0);
  });
});

describe('privacy', () => {
  it('export lists what a person wrote or approved; erasure keeps the broadcast without them and removes a parent\'s copy', () => {
    const [amb, coord, parent] = seedParents(db, A, [{ language: 'tr', role: 'ambassador' }, { language: 'nl', role: 'coordinator' }, { language: 'nl' }], NOW);
    run({ personId: coord! }, { op: 'requireApproval', initiativeId: A, required: true });
    const id = draft({ personId: amb! }, A, {}, { nl: 'Hallo', tr: 'Merhaba' });
    run({ personId: amb! }, { op: 'submit', broadcastId: id });
    run({ personId: coord! }, { op: 'approve', broadcastId: id });
    fanOutRows(deps(), id, NOW);
    expect(exportPerson(db, amb!, NOW)?.broadcasts).toEqual([{ id, initiative: 'Samen naar a', role: 'author', status: 'sending', createdAt: NOW.toISOString(), texts: { nl: 'Hallo', tr: 'Merhaba' } }]);
    expect(exportPerson(db, coord!, NOW)?.broadcasts?.map((b) => b.role)).toEqual(['approver']);
    expect(exportPerson(db, parent!, NOW)?.deliveries.map((d) => d.rule)).toContain(`b${id}`);
    db.transaction((tx) => {
      erasePerson(tx, amb!, NOW);
      erasePerson(tx, coord!, NOW);
      erasePerson(tx, parent!, NOW);
    });
    const row = getBroadcastRow(db, id)!;
    expect([row.authorId, row.approvedBy, row.progressIdentityId]).toEqual([null, null, null]);
    expect(rowsOf(id)).toEqual([]);
  });
});
