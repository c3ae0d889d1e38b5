/**
 * Broadcast buttons outside the composition (pure flow tests): the staff menu's items, the
 * coordinator's approvals and the "approval required" rule, pause/resume/cancel of a running
 * broadcast, each checked on the broadcast's own initiative; and the parent's second language
 * in the message settings.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { A, addPerson, B, Chat, createWorld, labelOf, type World } from './broadcast-fake.js';

let w: World;
const AMB = 10;
const AMB2 = 11;
const COORD = 20;
const COORD_B = 21;

beforeEach(() => {
  w = createWorld('2027-03-01T09:00:00Z');
  addPerson(w, AMB, [{ initiativeId: A, role: 'ambassador' }]);
  addPerson(w, AMB2, [{ initiativeId: A, role: 'ambassador' }]);
  addPerson(w, COORD, [{ initiativeId: A, role: 'coordinator' }]);
  addPerson(w, COORD_B, [{ initiativeId: B, role: 'coordinator' }]);
});

const pendingOfA = () =>
  w.broadcasts.add({
    initiativeId: A,
    authorId: AMB,
    status: 'pending',
    needsApproval: true,
    versions: [
      { lang: 'nl', text: 'Beste ouders, zaterdag is er een speelochtend.', media: null, machine: false, approved: true },
      { lang: 'tr', text: null, media: { mediaId: 5, type: 'voice' }, machine: false, approved: true },
    ],
  });

describe('the staff menu', () => {
  it('an ambassador sees "Bericht sturen" and no approvals; the old "coming soon" line is gone', () => {
    const t = new Chat(w, AMB).send('/staff');
    expect(labelOf(t, 'bc:new')).toBe('Bericht sturen');
    expect(t.values.filter((v) => v.startsWith('bc:'))).toEqual(['bc:new']);
    expect(t.text).not.toContain('Binnenkort');
  });

  it('a coordinator sees the approval rule, the broadcasts waiting and their own running ones', () => {
    const chat = new Chat(w, COORD);
    let t = chat.send('/staff');
    expect(labelOf(t, `bc:req:${A}:on`)).toBe('Berichten van ambassadeurs eerst goedkeuren (Samen naar De Regenboog)');
    expect(t.values).not.toContain('bc:pending');
    pendingOfA();
    w.broadcasts.add({ initiativeId: A, authorId: COORD, status: 'sending' });
    w.broadcasts.required.add(A);
    t = chat.send('/staff');
    expect(labelOf(t, 'bc:pending')).toBe('Berichten om goed te keuren (1)');
    expect(labelOf(t, 'bc:active')).toBe('Lopende berichten (1)');
    expect(labelOf(t, `bc:req:${A}:off`)).toBe('Berichten van ambassadeurs niet meer goedkeuren (Samen naar De Regenboog)');
    // "Bericht sturen" starts the conversation.
    chat.send('bc:new');
    expect(chat.flow).toBe('broadcast');
  });

  it('the approval rule: a coordinator switches it, staying the same writes nothing; others are refused', () => {
    const on = new Chat(w, COORD).send(`bc:req:${A}:on`);
    expect(on.commands).toEqual([{ op: 'requireApproval', initiativeId: A, required: true }]);
    expect(on.text).toContain('Vanaf nu keurt een coördinator de berichten van ambassadeurs van Samen naar De Regenboog eerst goed.');
    expect(on.values).toContain('staff:menu');
    expect(new Chat(w, COORD).send(`bc:req:${A}:on`).commands).toEqual([]);
    const off = new Chat(w, COORD).send(`bc:req:${A}:off`);
    expect(off.commands).toEqual([{ op: 'requireApproval', initiativeId: A, required: false }]);
    for (const [who, value] of [
      [AMB, `bc:req:${A}:on`],
      [COORD, `bc:req:${B}:on`],
      [COORD_B, `bc:req:${A}:off`],
    ] as const) {
      const t = new Chat(w, who).send(value);
      expect(t.text, `${who} ${value}`).toContain('Dit kan alleen een vrijwilliger');
      expect(t.effects).toEqual([]);
    }
  });
});

describe('approvals', () => {
  it('the coordinator sees each version as its readers will, the fallback languages, and approves', () => {
    const b = pendingOfA();
    const list = new Chat(w, COORD).send('bc:pending');
    expect(list.text).toContain('Bericht om goed te keuren');
    expect(list.text).toContain('Van een ambassadeur van Samen naar De Regenboog. Naar 37 ouders, meteen.');
    expect(list.text).toContain('Ouders die Nederlands lezen (20):\n\nBeste ouders, zaterdag is er een speelochtend.');
    expect(list.result.replies.some((r) => r.media?.type === 'voice')).toBe(true);
    expect(list.text).toContain('Geen versie in: العربية');
    expect(list.values).toEqual(expect.arrayContaining([`bc:approve:${b.id}`, `bc:reject:${b.id}`]));
    const ok = new Chat(w, COORD).send(`bc:approve:${b.id}`);
    expect(ok.commands).toEqual([{ op: 'approve', broadcastId: b.id }]);
    expect(ok.text).toContain('Goedgekeurd. Het bericht gaat weg: meteen.');
    // Pressed again (or by a second coordinator): no longer waiting, nothing written.
    const again = new Chat(w, COORD).send(`bc:approve:${b.id}`);
    expect(again.text).toContain('Dit bericht wacht niet meer op goedkeuring. Het is nu: gepland.');
    expect(again.effects).toEqual([]);
  });

  it('a coordinator rejects; the list is empty afterwards', () => {
    const b = pendingOfA();
    const no = new Chat(w, COORD).send(`bc:reject:${b.id}`);
    expect(no.commands).toEqual([{ op: 'reject', broadcastId: b.id }]);
    expect(no.text).toContain('Afgekeurd');
    expect(new Chat(w, COORD).send('bc:pending').text).toContain('Er zijn geen berichten om goed te keuren');
  });

  it('an ambassador, or a coordinator of another initiative, cannot approve; an unknown id is answered kindly', () => {
    const b = pendingOfA();
    for (const who of [AMB, AMB2, COORD_B]) {
      for (const value of [`bc:approve:${b.id}`, `bc:reject:${b.id}`]) {
        const t = new Chat(w, who).send(value);
        expect(t.text, `${who} ${value}`).toContain('Dit kan alleen een vrijwilliger');
        expect(t.effects).toEqual([]);
      }
    }
    expect(new Chat(w, AMB).send('bc:pending').text).toContain('Dit kan alleen een vrijwilliger');
    expect(new Chat(w, COORD_B).send('bc:pending').text).toContain('Er zijn geen berichten om goed te keuren');
    for (const value of ['bc:approve:999', 'bc:approve:abc', 'bc:pause:999']) expect(new Chat(w, COORD).send(value).text).toContain('Dit bericht kan ik niet vinden');
    expect(b.status).toBe('pending');
  });

  it('approving while writing a broadcast keeps the author where they were', () => {
    const b = pendingOfA();
    const chat = new Chat(w, COORD);
    chat.send('/broadcast');
    const t = chat.send(`bc:approve:${b.id}`);
    expect(t.commands).toEqual([{ op: 'approve', broadcastId: b.id }]);
    expect(chat.flow).toBe('broadcast');
    expect(chat.step).toBe('audience');
    expect(t.text).toContain('Voor wie is het bericht?');
  });
});

describe('a rejected broadcast is changed and sent again', () => {
  it('its author opens it at the preview, changes a language and submits; others cannot', () => {
    const b = pendingOfA();
    b.status = 'rejected';
    for (const who of [AMB2, COORD_B]) expect(new Chat(w, who).send(`bc:redo:${b.id}`).text).toContain('Dit kan alleen een vrijwilliger');
    const chat = new Chat(w, AMB);
    const t = chat.send(`bc:redo:${b.id}`);
    expect(chat.step).toBe('preview');
    expect(t.text).toContain('Ouders die Nederlands lezen (20):\n\nBeste ouders, zaterdag is er een speelochtend.');
    chat.send('bc:fix');
    chat.send('bc:edit:nl');
    expect(chat.send('Beste ouders, de speelochtend is zondag.').commands).toEqual([{ op: 'version', broadcastId: b.id, lang: 'nl', text: 'Beste ouders, de speelochtend is zondag.', machine: false }]);
    chat.send('bc:next');
    chat.send('bc:now');
    expect(chat.send('bc:send').commands).toEqual([{ op: 'submit', broadcastId: b.id }]);
    const sent = w.broadcasts.add({ initiativeId: A, authorId: AMB, status: 'scheduled' });
    expect(new Chat(w, AMB).send(`bc:redo:${sent.id}`).text).toContain('Dat kan nu niet. Het bericht is: gepland.');
  });
});

describe('pause, resume and cancel', () => {
  it('the author pauses, resumes and cancels (after a question) their running broadcast', () => {
    const b = w.broadcasts.add({ initiativeId: A, authorId: AMB, status: 'sending' });
    const chat = new Chat(w, AMB);
    const list = chat.send('bc:active');
    expect(list.text).toContain('Samen naar De Regenboog: wordt verstuurd, meteen');
    expect(list.text).toContain('“Hallo ouders”');
    expect(list.values).toEqual(expect.arrayContaining([`bc:pause:${b.id}`, `bc:cancel:${b.id}`]));
    const paused = chat.send(`bc:pause:${b.id}`);
    expect(paused.commands).toEqual([{ op: 'pause', broadcastId: b.id }]);
    expect(paused.values).toEqual(expect.arrayContaining([`bc:resume:${b.id}`, `bc:cancel:${b.id}`]));
    expect(chat.send(`bc:pause:${b.id}`).text).toContain('Dat kan nu niet. Het bericht is: op pauze.');
    expect(chat.send(`bc:resume:${b.id}`).commands).toEqual([{ op: 'resume', broadcastId: b.id }]);
    const ask = chat.send(`bc:cancel:${b.id}`);
    expect(ask.effects).toEqual([]);
    expect(ask.text).toContain('Wil je dit bericht echt stoppen?');
    expect(ask.values).toEqual([`bc:cancelok:${b.id}`, 'bc:active', 'staff:menu']);
    const done = chat.send(`bc:cancelok:${b.id}`);
    expect(done.commands).toEqual([{ op: 'cancel', broadcastId: b.id }]);
    expect(chat.send(`bc:cancelok:${b.id}`).text).toContain('Het bericht is: gestopt');
    expect(chat.send('bc:active').text).toContain('Er lopen nu geen berichten van jou');
  });

  it('a coordinator of the initiative may pause anyone\'s broadcast; another ambassador or another initiative\'s coordinator may not', () => {
    const b = w.broadcasts.add({ initiativeId: A, authorId: AMB, status: 'sending' });
    for (const who of [AMB2, COORD_B]) {
      const t = new Chat(w, who).send(`bc:pause:${b.id}`);
      expect(t.text).toContain('Dit kan alleen een vrijwilliger');
      expect(t.effects).toEqual([]);
    }
    expect(new Chat(w, COORD).send(`bc:pause:${b.id}`).commands).toEqual([{ op: 'pause', broadcastId: b.id }]);
  });

  it("a coordinator's list of running broadcasts holds everyone's on their initiative, never another initiative's", () => {
    const mine = w.broadcasts.add({ initiativeId: A, authorId: AMB, status: 'sending' });
    const elsewhere = w.broadcasts.add({ initiativeId: B, authorId: COORD_B, status: 'sending' });
    const list = new Chat(w, COORD).send('bc:active');
    expect(list.values).toEqual(expect.arrayContaining([`bc:pause:${mine.id}`]));
    expect(list.values).not.toContain(`bc:pause:${elsewhere.id}`);
    // The ambassador who wrote it sees it too; another ambassador does not.
    expect(new Chat(w, AMB).send('bc:active').values).toContain(`bc:pause:${mine.id}`);
    expect(new Chat(w, AMB2).send('bc:active').values).not.toContain(`bc:pause:${mine.id}`);
  });

  it('an author who lost the role cannot act on their old broadcast; a finished one cannot be changed', () => {
    const b = w.broadcasts.add({ initiativeId: A, authorId: AMB, status: 'sending' });
    const person = w.people.get(AMB);
    if (person) person.memberships = [{ initiativeId: A, role: 'parent', languages: null }];
    expect(new Chat(w, AMB).send(`bc:pause:${b.id}`).text).toContain('Dit kan alleen een vrijwilliger');
    const done = w.broadcasts.add({ initiativeId: A, authorId: COORD, status: 'done' });
    for (const value of [`bc:pause:${done.id}`, `bc:resume:${done.id}`, `bc:cancel:${done.id}`, `bc:cancelok:${done.id}`]) {
      const t = new Chat(w, COORD).send(value);
      expect(t.text).toContain('Het bericht is: verstuurd');
      expect(t.effects).toEqual([]);
    }
  });
});

describe("the parent's second language", () => {
  it('a Turkish parent chooses English for messages not in Turkish', () => {
    addPerson(w, 40, [{ initiativeId: A, role: 'parent' }], 'tr');
    const chat = new Chat(w, 40);
    const settings = chat.send('menu:messages');
    expect(settings.values).toContain('msg:fb');
    const ask = chat.send('msg:fb');
    expect(ask.values).toEqual(['msg:fb:nl', 'msg:fb:en', 'menu:messages']);
    const saved = chat.send('msg:fb:en');
    expect(saved.effects).toEqual([{ type: 'setProfile', patch: { fallbackLanguage: 'en' } }]);
    expect(labelOf(saved, 'msg:fb')).toContain('English');
    const person = w.people.get(40);
    if (person) person.fallbackLanguage = 'en';
    expect(chat.send('msg:fb:en').effects).toEqual([]);
    expect(chat.send('msg:fb:nl').effects).toEqual([{ type: 'setProfile', patch: { fallbackLanguage: null } }]);
  });

  it('a parent who reads Dutch or English is not asked', () => {
    addPerson(w, 41, [{ initiativeId: A, role: 'parent' }], 'nl');
    const chat = new Chat(w, 41);
    expect(chat.send('menu:messages').values).not.toContain('msg:fb');
    const forged = chat.send('msg:fb:en');
    expect(forged.effects).toEqual([]);
    expect(forged.text).toContain('Deze knop hoort bij een oud bericht');
  });
});
