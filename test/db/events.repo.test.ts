import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import {
  applyRsvp,
  attendanceFor,
  cancelEvent,
  createEvent,
  eventRsvpsForPlanning,
  getEvent,
  listEvents,
  recordAttendance,
  rsvpOf,
  waitingList,
  type NewEvent,
} from '../../src/db/events.repo.js';
import { eventRsvps, initiatives, people } from '../../src/db/schema.js';
import type { RsvpAnswer } from '../../src/domain/rsvp.js';

let dir: string;
let db: Db;
let initiativeId: number;

const T0 = Date.parse('2027-02-01T10:00:00Z');
/** The n-th minute after T0: answers get distinct, ordered times. */
const at = (minute: number): Date => new Date(T0 + minute * 60_000);

function event(extra: Partial<NewEvent> = {}): number {
  return createEvent(db, {
    initiativeId,
    kind: 'tour',
    startsAt: new Date('2027-03-01T08:00:00Z'),
    endsAt: new Date('2027-03-01T09:30:00Z'),
    capacity: 2,
    minAgeMonths: 24,
    maxAgeMonths: 42,
    titles: { nl: 'Rondleiding', ar: 'جولة في المدرسة' },
    places: { nl: 'De Regenboog, Hoofdweg 1' },
    ...extra,
  });
}

function person(): number {
  return db.insert(people).values({ language: 'nl' }).returning({ id: people.id }).get().id;
}

function rsvp(eventId: number, personId: number, answer: RsvpAnswer, minute: number) {
  return db.transaction((tx) => applyRsvp(tx, { eventId, personId, answer, now: at(minute) }));
}

const counts = (eventId: number) => {
  const e = getEvent(db, eventId);
  return e && { going: e.going, waiting: e.waiting, maybe: e.maybe, no: e.no };
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-events-'));
  db = openDatabase(join(dir, 'test.db'));
  initiativeId = db.insert(initiatives).values({ code: 'linde', name: 'Samen naar De Linde', school: 'De Linde', municipality: 'Amsterdam' }).returning().get().id;
});

afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('events', () => {
  it('creates an event and reads it back with zero counts', () => {
    const id = event();
    expect(getEvent(db, id)).toEqual({
      id,
      initiativeId,
      kind: 'tour',
      startsAt: new Date('2027-03-01T08:00:00Z'),
      endsAt: new Date('2027-03-01T09:30:00Z'),
      capacity: 2,
      minAgeMonths: 24,
      maxAgeMonths: 42,
      titles: { nl: 'Rondleiding', ar: 'جولة في المدرسة' },
      places: { nl: 'De Regenboog, Hoofdweg 1' },
      cancelledAt: null,
      going: 0,
      waiting: 0,
      maybe: 0,
      no: 0,
    });
    expect(getEvent(db, 999)).toBeNull();
  });

  it('lists by start time, per initiative and from a moment on', () => {
    const other = db.insert(initiatives).values({ code: 'zuilen', name: 'Z', school: 'Z', municipality: 'Utrecht' }).returning().get().id;
    const late = event({ startsAt: new Date('2027-05-01T08:00:00Z'), endsAt: new Date('2027-05-01T09:00:00Z') });
    const early = event({ startsAt: new Date('2027-01-01T08:00:00Z'), endsAt: new Date('2027-01-01T09:00:00Z') });
    const elsewhere = event({ initiativeId: other });
    expect(listEvents(db).map((e) => e.id)).toEqual([early, elsewhere, late]);
    expect(listEvents(db, { initiativeId }).map((e) => e.id)).toEqual([early, late]);
    // Still running at `from` counts: it has not ended.
    expect(listEvents(db, { from: new Date('2027-01-01T08:30:00Z') }).map((e) => e.id)).toEqual([early, elsewhere, late]);
    expect(listEvents(db, { from: new Date('2027-01-01T09:00:01Z') }).map((e) => e.id)).toEqual([elsewhere, late]);
    const p = person();
    rsvp(late, p, 'maybe', 1);
    expect(listEvents(db, { initiativeId }).find((e) => e.id === late)).toMatchObject({ maybe: 1, going: 0 });
  });
});

