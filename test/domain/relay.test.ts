/**
 * The relay's pure parts: who is asked in which tier, when a question moves on, "ANSWER 12 …" in
 * every shipped language, "help" and "bel me", phone numbers, age bands, and which notice is
 * still true when it is sent.
 */
import { describe, expect, it } from 'vitest';
import { relayNoticeParts, type RelayNoticeView } from '../../src/domain/relay-notice.js';
import { cleanMessage, isCallRequest, isHelpWord, looksLikeQuestion, parseAnswerCommand } from '../../src/domain/relay-parse.js';
import { ageBand, escalatesAt, nextTier, NOBODY_TIER, parsePhone, tierMembers, type StaffMember } from '../../src/domain/relay-routing.js';
import type { StaffCard } from '../../src/domain/relay.types.js';

const staff: StaffMember[] = [
  { personId: 1, role: 'ambassador', languages: ['nl', 'tr'] },
  { personId: 2, role: 'ambassador', languages: ['nl'] },
  { personId: 3, role: 'ambassador', languages: null },
  { personId: 4, role: 'coordinator', languages: null },
  // An ambassador who is also a coordinator counts once, as an ambassador.
  { personId: 5, role: 'coordinator', languages: null },
  { personId: 5, role: 'ambassador', languages: ['ar'] },
];

describe('tiers', () => {
  it('asks the ambassadors who speak the language, then the other ambassadors, then the coordinators', () => {
    expect(tierMembers(staff, 0, 'tr', 99)).toEqual([1]);
    expect(tierMembers(staff, 1, 'tr', 99)).toEqual([2, 3, 5]);
    expect(tierMembers(staff, 2, 'tr', 99)).toEqual([4]);
    expect(tierMembers(staff, 3, 'tr', 99)).toEqual([]);
    expect(tierMembers(staff, 0, 'ar', 99)).toEqual([5]);
  });

  it('skips a tier without people, never asks the parent themself, and ends with nobody', () => {
    expect(nextTier(staff, 0, 'pl', 99)).toEqual({ tier: 1, personIds: [1, 2, 3, 5] });
    expect(nextTier(staff, 0, 'tr', 1)).toEqual({ tier: 1, personIds: [2, 3, 5] });
    expect(nextTier([{ personId: 4, role: 'coordinator', languages: null }], 0, 'tr', 99)).toEqual({ tier: 2, personIds: [4] });
    expect(nextTier(staff, 3, 'tr', 99)).toEqual({ tier: NOBODY_TIER, personIds: [] });
    expect(nextTier([], 0, 'tr', 99)).toEqual({ tier: NOBODY_TIER, personIds: [] });
  });

  it('moves on 24 hours after the tier was asked', () => {
    expect(escalatesAt(new Date('2027-03-01T09:00:00Z')).toISOString()).toBe('2027-03-02T09:00:00.000Z');
  });
});

