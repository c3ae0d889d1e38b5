/**
 * Registration rules per municipality: the only SQL about them. Cities differ and several
 * facts are unverified, so rules are data (config/municipalities.json, validated here) that
 * coordinators can correct with the CLI without a deploy. Seeding only adds what the
 * database lacks, so it never undoes a CLI change. Names are keys: trimmed and lower-case.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { isLocalDate } from '../domain/newsletter-slots.js';
import type { CohortRule, FromAge3Rule, QuarterRule, RegistrationRule, RoundsRule } from '../domain/registration-deadline.js';
import type { Db } from './client.js';
import { auditLog, municipalities, registrationDates } from './schema.js';

export const DEFAULT_MUNICIPALITIES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/municipalities.json');

/** A rule as stored: published days live in registration_dates, not in the rule. */
export type RuleWithoutDates = Omit<CohortRule, 'dates'> | QuarterRule | RoundsRule | FromAge3Rule;

export interface MunicipalityInfo {
  name: string;
  /** With its published days for a cohorts rule. */
  rule: RegistrationRule;
  note: string | null;
  /** Every stored day by deadline month ("2028-03" → "2028-03-02"). */
  dates: Record<string, string>;
}

const MONTH_NAMES = new Intl.DateTimeFormat('en', { month: 'long', timeZone: 'UTC' });
const monthName = (m: number) => MONTH_NAMES.format(new Date(Date.UTC(2024, m - 1, 15)));

/** "  Den  Haag " → "den haag": how names are keyed everywhere. */
export const normalizeMunicipality = (name: string): string => name.trim().replace(/\s+/g, ' ').toLocaleLowerCase('nl');

const month = z.number().int().min(1).max(12);
const windowSchema = z
  .strictObject({ fromMonth: month, toMonth: month, deadlineYearOffset: z.number().int().min(0).max(6), deadlineMonth: month })
  .refine((w) => w.fromMonth <= w.toMonth, 'fromMonth must not be after toMonth');
const windows = z
  .array(windowSchema)
  .min(1)
  .refine((ws) => ws.every((a, i) => ws.every((b, j) => i === j || a.toMonth < b.fromMonth || b.toMonth < a.fromMonth)), 'birth-month windows must not overlap');
// Day 29–31 does not exist in every month; a round must exist every year.
const roundSchema = z.strictObject({ month, day: z.number().int().min(1) }).refine((r) => r.day <= new Date(Date.UTC(2023, r.month, 0)).getUTCDate(), 'a round must be a day that exists every year');
const rounds = z
  .array(roundSchema)
  .min(1)
  .refine((rs) => new Set(rs.map((r) => `${r.month}-${r.day}`)).size === rs.length, 'rounds must not repeat');
const note = z.string().min(1).max(1000).optional();
const dates = z.record(z.string(), z.string().refine(isLocalDate, 'expected a real date YYYY-MM-DD')).default({});

const storedRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cohorts'), windows, note }),
  z.strictObject({ kind: z.literal('quarterTurning3'), note }),
  z.strictObject({ kind: z.literal('rounds'), rounds, note }),
  z.strictObject({ kind: z.literal('fromAge3'), note }),
]);
type StoredRule = z.infer<typeof storedRuleSchema>;

const fileSchema = z.strictObject({
  version: z.literal(1),
  municipalities: z.record(
    z.string(),
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('cohorts'), windows, note, dates }),
      z.strictObject({ kind: z.literal('quarterTurning3'), note, dates }),
      z.strictObject({ kind: z.literal('rounds'), rounds, note, dates }),
      z.strictObject({ kind: z.literal('fromAge3'), note, dates }),
    ]),
  ),
});
export type MunicipalitiesFile = z.infer<typeof fileSchema>;

const problems = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');

/** Why a published day cannot belong to this rule, or null when it fits. */
function dateProblem(name: string, rule: RuleWithoutDates, date: string): string | null {
  if (!isLocalDate(date)) return `"${date}" is not a date; use YYYY-MM-DD.`;
  if (rule.kind !== 'cohorts') return `${name} uses the ${rule.kind} rule, which computes its deadlines; only a cohorts rule uses published days.`;
  const deadlineMonths = [...new Set(rule.windows.map((w) => w.deadlineMonth))].sort((a, b) => a - b);
  const m = Number(date.slice(5, 7));
  if (deadlineMonths.includes(m)) return null;
  return `${date} is in ${monthName(m)}, but ${name}'s deadlines are in ${deadlineMonths.map(monthName).join(', ')}; the published day must be in a deadline month.`;
}

