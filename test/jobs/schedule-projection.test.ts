/**
 * projectSchedule against a real SQLite file: the planner's own rules, stepped over months,
 * with quiet hours and the frequency cap reflected, and nothing written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { finishDelivery, insertDeliveries, type NewDelivery } from '../../src/db/deliveries.repo.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { children, identities, memberships, people } from '../../src/db/schema.js';
import { DEFAULT_POLICY, type SendPolicy } from '../../src/domain/send-window.js';
import { loadReminderRules, PLAN_HORIZON_MS } from '../../src/jobs/nurture.config.js';
import type { PlanPassDeps } from '../../src/jobs/plan-pass.js';
import { projectSchedule, type ProjectedMessage } from '../../src/jobs/schedule-projection.js';
import { fixedClock } from '../support/clock.js';
import { saveOutreachSettings } from '../../src/db/outreach.repo.js';

const ZONE = 'Europe/Amsterdam';
const DAY_MS = 86_400_000;
const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const rules = loadReminderRules();
/** Local midnight starting 1 August 2026 in Amsterdam. */
const FROM = DateTime.fromISO('2026-08-01T00:00', { zone: ZONE }).toJSDate();

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-projection-'));
  db = openDatabase(join(dir, 'test.db'));
  // The bot seeds the municipality rules at start; Utrecht: the quarter in which the child turns 3.
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, FROM);
});

afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const local = (d: Date): string => DateTime.fromJSDate(d, { zone: ZONE }).toFormat('yyyy-LL-dd HH:mm');

function deps(policy: SendPolicy = DEFAULT_POLICY): PlanPassDeps {
  return { db, rules, clock: fixedClock(FROM), logger: silent, policy, defaultTimeZone: ZONE, horizonMs: PLAN_HORIZON_MS };
}

interface ParentSetup {
  birth?: { year: number; month: number };
  quiet?: { start: string; end: string };
  reachable?: boolean;
}

/** A Utrecht initiative with one parent (a Telegram chat) and one child. */
function parent(setup: ParentSetup = {}): { personId: number; childId: number; initiativeId: number } {
  const ini = createInitiative(db, { name: 'Samen naar De Boog', school: 'De Boog', municipality: 'Utrecht', phase: 2, postcodes: ['3511'] }, 'test');
  // The reminders' projection; the outreach ladder's (a parent who stays silent) is in test/jobs/outreach-ladder.test.ts.
  saveOutreachSettings(db, ini.id, { enabled: false }, 120, new Date());
  const personId = db
    .insert(people)
    .values({ language: 'nl', displayName: 'Samira', quietStart: setup.quiet?.start ?? null, quietEnd: setup.quiet?.end ?? null })
    .returning()
    .get().id;
  if (setup.reachable !== false) db.insert(identities).values({ personId, channel: 'telegram', chatId: `chat-${personId}` }).run();
  const birth = setup.birth ?? { year: 2025, month: 1 };
  const childId = db.insert(children).values({ personId, birthYear: birth.year, birthMonth: birth.month }).returning().get().id;
  db.insert(memberships).values({ personId, initiativeId: ini.id, role: 'parent', createdAt: new Date('2026-07-01T08:00:00Z') }).run();
  return { personId, childId, initiativeId: ini.id };
}

const count = (table: string): number => db.$client.prepare(`select count(*) from ${table}`).pluck().get() as number;
const byRule = (rows: ProjectedMessage[], ruleId: string): ProjectedMessage[] => rows.filter((r) => r.ruleId === ruleId);
const at = (rows: ProjectedMessage[], ruleId: string): string[] => byRule(rows, ruleId).map((r) => local(r.sendAt));

function delivery(personId: number, ruleId: string, sendAt: string): NewDelivery {
  const when = DateTime.fromISO(sendAt, { zone: ZONE }).toJSDate();
  return {
    key: `${ruleId}|p${personId}|c-|${sendAt}`,
    personId,
    childId: null,
    ruleId,
    channel: 'telegram',
    kind: 'reminder',
    priority: 5,
    dueAt: when,
    sendAt: when,
    expiresAt: null,
    urgentFrom: null,
    payload: { key: 'nurture:eventInvite', params: {}, buttons: null },
  };
}

