// The planner tick survives a failing missing-dates pass: planning, enqueueing and the other passes go on.
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createInitiative, grantRole } from '../../src/db/initiatives.repo.js';
import { DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { identities, people } from '../../src/db/schema.js';
import { DEFAULT_POLICY } from '../../src/domain/send-window.js';
import type { DeliveryQueues } from '../../src/jobs/delivery.queue.js';
import { loadReminderRules } from '../../src/jobs/nurture.config.js';
import { createPlanner } from '../../src/jobs/planner.js';

let db: Db | undefined;
afterEach(() => db?.$client.close());

describe('planner and the missing-dates pass', () => {
  it('logs a failing missing-dates pass (ids only) and finishes the tick', async () => {
    db = openDatabase(':memory:');
    const now = new Date('2027-01-15T09:00:00Z');
    seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, now);
    const ini = createInitiative(db, { name: 'Linde', school: 'De Linde', municipality: 'amsterdam', phase: 2, postcodes: ['1091'] }, 'cli');
    const coordinator = db.insert(people).values({ language: 'nl' }).returning().get().id;
    db.insert(identities).values({ personId: coordinator, channel: 'local', chatId: 'c1' }).run();
    grantRole(db, coordinator, ini.id, 'coordinator', 'cli');
    // The notice cannot be written: the pass throws.
    db.$client.exec("create trigger no_missing_date before insert on deliveries when new.rule_id = 'notice-missing-date' begin select raise(abort, 'disk says no'); end");

    const errors: { obj: unknown; msg: string }[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (obj, msg) => void errors.push({ obj, msg: msg ?? '' }) } as Logger;
    const queues = { add: () => Promise.resolve(), pending: () => Promise.resolve(0), ensure: () => Promise.resolve(0) } as unknown as DeliveryQueues;
    const planner = createPlanner({
      db,
      rules: loadReminderRules(),
      clock: { now: () => now, sleep: () => Promise.resolve() },
      logger,
      policy: DEFAULT_POLICY,
      defaultTimeZone: 'Europe/Amsterdam',
      horizonMs: 24 * 3600_000,
      queues,
      channels: ['local'],
    });
    const report = await planner.tick();
    expect(report).toMatchObject({ enqueued: 0, rebuilt: 0 });
    expect(errors).toEqual([{ obj: { err: { name: 'SqliteError', code: 'SQLITE_CONSTRAINT_TRIGGER', message: 'disk says no' } }, msg: 'missing-dates pass failed' }]);
  });
});
