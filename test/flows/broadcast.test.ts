/**
 * The broadcast conversation as a pure state machine (router `step`, no database): every step,
 * back and stop, free text where a button is expected, stale and foreign ids, and the role
 * checks (a parent, an ambassador of another initiative). The store is the in-memory stand-in
 * of broadcast-fake.ts; replies are rendered with the real Dutch locale.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { buildKeywordIndex, mapWhatsAppText } from '../../src/bot/whatsapp/whatsapp.text.js';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { A, addPerson, B, C, Chat, createWorld, event, labelOf, type World } from './broadcast-fake.js';

let w: World;
const AMB = 10;
const COORD = 20;
const PARENT = 30;

beforeEach(() => {
  w = createWorld('2027-03-01T09:00:00Z'); // 10:00 in Amsterdam
  addPerson(w, AMB, [{ initiativeId: A, role: 'ambassador' }]);
  addPerson(w, COORD, [{ initiativeId: A, role: 'coordinator' }]);
  addPerson(w, PARENT, [{ initiativeId: A, role: 'parent' }]);
});

/** An ambassador of A with the audience chosen: at the Dutch text. */
function atDutch(chat = new Chat(w, AMB)): Chat {
  chat.send('/broadcast');
  chat.send('bc:a:done');
  expect(chat.step).toBe('version');
  return chat;
}

/** Dutch text, no flyer, a Turkish text, Arabic skipped: at the preview. */
function atPreview(chat = atDutch()): Chat {
  chat.send('Beste ouders, zaterdag is er een speelochtend.');
  chat.send('bc:noflyer');
  chat.send('Sevgili veliler, cumartesi oyun sabahı var.');
  chat.send('bc:skip');
  expect(chat.step).toBe('preview');
  return chat;
}

const draft = () => [...w.broadcasts.items.values()].at(-1);

describe('who may start', () => {
  it('a parent typing /broadcast is refused politely; nothing is written', () => {
    const t = new Chat(w, PARENT).send('/broadcast');
    expect(t.text).toContain('Dit kan alleen een vrijwilliger met die taak');
    expect(t.effects).toEqual([]);
    expect(t.result.state?.flow).toBe('menu');
    expect(w.broadcasts.items.size).toBe(0);
  });

  it('a parent pressing a staff button (approve, pause, the staff item) is refused and nothing changes', () => {
    const b = w.broadcasts.add({ initiativeId: A, authorId: AMB, status: 'pending' });
    const chat = new Chat(w, PARENT);
    for (const value of [`bc:approve:${b.id}`, `bc:reject:${b.id}`, `bc:pause:${b.id}`, `bc:cancelok:${b.id}`, `bc:req:${A}:on`, 'bc:pending']) {
      const t = chat.send(value);
      expect(t.text, value).toContain('Dit kan alleen een vrijwilliger');
      expect(t.effects, value).toEqual([]);
    }
    expect(chat.send('bc:new').text).toContain('Dit kan alleen een vrijwilliger');
    expect(b.status).toBe('pending');
  });

  it('with one initiative the question is skipped and a draft is created with a key found again next turn', () => {
    const chat = new Chat(w, AMB);
    const t = chat.send('/broadcast');
    expect(chat.step).toBe('audience');
    expect(t.commands).toEqual([{ op: 'create', initiativeId: A, draftKey: expect.stringMatching(/^k[0-9a-z]+p[0-9a-z]+$/) }]);
    chat.send('bc:a:reg');
    expect((chat.state as { data: { bid?: number } }).data.bid).toBe(draft()?.id);
  });

  it('an ambassador of A and C picks among A and C only; B (forged) is refused and nothing is created', () => {
    addPerson(w, 11, [
      { initiativeId: A, role: 'ambassador' },
      { initiativeId: B, role: 'parent' },
      { initiativeId: C, role: 'ambassador' },
    ]);
    const chat = new Chat(w, 11);
    const t = chat.send('/broadcast');
    expect(chat.step).toBe('initiative');
    expect(t.values).toEqual([`bc:ini:${A}`, `bc:ini:${C}`, 'bc:back', 'bc:stop']);
    expect(t.text).toContain('Voor welk initiatief');
    const forged = chat.send(`bc:ini:${B}`);
    expect(forged.text).toContain('Dit kan alleen een vrijwilliger');
    expect(forged.effects).toEqual([]);
    expect(chat.step).toBe('initiative');
    const ok = chat.send(`bc:ini:${C}`);
    expect(ok.commands).toEqual([{ op: 'create', initiativeId: C, draftKey: expect.any(String) }]);
    expect(ok.text).toContain('Samen naar Het Anker');
    // Back to the initiative question drops that draft; another initiative gets a new one.
    const back = chat.send('bc:back');
    expect(chat.step).toBe('initiative');
    expect(back.commands).toEqual([{ op: 'cancel', broadcastId: draft()?.id }]);
  });

  it('a role taken away mid-way: the next turn is refused and nothing is written', () => {
    const chat = atDutch();
    const person = w.people.get(AMB);
    if (person) person.memberships = [{ initiativeId: A, role: 'parent', languages: null }];
    const t = chat.send('Hallo allemaal');
    expect(t.text).toContain('Dit kan alleen een vrijwilliger');
    expect(t.effects).toEqual([]);
    expect(chat.flow).not.toBe('broadcast');
  });

  it('/broadcast while writing one goes on where the author was', () => {
    const chat = atDutch();
    const t = chat.send('/broadcast');
    expect(t.text).toContain('We gaan verder waar je was');
    expect(t.text).toContain('Typ je bericht in het Nederlands');
    expect(t.commands).toEqual([]);
    expect(chat.step).toBe('version');
  });

  it('a draft that is gone (cancelled elsewhere) ends the conversation kindly', () => {
    const chat = atDutch();
    const b = draft();
    if (b) b.status = 'cancelled';
    const t = chat.send('Hallo');
    expect(t.text).toContain('kan ik niet meer vinden');
    expect(t.effects).toEqual([]);
  });
});