describe('applyRsvp', () => {
  it('gives two places and puts the next two on the waiting list, oldest first', () => {
    const id = event({ capacity: 2 });
    const [a, b, c, d] = [person(), person(), person(), person()] as [number, number, number, number];
    expect(rsvp(id, a, 'yes', 1)).toEqual({ status: 'going', previous: null, promoted: [] });
    expect(rsvp(id, b, 'yes', 2)).toEqual({ status: 'going', previous: null, promoted: [] });
    expect(rsvp(id, c, 'yes', 3)).toEqual({ status: 'waiting', previous: null, promoted: [] });
    expect(rsvp(id, d, 'yes', 4)).toEqual({ status: 'waiting', previous: null, promoted: [] });
    expect(counts(id)).toEqual({ going: 2, waiting: 2, maybe: 0, no: 0 });
    expect(waitingList(db, id)).toEqual([c, d]);
    expect(rsvpOf(db, id, c)).toEqual({ answer: 'yes', status: 'waiting', answeredAt: at(3), attended: null });
    expect(rsvpOf(db, id, 999)).toBeNull();
  });

  it('promotes the oldest waiting person when someone going says no, and returns them', () => {
    const id = event({ capacity: 2 });
    const [a, b, c, d] = [person(), person(), person(), person()] as [number, number, number, number];
    // d answered before c: d waits longest.
    rsvp(id, a, 'yes', 1);
    rsvp(id, b, 'yes', 2);
    rsvp(id, d, 'yes', 3);
    rsvp(id, c, 'yes', 4);
    expect(rsvp(id, a, 'no', 5)).toEqual({ status: 'none', previous: { answer: 'yes', status: 'going' }, promoted: [d] });
    expect(rsvpOf(db, id, d)?.status).toBe('going');
    expect(waitingList(db, id)).toEqual([c]);
    expect(counts(id)).toEqual({ going: 2, waiting: 1, maybe: 0, no: 1 });
    // Going to "maybe" frees a place too.
    expect(rsvp(id, b, 'maybe', 6)).toEqual({ status: 'none', previous: { answer: 'yes', status: 'going' }, promoted: [c] });
    expect(counts(id)).toEqual({ going: 2, waiting: 0, maybe: 1, no: 1 });
  });

  it('keeps a waiting place on a repeated yes, and a changed answer goes to the back', () => {
    const id = event({ capacity: 1 });
    const [a, b, c] = [person(), person(), person()] as [number, number, number];
    rsvp(id, a, 'yes', 1);
    rsvp(id, b, 'yes', 2);
    rsvp(id, c, 'yes', 3);
    expect(rsvp(id, b, 'yes', 10)).toEqual({ status: 'waiting', previous: { answer: 'yes', status: 'waiting' }, promoted: [] });
    expect(rsvpOf(db, id, b)?.answeredAt).toEqual(at(2));
    expect(waitingList(db, id)).toEqual([b, c]);
    expect(rsvp(id, a, 'yes', 11)).toMatchObject({ status: 'going', promoted: [] });
    // b leaves the list and comes back: behind c now.
    rsvp(id, b, 'maybe', 12);
    expect(rsvp(id, b, 'yes', 13)).toMatchObject({ status: 'waiting', previous: { answer: 'maybe', status: 'none' } });
    expect(waitingList(db, id)).toEqual([c, b]);
  });

  it('never gives a place to maybe or no, and without a limit everyone who says yes goes', () => {
    const id = event({ capacity: 1 });
    const [a, b, c] = [person(), person(), person()] as [number, number, number];
    expect(rsvp(id, a, 'maybe', 1).status).toBe('none');
    expect(rsvp(id, b, 'no', 2).status).toBe('none');
    expect(counts(id)).toEqual({ going: 0, waiting: 0, maybe: 1, no: 1 });
    expect(rsvp(id, c, 'yes', 3).status).toBe('going');
    expect(rsvp(id, a, 'yes', 4).status).toBe('waiting');

    const open = event({ capacity: null });
    for (const [i, p] of [a, b, c].entries()) expect(rsvp(open, p, 'yes', 10 + i).status).toBe('going');
    expect(counts(open)).toEqual({ going: 3, waiting: 0, maybe: 0, no: 0 });
  });

  it('refuses an unknown or cancelled event without writing', () => {
    const id = event();
    const p = person();
    expect(() => rsvp(999, p, 'yes', 1)).toThrow(expect.objectContaining({ code: 'event_not_found' }));
    cancelEvent(db, id, at(1));
    expect(() => rsvp(id, p, 'yes', 2)).toThrow(expect.objectContaining({ code: 'event_cancelled' }));
    expect(rsvpOf(db, id, p)).toBeNull();
  });
});

