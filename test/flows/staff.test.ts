/**
 * Roles on an initiative (issue 11, item 1): a coordinator invites in the chat, the invite is
 * redeemed once on another chat, the ambassador says their languages and sees the staff menu;
 * used, expired and unknown invites fail kindly; parents and staff of another initiative are
 * refused and nothing changes. Every step leaves an audit row (ids only).
 */
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEffect } from '../../src/db/effects.apply.js';
import { auditLog, identities, invites, memberships, outbox, people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
let iniA: number;
let iniB: number;

function person(chatId: string, roles: { initiativeId: number; role: 'parent' | 'ambassador' | 'coordinator' }[] = []): number {
  const p = h.db.insert(people).values({ language: 'nl', displayName: `Ouder ${chatId}`, heardFrom: 'friend' }).returning({ id: people.id }).get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  for (const r of roles) h.db.insert(memberships).values({ personId: p.id, initiativeId: r.initiativeId, role: r.role }).run();
  return p.id;
}
const rolesOf = (personId: number) =>
  h.db
    .select({ initiativeId: memberships.initiativeId, role: memberships.role, languages: memberships.languages })
    .from(memberships)
    .where(eq(memberships.personId, personId))
    .all();
const actions = () => h.db.select({ action: auditLog.action }).from(auditLog).all().map((r) => r.action);

/** The coordinator's invite: the code line the bot printed ("/invite <token>" on the web chat). */
async function inviteFrom(chatId: string, role = 'ambassador'): Promise<string> {
  const out = plain(await h.say(chatId, `/invite ${role}`));
  const token = /\/invite ([A-Za-z0-9_-]{22})/.exec(out)?.[1];
  expect(token, out).toBeDefined();
  return token ?? '';
}

beforeEach(() => {
  h = createHarness('2027-03-01T09:00:00Z');
  iniA = h.initiative({ name: 'Samen naar De Regenboog' }).id;
  iniB = h.initiative({ name: 'Samen naar De Zuilen', school: 'De Zuilen' }).id;
});
afterEach(() => h.close());

describe('invite → redeem → role → staff menu', () => {
  it('a coordinator invites; another chat redeems once, picks languages and sees the staff menu', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const amb = person('amb', [{ initiativeId: iniA, role: 'parent' }]);
    const token = await inviteFrom('coord');
    // Only the hash is stored.
    const row = h.db.select().from(invites).get();
    expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.tokenHash).not.toContain(token);
    expect(row?.expiresAt.toISOString()).toBe('2027-03-08T09:00:00.000Z');
    // The message that carried the token is not kept once sent (other replies are, for /mydata).
    const kept = JSON.stringify(h.db.select().from(outbox).all());
    expect(kept).not.toContain(token);
    expect(kept).toContain('Stuur het volgende bericht door');

    const welcome = await h.say('amb', `/invite ${token}`);
    expect(plain(welcome)).toContain('Welkom als ouderambassadeur bij Samen naar De Regenboog');
    expect(rolesOf(amb)).toContainEqual({ initiativeId: iniA, role: 'ambassador', languages: null });
    expect(buttons(welcome).map((b) => b.value)).toContain('staff:lang:tr');

    await h.say('amb', pick('staff:lang:nl'));
    await h.say('amb', pick('staff:lang:tr'));
    const saved = await h.say('amb', pick('staff:langsDone'));
    expect(plain(saved)).toContain('We hebben je talen bewaard');
    expect(rolesOf(amb)).toContainEqual({ initiativeId: iniA, role: 'ambassador', languages: ['nl', 'tr'] });
    const menu = buttons(saved).map((b) => b.value);
    expect(menu).toContain(`staff:langs:${iniA}`);
    expect(menu).not.toContain(`staff:invite:${iniA}`);
    expect(menu).toContain('bc:new');

    // The main menu now has "Voor vrijwilligers"; /staff shows the same menu.
    expect(buttons(await h.say('amb', '/menu')).map((b) => b.label)).toContain('Voor vrijwilligers');
    expect(buttons(await h.say('amb', '/staff')).map((b) => b.value)).toContain(`staff:langs:${iniA}`);

    // Used once: a second redeem fails kindly and is audited.
    person('other');
    expect(plain(await h.say('other', `/invite ${token}`))).toContain('al gebruikt');
    expect(actions()).toEqual(expect.arrayContaining(['invite.create', 'invite.redeem', 'role.grant', 'ambassador.languages', 'invite.refused']));
    // Ids only: no names or tokens in the audit log.
    expect(JSON.stringify(h.db.select().from(auditLog).all())).not.toMatch(/Ouder|Regenboog|[A-Za-z0-9_-]{22}"/);
  });

  it('the Telegram deep link form /start inv_<token> grants a coordinator role', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const token = await inviteFrom('coord', 'coordinator');
    const other = person('c2');
    const out = await h.say('c2', `/start inv_${token}`);
    expect(plain(out)).toContain('Welkom als coördinator');
    expect(rolesOf(other)).toContainEqual({ initiativeId: iniA, role: 'coordinator', languages: null });
    expect(buttons(out).map((b) => b.value)).toContain(`staff:invite:${iniA}`);
  });

  it('an expired invite fails kindly, grants nothing and is audited', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const token = await inviteFrom('coord');
    const late = person('late');
    h.clock.set(new Date('2027-03-08T09:00:01Z'));
    expect(plain(await h.say('late', `/invite ${token}`))).toContain('verlopen');
    expect(rolesOf(late)).toEqual([]);
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'invite.refused')).get()?.detail).toMatchObject({ reason: 'expired' });
  });

  it('an unknown invite fails kindly; without a profile the invite is kept for after onboarding', async () => {
    person('x');
    expect(plain(await h.say('x', '/invite AAAAAAAAAAAAAAAAAAAAAA'))).toContain('kennen we niet');
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const token = await inviteFrom('coord');
    expect(plain(await h.say('newcomer', `/start inv_${token}`))).toContain('Maak eerst je profiel');
    expect(h.db.select().from(invites).get()?.usedAt).toBeNull();
  });
});

