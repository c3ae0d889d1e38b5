import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAfterCommit } from '../../src/core/after-commit.js';
import { systemClock } from '../../src/core/clock.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { renderReply } from '../../src/core/render.js';
import { createLibreTranslate } from '../../src/core/translate/libretranslate.js';
import type { Translator } from '../../src/core/translate/translator.js';
import { listAudit, writeAudit } from '../../src/db/audit.repo.js';
import { approveVersion, createBroadcast, getBroadcast, moveStatus, setVersion } from '../../src/db/broadcasts.repo.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { createInitiative, grantRole } from '../../src/db/initiatives.repo.js';
import { deliveries, identities, people } from '../../src/db/schema.js';
import { broadcastReply, isSendable } from '../../src/domain/broadcast-message.js';
import { deliveryReply } from '../../src/domain/delivery-message.js';
import type { DeliveryPayload } from '../../src/domain/nurture.types.js';
import {
  broadcastTranslateListener,
  createBroadcastTranslator,
  createMachineDrafts,
  draftRequestState,
  type BroadcastTranslateDeps,
} from '../../src/jobs/broadcast-translate.js';
import { silentLogger } from '../support/engine-harness.js';
import { startFakeLibreTranslate, type FakeLibreTranslate } from '../support/fake-libretranslate.js';

const locales = loadLocales(DEFAULT_LOCALES_DIR);
const i18n = createI18n(locales);
const languageName = (code: string) => locales.languages.find((l) => l.code === code)?.endonym;
const NL = 'Donderdag 9 uur is er een speelochtend in de gymzaal. Neem sloffen mee.';

let db: Db;
let fake: FakeLibreTranslate;
let author: number;
let initiativeId: number;
let waits: number[];

function person(chat: string, language = 'nl'): number {
  const id = db.insert(people).values({ language }).returning().get().id;
  db.insert(identities).values({ personId: id, channel: 'local', chatId: chat }).run();
  return id;
}

function draftBroadcast(nl: { text: string | null; mediaId?: number; mediaType?: 'voice' | 'photo' | 'document' } = { text: NL }): number {
  const id = createBroadcast(db, { initiativeId, authorId: author, audience: {}, sendAt: null });
  setVersion(db, id, 'nl', { ...nl });
  return id;
}

function deps(over: Partial<BroadcastTranslateDeps> = {}): BroadcastTranslateDeps {
  return {
    db,
    translator: createLibreTranslate({ url: fake.url, apiKey: 'key-1', timeoutMs: 1_000 }),
    clock: systemClock,
    logger: silentLogger,
    languageName,
    sleep: async (ms) => void waits.push(ms),
    ...over,
  };
}

const notices = () => db.select().from(deliveries).all().map((d) => ({ personId: d.personId, kind: d.kind, ruleId: d.ruleId, payload: d.payload as DeliveryPayload }));
const read = (payload: DeliveryPayload, lang: string) => renderReply(i18n, lang, deliveryReply(payload, { initiative: { name: 'Samen naar De Linde', school: 'De Linde' }, event: null, newsletterText: null })).text;
const version = (id: number, lang: string) => getBroadcast(db, id)?.versions.find((v) => v.lang === lang);

beforeEach(async () => {
  db = openDatabase(':memory:');
  fake = await startFakeLibreTranslate({ apiKeys: ['key-1'] });
  waits = [];
  initiativeId = createInitiative(db, { name: 'Samen naar De Linde', school: 'De Linde', municipality: 'amsterdam', phase: 2, postcodes: ['1091'] }, 'cli').id;
  author = person('amb-1');
  grantRole(db, author, initiativeId, 'ambassador', 'cli');
});
afterEach(async () => {
  db.$client.close();
  await fake.close();
});