export function readMunicipalitiesFile(path: string): MunicipalitiesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AppError('municipalities_file_invalid', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('municipalities_file_invalid', `${path} is invalid: ${problems(parsed.error)}`);
  for (const [name, entry] of Object.entries(parsed.data.municipalities)) {
    if (name === '' || name !== normalizeMunicipality(name)) {
      throw new AppError('municipalities_file_invalid', `${path} is invalid: municipalities.${name}: names are trimmed and lower-case ("${normalizeMunicipality(name)}").`);
    }
    for (const [key, date] of Object.entries(entry.dates)) {
      const problem = key === date.slice(0, 7) ? dateProblem(name, entry, date) : `the key "${key}" must be the date's month "${date.slice(0, 7)}".`;
      if (problem) throw new AppError('municipalities_file_invalid', `${path} is invalid: municipalities.${name}.dates: ${problem}`);
    }
  }
  return parsed.data;
}

function parseStored(value: unknown): StoredRule {
  const parsed = storedRuleSchema.safeParse(value);
  if (!parsed.success) throw new AppError('invalid_rule', `invalid registration rule: ${problems(parsed.error)}`);
  return parsed.data;
}

/** The rule's own fields only (no note, no dates), in a stable key order so two rules compare as JSON. */
function ruleOnly(rule: RuleWithoutDates): RuleWithoutDates {
  switch (rule.kind) {
    case 'cohorts':
      return { kind: 'cohorts', windows: rule.windows.map(({ fromMonth, toMonth, deadlineYearOffset, deadlineMonth }) => ({ fromMonth, toMonth, deadlineYearOffset, deadlineMonth })) };
    case 'rounds':
      return { kind: 'rounds', rounds: rule.rounds.map(({ month, day }) => ({ month, day })) };
    default:
      return { kind: rule.kind };
  }
}

function withDates(rule: RuleWithoutDates, known: Record<string, string>): RegistrationRule {
  const only = ruleOnly(rule);
  return only.kind === 'cohorts' ? { ...only, dates: { ...known } } : only;
}

/** Inserts the municipalities the database lacks and the file's dates it lacks; changes nothing else. */
export function seedMunicipalities(db: Db, path: string, now: Date): { municipalities: number; dates: number } {
  const file = readMunicipalitiesFile(path);
  return db.transaction((tx) => {
    const added = { municipalities: 0, dates: 0 };
    for (const [name, entry] of Object.entries(file.municipalities)) {
      const { dates: known, ...rule } = entry;
      const stored = parseStored(rule);
      added.municipalities += tx.insert(municipalities).values({ name, rule: stored, updatedAt: now }).onConflictDoNothing().returning().all().length;
      for (const [deadlineMonth, date] of Object.entries(known)) {
        added.dates += tx.insert(registrationDates).values({ municipality: name, deadlineMonth, date }).onConflictDoNothing().returning().all().length;
      }
    }
    return added;
  });
}

function datesOf(db: Db, name: string): Record<string, string> {
  const rows = db.select().from(registrationDates).where(eq(registrationDates.municipality, name)).orderBy(asc(registrationDates.deadlineMonth)).all();
  return Object.fromEntries(rows.map((r) => [r.deadlineMonth, r.date]));
}

/** The rule for an initiative's municipality (any case or spacing); not configured → register from age 3. */
export function registrationRuleFor(db: Db, municipality: string): RegistrationRule {
  return municipalityInfo(db, municipality)?.rule ?? { kind: 'fromAge3' };
}

export function municipalityInfo(db: Db, municipality: string): MunicipalityInfo | null {
  const name = normalizeMunicipality(municipality);
  const row = db.select().from(municipalities).where(eq(municipalities.name, name)).get();
  if (!row) return null;
  const stored = parseStored(row.rule);
  const known = datesOf(db, name);
  return { name, rule: withDates(stored, known), note: stored.note ?? null, dates: known };
}