describe('on WhatsApp', () => {
  it('BERICHT STUREN, BROADCAST, MESAJ GÖNDER and /broadcast start it; a whole WhatsApp conversation works with numbered answers', () => {
    const locales = loadLocales(DEFAULT_LOCALES_DIR);
    const keywords = buildKeywordIndex(createI18n(locales), locales.languages.map((l) => l.code));
    for (const typed of ['Bericht sturen', 'BROADCAST', 'mesaj gönder', '/broadcast']) expect(mapWhatsAppText(typed, undefined, keywords), typed).toEqual({ kind: 'command', command: 'broadcast', args: '' });
    const chat = new Chat(w, AMB, 'whatsapp');
    chat.send({ kind: 'command', command: 'broadcast', args: '' });
    chat.send('bc:a:done');
    chat.send('Beste ouders');
    chat.send('bc:noflyer');
    const voice = chat.send({ kind: 'media', media: { type: 'voice', ref: 'wamid-media-1', mimeType: 'audio/ogg; codecs=opus' } });
    expect(voice.commands[0]).toMatchObject({ op: 'versionMedia', lang: 'tr', channel: 'whatsapp' });
  });
});

describe('the audience: filters, counts at once, never names', () => {
  it('shows the count and how many read each language, under 5 as "minder dan 5"', () => {
    const t = new Chat(w, AMB).send('/broadcast');
    expect(t.text).toContain('Voor: alle ouders van Samen naar De Regenboog.');
    expect(t.text).toContain('Dit bericht gaat naar 37 ouders.');
    expect(t.text).toContain('• Türkçe: 12');
    expect(t.text).toContain('• العربية: minder dan 5');
    w.broadcasts.count = () => ({ total: 'fewer-than-5', byLanguage: [{ lang: 'nl', count: 'fewer-than-5' }] });
    expect(new Chat(w, COORD).send('/broadcast').text).toContain('Dit bericht gaat naar minder dan 5 ouders.');
  });

  it('born between two months: years, then months (the second month not before the first)', () => {
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    expect(chat.send('bc:a:born').values).toContain('bc:y:2022');
    expect(chat.send('bc:y:1990').text).toContain('Deze knop hoort bij een oud bericht'); // not offered
    chat.send('bc:y:2024');
    const months = chat.send('bc:m:3');
    expect(chat.step).toBe('bornToYear');
    expect(months.values).not.toContain('bc:y:2023');
    const to = chat.send('bc:y:2024');
    expect(to.values).not.toContain('bc:m:2');
    expect(to.values).toContain('bc:m:3');
    const hub = chat.send('bc:m:9');
    expect(chat.step).toBe('audience');
    expect(hub.text).toContain('kind geboren van maart 2024 tot en met september 2024');
    expect(w.broadcasts.counted.at(-1)).toEqual({ bornFrom: '2024-03', bornTo: '2024-09' });
  });

  it('every other filter narrows, shows the count again, and "Weer alle ouders" clears them', () => {
    w.events.push(event(7, A, '2027-03-06T09:00:00Z', 'Speelochtend'), event(8, B, '2027-03-07T09:00:00Z', 'Ander feest'));
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    chat.send('bc:a:t3');
    expect(chat.send('bc:t3:6').text).toContain('kind wordt 3 binnen 6 maanden');
    chat.send('bc:a:reg');
    expect(chat.send('bc:reg:no').text).toContain('kind is nog niet aangemeld op school');
    const events = chat.send('bc:a:ev');
    expect(events.values).toEqual(['bc:ev:7', 'bc:back', 'bc:stop']);
    expect(labelOf(events, 'bc:ev:7')).toContain('Speelochtend');
    // Another initiative's event: refused, nothing set.
    expect(chat.send('bc:ev:8').text).toContain('hoort niet bij dit initiatief');
    chat.send('bc:ev:7');
    expect(chat.send('bc:rsvp:maybe').text).toContain('zei misschien op: Speelochtend');
    chat.send('bc:a:int');
    expect(chat.send('bc:int:nonsense').text).toContain('Deze knop hoort bij een oud bericht');
    expect(chat.send('bc:int:open_morning').text).toContain('wil helpen met:');
    chat.send('bc:a:lang');
    chat.send('bc:lg:tr');
    const picked = chat.send('bc:lg:ar');
    expect(labelOf(picked, 'bc:lg:tr')).toBe('✓ Türkçe');
    expect(chat.send('bc:lgdone').text).toContain('leest: Türkçe, العربية');
    chat.send('bc:a:silent');
    expect(chat.send('bc:sw:8').text).toContain('stuurde ons 8 weken of langer niets');
    expect(w.broadcasts.counted.at(-1)).toEqual({
      turns3WithinMonths: 6,
      registered: false,
      rsvp: { eventId: 7, answers: ['maybe'] },
      interest: 'open_morning',
      languages: ['tr', 'ar'],
      silentWeeks: 8,
    });
    const all = chat.send('bc:a:all');
    expect(all.text).toContain('Voor: alle ouders');
    expect(w.broadcasts.counted.at(-1)).toEqual({});
  });

  it('unpicking every language removes the language filter', () => {
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    chat.send('bc:a:lang');
    chat.send('bc:lg:tr');
    chat.send('bc:lg:tr');
    chat.send('bc:lgdone');
    expect(w.broadcasts.counted.at(-1)).toEqual({});
  });

  it('free text where a button is expected: "please choose" and the question again', () => {
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    const t = chat.send('alle ouders graag');
    expect(t.text).toContain('Kies een van de knoppen hieronder.');
    expect(t.text).toContain('Voor wie is het bericht?');
    expect(t.effects).toEqual([]);
    expect(chat.send({ kind: 'media', media: { type: 'photo', ref: 'p1' } }).text).toContain('Een bestand kan ik hier niet gebruiken');
  });

  it('nobody in the group: the author is asked to widen it', () => {
    w.broadcasts.count = () => ({ total: 0, byLanguage: [] });
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    const t = chat.send('bc:a:done');
    expect(t.text).toContain('Er zijn geen ouders in deze groep');
    expect(chat.step).toBe('audience');
    expect(t.commands).toEqual([]);
  });

  it('"Klaar" saves the audience and asks the Dutch text first, then the languages of the audience by size', () => {
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    chat.send('bc:a:reg');
    chat.send('bc:reg:yes');
    const t = chat.send('bc:a:done');
    expect(t.commands).toEqual([{ op: 'audience', broadcastId: draft()?.id, audience: { registered: true } }]);
    expect((chat.state as { data: { langs: string[] } }).data.langs).toEqual(['nl', 'tr', 'ar']);
    expect(t.text).toContain('Typ je bericht in het Nederlands');
  });
});