describe('machine-translated drafts of a broadcast', () => {
  it('stores a draft per supported language as machine and unapproved, and tells the author which could not', async () => {
    const id = draftBroadcast();
    const report = await createBroadcastTranslator(deps()).translate({ broadcastId: id, languages: ['tr', 'ar', 'so', 'rif', 'nl', 'tr'], requesterId: author });
    expect(report).toMatchObject({ status: 'done', drafted: ['tr', 'ar'], noticed: true });
    expect(report.failed).toEqual([
      { lang: 'so', problem: 'unsupported', reason: 'pair nl-so' },
      { lang: 'rif', problem: 'unsupported', reason: 'pair nl-rif' },
    ]);
    expect(version(id, 'tr')).toEqual({ lang: 'tr', text: `[tr] ${NL}`, media: null, machine: true, approved: false });
    expect(version(id, 'ar')).toMatchObject({ text: `[ar] ${NL}`, machine: true, approved: false });
    expect(version(id, 'so')).toBeUndefined();
    // Only the languages the server has were sent to it; /languages once.
    expect(fake.calls('/translate')).toBe(2);
    expect(fake.calls('/languages')).toBe(1);
    expect(fake.requests.filter((r) => r.path === '/translate').map((r) => r.body.target)).toEqual(['tr', 'ar']);

    const [notice, ...more] = notices();
    expect(more).toEqual([]);
    expect(notice).toMatchObject({ personId: author, kind: 'notice', ruleId: 'notice-machine-drafts' });
    expect(notice!.payload).toEqual({ key: 'translate:drafts.some', params: { number: id, drafted: 'Türkçe, العربية', failed: 'Soomaali, rif' }, buttons: null, initiativeId });
    expect(notice!.payload.broadcastId).toBeUndefined();
    expect(read(notice!.payload, 'nl')).toBe(
      `Er staan computervertalingen klaar van je bericht ${id}, in: Türkçe, العربية. Een computer maakt soms fouten. We sturen een vertaling pas als jij hem goedkeurt of verbetert. Naar Soomaali, rif kan de computer niet vertalen. Schrijf die tekst zelf, of neem een spraakbericht op.`,
    );
    expect(read(notice!.payload, 'en')).toContain('We only send a translation after you approve or correct it.');
    // Audited, with ids and codes only.
    expect(listAudit(db, initiativeId).filter((a) => a.action === 'broadcast.machineDrafts')).toMatchObject([
      { actor: `person:${author}`, subjectType: 'broadcast', subjectId: id, detail: { status: 'done', drafted: 'tr,ar', failed: 'so:unsupported,rif:unsupported', provider: 'libretranslate' } },
    ]);
  });

  it('never sends a machine draft before its author approves it: a Turkish parent gets Dutch with the note until then', async () => {
    const id = draftBroadcast();
    await createBroadcastTranslator(deps()).translate({ broadcastId: id, languages: ['tr'], requesterId: author });
    const before = getBroadcast(db, id)!;
    expect(before.versions.filter(isSendable).map((v) => v.lang)).toEqual(['nl']);
    const unapproved = broadcastReply(before, 'tr', null, { name: 'Samen naar De Linde' });
    expect(unapproved.text).toMatchObject({ key: 'broadcast:withNote' });
    expect(JSON.stringify(unapproved)).not.toContain('[tr]');
    expect(JSON.stringify(unapproved)).toContain(NL);

    approveVersion(db, id, 'tr', new Date());
    const approved = broadcastReply(getBroadcast(db, id)!, 'tr', null, { name: 'Samen naar De Linde' });
    expect(approved.text).toMatchObject({ key: 'broadcast:body', params: { text: `[tr] ${NL}` }, lng: 'tr' });
    expect(approved.choices).toBeUndefined();
  });

  it("never replaces a person's version: typed, recorded or approved ones are kept, also when written while translating", async () => {
    const id = draftBroadcast();
    setVersion(db, id, 'tr', { text: 'Perşembe saat 9da oyun sabahı var.' });
    setVersion(db, id, 'pl', { text: '[pl] old', machine: true });
    approveVersion(db, id, 'pl', new Date());
    // The author writes the Arabic version while the service is translating it.
    const real = createLibreTranslate({ url: fake.url, apiKey: 'key-1', timeoutMs: 1_000 });
    const racing: Translator = {
      name: 'racing',
      targets: (from) => real.targets(from),
      async translate(text, from, to) {
        const out = await real.translate(text, from, to);
        if (to === 'ar') setVersion(db, id, 'ar', { text: 'نص كتبه المؤلف' });
        return out;
      },
    };
    const report = await createBroadcastTranslator(deps({ translator: racing })).translate({ broadcastId: id, languages: ['tr', 'pl', 'ar', 'uk'], requesterId: author });
    expect(report.drafted).toEqual(['uk']);
    expect(report.failed).toEqual([
      { lang: 'tr', problem: 'kept' },
      { lang: 'pl', problem: 'kept' },
      { lang: 'ar', problem: 'kept' },
    ]);
    expect(version(id, 'tr')).toMatchObject({ text: 'Perşembe saat 9da oyun sabahı var.', machine: false, approved: true });
    expect(version(id, 'pl')).toMatchObject({ text: '[pl] old', machine: true, approved: true });
    expect(version(id, 'ar')).toMatchObject({ text: 'نص كتبه المؤلف', machine: false });
    expect(fake.requests.filter((r) => r.path === '/translate').map((r) => r.body.target)).toEqual(['ar', 'uk']);
    expect(notices()[0]?.payload.key).toBe('translate:drafts.all');
  });

  it('a flyer of the Dutch version comes along with the draft; a Dutch voice note does not', async () => {
    const withFlyer = draftBroadcast({ text: NL, mediaId: 7, mediaType: 'photo' });
    const withVoice = draftBroadcast({ text: NL, mediaId: 8, mediaType: 'voice' });
    const drafts = createBroadcastTranslator(deps());
    await drafts.translate({ broadcastId: withFlyer, languages: ['tr'], requesterId: author });
    await drafts.translate({ broadcastId: withVoice, languages: ['tr'], requesterId: author });
    expect(version(withFlyer, 'tr')?.media).toEqual({ mediaId: 7, type: 'photo' });
    expect(version(withVoice, 'tr')?.media).toBeNull();
  });

  it('retries 429 (waiting as long as Retry-After says) and 5xx, then gives up on that language only', async () => {
    const id = draftBroadcast();
    fake.failNext({ status: 429, retryAfter: 3 });
    fake.failNext({ status: 500 }, 3);
    const report = await createBroadcastTranslator(deps()).translate({ broadcastId: id, languages: ['tr', 'ar', 'pl'], requesterId: author });
    // tr: 429 (wait 3 s as asked), 500 (wait 4 s), 500: given up. ar: 500 (wait 1 s), then ok. pl: ok.
    expect(report.drafted).toEqual(['ar', 'pl']);
    expect(report.failed).toEqual([{ lang: 'tr', problem: 'retry', reason: 'http 500' }]);
    expect(waits).toEqual([3_000, 4_000, 1_000]);
    expect(fake.calls('/translate')).toBe(6);
    const notice = notices()[0]!.payload;
    expect(notice.key).toBe('translate:drafts.someLater');
    expect(read(notice, 'nl')).toContain('Vertalen naar Türkçe lukte nu niet. Probeer het later nog eens, of schrijf die tekst zelf.');
  });

  it('stops at the first "unavailable" (a wrong key): one call, and the author hears that it did not work now', async () => {
    const id = draftBroadcast();
    const wrongKey = createLibreTranslate({ url: fake.url, apiKey: 'nope', timeoutMs: 1_000 });
    const report = await createBroadcastTranslator(deps({ translator: wrongKey })).translate({ broadcastId: id, languages: ['tr', 'ar', 'pl'], requesterId: author });
    expect(report.drafted).toEqual([]);
    expect(report.failed.map((f) => `${f.lang}:${f.problem}:${f.reason}`)).toEqual(['tr:unavailable:http 403', 'ar:unavailable:http 403', 'pl:unavailable:http 403']);
    expect(fake.calls('/translate')).toBe(1);
    expect(notices()[0]!.payload).toMatchObject({ key: 'translate:drafts.noneLater', params: { failed: 'Türkçe, العربية, Polski' } });
    expect(getBroadcast(db, id)!.versions.map((v) => v.lang)).toEqual(['nl']);
  });

  it('a server that hangs: each request ends at its timeout and is retried; when it never answers, the language fails as retry', async () => {
    const id = draftBroadcast();
    const slow = createLibreTranslate({ url: fake.url, apiKey: 'key-1', timeoutMs: 250 });
    const drafts = createBroadcastTranslator(deps({ translator: slow }));
    // /languages hangs twice, then answers.
    fake.delayNext(5_000, 2);
    const started = Date.now();
    const report = await drafts.translate({ broadcastId: id, languages: ['tr', 'ar'], requesterId: author });
    expect(report.drafted).toEqual(['tr', 'ar']);
    expect(waits).toEqual([1_000, 4_000]);
    // /translate hangs three times: the first try and both retries end at the timeout.
    fake.delayNext(5_000, 3);
    const again = await drafts.translate({ broadcastId: draftBroadcast(), languages: ['uk'], requesterId: author });
    expect(again.failed).toEqual([{ lang: 'uk', problem: 'retry', reason: 'timeout' }]);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(notices().map((n) => n.payload.key)).toEqual(['translate:drafts.all', 'translate:drafts.noneLater']);
  });

  it('nothing to translate without a Dutch text, and nothing stored once the broadcast is no longer a draft', async () => {
    const voiceOnly = draftBroadcast({ text: null, mediaId: 9, mediaType: 'voice' });
    const drafts = createBroadcastTranslator(deps());
    expect(await drafts.translate({ broadcastId: voiceOnly, languages: ['tr'], requesterId: author })).toMatchObject({ status: 'noSource', drafted: [] });
    const sent = draftBroadcast();
    expect(moveStatus(db, sent, ['draft'], 'scheduled')).toBe(true);
    expect(await drafts.translate({ broadcastId: sent, languages: ['tr'], requesterId: author })).toMatchObject({ status: 'closed', drafted: [] });
    expect(await drafts.translate({ broadcastId: 999, languages: ['tr'], requesterId: author })).toMatchObject({ status: 'missing', noticed: false });
    expect(fake.calls('/translate')).toBe(0);
    expect(notices().map((n) => n.payload.key)).toEqual(['translate:drafts.noSource', 'translate:drafts.closed']);
    expect(read(notices()[0]!.payload, 'nl')).toBe(`Je bericht ${voiceOnly} heeft nog geen Nederlandse tekst. Daarom kon de computer niets vertalen. Schrijf eerst de Nederlandse tekst.`);
    expect(version(sent, 'tr')).toBeUndefined();
  });

  it('only for someone who may edit it: a parent, or an ambassador who is not its author, gets nothing translated', async () => {
    const id = draftBroadcast();
    const parent = person('p-1');
    grantRole(db, parent, initiativeId, 'parent', 'cli');
    const otherAmbassador = person('amb-2');
    grantRole(db, otherAmbassador, initiativeId, 'ambassador', 'cli');
    const coordinator = person('co-1');
    grantRole(db, coordinator, initiativeId, 'coordinator', 'cli');
    const drafts = createBroadcastTranslator(deps());
    expect(await drafts.translate({ broadcastId: id, languages: ['tr'], requesterId: parent })).toMatchObject({ status: 'refused', drafted: [], noticed: false });
    expect(await drafts.translate({ broadcastId: id, languages: ['tr'], requesterId: otherAmbassador })).toMatchObject({ status: 'refused' });
    expect(fake.requests).toEqual([]);
    expect(notices()).toEqual([]);
    // A coordinator of the initiative may; the notice goes to them (who asked).
    expect(await drafts.translate({ broadcastId: id, languages: ['tr'], requesterId: coordinator })).toMatchObject({ status: 'done', drafted: ['tr'] });
    expect(notices().map((n) => n.personId)).toEqual([coordinator]);
  });

  it('never logs or audits the text', async () => {
    const lines: string[] = [];
    const logger = { debug: (o: object) => void lines.push(JSON.stringify(o)), info: (o: object) => void lines.push(JSON.stringify(o)), warn: (o: object) => void lines.push(JSON.stringify(o)), error: (o: object) => void lines.push(JSON.stringify(o)) };
    const id = draftBroadcast();
    fake.failNext({ status: 500 }, 3);
    await createBroadcastTranslator(deps({ logger })).translate({ broadcastId: id, languages: ['tr', 'ar'], requesterId: author });
    expect(lines.length).toBeGreaterThan(0);
    const all = [...lines, JSON.stringify(listAudit(db))].join('\n');
    expect(all).not.toContain('speelochtend');
    expect(all).not.toContain('gymzaal');
  });
});