describe('projectSchedule', () => {
  it('projects a Utrecht child born January 2025 from 1 August 2026: every rule on its local day at 10:00', () => {
    const { personId, childId } = parent();
    const audits = count('audit_log');

    const year = projectSchedule(deps(), { personIds: [personId], from: FROM, days: 365 });
    // Within a year: the age rules. Registration (the child turns 3 in January 2028) is later.
    expect(year.map((r) => r.ruleId)).toEqual(['toddler-groups', 'look-at-schools']);
    expect(at(year, 'toddler-groups')).toEqual(['2026-09-01 10:00']);
    expect(at(year, 'look-at-schools')).toEqual(['2027-04-01 10:00']);

    const rows = projectSchedule(deps(), { personIds: [personId], from: FROM, days: 730 });
    expect(at(rows, 'toddler-groups')).toEqual(['2026-09-01 10:00']);
    expect(at(rows, 'look-at-schools')).toEqual(['2027-04-01 10:00']);
    // Deadline: the last day of the quarter in which the child turns 3 (31 March 2028); opens 1 January.
    expect(at(rows, 'registration-opens')).toEqual(['2028-01-01 10:00']);
    expect(at(rows, 'group-registration')).toEqual(['2028-02-18 10:00']);
    expect(at(rows, 'deadline-14')).toEqual(['2028-03-17 10:00']);
    // After the switch to summer time (26 March 2028) 10:00 is still 10:00 local.
    expect(at(rows, 'deadline-2')).toEqual(['2028-03-29 10:00']);
    expect(byRule(rows, 'deadline-2')[0]?.sendAt.toISOString()).toBe('2028-03-29T08:00:00.000Z');
    expect(byRule(rows, 'registration-opens')[0]?.sendAt.toISOString()).toBe('2028-01-01T09:00:00.000Z');
    expect(byRule(rows, 'registration-opens')[0]?.messageKey).toBe('nurture:registrationOpens.date');
    expect(at(rows, 'placement-check')).toEqual(['2028-04-14 10:00']);

    for (const r of rows) {
      expect(r).toMatchObject({ personId, status: 'projected', timeZone: ZONE });
      expect(r.sendAt.getTime()).toBeGreaterThanOrEqual(FROM.getTime());
      expect(r.sendAt.getTime()).toBeLessThan(FROM.getTime() + 730 * DAY_MS);
    }
    expect(byRule(rows, 'deadline-14')[0]?.childId).toBe(childId);
    expect(rows.map((r) => r.sendAt.getTime())).toEqual([...rows.map((r) => r.sendAt.getTime())].sort((a, b) => a - b));
    // A pure read.
    expect(count('deliveries')).toBe(0);
    expect(count('audit_log')).toBe(audits);
  });

  it("moves messages out of the parent's own quiet hours", () => {
    const { personId } = parent({ quiet: { start: '09:00', end: '12:00' } });
    const rows = projectSchedule(deps(), { personIds: [personId], from: FROM, days: 365 });
    expect(at(rows, 'toddler-groups')).toEqual(['2026-09-01 12:00']);
    expect(at(rows, 'look-at-schools')).toEqual(['2027-04-01 12:00']);
  });

  it('shows the rows already planned and sent, counts them toward the cap, and never plans a key twice', () => {
    const { personId } = parent();
    // Sent before the projection starts (shown), expired before it (not shown).
    const [sentId, expiredId] = insertDeliveries(db, [delivery(personId, 'event-invite-7', '2026-07-15T10:00'), delivery(personId, 'event-invite-1', '2026-07-20T10:00')], FROM);
    finishDelivery(db, sentId!, 'sent', DateTime.fromISO('2026-07-15T10:00:05', { zone: ZONE }).toJSDate());
    finishDelivery(db, expiredId!, 'expired', FROM);
    // Three messages in the days before toddler-groups is due fill the cap (3 per 7 days).
    insertDeliveries(db, ['2026-08-29T10:00', '2026-08-30T10:00', '2026-08-31T10:00'].map((t) => delivery(personId, 'event-invite-7', t)), FROM);
    const before = count('deliveries');

    const rows = projectSchedule(deps(), { personIds: [personId], from: FROM, days: 365 });
    expect(rows.map((r) => [local(r.sendAt), r.ruleId, r.status])).toEqual([
      ['2026-07-15 10:00', 'event-invite-7', 'sent'],
      ['2026-08-29 10:00', 'event-invite-7', 'planned'],
      ['2026-08-30 10:00', 'event-invite-7', 'planned'],
      ['2026-08-31 10:00', 'event-invite-7', 'planned'],
      // Waits until the oldest of the three is 7 days old.
      ['2026-09-05 10:00', 'toddler-groups', 'projected'],
      ['2027-04-01 10:00', 'look-at-schools', 'projected'],
    ]);
    expect(count('deliveries')).toBe(before);
  });

  it('applies the cap to projected messages too; the last deadline reminder breaks it, never the quiet hours', () => {
    const { personId } = parent();
    const oneIn30Days: SendPolicy = { quiet: DEFAULT_POLICY.quiet, cap: { max: 1, windowMs: 30 * DAY_MS } };
    const rows = projectSchedule(deps(oneIn30Days), { personIds: [personId], from: FROM, days: 730 });
    expect(at(rows, 'group-registration')).toEqual(['2028-02-18 10:00']);
    // 30 days after group-registration (and before its own expiry on the 29th).
    expect(at(rows, 'deadline-14')).toEqual(['2028-03-19 10:00']);
    // Urgent from 48 h before the deadline day (29 March 00:00): sent at its own time despite the cap.
    expect(at(rows, 'deadline-2')).toEqual(['2028-03-29 10:00']);
  });

  it('projects nothing new for a parent no channel can reach, and several people at once', () => {
    const unreachable = parent({ reachable: false });
    const other = parent({ birth: { year: 2024, month: 11 } });
    const rows = projectSchedule(deps(), { personIds: [unreachable.personId, other.personId, 999], from: FROM, days: 60 });
    expect(rows.every((r) => r.personId === other.personId)).toBe(true);
    // Born November 2024: 20 months old in July 2026, so toddler-groups is due already and goes out now (after the quiet hours).
    expect(at(rows, 'toddler-groups')).toEqual(['2026-08-01 08:30']);
  });
});
