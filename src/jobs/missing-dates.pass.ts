/**
 * Asks coordinators for a registration day that is not published yet. When a deadline month
 * of an initiative's city is at most 4 months away and its day is unknown (Amsterdam's days,
 * Nijmegen's main round), each coordinator of that initiative gets one notice in their chat
 * with a button that opens the city's page (when the city has an https page). The unique key (person, city, month) makes it one question per
 * coordinator and month, however often the planner runs. Until the day is added
 * (`municipality add-date`), parents get the month-worded reminders.
 */
import { fromIndex, monthIndex, type YearMonth } from '../domain/birth-month.js';
import { isLinkUrl } from '../core/messages.js';
import { localDayOf } from '../domain/local-time.js';
import type { DeliveryPayload } from '../domain/nurture.types.js';
import { unpublishedDeadlineMonths, ymKey } from '../domain/registration-deadline.js';
import type { Db } from '../db/client.js';
import { insertNotice } from '../db/deliveries.repo.js';
import { listMunicipalities, looseMunicipalityKey, normalizeMunicipality, type MunicipalityInfo } from '../db/municipalities.repo.js';

/** How far ahead a deadline month makes coordinators look up its day. */
export const ASK_MONTHS_AHEAD = 4;

const titleCase = (name: string) => name.replace(/(^|[\s-])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toLocaleUpperCase('nl'));

/** Inserts the notices still missing; returns how many were inserted. */
export function missingDatesPass(db: Db, now: Date, defaultTimeZone: string): number {
  const byKey = new Map<string, MunicipalityInfo>();
  for (const m of listMunicipalities(db)) {
    for (const k of [m.name, ...m.aliases].flatMap((n) => [normalizeMunicipality(n), looseMunicipalityKey(n)])) if (!byKey.has(k)) byKey.set(k, m);
  }
  const initiatives = db.$client.prepare('select id, municipality, time_zone from initiatives where archived_at is null').all() as { id: number; municipality: string; time_zone: string | null }[];
  const coordinators = db.$client.prepare("select person_id from memberships where initiative_id = ? and role = 'coordinator'").pluck();
  let inserted = 0;
  for (const ini of initiatives) {
    const city = byKey.get(normalizeMunicipality(ini.municipality)) ?? byKey.get(looseMunicipalityKey(ini.municipality));
    if (!city) continue;
    const today = localDayOf(now, ini.time_zone ?? defaultTimeZone);
    const from: YearMonth = { year: today.year, month: today.month };
    const months = unpublishedDeadlineMonths(city.rule, from, fromIndex(monthIndex(from) + ASK_MONTHS_AHEAD));
    if (months.length === 0) continue;
    const people = coordinators.all(ini.id) as number[];
    for (const month of months) {
      for (const personId of people) {
        const key = city.rule.kind === 'schoolYearRounds' ? 'nurture:missingDate.rounds' : 'nurture:missingDate.cohorts';
        const payload: DeliveryPayload = { key, params: { city: titleCase(city.name), deadlineMonth: { yearMonth: month } }, buttons: null };
        if (city.url && isLinkUrl(city.url)) payload.links = [{ label: 'nurture:button.cityPage', url: city.url }];
        // In a transaction: on the planner thread that takes the process's write lock (src/db/write-lock.ts).
        if (db.$client.transaction(() => insertNotice(db, { personId, ruleId: 'notice-missing-date', occurrence: `${city.name}|${ymKey(month)}`, payload, now }))()) inserted++;
      }
    }
  }
  return inserted;
}