describe('after a committed requestDrafts', () => {
  it('the listener drafts each request of the turn and hands the notice to the queue', async () => {
    const id = draftBroadcast();
    const afterCommit = createAfterCommit(silentLogger);
    let kicks = 0;
    afterCommit.on(broadcastTranslateListener(createBroadcastTranslator(deps({ kick: () => void kicks++ }))));
    await afterCommit.emit({
      effects: [
        { type: 'broadcast', command: { op: 'version', broadcastId: id, lang: 'nl', text: NL } },
        { type: 'broadcast', command: { op: 'requestDrafts', broadcastId: id, languages: ['pl', 'uk'] } },
      ],
      personId: author,
      channel: 'local',
      now: new Date(),
    });
    expect(getBroadcast(db, id)!.versions.filter((v) => v.machine).map((v) => v.lang)).toEqual(['pl', 'uk']);
    expect(kicks).toBe(1);
    expect(notices().map((n) => n.payload.key)).toEqual(['translate:drafts.all']);
  });

  it('tells the chat where the last request stands: pending until the drafts are written, then which languages failed', async () => {
    const id = draftBroadcast();
    expect(draftRequestState(db, id)).toEqual({ pending: false, finished: false, failed: [] });
    // The turn's applier audits the request (src/db/broadcast.effects.ts).
    writeAudit(db, { actor: `person:${author}`, action: 'broadcast.requestDrafts', subjectType: 'broadcast', subjectId: id, detail: { initiativeId, languages: 'tr,so' } });
    expect(draftRequestState(db, id)).toEqual({ pending: true, finished: false, failed: [] });
    setVersion(db, id, 'ar', { text: 'نص' });
    await createBroadcastTranslator(deps()).translate({ broadcastId: id, languages: ['tr', 'so', 'ar'], requesterId: author });
    expect(draftRequestState(db, id)).toEqual({ pending: false, finished: true, failed: [{ lang: 'so', problem: 'unsupported' }] });
    expect(draftRequestState(db, id + 1)).toEqual({ pending: false, finished: false, failed: [] });
  });

  it('two presses for one broadcast run one after the other, not at once', async () => {
    const id = draftBroadcast();
    const drafts = createBroadcastTranslator(deps());
    fake.delayNext(100, 2);
    const [a, b] = await Promise.all([drafts.translate({ broadcastId: id, languages: ['tr'], requesterId: author }), drafts.translate({ broadcastId: id, languages: ['tr'], requesterId: author })]);
    expect(a.drafted).toEqual(['tr']);
    expect(b.drafted).toEqual(['tr']);
    expect(version(id, 'tr')).toMatchObject({ machine: true, approved: false });
  });

  it('is off by default: without LIBRETRANSLATE_URL there is no drafts service to listen', () => {
    expect(createMachineDrafts({}, { db, clock: systemClock, logger: silentLogger })).toBeUndefined();
    expect(createMachineDrafts({ translation: { url: fake.url, timeoutMs: 1_000 } }, { db, clock: systemClock, logger: silentLogger })).toBeDefined();
  });
});