describe('invite links per messenger and before a profile', () => {
  it('on Telegram the coordinator gets the deep link https://t.me/<bot>?start=inv_<token>', async () => {
    h.close();
    h = createHarness('2027-03-01T09:00:00Z', { botUsername: 'OuderbrugTestBot' });
    iniA = h.initiative().id;
    const p = h.db.insert(people).values({ language: 'nl', heardFrom: 'friend' }).returning({ id: people.id }).get();
    h.db.insert(identities).values({ personId: p.id, channel: 'telegram', chatId: '42' }).run();
    h.db.insert(memberships).values({ personId: p.id, initiativeId: iniA, role: 'coordinator' }).run();
    const out = plain(await h.sayOn('telegram', '42', '/invite ambassador'));
    expect(out).toMatch(/https:\/\/t\.me\/OuderbrugTestBot\?start=inv_[A-Za-z0-9_-]{22}/);
  });

  it('someone in the middle of onboarding is asked to finish first, gets their question again, and the invite stays unused', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const token = await inviteFrom('coord');
    await h.say('new', '/start');
    const out = plain(await h.say('new', `/start inv_${token}`));
    expect(out).toContain('Maak eerst je profiel');
    expect(out.split('\n---\n').length).toBeGreaterThan(1);
    expect(h.db.select().from(invites).get()?.usedAt).toBeNull();
  });
});

describe('refusals: nothing happens', () => {
  it('a parent gets a polite refusal for /staff and /invite', async () => {
    const p = person('p', [{ initiativeId: iniA, role: 'parent' }]);
    expect(plain(await h.say('p', '/staff'))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('p', '/invite ambassador'))).toContain('Dit kan alleen een vrijwilliger');
    expect(buttons(await h.say('p', '/menu')).map((b) => b.label)).not.toContain('Voor vrijwilligers');
    expect(h.db.select().from(invites).all()).toEqual([]);
    expect(rolesOf(p)).toEqual([{ initiativeId: iniA, role: 'parent', languages: null }]);
  });

  it('an ambassador of A cannot invite, nor act on B; a coordinator of A cannot invite for B', async () => {
    person('amb', [{ initiativeId: iniA, role: 'ambassador' }]);
    expect(plain(await h.say('amb', '/invite ambassador'))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('amb', pick(`staff:langs:${iniB}`)))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('amb', pick(`staff:inv:${iniA}:ambassador`)))).toContain('Dit kan alleen een vrijwilliger');
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    expect(plain(await h.say('coord', pick(`staff:inv:${iniB}:ambassador`)))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('coord', pick(`staff:invite:${iniB}`)))).toContain('Dit kan alleen een vrijwilliger');
    expect(h.db.select().from(invites).all()).toEqual([]);
    expect(h.db.select().from(memberships).where(and(eq(memberships.initiativeId, iniB))).all()).toEqual([]);
  });
});

describe('two people redeem one invite at the same moment', () => {
  it('the second turn rolls back: no role, no false welcome (the engine then says "something went wrong")', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const first = person('first', [{ initiativeId: iniA, role: 'parent' }]);
    const second = person('second', [{ initiativeId: iniA, role: 'parent' }]);
    const token = await inviteFrom('coord');
    const inviteId = h.db.select({ id: invites.id }).from(invites).get()!.id;
    // Both flows read the invite as unused; the first write wins.
    await h.say('first', `/invite ${token}`);
    const identity = h.db.select({ id: identities.id }).from(identities).where(eq(identities.chatId, 'second')).get()!.id;
    expect(() =>
      h.db.transaction((tx) => applyEffect(tx, { channel: 'local', chatId: 'second' }, { personId: second, identityId: identity }, { type: 'redeemInvite', inviteId }, new Date('2027-03-01T09:05:00Z'))),
    ).toThrow(/used or expired/);
    expect(rolesOf(second)).toEqual([{ initiativeId: iniA, role: 'parent', languages: null }]);
    expect(rolesOf(first).map((r) => r.role)).toContain('ambassador');
  });
});