describe('versions: Dutch first, text or a voice note per language, skip', () => {
  it('Dutch text, a flyer, a Turkish voice note and Arabic skipped', () => {
    const chat = atDutch();
    const nl = chat.send('Beste ouders, zaterdag is er een speelochtend.');
    expect(nl.commands).toEqual([{ op: 'version', broadcastId: draft()?.id, lang: 'nl', text: 'Beste ouders, zaterdag is er een speelochtend.', machine: false }]);
    expect(nl.text).toContain('Bewaard voor Nederlands: tekst.');
    expect(chat.step).toBe('flyer');
    // A voice note is not a flyer.
    expect(chat.send({ kind: 'media', media: { type: 'voice', ref: 'v0' } }).text).toContain('alleen een foto of een pdf');
    const flyer = chat.send({ kind: 'media', media: { type: 'document', ref: 'doc1', mimeType: 'application/pdf', filename: 'flyer.pdf' }, caption: 'flyer' });
    expect(flyer.commands).toEqual([{ op: 'versionMedia', broadcastId: draft()?.id, lang: 'nl', channel: 'telegram', media: { type: 'document', ref: 'doc1', mimeType: 'application/pdf', filename: 'flyer.pdf' } }]);
    expect(flyer.text).toContain('Nu het bericht voor ouders die Türkçe lezen');
    const voice = chat.send({ kind: 'media', media: { type: 'voice', ref: 'v1', mimeType: 'audio/ogg', durationSeconds: 14 } });
    expect(voice.commands).toEqual([{ op: 'versionMedia', broadcastId: draft()?.id, lang: 'tr', channel: 'telegram', media: { type: 'voice', ref: 'v1', mimeType: 'audio/ogg', durationSeconds: 14 } }]);
    expect(voice.text).toContain('Bewaard voor Türkçe: spraakbericht.');
    expect(voice.text).toContain('ouders die العربية lezen');
    chat.send('bc:skip');
    expect(chat.step).toBe('preview');
    expect(draft()?.versions.map((v) => [v.lang, v.text, v.media?.type ?? null])).toEqual([
      ['nl', 'Beste ouders, zaterdag is er een speelochtend.', 'document'],
      ['tr', null, 'voice'],
    ]);
  });

  it('Dutch is required: no skip, and a voice note alone asks for the Dutch text too', () => {
    const chat = atDutch();
    expect(chat.send('bc:skip').text).toContain('Deze knop hoort bij een oud bericht');
    const t = chat.send({ kind: 'media', media: { type: 'voice', ref: 'v1' } });
    expect(t.text).toContain('Typ ook een tekst in het Nederlands');
    expect(chat.step).toBe('version');
    chat.send('Beste ouders');
    // The Dutch version has a voice note already: no flyer question.
    expect(chat.step).toBe('version');
    expect((chat.state as { data: { li: number } }).data.li).toBe(1);
  });

  it('a photo with a caption is text and photo; a non-PDF file and an over-long text are refused kindly', () => {
    const chat = atDutch();
    chat.send({ kind: 'media', media: { type: 'photo', ref: 'ph1' }, caption: 'Kom zaterdag spelen!' });
    expect(draft()?.versions[0]).toMatchObject({ lang: 'nl', text: 'Kom zaterdag spelen!', media: { type: 'photo' } });
    expect(chat.step).toBe('version'); // a photo already: no flyer question
    const word = chat.send({ kind: 'media', media: { type: 'document', ref: 'd1', mimeType: 'application/msword' } });
    expect(word.text).toContain('Dit bestand kan ik niet gebruiken');
    expect(word.effects).toEqual([]);
    const long = chat.send('a'.repeat(3001));
    expect(long.text).toContain('korter dan 3000 tekens');
    expect(long.effects).toEqual([]);
  });

  it('back goes one language back, to the audience from Dutch; a kept version stays', () => {
    const chat = atDutch();
    chat.send('Beste ouders');
    chat.send('bc:noflyer');
    const back = chat.send('bc:back');
    expect(back.text).toContain('Versie Nederlands:');
    expect(back.values).toContain('bc:keep');
    const keep = chat.send('bc:keep');
    expect(keep.effects).toEqual([]);
    expect(chat.step).toBe('flyer');
    chat.send('bc:back');
    chat.send('bc:back');
    expect(chat.step).toBe('audience');
  });
});

