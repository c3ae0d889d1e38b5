/**
 * Registration rules per municipality: the only SQL about them. Cities differ and several
 * facts are unverified, so rules are data (config/municipalities.json, validated here) that
 * coordinators can correct with the CLI without a deploy. Seeding only adds what the
 * database lacks, so it never undoes a CLI change (one exception: the old, wrong Nijmegen
 * `rounds` rule is replaced by the file's rule, audited). Names are keys: trimmed and
 * lower-case; aliases ('s-Gravenhage, den-haag) and the city's web page are kept with the rule.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { isLocalDate } from '../domain/newsletter-slots.js';
import { publishedMonths, type CohortRule, type FromAge3Rule, type QuarterRule, type RegistrationRule, type SchoolYearRoundsRule } from '../domain/registration-deadline.js';
import type { Db } from './client.js';
import { markInitiatives } from './plan-marks.repo.js';
import { auditLog, municipalities, registrationDates } from './schema.js';

export const DEFAULT_MUNICIPALITIES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/municipalities.json');

/** A rule as stored: published days live in registration_dates, not in the rule. */
export type RuleWithoutDates = Omit<CohortRule, 'dates'> | QuarterRule | Omit<SchoolYearRoundsRule, 'dates'> | FromAge3Rule;

export interface MunicipalityInfo {
  name: string;
  /** With its published days for a cohorts rule. */
  rule: RegistrationRule;
  note: string | null;
  /** Other names that resolve to this one ('s-gravenhage → den haag). */
  aliases: string[];
  /** The city's page about registering, shown to coordinators asked to add a day. */
  url: string | null;
  /** Every stored day by deadline month ("2028-03" → "2028-03-02"). */
  dates: Record<string, string>;
}

const MONTH_NAMES = new Intl.DateTimeFormat('en', { month: 'long', timeZone: 'UTC' });
const monthName = (m: number) => MONTH_NAMES.format(new Date(Date.UTC(2024, m - 1, 15)));

/** "  Den  Haag " → "den haag": how names are keyed everywhere. */
export const normalizeMunicipality = (name: string): string => name.trim().replace(/\s+/g, ' ').toLocaleLowerCase('nl');

/**
 * A looser key for matching what people type: no accents, no apostrophes, hyphens and dots
 * as spaces ("'s-Gravenhage" → "s gravenhage", "den-haag" → "den haag").
 */
export const looseMunicipalityKey = (name: string): string =>
  normalizeMunicipality(
    name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/['’‘`]/g, '')
      .replace(/[-_.]/g, ' '),
  );

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
/** Shared by every kind: first registration age (months), aliases, the city's page. */
const meta = {
  note,
  firstRegistrationAgeMonths: z.number().int().min(24).max(48).optional(),
  aliases: z.array(z.string().min(1).max(100)).max(20).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
};
const mainRound = z.strictObject({ month, latestMonth: month }).refine((m) => m.month <= m.latestMonth, 'latestMonth must not be before month');
const schoolYear = { cohortStartMonth: month, mainRound, lateRounds: rounds };

const storedRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cohorts'), windows, ...meta }),
  z.strictObject({ kind: z.literal('quarterTurning3'), ...meta }),
  z.strictObject({ kind: z.literal('schoolYearRounds'), ...schoolYear, ...meta }),
  z.strictObject({ kind: z.literal('fromAge3'), ...meta }),
  /** The old Nijmegen reading ("the first round after age 3"), still read from older databases. */
  z.strictObject({ kind: z.literal('rounds'), rounds, ...meta }),
]);
type StoredRule = z.infer<typeof storedRuleSchema>;
type CurrentRule = Exclude<StoredRule, { kind: 'rounds' }>;

const fileSchema = z.strictObject({
  version: z.literal(1),
  municipalities: z.record(
    z.string(),
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('cohorts'), windows, ...meta, dates }),
      z.strictObject({ kind: z.literal('quarterTurning3'), ...meta, dates }),
      z.strictObject({ kind: z.literal('schoolYearRounds'), ...schoolYear, ...meta, dates }),
      z.strictObject({ kind: z.literal('fromAge3'), ...meta, dates }),
    ]),
  ),
});
export type MunicipalitiesFile = z.infer<typeof fileSchema>;

const problems = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');

