import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createInitiative, grantRole, setArchived } from '../../src/db/initiatives.repo.js';
import { addRegistrationDate, DEFAULT_MUNICIPALITIES_PATH, seedMunicipalities } from '../../src/db/municipalities.repo.js';
import { deliveries, identities, people } from '../../src/db/schema.js';
import { missingDatesPass } from '../../src/jobs/missing-dates.pass.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { renderReply } from '../../src/core/render.js';
import { deliveryReply } from '../../src/domain/delivery-message.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';

let db: Db;
const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
const ZONE = 'Europe/Amsterdam';

function person(chat: string): number {
  const id = db.insert(people).values({ language: 'nl' }).returning().get().id;
  db.insert(identities).values({ personId: id, channel: 'local', chatId: chat }).run();
  return id;
}

beforeEach(() => {
  db = openDatabase(':memory:');
  seedMunicipalities(db, DEFAULT_MUNICIPALITIES_PATH, new Date('2027-01-01T00:00:00Z'));
});
afterEach(() => db.$client.close());

const notices = () => db.select().from(deliveries).all().map((d) => ({ person: d.personId, kind: d.kind, key: d.key, payload: d.payload as DeliveryPayload }));

describe('coordinators are asked for a deadline day that is not published', () => {
  it('Amsterdam: 4 months ahead of each unpublished deadline month, once per coordinator and month', () => {
    const ini = createInitiative(db, { name: 'Linde', school: 'De Linde', municipality: 'amsterdam', phase: 2, postcodes: ['1091'] }, 'cli');
    const coordinator = person('c1');
    const parent = person('p1');
    grantRole(db, coordinator, ini.id, 'coordinator', 'cli');
    grantRole(db, parent, ini.id, 'parent', 'cli');
    // 15 Jan 2027: March 2027 (unpublished) is within 4 months; June 2027 is 5 months away.
    expect(missingDatesPass(db, new Date('2027-01-15T09:00:00Z'), ZONE)).toBe(1);
    expect(missingDatesPass(db, new Date('2027-01-15T09:01:00Z'), ZONE)).toBe(0);
    expect(notices()).toEqual([
      {
        person: coordinator,
        kind: 'notice',
        key: `notice-missing-date|p${coordinator}|c-|amsterdam|2027-03`,
        payload: {
          key: 'nurture:missingDate.cohorts',
          params: { city: 'Amsterdam', deadlineMonth: { yearMonth: { year: 2027, month: 3 } } },
          buttons: null,
          links: [{ label: 'nurture:button.cityPage', url: 'https://www.amsterdam.nl/onderwijs/basisonderwijs/' }],
        },
      },
    ]);
    // As the coordinator reads it: the text without the address, and a button that opens the city's page.
    const reply = renderReply(i18n, 'nl', deliveryReply(notices()[0]!.payload, { initiative: null, event: null, newsletterText: null }));
    expect(reply.text).toBe(
      'De aanmelddag van Amsterdam in maart 2027 is nog niet bekend. Zoek de datum op de pagina van de gemeente. Stuur de datum naar de beheerder. Dan krijgen ouders de juiste herinneringen.',
    );
    expect(reply.choices).toEqual([[{ label: 'Bekijk de pagina van de gemeente', value: 'link:0', url: 'https://www.amsterdam.nl/onderwijs/basisonderwijs/' }]]);
    expect(renderReply(i18n, 'ar', deliveryReply(notices()[0]!.payload, { initiative: null, event: null, newsletterText: null })).choices?.[0]?.[0]).toMatchObject({ url: 'https://www.amsterdam.nl/onderwijs/basisonderwijs/' });
    // Once the June day is added, June is not asked for.
    addRegistrationDate(db, 'amsterdam', '2027-06-03', 'cli');
    expect(missingDatesPass(db, new Date('2027-02-15T09:00:00Z'), ZONE)).toBe(0);
  });

  it('Nijmegen: only the main round, with the 1 February / 1 March uncertainty in the text; archived initiatives are not asked', () => {
    const ini = createInitiative(db, { name: 'Eik', school: 'De Eik', municipality: 'nijmegen', phase: 2, postcodes: ['6511'] }, 'cli');
    const coordinator = person('c2');
    grantRole(db, coordinator, ini.id, 'coordinator', 'cli');
    expect(missingDatesPass(db, new Date('2027-05-01T09:00:00Z'), ZONE)).toBe(0);
    expect(missingDatesPass(db, new Date('2027-10-01T09:00:00Z'), ZONE)).toBe(1);
    expect(notices()[0]?.payload).toMatchObject({
      key: 'nurture:missingDate.rounds',
      params: { city: 'Nijmegen', deadlineMonth: { yearMonth: { year: 2028, month: 2 } } },
      links: [{ label: 'nurture:button.cityPage', url: 'https://www.schoolwijzernijmegen.nl/' }],
    });
    expect(notices()[0]?.payload.params).not.toHaveProperty('url');
    setArchived(db, ini.id, true, 'cli', new Date());
    expect(missingDatesPass(db, new Date('2028-10-01T09:00:00Z'), ZONE)).toBe(0);
  });
});