describe('what people type', () => {
  it.each([
    ['ANSWER 12 Yes, on Monday', 12, 'Yes, on Monday'],
    ['antwoord #7: ja hoor', 7, 'ja hoor'],
    ['Antwoord 7 - ja', 7, 'ja'],
    ['CEVAP 3 evet', 3, 'evet'],
    ['odpowiedź 3 tak', 3, 'tak'],
    ['ВІДПОВІДЬ 4 так', 4, 'так'],
    ['جواب 5 نعم', 5, 'نعم'],
    ['JAWAAB 6 haa', 6, 'haa'],
    ['ANTWOORD 9', 9, ''],
    ['answer 8\nline one\nline two', 8, 'line one\nline two'],
  ])('%j is an answer to thread %i', (text, id, answer) => {
    expect(parseAnswerCommand(text)).toEqual({ threadId: id, text: answer });
  });

  it.each(['antwoord op je vraag', 'ANSWER12x', 'hallo 12 daar', 'answer 0 x', '12 answer', 'ANSWER'])('%j is not an answer command', (text) => {
    expect(parseAnswerCommand(text)).toBeNull();
  });

  it('knows "help" in every language, and "bel me"', () => {
    for (const w of ['help', 'HULP', 'Yardım', 'pomoc!', 'AJUDA', 'caawimo', 'помощ', 'Допомога', 'مساعدة', 'ሓገዝ']) expect(isHelpWord(w), w).toBe(true);
    expect(isHelpWord('help me met mijn kind')).toBe(false);
    for (const w of ['Bel me', 'bel me alsjeblieft', 'call me', 'Beni ara', 'zadzwoń do mnie', 'اتصل بي']) expect(isCallRequest(w), w).toBe(true);
    expect(isCallRequest('ik bel me suf naar de gemeente en niemand neemt op vandaag')).toBe(false);
  });

  it('offers to pass on questions, not thanks or emoji', () => {
    expect(looksLikeQuestion('Wanneer is de open ochtend?')).toBe(true);
    expect(looksLikeQuestion('mijn dochter is ziek vandaag')).toBe(true);
    expect(looksLikeQuestion('dank je')).toBe(false);
    expect(looksLikeQuestion('👍')).toBe(false);
    expect(looksLikeQuestion('ok')).toBe(false);
  });

  it('cleans what is relayed: no control or direction characters, lines kept, bounded', () => {
    expect(cleanMessage(' a\u202Eb\r\nc\u0007 ')).toBe('ab\nc');
    expect([...cleanMessage('x'.repeat(3000))]).toHaveLength(2000);
  });

  it('reads a phone number to be called on', () => {
    expect(parsePhone('06 1234 5678')).toBe('0612345678');
    expect(parsePhone('+31 (6) 12-34-56-78')).toBe('+31612345678');
    expect(parsePhone('1234')).toBeNull();
    expect(parsePhone('bel me om 10 uur')).toBeNull();
    expect(parsePhone('1'.repeat(16))).toBeNull();
  });

  it('puts children in age bands, never a birth month', () => {
    expect([null, 0, 11, 12, 23, 24, 35, 36, 47, 48].map(ageBand)).toEqual(['expected', 'under1', 'under1', 'y1', 'y1', 'y2', 'y2', 'y3', 'y3', 'y4plus']);
  });
});

describe('notices at send time', () => {
  const card = (status: 'open' | 'claimed' | 'closed'): StaffCard => ({
    thread: { id: 12, initiativeId: 1, personId: 7, kind: 'question', source: 'menu', sourceRef: null, language: 'tr', status, tier: 0, claimedBy: status === 'open' ? null : 3, createdAt: new Date(), outcome: null, hasPhone: false },
    firstName: 'Ayşe',
    language: 'tr',
    ageBands: ['y2', 'under1', 'y2'],
    messages: [{ fromParent: true, text: 'Wanneer?', at: new Date() }],
    about: null,
    phone: null,
  });
  const view = (status: 'open' | 'claimed' | 'closed'): RelayNoticeView => ({ card: card(status), message: null, initiative: { name: 'Samen', contact: '' } });

  it('an offer carries the card and "I\'ll answer" while the question is open, and is dropped once claimed', () => {
    const parts = relayNoticeParts('relay:notice.offer', view('open'));
    expect(parts?.params).toMatchObject({ n: 12, parent: 'Ayşe', question: 'Wanneer?', parentLanguage: { key: 'meta:endonym', lng: 'tr' }, contact: '–' });
    expect(parts?.choices).toEqual([[{ value: 'rl:claim:12', label: { key: 'relay:button.claim' } }]]);
    expect(relayNoticeParts('relay:notice.offer', view('claimed'))).toBeNull();
    expect(relayNoticeParts('relay:notice.offer', view('closed'))).toBeNull();
  });

  it('an answer offers "close" until the thread is closed', () => {
    expect(relayNoticeParts('relay:notice.answer', view('claimed'))?.choices).toEqual([[{ value: 'rl:close:12', label: { key: 'relay:button.closeMine' } }]]);
    expect(relayNoticeParts('relay:notice.answer', view('closed'))?.choices).toEqual([]);
  });
});
