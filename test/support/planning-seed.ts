/**
 * A large planning world, fast: N parents (a chat, a membership of one of 20 initiatives in four
 * cities, one or two children of 0–4 years, some expected, some registered; a third silent for
 * months, so the outreach ladder has work) written with prepared statements in one transaction,
 * plus events in the coming weeks and fortnightly newsletters. For the planner's stall test, the
 * memory measurements and the planner's own timings (test/jobs/planner-stall.test.ts,
 * scripts/measure-planning.ts). The mark triggers fire as for any write: every new parent is marked.
 */
import type { Db } from '../../src/db/client.js';
import { createEvent } from '../../src/db/events.repo.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { addNewsletter, setNewsletterSchedule } from '../../src/db/newsletters.repo.js';
import { seededRandom } from './seeded-random.js';

const DAY = 86_400_000;
const CITIES = ['Amsterdam', 'Utrecht', 'Nijmegen', 'Rotterdam'];

export interface BulkWorld {
  parents: number;
  initiatives: number[];
  ms: number;
}

export function seedBulkWorld(db: Db, parents: number, now: Date, seed = 1): BulkWorld {
  const started = performance.now();
  const rnd = seededRandom(seed);
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, now);
  for (const date of ['2027-03-04', '2027-06-03', '2027-11-04']) addRegistrationDate(db, 'Amsterdam', date, 'seed', now);
  const initiatives: number[] = [];
  for (let i = 0; i < 20; i++) {
    const id = createInitiative(db, { name: `Samen ${i}`, school: `School ${i}`, municipality: CITIES[i % CITIES.length]!, phase: (1 + (i % 3)) as 1, postcodes: [`${1000 + i}`], code: `bulk${seed}-${i}` }, 'seed').id;
    initiatives.push(id);
    if (i % 4 === 0) {
      setNewsletterSchedule(db, id, { everyWeeks: 2, firstDate: '2026-01-05', time: '10:00', active: true }, 'seed');
      addNewsletter(db, id, { nl: 'Nieuws' }, 'seed');
    }
    for (let e = 0; e < 2; e++) {
      const startsAt = new Date(now.getTime() + Math.round(2 + rnd() * 20) * DAY + 9 * 3600_000);
      createEvent(db, { initiativeId: id, kind: e ? 'tour' : 'play_morning', startsAt, endsAt: new Date(startsAt.getTime() + 90 * 60_000), capacity: null, minAgeMonths: e ? 24 : 0, maxAgeMonths: 48, titles: { nl: 'Activiteit' }, places: { nl: 'School' } });
    }
  }
  const sqlite = db.$client;
  const person = sqlite.prepare('insert into people (language, newsletter, last_action_at, created_at) values (?, ?, ?, ?)');
  const chat = sqlite.prepare("insert into identities (person_id, channel, chat_id, created_at) values (?, 'local', ?, ?)");
  const member = sqlite.prepare("insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, 'parent', ?)");
  const child = sqlite.prepare('insert into children (person_id, birth_year, birth_month, expected, registered_at, created_at) values (?, ?, ?, ?, ?, ?)');
  const langs = ['nl', 'nl', 'nl', 'en', 'tr', 'ar', 'pl', 'uk'];
  sqlite.transaction(() => {
    for (let p = 0; p < parents; p++) {
      const joined = now.getTime() - Math.floor(rnd() * 700) * DAY;
      const silent = rnd() < 0.3;
      const lastAction = silent ? joined : Math.max(joined, now.getTime() - Math.floor(rnd() * 60) * DAY);
      const id = Number(person.run(langs[p % langs.length], rnd() < 0.25 ? 1 : 0, lastAction, joined).lastInsertRowid);
      chat.run(id, `bulk-${seed}-${id}`, joined);
      member.run(id, initiatives[p % initiatives.length], joined);
      const kids = rnd() < 0.3 ? 2 : 1;
      for (let k = 0; k < kids; k++) {
        const age = Math.floor(rnd() * 48) - 4; // under 44 months: nobody is due for retention yet
        const d = new Date(now.getTime() - age * 30.44 * DAY);
        child.run(id, d.getUTCFullYear(), d.getUTCMonth() + 1, age < 0 ? 1 : 0, age > 36 && rnd() < 0.3 ? now.getTime() : null, joined);
      }
    }
  })();
  sqlite.exec('analyze');
  return { parents, initiatives, ms: performance.now() - started };
}