describe('machine drafts (only with translation configured)', () => {
  it('no translation: no button, and a forged press does nothing', () => {
    const chat = atDutch();
    const tr = chat.send('Beste ouders');
    expect(tr.values).not.toContain('bc:draft');
    chat.send('bc:noflyer');
    const t = chat.send('bc:draft');
    expect(t.text).toContain('Deze knop hoort bij een oud bericht');
    expect(t.commands).toEqual([]);
  });

  it('drafts are asked for the missing languages, shown marked, and need approval or an edit', () => {
    w.broadcasts.translation = true;
    const chat = atDutch();
    chat.send('Beste ouders, zaterdag is er een speelochtend.');
    const tr = chat.send('bc:noflyer');
    expect(labelOf(tr, 'bc:draft')).toBe('Laat de computer vertalen');
    const asked = chat.send('bc:draft');
    expect(asked.commands).toEqual([{ op: 'requestDrafts', broadcastId: draft()?.id, languages: ['tr', 'ar'] }]);
    expect(asked.text).toContain('De computer maakt nu een vertaling voor: Türkçe, العربية');
    expect(asked.text).toContain('Nog niet klaar: Türkçe, العربية');
    // The translation service answers (the database side writes machine versions).
    const id = draft()?.id ?? 0;
    w.broadcasts.apply(AMB, { op: 'version', broadcastId: id, lang: 'tr', text: 'Sevgili veliler', machine: true }, w.now);
    w.broadcasts.apply(AMB, { op: 'version', broadcastId: id, lang: 'ar', text: 'أعزائي الآباء', machine: true }, w.now);
    const shown = chat.send('bc:drafts');
    expect(shown.text).toContain('Vertaling door de computer (Türkçe):');
    expect(shown.text).toContain('Sevgili veliler');
    expect(shown.values).toEqual(expect.arrayContaining(['bc:ok:tr', 'bc:edit:tr', 'bc:ok:ar', 'bc:edit:ar', 'bc:preview']));
    // Unapproved drafts are not sent: the preview says so and shows the fallback.
    const early = chat.send('bc:preview');
    expect(early.text).toContain('Nog niet goedgekeurd: Türkçe, العربية');
    expect(early.text).toContain('Ouders die Türkçe lezen (12). Er is geen versie in hun taal.');
    chat.send('bc:back'); // to the last language
    chat.send('bc:back');
    chat.send('bc:draft'); // nothing missing now
    const ok = chat.send('bc:ok:tr');
    expect(ok.commands).toEqual([{ op: 'approveVersion', broadcastId: id, lang: 'tr' }]);
    expect(ok.text).toContain('Goedgekeurd: Türkçe.');
    expect(ok.text).not.toContain('Sevgili veliler');
    expect(chat.send('bc:ok:tr').text).toContain('Deze knop hoort bij een oud bericht');
    const edit = chat.send('bc:edit:ar');
    expect(edit.text).toContain('Vertaling door de computer (العربية)');
    const typed = chat.send('مرحبا أيها الآباء');
    expect(typed.commands).toEqual([{ op: 'version', broadcastId: id, lang: 'ar', text: 'مرحبا أيها الآباء', machine: false }]);
    expect(chat.step).toBe('drafts');
    expect(typed.text).toContain('Alle vertalingen zijn nagekeken');
    const preview = chat.send('bc:preview');
    expect(preview.text).not.toContain('Nog niet goedgekeurd');
    expect(preview.text).toContain('Ouders die Türkçe lezen (12):\n\nSevgili veliler');
  });
});

