/**
 * A world with known figures for the stats tests (src/db/stats.reads.ts): initiative A in Utrecht
 * (deadline: the last day of the quarter the child turns 3) with 39 parents, 23 Dutch, 12 Turkish
 * and 4 Arabic, who all joined on 1 June 2026; initiative B with 11 Dutch parents. Every count the
 * tests expect follows from the comments below; NOW is 15 March 2027.
 *
 *   A parents  nl 1–23, tr 24–35, ar 36–39 (index i = position, 1-based)
 *   postcode   nl 1–20: 3511; the others none
 *   heard from nl 1–6 and tr 24–29: health_clinic (12); nl 7–20 and ar 36: flyer (15); the rest not said (12)
 *   messages   nl 21–23 stopped (/stop): 36 get reminders
 *   children   nl: born 2024-01 (3 years; deadline 2027-03-31); tr: 2025-06; ar: 2026-01 (both 1 year);
 *              nl 22–23 also expect a baby (2027-05); nl 11–12 also have a child born 2023-01
 *              (4 years; deadline 2026-03-31), registered 2026-05-01: late
 *   registered nl 1–10's child on 2027-02-01 (on time); placement 'yes' for nl 1–10
 *   tour       2027-03-01: nl 1–11 yes (going), 1–10 attended, 11 absent; tr 24–25 maybe; tr 26 no
 *   interest   ar 36: 'visit_school' → looked at schools: nl 1–11 + ar 36 = 12
 *   open morning 2027-04-01, no answers yet; B has its own event (not A's)
 *   broadcast  1 (A) started 2027-03-10 10:00 UTC, sent to all 39; nl 1–15 on WhatsApp with a status
 *              (nl 1–11 read, 12–15 delivered); activity on 2027-03-11 for nl 1–10; tr 24 asked about it
 *   nudge run  broadcast 2 (A, nudge 7) started 2027-03-12, sent to ar 36–39
 *   reads      nl 12–22 read a message on 2027-03-10 (people.last_read_at and the delivery's status)
 *   ladder     ladder1 sent to tr 27–35 and ar 36 (10), ladder2 to ar 37–39 (3); call-backs (source
 *              ladder): reached nl 23, noAnswer tr 27, open tr 28
 * Participation at NOW: active = RSVP'd 2027-02-20 (nl 1–11, tr 24–26) = 14; fading = read lately,
 * no action since joining (nl 12–22) = 11; silent = 14.
 */