/** Why a published day cannot belong to this rule, or null when it fits. */
function dateProblem(name: string, rule: RuleWithoutDates, date: string): string | null {
  if (!isLocalDate(date)) return `"${date}" is not a date; use YYYY-MM-DD.`;
  const deadlineMonths = publishedMonths(withDates(rule, {}));
  if (deadlineMonths.length === 0) return `${name} uses the ${rule.kind} rule, which computes its deadlines; only a cohorts or schoolYearRounds rule uses published days.`;
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

/** Reads a stored rule; the old `rounds` reading becomes a school-year rule (first round = main round). */
function parseStored(value: unknown): CurrentRule {
  const parsed = storedRuleSchema.safeParse(value);
  if (!parsed.success) throw new AppError('invalid_rule', `invalid registration rule: ${problems(parsed.error)}`);
  const r = parsed.data;
  if (r.kind !== 'rounds') return r;
  const [first, ...later] = [...r.rounds].sort((a, b) => a.month - b.month || a.day - b.day);
  const { rounds: _old, kind: _kind, ...rest } = r;
  return { ...rest, kind: 'schoolYearRounds', cohortStartMonth: 6, mainRound: { month: first?.month ?? 2, latestMonth: first?.month ?? 2 }, lateRounds: later.length ? later : [{ month: 4, day: 1 }] };
}

/** The rule's own fields only (no note, aliases, url or dates), in a stable key order so two rules compare as JSON. */
function ruleOnly(rule: RuleWithoutDates): RuleWithoutDates {
  const age = rule.firstRegistrationAgeMonths === undefined ? {} : { firstRegistrationAgeMonths: rule.firstRegistrationAgeMonths };
  switch (rule.kind) {
    case 'cohorts':
      return { kind: 'cohorts', windows: rule.windows.map(({ fromMonth, toMonth, deadlineYearOffset, deadlineMonth }) => ({ fromMonth, toMonth, deadlineYearOffset, deadlineMonth })), ...age };
    case 'schoolYearRounds':
      return {
        kind: 'schoolYearRounds',
        cohortStartMonth: rule.cohortStartMonth,
        mainRound: { month: rule.mainRound.month, latestMonth: rule.mainRound.latestMonth },
        lateRounds: rule.lateRounds.map(({ month, day }) => ({ month, day })),
        ...age,
      };
    default:
      return { kind: rule.kind, ...age };
  }
}

/** What is kept beside the rule: the file's note, aliases and page. */
function metaOf(rule: { note?: string | undefined; aliases?: string[] | undefined; url?: string | undefined }): { note?: string; aliases?: string[]; url?: string } {
  return {
    ...(rule.note === undefined ? {} : { note: rule.note }),
    ...(rule.aliases === undefined ? {} : { aliases: rule.aliases.map(normalizeMunicipality) }),
    ...(rule.url === undefined ? {} : { url: rule.url }),
  };
}

function withDates(rule: RuleWithoutDates, known: Record<string, string>): RegistrationRule {
  const only = ruleOnly(rule);
  return only.kind === 'cohorts' || only.kind === 'schoolYearRounds' ? { ...only, dates: { ...known } } : only;
}

/**
 * Inserts the municipalities the database lacks and the file's dates it lacks. Of an existing
 * row it only refreshes the aliases and page (and replaces the old `rounds` reading, audited);
 * a rule changed with the CLI stays.
 */
export function seedMunicipalities(db: Db, path: string, now: Date): { municipalities: number; dates: number } {
  const file = readMunicipalitiesFile(path);
  return db.transaction((tx) => {
    const added = { municipalities: 0, dates: 0 };
    const changed: string[] = [];
    for (const [name, entry] of Object.entries(file.municipalities)) {
      const { dates: known, ...rule } = entry;
      const stored = { ...ruleOnly(parseStored(rule)), ...metaOf(rule) };
      const row = tx.select().from(municipalities).where(eq(municipalities.name, name)).get();
      const before = added.municipalities + added.dates;
      const refreshed = row ? refreshStored(tx, name, row.rule, stored, now) : false;
      added.municipalities += tx.insert(municipalities).values({ name, rule: stored, updatedAt: now }).onConflictDoNothing().returning().all().length;
      for (const [deadlineMonth, date] of Object.entries(known)) {
        added.dates += tx.insert(registrationDates).values({ municipality: name, deadlineMonth, date }).onConflictDoNothing().returning().all().length;
      }
      if (refreshed || added.municipalities + added.dates > before) changed.push(name);
    }
    // Parents whose city's rule or published days changed are planned again (issue 13).
    for (const name of changed) markMunicipality(db, name, now);
    return added;
  });
}

/** Whether it changed the stored rule (or its aliases). */
function refreshStored(tx: Pick<Db, 'insert' | 'update'>, name: string, current: unknown, fromFile: RuleWithoutDates & { note?: string; aliases?: string[]; url?: string }, now: Date): boolean {
  const raw = storedRuleSchema.safeParse(current);
  if (raw.success && raw.data.kind === 'rounds') {
    tx.update(municipalities).set({ rule: fromFile, updatedAt: now }).where(eq(municipalities.name, name)).run();
    audit(tx, 'seed', 'municipality.rule', { municipality: name, kind: fromFile.kind, previousKind: 'rounds' }, now);
    return true;
  }
  if (!raw.success) return false;
  const { aliases, url } = metaOf(fromFile);
  const was = metaOf(raw.data);
  if (JSON.stringify([was.aliases, was.url]) === JSON.stringify([aliases, url])) return false;
  const { aliases: _a, url: _u, ...rest } = raw.data;
  tx.update(municipalities)
    .set({ rule: { ...rest, ...(aliases ? { aliases } : {}), ...(url ? { url } : {}) } })
    .where(eq(municipalities.name, name))
    .run();
  return true;
}

function datesOf(db: Db, name: string): Record<string, string> {
  const rows = db.select().from(registrationDates).where(eq(registrationDates.municipality, name)).orderBy(asc(registrationDates.deadlineMonth)).all();
  return Object.fromEntries(rows.map((r) => [r.deadlineMonth, r.date]));
}

/** The rule for an initiative's municipality (any case, spacing or alias); not configured → register from age 3. */
export function registrationRuleFor(db: Db, municipality: string): RegistrationRule {
  return municipalityInfo(db, municipality)?.rule ?? { kind: 'fromAge3' };
}

function infoOf(name: string, rule: unknown, known: Record<string, string>): MunicipalityInfo {
  const stored = parseStored(rule);
  return { name, rule: withDates(stored, known), note: stored.note ?? null, aliases: stored.aliases ?? [], url: stored.url ?? null, dates: known };
}

/** Every key a name may be typed as: its normalised and loose forms and those of its aliases. */
function keysOf(info: Pick<MunicipalityInfo, 'name' | 'aliases'>): string[] {
  return [...new Set([info.name, ...info.aliases].flatMap((n) => [normalizeMunicipality(n), looseMunicipalityKey(n)]))];
}

/** The configured name a typed name means (any case, spacing, hyphens or an alias), or null. */
export function resolveMunicipality(db: Db, typed: string): string | null {
  const name = normalizeMunicipality(typed);
  if (db.select({ name: municipalities.name }).from(municipalities).where(eq(municipalities.name, name)).get()) return name;
  const loose = looseMunicipalityKey(typed);
  for (const m of listMunicipalities(db)) if (keysOf(m).includes(loose)) return m.name;
  return null;
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Configured names close to a typed one (at most 3 edits, and less than half the name), closest first. */
export function suggestMunicipalities(db: Db, typed: string): string[] {
  const loose = looseMunicipalityKey(typed);
  const scored = listMunicipalities(db).map((m) => ({ name: m.name, d: Math.min(...keysOf(m).map((k) => editDistance(loose, k))) }));
  return scored
    .filter((s) => s.d <= 3 && s.d < Math.max(2, loose.length / 2))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((s) => s.name);
}

export function municipalityInfo(db: Db, municipality: string): MunicipalityInfo | null {
  const name = resolveMunicipality(db, municipality);
  if (!name) return null;
  const row = db.select().from(municipalities).where(eq(municipalities.name, name)).get();
  return row ? infoOf(name, row.rule, datesOf(db, name)) : null;
}

export function listMunicipalities(db: Db): MunicipalityInfo[] {
  const rows = db.select().from(municipalities).orderBy(asc(municipalities.name)).all();
  const byName = new Map<string, Record<string, string>>();
  for (const d of db.select().from(registrationDates).orderBy(asc(registrationDates.deadlineMonth)).all()) {
    const known = byName.get(d.municipality) ?? {};
    known[d.deadlineMonth] = d.date;
    byName.set(d.municipality, known);
  }
  return rows.map((row) => infoOf(row.name, row.rule, byName.get(row.name) ?? {}));
}

/**
 * Every configured rule by normalised name, in two queries; look names up with
 * `normalizeMunicipality`. Aliases and loose forms ("den-haag") are keys too.
 */
export function allRegistrationRules(db: Db): Map<string, RegistrationRule> {
  const out = new Map<string, RegistrationRule>();
  const all = listMunicipalities(db);
  for (const m of all) for (const k of keysOf(m)) if (!out.has(k)) out.set(k, m.rule);
  for (const m of all) out.set(m.name, m.rule);
  return out;
}

type Tx = Pick<Db, 'insert'>;
/** Keeps the note, aliases and page of a stored rule when the rule itself changes. */
const keptMeta = (stored: unknown): { aliases?: string[]; url?: string } => {
  const r = storedRuleSchema.safeParse(stored);
  if (!r.success) return {};
  const { aliases, url } = metaOf(r.data);
  return { ...(aliases ? { aliases } : {}), ...(url ? { url } : {}) };
};
function audit(tx: Tx, actor: string, action: string, detail: Record<string, string | number | null>, at: Date): void {
  tx.insert(auditLog).values({ actor, action, subjectType: 'municipality', subjectId: null, detail, at }).run();
}

/**
 * Marks for planning again (issue 13, src/db/plan-marks.repo.ts) the parents of every active
 * initiative whose municipality resolves to `name` the way the planner resolves it
 * (allRegistrationRules: the normalised name, aliases and their loose forms). The tables' own
 * triggers cannot: the match is made here, in code.
 */
export function markMunicipality(db: Db, name: string, at: Date): void {
  const byKey = new Map<string, string>();
  const all = listMunicipalities(db);
  for (const m of all) for (const k of keysOf(m)) if (!byKey.has(k)) byKey.set(k, m.name);
  for (const m of all) byKey.set(m.name, m.name);
  const rows = db.$client.prepare('select id, municipality from initiatives where archived_at is null').all() as { id: number; municipality: string }[];
  markInitiatives(db, rows.filter((r) => byKey.get(normalizeMunicipality(r.municipality)) === name).map((r) => r.id), at);
}

/** Sets (or creates) a municipality's rule; the same rule again writes nothing. A note from the file is dropped on change. */
export function setRule(db: Db, name: string, rule: RuleWithoutDates, now: Date, actor: string): { changed: boolean; previous: RuleWithoutDates | null } {
  const key = resolveMunicipality(db, name) ?? normalizeMunicipality(name);
  if (key === '' || key.length > 100) throw new AppError('invalid_rule', 'a municipality name is 1–100 characters.');
  const next = ruleOnly(parseStored(ruleOnly(rule)));
  return db.transaction((tx) => {
    const row = tx.select().from(municipalities).where(eq(municipalities.name, key)).get();
    const previous = row ? ruleOnly(parseStored(row.rule)) : null;
    if (previous && JSON.stringify(previous) === JSON.stringify(next)) return { changed: false, previous };
    const value = { ...next, ...keptMeta(row?.rule) };
    tx.insert(municipalities).values({ name: key, rule: value, updatedAt: now }).onConflictDoUpdate({ target: municipalities.name, set: { rule: value, updatedAt: now } }).run();
    audit(tx, actor, 'municipality.rule', { municipality: key, kind: next.kind, previousKind: previous?.kind ?? null }, now);
    markMunicipality(db, key, now);
    return { changed: true, previous };
  });
}

/** Adds or replaces the published day of its month; refuses a day that is not in one of the rule's deadline months. */
export function addRegistrationDate(db: Db, name: string, date: string, actor: string, now: Date = new Date()): { deadlineMonth: string; previous: string | null; changed: boolean } {
  const key = resolveMunicipality(db, name) ?? normalizeMunicipality(name);
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
    markMunicipality(db, key, now);
    return { deadlineMonth, previous, changed: true };
  });
}

/** Removes a published day; false when that day was not stored. */
export function removeRegistrationDate(db: Db, name: string, date: string, actor: string, now: Date = new Date()): boolean {
  const key = resolveMunicipality(db, name) ?? normalizeMunicipality(name);
  return db.transaction((tx) => {
    const removed = tx
      .delete(registrationDates)
      .where(and(eq(registrationDates.municipality, key), eq(registrationDates.date, date)))
      .returning()
      .all();
    if (removed.length > 0) {
      audit(tx, actor, 'municipality.date.remove', { municipality: key, date }, now);
      markMunicipality(db, key, now);
    }
    return removed.length > 0;
  });
}