describe('the team: who has a role, and taking one away', () => {
  it('a coordinator sees the team with languages, removes an ambassador after a question (audited); the last coordinator stays', async () => {
    const coord = person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const amb = person('amb', [{ initiativeId: iniA, role: 'ambassador' }]);
    h.db.update(memberships).set({ languages: ['tr', 'nl'] }).where(and(eq(memberships.personId, amb), eq(memberships.role, 'ambassador'))).run();
    const other = person('other', [{ initiativeId: iniB, role: 'ambassador' }]);

    const menu = await h.say('coord', '/staff');
    expect(buttons(menu).map((b) => b.value)).toContain(`staff:team:${iniA}`);
    const team = plain(await h.say('coord', pick(`staff:team:${iniA}`)));
    expect(team).toContain('Het team van Samen naar De Regenboog:');
    expect(team).toContain('Ouder coord: coördinator');
    expect(team).toMatch(/Ouder amb: ouderambassadeur \(\u2068?Türkçe\u2069?, \u2068?Nederlands/);
    // Another initiative's people are not on it; a chat or phone never is.
    expect(team).not.toContain('Ouder other');

    const ask = await h.say('coord', pick(`staff:rm:${iniA}:${amb}:a`));
    expect(plain(ask)).toContain('Weet je het zeker? Ouder amb is dan geen ouderambassadeur meer');
    expect(rolesOf(amb).map((r) => r.role)).toEqual(['ambassador']);
    const done = await h.say('coord', pick(`staff:rmok:${iniA}:${amb}:a`));
    expect(plain(done)).toContain('Gedaan. Ouder amb is geen ouderambassadeur meer.');
    expect(rolesOf(amb)).toEqual([]);
    expect(h.db.select().from(auditLog).where(eq(auditLog.action, 'role.revoke')).all()).toMatchObject([{ actor: `person:${coord}`, subjectId: amb, detail: { initiativeId: iniA, role: 'ambassador' } }]);
    // Pressed again: nothing more to take.
    expect(plain(await h.say('coord', pick(`staff:rmok:${iniA}:${amb}:a`)))).toContain('Deze persoon heeft die rol niet meer.');

    // An ambassador, or a coordinator of another initiative, cannot; nothing changes.
    const amb2 = person('amb2', [{ initiativeId: iniA, role: 'ambassador' }]);
    const coordB = person('coordB', [{ initiativeId: iniB, role: 'coordinator' }]);
    expect(plain(await h.say('amb2', pick(`staff:rmok:${iniA}:${coord}:c`)))).toContain('Dit kan alleen een vrijwilliger');
    expect(plain(await h.say('coordB', pick(`staff:rmok:${iniA}:${amb2}:a`)))).toContain('Dit kan alleen een vrijwilliger');
    expect(rolesOf(amb2).map((r) => r.role)).toEqual(['ambassador']);
    expect(rolesOf(coordB).map((r) => r.role)).toEqual(['coordinator']);
    expect(rolesOf(other).map((r) => r.role)).toEqual(['ambassador']);

    // A second coordinator may be removed by the first; the last one cannot be.
    const coord2 = person('coord2', [{ initiativeId: iniA, role: 'coordinator' }]);
    await h.say('coord', pick(`staff:rmok:${iniA}:${coord2}:c`));
    expect(rolesOf(coord2)).toEqual([]);
    const coord3 = person('coord3', [{ initiativeId: iniA, role: 'coordinator' }]);
    h.db.delete(memberships).where(and(eq(memberships.personId, coord), eq(memberships.role, 'coordinator'))).run();
    h.db.insert(memberships).values({ personId: coord, initiativeId: iniA, role: 'ambassador' }).run();
    // coord3 is now the only coordinator: nobody can take it (coord3 cannot remove themself either).
    expect(plain(await h.say('coord3', pick(`staff:rmok:${iniA}:${coord3}:c`)))).toContain('Deze persoon heeft die rol niet meer.');
    expect(rolesOf(coord3).map((r) => r.role)).toEqual(['coordinator']);
  });
});

describe('what a new volunteer types first', () => {
  it('/ambassador opens the staff menu for an ambassador and is a polite refusal for a parent (not "unknown command")', async () => {
    person('amb', [{ initiativeId: iniA, role: 'ambassador' }]);
    person('par', [{ initiativeId: iniA, role: 'parent' }]);
    expect(plain(await h.say('amb', '/ambassador'))).toContain('Voor vrijwilligers. Wat wil je doen?');
    expect(plain(await h.say('amb', '/vrijwilliger'))).toContain('Voor vrijwilligers. Wat wil je doen?');
    const refused = plain(await h.say('par', '/ambassador'));
    expect(refused).toContain('Dit kan alleen een vrijwilliger');
    expect(refused).not.toContain('Die opdracht ken ik niet');
  });
});