import type { Db } from '../../src/db/client.js';
import { createInitiative } from '../../src/db/initiatives.repo.js';
import { DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';

export const STATS_NOW = new Date('2027-03-15T10:00:00Z');
const JOINED = Date.parse('2026-06-01T10:00:00Z');
const ms = (iso: string): number => Date.parse(iso);

export interface StatsWorld {
  a: number;
  b: number;
  /** Person ids of A's parents by position (1-based: parents[1] is nl 1). */
  parents: number[];
  bParents: number[];
  tour: number;
}

export function seedStatsWorld(db: Db): StatsWorld {
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, STATS_NOW);
  const a = createInitiative(db, { name: 'Samen naar De Linde', school: 'De Linde', municipality: 'Utrecht', phase: 2, postcodes: ['3511'], code: 'linde' }, 'test').id;
  const b = createInitiative(db, { name: 'Samen naar De Wilg', school: 'De Wilg', municipality: 'Utrecht', phase: 1, postcodes: ['3512'], code: 'wilg' }, 'test').id;
  const s = db.$client;
  const person = s.prepare('insert into people (language, pc4, heard_from, proactive, reminders, last_action_at, last_read_at, created_at) values (?, ?, ?, ?, 1, ?, ?, ?) returning id').pluck();
  const identity = s.prepare('insert into identities (person_id, channel, chat_id, created_at) values (?, ?, ?, ?)');
  const member = s.prepare("insert into memberships (person_id, initiative_id, role, created_at) values (?, ?, 'parent', ?)");
  const child = s.prepare('insert into children (person_id, birth_year, birth_month, expected, registered_at, placement, created_at) values (?, ?, ?, ?, ?, ?, ?)');
  const rsvp = s.prepare('insert into event_rsvps (event_id, person_id, answer, status, answered_at, attended) values (?, ?, ?, ?, ?, ?)');
  const event = s.prepare("insert into events (initiative_id, kind, starts_at, ends_at, titles, places, created_at) values (?, ?, ?, ?, ?, '{\"nl\":\"School\"}', ?) returning id").pluck();
  const delivery = s.prepare(
    "insert into deliveries (key, person_id, rule_id, channel, kind, due_at, send_at, payload, status, sent_at, channel_status, channel_status_at, created_at) values (?, ?, ?, ?, ?, ?, ?, '{}', 'sent', ?, ?, ?, ?)",
  );
  const broadcast = s.prepare("insert into broadcasts (initiative_id, status, audience, nudge_id, started_at, created_at) values (?, 'done', '{}', ?, ?, ?) returning id").pluck();
  const parents: number[] = [0];
  const bParents: number[] = [];
  let tour = 0;
  s.transaction(() => {
    for (let i = 1; i <= 39; i++) {
      const lang = i <= 23 ? 'nl' : i <= 35 ? 'tr' : 'ar';
      const heard = (i <= 6 || (i >= 24 && i <= 29) ? 'health_clinic' : (i >= 7 && i <= 20) || i === 36 ? 'flyer' : null) as string | null;
      const lastAction = i <= 10 ? ms('2027-03-11T09:00:00Z') : null;
      const lastRead = i >= 12 && i <= 22 ? ms('2027-03-10T12:00:00Z') : null;
      const id = person.get(lang, i <= 20 ? '3511' : null, heard, i >= 21 && i <= 23 ? 0 : 1, lastAction, lastRead, JOINED) as number;
      parents.push(id);
      identity.run(id, i <= 15 ? 'whatsapp' : 'telegram', `stats-${id}`, JOINED);
      member.run(id, a, JOINED);
      const born = lang === 'nl' ? [2024, 1] : lang === 'tr' ? [2025, 6] : [2026, 1];
      child.run(id, born[0], born[1], 0, i <= 10 ? ms('2027-02-01T10:00:00Z') : null, i <= 10 ? 'yes' : null, JOINED);
      if (i === 22 || i === 23) child.run(id, 2027, 5, 1, null, null, JOINED);
      if (i === 11 || i === 12) child.run(id, 2023, 1, 0, ms('2026-05-01T10:00:00Z'), null, JOINED);
    }
    for (let k = 0; k < 11; k++) {
      const id = person.get('nl', '3512', 'health_clinic', 1, null, null, JOINED) as number;
      bParents.push(id);
      identity.run(id, 'telegram', `stats-b-${id}`, JOINED);
      member.run(id, b, JOINED);
    }
    tour = event.get(a, 'tour', ms('2027-03-01T09:00:00Z'), ms('2027-03-01T10:30:00Z'), '{"nl":"Rondleiding De Linde","tr":"De Linde okul turu"}', JOINED) as number;
    const answered = ms('2027-02-20T10:00:00Z');
    for (let i = 1; i <= 11; i++) rsvp.run(tour, parents[i], 'yes', 'going', answered, i <= 10 ? 1 : 0);
    rsvp.run(tour, parents[24], 'maybe', 'none', answered, null);
    rsvp.run(tour, parents[25], 'maybe', 'none', answered, null);
    rsvp.run(tour, parents[26], 'no', 'none', answered, null);
    event.get(a, 'open_morning', ms('2027-04-01T07:00:00Z'), ms('2027-04-01T09:00:00Z'), '{"nl":"Inloopochtend"}', JOINED);
    const bEvent = event.get(b, 'tour', ms('2027-03-05T09:00:00Z'), ms('2027-03-05T10:00:00Z'), '{"nl":"Rondleiding De Wilg"}', JOINED) as number;
    for (const id of bParents) rsvp.run(bEvent, id, 'yes', 'going', answered, 1);
    s.prepare("insert into interests (person_id, initiative_id, action_key, at) values (?, ?, 'visit_school', ?)").run(parents[36], a, ms('2027-01-10T10:00:00Z'));

    // Broadcast 1 to all of A; nl 1–15 on WhatsApp report a status.
    const sent = ms('2027-03-10T10:00:00Z');
    const b1 = broadcast.get(a, null, sent, sent) as number;
    for (let i = 1; i <= 39; i++) {
      const status = i <= 11 ? 'read' : i <= 15 ? 'delivered' : null;
      delivery.run(`b${b1}|p${parents[i]}`, parents[i], `b${b1}`, i <= 15 ? 'whatsapp' : 'telegram', 'broadcast', sent, sent, sent, status, status ? ms('2027-03-10T12:00:00Z') : null, sent);
    }
    for (let i = 12; i <= 22; i++) {
      // What made nl 12–22 "fading": they read a reminder (WhatsApp status) without doing anything.
      delivery.run(`look|p${parents[i]}|c-|x`, parents[i], 'look', 'whatsapp', 'reminder', sent, sent, sent, 'read', ms('2027-03-10T12:00:00Z'), sent);
    }
    const day = Math.floor(ms('2027-03-11T09:00:00Z') / 86_400_000);
    for (let i = 1; i <= 10; i++) s.prepare('insert into activity_days (person_id, day) values (?, ?)').run(parents[i], day);
    s.prepare("insert into relay_threads (person_id, initiative_id, kind, source, source_ref, language, status, tier, tier_at, created_at) values (?, ?, 'question', 'broadcast', ?, 'tr', 'open', 0, ?, ?)").run(
      parents[24],
      a,
      String(b1),
      ms('2027-03-11T10:00:00Z'),
      ms('2027-03-11T10:00:00Z'),
    );
    // A nudge's run (broadcast with nudge_id) to the four Arabic-speaking parents.
    const run = ms('2027-03-12T10:00:00Z');
    const b2 = broadcast.get(a, 7, run, run) as number;
    for (let i = 36; i <= 39; i++) delivery.run(`b${b2}|p${parents[i]}`, parents[i], `b${b2}`, 'telegram', 'broadcast', run, run, run, null, null, run);
    // The outreach ladder.
    const ladder = ms('2027-03-05T10:00:00Z');
    for (let i = 27; i <= 36; i++) delivery.run(`ladder1|p${parents[i]}|c-|1`, parents[i], 'ladder1', 'telegram', 'reminder', ladder, ladder, ladder, null, null, ladder);
    for (let i = 37; i <= 39; i++) delivery.run(`ladder2|p${parents[i]}|c-|1`, parents[i], 'ladder2', 'telegram', 'reminder', ladder, ladder, ladder, null, null, ladder);
    const callback = s.prepare("insert into relay_threads (person_id, initiative_id, kind, source, language, status, tier, tier_at, outcome, created_at) values (?, ?, 'callback', 'ladder', ?, ?, 0, ?, ?, ?)");
    callback.run(parents[23], a, 'nl', 'closed', ladder, 'reached', ladder);
    callback.run(parents[27], a, 'tr', 'closed', ladder, 'noAnswer', ladder);
    callback.run(parents[28], a, 'tr', 'open', ladder, null, ladder);
  })();
  return { a, b, parents, bParents, tour };
}
