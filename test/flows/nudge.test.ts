/**
 * Coordinator nudges in the chat (issue 11, item 4): a coordinator makes a relative and a once
 * nudge step by step (versions per language, the moment, a preview as each language group reads
 * it), lists, pauses, resumes, triggers and cancels them; every change is audited. Parents,
 * ambassadors and coordinators of another initiative are refused and nothing changes.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, broadcasts, broadcastVersions, identities, media, memberships, nudges, people } from '../../src/db/schema.js';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';

let h: Harness;
let iniA: number;
let iniB: number;

function person(chatId: string, roles: { initiativeId: number; role: 'parent' | 'ambassador' | 'coordinator' }[] = [], language = 'nl'): number {
  const p = h.db.insert(people).values({ language, displayName: `Persoon ${chatId}`, heardFrom: 'friend' }).returning({ id: people.id }).get();
  h.db.insert(identities).values({ personId: p.id, channel: 'local', chatId }).run();
  for (const r of roles) h.db.insert(memberships).values({ personId: p.id, initiativeId: r.initiativeId, role: r.role }).run();
  return p.id;
}
const actions = () => h.db.select({ action: auditLog.action, subjectId: auditLog.subjectId }).from(auditLog).all();
const allNudges = () => h.db.select().from(nudges).all();

beforeEach(() => {
  h = createHarness('2027-03-01T09:00:00Z');
  iniA = h.initiative({ name: 'Samen naar De Regenboog' }).id;
  iniB = h.initiative({ name: 'Samen naar De Zuilen', school: 'De Zuilen' }).id;
});
afterEach(() => h.close());

describe('making a nudge', () => {
  it('"when a child turns 30 months", in Dutch and Turkish: preview per language, then stored as the initiative\'s own rule', async () => {
    const coord = person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    const menu = await h.say('coord', '/nudge');
    expect(plain(menu)).toContain('Herinneringen van Samen naar De Regenboog');
    expect(plain(menu)).toContain('nog geen herinneringen');
    const kinds = await h.say('coord', pick('nd:new'));
    expect(buttons(kinds).map((b) => b.value)).toEqual(['nd:type:once', 'nd:type:weekly', 'nd:type:monthly', 'nd:type:childAge', 'nd:type:event', 'nd:stop']);
    const aud = await h.say('coord', pick('nd:type:childAge'));
    // A relative nudge: everyone, or registered / not yet registered.
    expect(buttons(aud).map((b) => b.value)).toEqual(['nd:aud:all', 'nd:aud:reg', 'nd:aud:unreg', 'nd:stop']);
    expect(plain(await h.say('coord', pick('nd:aud:unreg')))).toContain('Typ het bericht voor ouders die Nederlands lezen.');
    const more = await h.say('coord', 'Je kind is bijna 2,5 jaar. Kom naar de speelochtend!');
    expect(plain(more)).toContain('Het bericht is er in: Nederlands.');
    expect(buttons(more).map((b) => b.value)).toContain('nd:lang:tr');
    expect(buttons(more).map((b) => b.value)).not.toContain('nd:lang:nl');
    expect(plain(await h.say('coord', pick('nd:lang:tr')))).toContain('Türkçe');
    await h.say('coord', 'Çocuğunuz neredeyse 2,5 yaşında. Oyun sabahına gelin!');
    expect(plain(await h.say('coord', pick('nd:vDone')))).toContain('Typ het aantal maanden');
    expect(plain(await h.say('coord', '200'))).toContain('Typ een getal van 0 tot 72.');
    const confirm = await h.say('coord', '30');
    const text = plain(confirm);
    expect(text).toContain('Voor ouders die Nederlands lezen:\n---\nJe kind is bijna 2,5 jaar.');
    expect(text).toContain('Voor ouders die Türkçe lezen:\n---\nÇocuğunuz neredeyse');
    // A parent whose language has no version: the Dutch text with the line in their own language.
    expect(text).toMatch(/Voor ouders van wie de taal er niet bij is \(bijvoorbeeld العربية\):\n---\n\u200F?Je kind is bijna 2,5 jaar[^]*ليست بلغتك/);
    expect(text).toContain('Als een kind 2 jaar en 6 maanden oud wordt (om 10:00).');
    expect(text).toContain('Met een kind dat nog niet is aangemeld');
    const saved = await h.say('coord', pick('nd:save'));
    expect(plain(saved)).toContain('De herinnering is bewaard.');

    const [n] = allNudges();
    expect(n).toMatchObject({ initiativeId: iniA, createdBy: coord, kind: 'relative', status: 'active', audience: { registered: false }, nextAt: null });
    expect(n?.rule).toMatchObject({ id: `n${n?.id}`, trigger: { type: 'childAge', months: 30, untilMonths: 31, at: '10:00' }, audience: { member: true, registered: false } });
    const template = h.db.select().from(broadcasts).where(eq(broadcasts.id, n!.templateBroadcastId!)).get();
    expect(template).toMatchObject({ status: 'draft', nudgeId: n?.id, initiativeId: iniA });
    const versions = h.db.select({ lang: broadcastVersions.lang, text: broadcastVersions.text }).from(broadcastVersions).where(eq(broadcastVersions.broadcastId, template!.id)).all();
    expect(versions.map((v) => v.lang).sort()).toEqual(['nl', 'tr']);
    expect(actions()).toContainEqual({ action: 'nudge.create', subjectId: n?.id });

    // It is in the list now.
    const list = await h.say('coord', '/nudge');
    expect(buttons(list).map((b) => b.value)).toContain(`nd:show:${n?.id}`);
  });

  it('once: a moment in the past is refused kindly; "3 days before each play morning" is relative', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    await h.say('coord', '/nudge');
    await h.say('coord', pick('nd:new'));
    await h.say('coord', pick('nd:type:once'));
    await h.say('coord', pick('nd:aud:all'));
    await h.say('coord', 'Morgen is de open ochtend.');
    await h.say('coord', pick('nd:vDone'));
    expect(plain(await h.say('coord', 'morgen'))).toContain('Die dag ken ik niet.');
    expect(plain(await h.say('coord', '28-02-2027 10:00'))).toContain('Dat moment is al voorbij.');
    const confirm = await h.say('coord', '15-3-2027 10.30');
    expect(plain(confirm)).toContain('Eén keer: maandag 15 maart om 10:30.');
    await h.say('coord', pick('nd:save'));
    expect(allNudges()[0]).toMatchObject({ kind: 'once', moment: { type: 'once', date: '2027-03-15', at: '10:30' }, nextAt: new Date('2027-03-15T09:30:00Z') });

    await h.say('coord', pick('nd:new'));
    await h.say('coord', pick('nd:type:event'));
    const aud = await h.say('coord', pick('nd:aud:all'));
    expect(plain(aud)).toContain('Typ het bericht');
    await h.say('coord', 'Over 3 dagen is er een speelochtend.');
    await h.say('coord', pick('nd:vDone'));
    await h.say('coord', pick('nd:ek:play_morning'));
    expect(plain(await h.say('coord', '3'))).toContain('3 dagen voor elke speelochtend (om 10:00).');
    await h.say('coord', pick('nd:save'));
    expect(allNudges()[1]?.rule).toMatchObject({ trigger: { type: 'event', offsetDays: -3, untilOffsetDays: 0, kinds: ['play_morning'] } });
  });
});

describe('managing a nudge', () => {
  it('show, preview, pause, resume, trigger now and cancel: each audited', async () => {
    const coord = person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    await h.say('coord', '/nudge');
    await h.say('coord', pick('nd:new'));
    await h.say('coord', pick('nd:type:weekly'));
    await h.say('coord', pick('nd:aud:langs'));
    await h.say('coord', pick('nd:al:tr'));
    await h.say('coord', pick('nd:al:ar'));
    await h.say('coord', pick('nd:alDone'));
    await h.say('coord', 'Elke week: kom koffie drinken op school.');
    await h.say('coord', pick('nd:vDone'));
    await h.say('coord', pick('nd:wd:3'));
    const confirm = await h.say('coord', '9:30');
    expect(plain(confirm)).toContain('Elke woensdag om 09:30.');
    expect(plain(confirm)).toContain('Die lezen in: Türkçe, العربية');
    await h.say('coord', pick('nd:save'));
    const id = allNudges()[0]!.id;
    expect(allNudges()[0]?.nextAt).toEqual(new Date('2027-03-03T08:30:00Z'));

    const shown = await h.say('coord', pick(`nd:show:${id}`));
    expect(plain(shown)).toContain(`Herinnering ${id}: Elke week: kom koffie drinken op school.`);
    expect(plain(shown)).toContain('Volgende keer: woensdag 3 maart om 09:30.');
    expect(plain(await h.say('coord', pick(`nd:prev:${id}`)))).toContain('Elke week: kom koffie drinken op school.');
    expect(plain(await h.say('coord', pick(`nd:runs:${id}`)))).toContain('nog niet verstuurd');

    expect(plain(await h.say('coord', pick(`nd:pause:${id}`)))).toContain('op pauze');
    expect(allNudges()[0]?.status).toBe('paused');
    await h.say('coord', pick(`nd:resume:${id}`));
    expect(allNudges()[0]?.status).toBe('active');

    expect(plain(await h.say('coord', pick(`nd:trig:${id}`)))).toContain('Wil je de herinnering nu één keer sturen?');
    expect(plain(await h.say('coord', pick(`nd:trigYes:${id}`)))).toContain('gaat nu naar de ouders');
    const run = h.db.select().from(broadcasts).all().find((b) => b.nudgeId === id && b.status === 'scheduled');
    expect(run?.audience).toEqual({ languages: ['tr', 'ar'] });
    // The coordinator who pressed it follows this run's progress and summary.
    expect(run?.authorId).toBe(coord);
    expect(h.db.select().from(broadcastVersions).where(eq(broadcastVersions.broadcastId, run!.id)).all()).toHaveLength(1);

    await h.say('coord', pick(`nd:cancel:${id}`));
    expect(plain(await h.say('coord', pick(`nd:cancelYes:${id}`)))).toContain('De herinnering is gestopt.');
    expect(allNudges()[0]).toMatchObject({ status: 'cancelled', nextAt: null });
    // The run not yet fanned out is cancelled with it.
    expect(h.db.select().from(broadcasts).where(eq(broadcasts.id, run!.id)).get()?.status).toBe('cancelled');
    expect(actions().map((a) => a.action).filter((a) => a.startsWith('nudge.'))).toEqual(['nudge.create', 'nudge.pause', 'nudge.resume', 'nudge.trigger', 'nudge.cancel']);
  });
});

describe('who may', () => {
  it('parents and ambassadors are refused; the staff menu offers nudges to coordinators only', async () => {
    person('parent', [{ initiativeId: iniA, role: 'parent' }]);
    person('amb', [{ initiativeId: iniA, role: 'ambassador' }]);
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    expect(plain(await h.say('parent', '/nudge'))).toContain('Dit kan alleen een vrijwilliger met die taak');
    expect(plain(await h.say('amb', '/nudge'))).toContain('Dit kan alleen een vrijwilliger met die taak');
    expect(buttons(await h.say('amb', '/staff')).map((b) => b.value)).not.toContain(`nd:ini:${iniA}`);
    const staff = await h.say('coord', '/staff');
    expect(buttons(staff).find((b) => b.value === `nd:ini:${iniA}`)?.label).toBe('Herinneringen (Samen naar De Regenboog)');
    expect(plain(await h.say('coord', pick(`nd:ini:${iniA}`)))).toContain('Herinneringen van Samen naar De Regenboog');
  });

  it("a coordinator of B cannot see, pause, trigger or cancel A's nudge: nothing changes", async () => {
    person('coordA', [{ initiativeId: iniA, role: 'coordinator' }]);
    person('coordB', [{ initiativeId: iniB, role: 'coordinator' }]);
    await h.say('coordA', '/nudge');
    await h.say('coordA', pick('nd:new'));
    await h.say('coordA', pick('nd:type:monthly'));
    await h.say('coordA', pick('nd:aud:all'));
    await h.say('coordA', 'Nieuws van de maand.');
    await h.say('coordA', pick('nd:vDone'));
    await h.say('coordA', '15');
    await h.say('coordA', '10:00');
    await h.say('coordA', pick('nd:save'));
    const id = allNudges()[0]!.id;
    const before = JSON.stringify(allNudges());
    const audits = actions().length;
    for (const v of [`nd:show:${id}`, `nd:pause:${id}`, `nd:trigYes:${id}`, `nd:cancelYes:${id}`, `nd:ini:${iniA}`]) {
      expect(plain(await h.say('coordB', pick(v)))).toContain('Dit kan alleen een vrijwilliger met die taak');
    }
    expect(JSON.stringify(allNudges())).toBe(before);
    expect(actions()).toHaveLength(audits);
    expect(h.db.select().from(broadcasts).all().filter((b) => b.status !== 'draft')).toEqual([]);
  });

  it('typed text where a button is expected is answered kindly', async () => {
    person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    await h.say('coord', '/nudge');
    await h.say('coord', pick('nd:new'));
    const reply = await h.say('coord', 'hallo');
    expect(plain(reply)).toContain('Kies een van de knoppen.');
    expect(buttons(reply).map((b) => b.value)).toContain('nd:type:once');
  });
});

describe('a voice note as a version', () => {
  it('Turkish as a voice note recorded in the chat: kept as the coordinator\'s file, on the nudge\'s Turkish version; Dutch must stay text', async () => {
    const coord = person('coord', [{ initiativeId: iniA, role: 'coordinator' }]);
    await h.say('coord', '/nudge');
    await h.say('coord', pick('nd:new'));
    await h.say('coord', pick('nd:type:childAge'));
    await h.say('coord', pick('nd:aud:all'));
    const voice = { kind: 'media' as const, media: { type: 'voice' as const, ref: 'tg-file-1', mimeType: 'audio/ogg', durationSeconds: 12, bytes: 20_000 } };
    // Dutch is what every parent without a version reads: a voice note is not enough there.
    expect(plain(await h.say('coord', voice))).toContain('Typ de Nederlandse tekst. Een spraakbericht kan voor de andere talen.');
    await h.say('coord', 'Je kind is bijna 2,5 jaar. Kom naar de speelochtend!');
    expect(plain(await h.say('coord', pick('nd:lang:tr')))).toContain('Of stuur een spraakbericht.');
    // A photo is not a version here.
    expect(plain(await h.say('coord', { kind: 'media', media: { type: 'photo', ref: 'tg-photo', mimeType: 'image/jpeg' } }))).toContain('Een foto of bestand kan hier niet.');
    const more = await h.say('coord', voice);
    expect(plain(more)).toContain('Het bericht is er in: Nederlands, Türkçe.');
    await h.say('coord', pick('nd:vDone'));
    const confirm = plain(await h.say('coord', '30'));
    expect(confirm).toMatch(/Voor ouders die Türkçe lezen:\n---\n.*(sesli|Sesli)/);
    await h.say('coord', pick('nd:save'));

    const [n] = allNudges();
    const tr = h.db.select().from(broadcastVersions).where(eq(broadcastVersions.broadcastId, n!.templateBroadcastId!)).all().find((v) => v.lang === 'tr');
    expect(tr).toMatchObject({ text: null, mediaType: 'voice' });
    const file = h.db.select().from(media).where(eq(media.id, tr!.mediaId!)).get();
    // The messenger's reference only; the bytes are fetched after the commit. The recording is the coordinator's.
    expect(file).toMatchObject({ ownerId: coord, channel: 'local', ref: 'tg-file-1', type: 'voice', status: 'pending' });
  });
});