describe('erasing a person', () => {
  it('removes their RSVP; erasing a waiting person promotes nobody', () => {
    const id = event({ capacity: 1 });
    const [a, b, c] = [person(), person(), person()] as [number, number, number];
    rsvp(id, a, 'yes', 1);
    rsvp(id, b, 'yes', 2);
    rsvp(id, c, 'yes', 3);
    db.delete(people).where(eq(people.id, b)).run();
    expect(rsvpOf(db, id, b)).toBeNull();
    expect(counts(id)).toEqual({ going: 1, waiting: 1, maybe: 0, no: 0 });
    expect(waitingList(db, id)).toEqual([c]);
    expect(rsvpOf(db, id, c)?.status).toBe('waiting');
  });

  it('frees a going place for the oldest waiting person, not for a newcomer', () => {
    const id = event({ capacity: 1 });
    const [a, b, c] = [person(), person(), person()] as [number, number, number];
    rsvp(id, a, 'yes', 1);
    rsvp(id, b, 'yes', 2);
    db.delete(people).where(eq(people.id, a)).run();
    expect(db.select().from(eventRsvps).where(eq(eventRsvps.personId, a)).all()).toEqual([]);
    expect(counts(id)).toEqual({ going: 0, waiting: 1, maybe: 0, no: 0 });
    // The next answer first fills the free place from the waiting list.
    expect(rsvp(id, c, 'yes', 3)).toEqual({ status: 'waiting', previous: null, promoted: [b] });
    expect(counts(id)).toEqual({ going: 1, waiting: 1, maybe: 0, no: 0 });
  });
});

describe('cancelling and attendance', () => {
  it('cancels once and keeps the RSVPs', () => {
    const id = event();
    const p = person();
    rsvp(id, p, 'yes', 1);
    expect(cancelEvent(db, id, at(2))).toBe(true);
    expect(cancelEvent(db, id, at(3))).toBe(false);
    expect(cancelEvent(db, 999, at(3))).toBe(false);
    expect(getEvent(db, id)).toMatchObject({ cancelledAt: at(2), going: 1 });
  });

  it('records who came, adds walk-ins, and counts attended events per person', () => {
    const first = event();
    const second = event({ capacity: null });
    const [a, b, c, d] = [person(), person(), person(), person()] as [number, number, number, number];
    rsvp(first, a, 'yes', 1);
    rsvp(first, b, 'yes', 2);
    rsvp(first, c, 'maybe', 3);
    expect(recordAttendance(db, first, [a, c, d], true)).toEqual({ updated: [a, c], added: [d], skipped: [] });
    expect(recordAttendance(db, first, [b, 999], false)).toEqual({ updated: [b], added: [], skipped: [999] });
    expect(rsvpOf(db, first, d)).toEqual({ answer: 'yes', status: 'going', answeredAt: new Date('2027-03-01T08:00:00Z'), attended: true });
    expect(rsvpOf(db, first, b)?.attended).toBe(false);
    rsvp(second, a, 'yes', 4);
    recordAttendance(db, second, [a], true);
    expect([a, b, c, d].map((p) => attendanceFor(db, p))).toEqual([2, 0, 1, 1]);
    // Correcting a mistake: a was not there after all.
    recordAttendance(db, second, [a], false);
    expect(attendanceFor(db, a)).toBe(1);
    expect(() => recordAttendance(db, 999, [a], true)).toThrow(expect.objectContaining({ code: 'event_not_found' }));
  });
});

describe('eventRsvpsForPlanning', () => {
  it('returns every asked event, with answers and statuses per person', () => {
    const one = event({ capacity: 1 });
    const two = event();
    const empty = event();
    const [a, b] = [person(), person()] as [number, number];
    rsvp(one, a, 'yes', 1);
    rsvp(one, b, 'yes', 2);
    rsvp(two, b, 'no', 3);
    const map = eventRsvpsForPlanning(db, [one, two, empty]);
    expect([...map.keys()]).toEqual([one, two, empty]);
    expect(map.get(one)).toEqual(
      new Map([
        [a, { answer: 'yes', status: 'going' }],
        [b, { answer: 'yes', status: 'waiting' }],
      ]),
    );
    expect(map.get(two)).toEqual(new Map([[b, { answer: 'no', status: 'none' }]]));
    expect(map.get(empty)?.size).toBe(0);
    expect(eventRsvpsForPlanning(db, []).size).toBe(0);
  });
});
