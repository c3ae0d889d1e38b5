/**
 * Newsletter schedules and the newsletters themselves: the only SQL about them. A newsletter
 * is written ahead (Dutch required, other languages optional) and waits; at each scheduled
 * slot the oldest waiting one is issued for that slot, once: asking again for the same slot
 * returns the same newsletter, so a repeated planner run never issues two.
 */
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { isLocalDate, isLocalTime, type NewsletterSchedule } from '../domain/newsletter-slots.js';
import { writeAudit } from './audit.repo.js';
import type { Db } from './client.js';
import { initiatives, memberships, newsletters, newsletterSchedules } from './schema.js';

export const NEWSLETTER_MAX_CHARS = 3000;

/** Text per language code; `nl` is always there (parents without their language get it). */
export type NewsletterTexts = Record<string, string>;

export interface InitiativeSchedule extends NewsletterSchedule {
  initiativeId: number;
  /** The initiative's IANA zone, in which `firstDate` and `time` are meant. */
  timeZone: string;
}

export interface NewsletterRow {
  id: number;
  texts: NewsletterTexts;
  /** The slot ("2027-03-01T10:00") it was issued for; null while waiting. */
  issuedFor: string | null;
  createdAt: Date;
}

const scheduleSchema = z.strictObject({
  everyWeeks: z.number().int().min(1).max(52),
  firstDate: z.string().refine(isLocalDate, 'expected a date YYYY-MM-DD'),
  time: z.string().refine(isLocalTime, 'expected a time HH:MM (00:00–23:59)'),
  active: z.boolean(),
});

const textsSchema = z
  .record(
    z.string().regex(/^[a-z]{2,3}$/, 'a language code is 2–3 lower-case letters'),
    z
      .string()
      .refine((t) => t.trim() !== '', 'must not be empty')
      .refine((t) => t.length <= NEWSLETTER_MAX_CHARS, `at most ${NEWSLETTER_MAX_CHARS} characters`),
  )
  .refine((t) => typeof t.nl === 'string', { message: 'the Dutch text (nl) is required', path: ['nl'] });

const SLOT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

function invalid(code: string, error: z.ZodError): AppError {
  return new AppError(code, error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
}

/** Texts as stored; a row that no longer parses is a bug, not an empty newsletter. */
function parseTexts(value: unknown): NewsletterTexts {
  const parsed = textsSchema.safeParse(value);
  if (!parsed.success) throw invalid('newsletter_invalid', parsed.error);
  return parsed.data;
}

function assertInitiative(db: Db, initiativeId: number): void {
  if (!db.select({ id: initiatives.id }).from(initiatives).where(eq(initiatives.id, initiativeId)).get()) {
    throw new AppError('unknown_initiative', `no initiative with id ${initiativeId}.`);
  }
}

/** Ambassadors and coordinators of the initiative may schedule and write its newsletter. */
export function canEditNewsletters(db: Db, personId: number, initiativeId: number): boolean {
  const row = db
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.personId, personId), eq(memberships.initiativeId, initiativeId), inArray(memberships.role, ['ambassador', 'coordinator'])))
    .get();
  return row !== undefined;
}

export function setNewsletterSchedule(db: Db, initiativeId: number, schedule: NewsletterSchedule, actor: string): InitiativeSchedule {
  const parsed = scheduleSchema.safeParse(schedule);
  if (!parsed.success) throw invalid('newsletter_schedule_invalid', parsed.error);
  const values = parsed.data;
  assertInitiative(db, initiativeId);
  db.transaction((tx) => {
    tx.insert(newsletterSchedules).values({ initiativeId, ...values }).onConflictDoUpdate({ target: newsletterSchedules.initiativeId, set: values }).run();
    writeAudit(tx, { actor, action: 'newsletter.schedule', subjectType: 'initiative', subjectId: initiativeId, detail: { ...values } });
  });
  const saved = getNewsletterSchedule(db, initiativeId);
  if (!saved) throw new AppError('newsletter_schedule_lost', `the schedule of initiative ${initiativeId} was not saved.`);
  return saved;
}

const scheduleColumns = {
  initiativeId: newsletterSchedules.initiativeId,
  everyWeeks: newsletterSchedules.everyWeeks,
  firstDate: newsletterSchedules.firstDate,
  time: newsletterSchedules.time,
  active: newsletterSchedules.active,
  timeZone: initiatives.timeZone,
};

export function getNewsletterSchedule(db: Db, initiativeId: number): InitiativeSchedule | null {
  return (
    db
      .select(scheduleColumns)
      .from(newsletterSchedules)
      .innerJoin(initiatives, eq(initiatives.id, newsletterSchedules.initiativeId))
      .where(eq(newsletterSchedules.initiativeId, initiativeId))
      .get() ?? null
  );
}

/** Every schedule, paused ones included (`active`), with its initiative's time zone: one query for the planner. */
export function allNewsletterSchedules(db: Db): InitiativeSchedule[] {
  return db
    .select(scheduleColumns)
    .from(newsletterSchedules)
    .innerJoin(initiatives, eq(initiatives.id, newsletterSchedules.initiativeId))
    .orderBy(asc(newsletterSchedules.initiativeId))
    .all();
}

/** Stores a newsletter to wait for the next slot; returns its id. */
export function addNewsletter(db: Db, initiativeId: number, texts: NewsletterTexts, actor: string): number {
  const parsed = textsSchema.safeParse(texts);
  if (!parsed.success) throw invalid('newsletter_invalid', parsed.error);
  assertInitiative(db, initiativeId);
  return db.transaction((tx) => {
    const row = tx.insert(newsletters).values({ initiativeId, texts: parsed.data }).returning({ id: newsletters.id }).get();
    const languages = Object.keys(parsed.data).sort().join(',');
    writeAudit(tx, { actor, action: 'newsletter.write', subjectType: 'initiative', subjectId: initiativeId, detail: { newsletterId: row.id, languages } });
    return row.id;
  });
}

/** Oldest first: the order in which they go out. */
export function listNewsletters(db: Db, initiativeId: number): NewsletterRow[] {
  return db
    .select()
    .from(newsletters)
    .where(eq(newsletters.initiativeId, initiativeId))
    .orderBy(asc(newsletters.id))
    .all()
    .map((r) => ({ id: r.id, texts: parseTexts(r.texts), issuedFor: r.issuedFor, createdAt: r.createdAt }));
}

/**
 * The newsletter for a slot: the one already issued for it, or else the oldest waiting one,
 * now marked as issued for it. Null when nothing is waiting. One IMMEDIATE transaction, so
 * two planners racing for the same slot cannot issue two newsletters.
 */
export function issueNextNewsletter(db: Db, initiativeId: number, slot: string): { id: number; texts: NewsletterTexts } | null {
  if (!SLOT.test(slot)) throw new AppError('newsletter_slot_invalid', `a slot is a local "YYYY-MM-DDTHH:MM" (got "${slot}").`);
  return db.transaction(
    (tx) => {
      const mine = eq(newsletters.initiativeId, initiativeId);
      const issued = tx.select().from(newsletters).where(and(mine, eq(newsletters.issuedFor, slot))).orderBy(asc(newsletters.id)).get();
      if (issued) return { id: issued.id, texts: parseTexts(issued.texts) };
      const next = tx.select().from(newsletters).where(and(mine, isNull(newsletters.issuedFor))).orderBy(asc(newsletters.id)).get();
      if (!next) return null;
      tx.update(newsletters).set({ issuedFor: slot }).where(eq(newsletters.id, next.id)).run();
      return { id: next.id, texts: parseTexts(next.texts) };
    },
    { behavior: 'immediate' },
  );
}