describe('a language the translation server cannot do', () => {
  it('is named once ("write or record it yourself"), not awaited for ever; a running request still waits', () => {
    w.broadcasts.translation = true;
    const chat = atDutch();
    chat.send('Beste ouders, zaterdag is er een speelochtend.');
    chat.send('bc:noflyer');
    w.broadcasts.drafts = { finished: false, failed: [] };
    expect(chat.send('bc:draft').text).toContain('Nog niet klaar: Türkçe, العربية');
    // The job finished: Turkish got a draft, Arabic could not be done.
    w.broadcasts.apply(AMB, { op: 'version', broadcastId: draft()?.id ?? 0, lang: 'tr', text: 'Sevgili veliler', machine: true }, w.now);
    w.broadcasts.drafts = { finished: true, failed: ['ar'] };
    const shown = chat.send('bc:drafts');
    expect(shown.text).toContain('Geen concept gelukt voor: العربية. Schrijf of spreek die zelf in, of sla ze over');
    expect(shown.text).not.toContain('Nog niet klaar');
    expect(shown.values).toEqual(expect.arrayContaining(['bc:ok:tr', 'bc:edit:tr', 'bc:preview']));
  });
});

describe('preview, timing and confirmation', () => {
  it('the preview shows each group as it will read it, the fallback with its note, and the WhatsApp notice', () => {
    const t = atPreview().send('bc:preview');
    expect(t.text).toContain('Ouders die Nederlands lezen (20):\n\nBeste ouders, zaterdag is er een speelochtend.');
    expect(t.text).toContain('Ouders die Türkçe lezen (12):\n\nSevgili veliler');
    expect(t.text).toContain('Ouders die العربية lezen (minder dan 5). Er is geen versie in hun taal.');
    // The note is in the reader's language; its "help" button does nothing in the preview.
    const arabic = t.messages.find((m) => m.text.includes('العربية lezen'));
    expect(arabic?.text).toMatch(/[\u0600-\u06FF]{3,}/);
    expect(arabic?.choices?.flat().map((c) => c.value)).toEqual(['bc:pv']);
    expect(t.text).toContain('Ouders op WhatsApp die ons de laatste 24 uur niet schreven');
    const chat = new Chat(w, AMB);
    chat.state = null;
    expect(chat.send('bc:pv').text).toContain('Dit is alleen een voorbeeld');
  });

  it('a voice note is previewed with its file; a file sent this turn is previewed on the next tap', () => {
    const chat = atDutch();
    chat.send('Beste ouders');
    chat.send('bc:noflyer');
    chat.send('bc:skip');
    const voice = chat.send({ kind: 'media', media: { type: 'voice', ref: 'v9' } });
    expect(chat.step).toBe('preview');
    expect(voice.text).toContain('Tik op de knop om het voorbeeld te zien');
    const preview = chat.send('bc:preview');
    const arabic = preview.result.replies.find((r) => JSON.stringify(r.text).includes('"lng":"ar"'));
    expect(arabic?.media).toEqual({ mediaId: expect.any(Number), type: 'voice' });
  });

  it('"Een taal aanpassen" edits one language and comes back to the preview', () => {
    const chat = atPreview();
    const fix = chat.send('bc:fix');
    expect(fix.values).toEqual(expect.arrayContaining(['bc:edit:nl', 'bc:edit:tr', 'bc:edit:ar']));
    chat.send('bc:edit:nl');
    const t = chat.send('Beste ouders, het is zondag!');
    expect(chat.step).toBe('preview');
    expect(t.text).toContain('Ouders die Nederlands lezen (20):\n\nBeste ouders, het is zondag!');
  });

  it('now: the moment is saved and the author confirms; it is scheduled', () => {
    const chat = atPreview();
    chat.send('bc:next');
    const now = chat.send('bc:now');
    expect(now.commands).toEqual([{ op: 'timing', broadcastId: draft()?.id, sendAt: null }]);
    expect(now.text).toContain('Klaar om te versturen: naar 37 ouders van Samen naar De Regenboog, meteen.');
    expect(now.text).toContain('• Türkçe: tekst');
    expect(now.text).not.toContain('coördinator kijkt eerst');
    const sent = chat.send('bc:send');
    expect(sent.commands).toEqual([{ op: 'submit', broadcastId: draft()?.id }]);
    expect(sent.text).toContain('Je bericht gaat nu weg');
    expect(draft()?.status).toBe('scheduled');
    expect(chat.flow).toBe('staff');
  });

  it('later: a day and a time in the initiative\'s time zone; the past is refused kindly', () => {
    const chat = atPreview();
    chat.send('bc:next');
    chat.send('bc:later');
    expect(chat.send('31-02').text).toContain('Die datum begrijp ik niet');
    expect(chat.send('28-02-2027').text).toContain('Dat moment is al voorbij');
    expect(chat.send('1-1-2028').text).toContain('Dat is te ver weg');
    const today = chat.send('bc:day:2027-03-01');
    // 10:00 in Amsterdam now: only later times are offered.
    expect(today.values).toEqual(['bc:time:1200', 'bc:time:1400', 'bc:time:1600', 'bc:time:1900', 'bc:back', 'bc:stop']);
    expect(chat.send('9:30').text).toContain('Dat moment is al voorbij');
    expect(chat.send('25:00').text).toContain('Die tijd begrijp ik niet');
    const late = chat.send('21:15');
    expect(late.text).toContain('tussen 20:00 en 08:30 sturen we meestal geen berichten');
    expect(late.commands).toEqual([{ op: 'timing', broadcastId: draft()?.id, sendAt: new Date('2027-03-01T20:15:00Z') }]);
    chat.send('bc:back'); // to "when?"
    chat.send('bc:later');
    chat.send('15-3'); // typed, without a year
    const summer = chat.send('bc:time:1400');
    expect(summer.commands).toEqual([{ op: 'timing', broadcastId: draft()?.id, sendAt: new Date('2027-03-15T13:00:00Z') }]);
    expect(summer.text).toContain('maandag 15 maart om 14:00');
    const sent = chat.send('bc:send');
    expect(sent.text).toContain('Je bericht gaat weg op maandag 15 maart om 14:00');
  });

  it('a moment that passed while the author waited is asked again', () => {
    const chat = atPreview();
    chat.send('bc:next');
    chat.send('bc:later');
    chat.send('bc:day:2027-03-01');
    chat.send('bc:time:1200');
    w.now = new Date('2027-03-01T11:30:00Z');
    const t = chat.send('bc:send');
    expect(t.text).toContain('Het gekozen moment is inmiddels voorbij');
    expect(t.commands).toEqual([]);
    expect(chat.step).toBe('timing');
  });

  it('with approval required an ambassador\'s broadcast waits for a coordinator; a coordinator\'s does not', () => {
    w.broadcasts.required.add(A);
    const chat = atPreview();
    chat.send('bc:next');
    expect(chat.send('bc:now').text).toContain('Een coördinator kijkt eerst naar je bericht');
    expect(chat.send('bc:send').text).toContain('Je bericht wacht nu op een coördinator');
    expect(draft()?.status).toBe('pending');
    const coord = atPreview(atDutch(new Chat(w, COORD)));
    coord.send('bc:next');
    expect(coord.send('bc:now').text).not.toContain('coördinator kijkt eerst');
    coord.send('bc:send');
    expect(draft()?.status).toBe('scheduled');
  });

  it('back from every step of the end goes one step back; stop cancels the draft', () => {
    const chat = atPreview();
    chat.send('bc:next');
    chat.send('bc:later');
    chat.send('bc:day:2027-03-02');
    chat.send('bc:time:0900');
    const steps: string[] = [];
    for (let i = 0; i < 5; i++) {
      chat.send('bc:back');
      steps.push(`${chat.step ?? ''}${(chat.state as { data: { li?: number } }).data.li ?? ''}`);
    }
    // confirm → when? → preview → Arabic → Turkish → Dutch (its flyer question comes after it again).
    expect(steps).toEqual(['timing2', 'preview2', 'version2', 'version1', 'version0']);
    const stop = chat.send('bc:stop');
    expect(stop.text).toContain('Gestopt. Het bericht is niet verstuurd.');
    expect(stop.commands).toEqual([{ op: 'cancel', broadcastId: draft()?.id }]);
    expect(chat.flow).toBe('staff');
    // An old button of the finished conversation is stale.
    expect(chat.send('bc:next').text).toContain('Deze knop hoort bij een oud bericht');
  });

  it('back from the audience with one initiative ends (the draft is dropped)', () => {
    const chat = new Chat(w, AMB);
    chat.send('/broadcast');
    chat.send('bc:a:t3');
    const hub = chat.send('bc:back');
    expect(chat.step).toBe('audience');
    expect(hub.commands).toEqual([]);
    const out = chat.send('bc:back');
    expect(out.commands).toEqual([{ op: 'cancel', broadcastId: draft()?.id }]);
    expect(chat.flow).toBe('staff');
  });
});