export function listMunicipalities(db: Db): MunicipalityInfo[] {
  const rows = db.select().from(municipalities).orderBy(asc(municipalities.name)).all();
  const byName = new Map<string, Record<string, string>>();
  for (const d of db.select().from(registrationDates).orderBy(asc(registrationDates.deadlineMonth)).all()) {
    const known = byName.get(d.municipality) ?? {};
    known[d.deadlineMonth] = d.date;
    byName.set(d.municipality, known);
  }
  return rows.map((row) => {
    const stored = parseStored(row.rule);
    const known = byName.get(row.name) ?? {};
    return { name: row.name, rule: withDates(stored, known), note: stored.note ?? null, dates: known };
  });
}

/** Every configured rule by normalised name, in two queries; look names up with `normalizeMunicipality`. */
export function allRegistrationRules(db: Db): Map<string, RegistrationRule> {
  return new Map(listMunicipalities(db).map((m) => [m.name, m.rule]));
}

type Tx = Pick<Db, 'insert'>;
function audit(tx: Tx, actor: string, action: string, detail: Record<string, string | number | null>, at: Date): void {
  tx.insert(auditLog).values({ actor, action, subjectType: 'municipality', subjectId: null, detail, at }).run();
}

/** Sets (or creates) a municipality's rule; the same rule again writes nothing. A note from the file is dropped on change. */
export function setRule(db: Db, name: string, rule: RuleWithoutDates, now: Date, actor: string): { changed: boolean; previous: RuleWithoutDates | null } {
  const key = normalizeMunicipality(name);
  if (key === '' || key.length > 100) throw new AppError('invalid_rule', 'a municipality name is 1–100 characters.');
  const next = ruleOnly(parseStored(ruleOnly(rule)));
  return db.transaction((tx) => {
    const row = tx.select().from(municipalities).where(eq(municipalities.name, key)).get();
    const previous = row ? ruleOnly(parseStored(row.rule)) : null;
    if (previous && JSON.stringify(previous) === JSON.stringify(next)) return { changed: false, previous };
    tx.insert(municipalities).values({ name: key, rule: next, updatedAt: now }).onConflictDoUpdate({ target: municipalities.name, set: { rule: next, updatedAt: now } }).run();
    audit(tx, actor, 'municipality.rule', { municipality: key, kind: next.kind, previousKind: previous?.kind ?? null }, now);
    return { changed: true, previous };
  });
}

/** Adds or replaces the published day of its month; refuses a day that is not in one of the rule's deadline months. */
export function addRegistrationDate(db: Db, name: string, date: string, actor: string, now: Date = new Date()): { deadlineMonth: string; previous: string | null; changed: boolean } {
  const key = normalizeMunicipality(name);
  return db.transaction((tx) => {
    const row = tx.select().from(municipalities).where(eq(municipalities.name, key)).get();
    if (!row) throw new AppError('unknown_municipality', `no rule is configured for "${key}"; set one first (municipality set-rule).`);
    const problem = dateProblem(key, parseStored(row.rule), date);
    if (problem) throw new AppError('registration_date_refused', problem);
    const deadlineMonth = date.slice(0, 7);
    const where = and(eq(registrationDates.municipality, key), eq(registrationDates.deadlineMonth, deadlineMonth));
    const previous = tx.select().from(registrationDates).where(where).get()?.date ?? null;
    if (previous === date) return { deadlineMonth, previous, changed: false };
    tx.insert(registrationDates)
      .values({ municipality: key, deadlineMonth, date })
      .onConflictDoUpdate({ target: [registrationDates.municipality, registrationDates.deadlineMonth], set: { date } })
      .run();
    audit(tx, actor, 'municipality.date.add', { municipality: key, date, previous }, now);
    return { deadlineMonth, previous, changed: true };
  });
}

/** Removes a published day; false when that day was not stored. */
export function removeRegistrationDate(db: Db, name: string, date: string, actor: string, now: Date = new Date()): boolean {
  const key = normalizeMunicipality(name);
  return db.transaction((tx) => {
    const removed = tx
      .delete(registrationDates)
      .where(and(eq(registrationDates.municipality, key), eq(registrationDates.date, date)))
      .returning()
      .all();
    if (removed.length > 0) audit(tx, actor, 'municipality.date.remove', { municipality: key, date }, now);
    return removed.length > 0;
  });
}
