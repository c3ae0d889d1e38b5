/**
 * What a parent reads of a broadcast (src/domain/broadcast-message.ts), rendered as the delivery
 * worker renders it: their own version, else Dutch (or English, their second language) with one
 * line in their language and a Help button; voice notes; machine drafts never before approval.
 */
import { describe, expect, it } from 'vitest';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../../src/core/i18n.js';
import { renderReply } from '../../src/core/render.js';
import { broadcastDeliveryReply, broadcastReply, broadcastSkipReason, pickVersion } from '../../src/domain/broadcast-message.js';
import { buttonsFor } from '../../src/domain/delivery-message.js';
import type { BroadcastVersionView } from '../../src/domain/broadcast.types.js';
import { failedReason, progressOf, skippedReason, summarize } from '../../src/domain/broadcast-report.js';

const i18n = createI18n(loadLocales(DEFAULT_LOCALES_DIR));
const v = (lang: string, text: string | null, extra: Partial<BroadcastVersionView> = {}): BroadcastVersionView => ({ lang, text, media: null, machine: false, approved: true, ...extra });
const ini = { name: 'Samen naar De Regenboog' };
const render = (versions: BroadcastVersionView[], lang: string, fallback: 'en' | null = null) => renderReply(i18n, lang, broadcastReply({ id: 7, versions }, lang, fallback, ini));

describe('broadcastReply', () => {
  const versions = [v('nl', 'Zaterdag speelochtend.'), v('en', 'Play morning on Saturday.'), v('tr', 'Cumartesi oyun sabahı.')];

  it('a parent with a version in their language reads only that, without a note or a button', () => {
    const out = render(versions, 'tr');
    expect(out.text).toBe('Cumartesi oyun sabahı.');
    expect(out.choices).toBeUndefined();
  });

  it('no version in their language: the Dutch text, one line in their own language and a Help button (rl:bc:<id>)', () => {
    const out = render(versions, 'pl');
    expect(out.text).toBe("Zaterdag speelochtend.\n\nTa wiadomość nie jest jeszcze w twoim języku. Odpisz 'help', a ambasador ci ją wyjaśni.");
    expect(out.choices).toEqual([[{ value: 'rl:bc:7', label: 'Pomoc' }]]);
    // Arabic: the note in Arabic, laid out right to left.
    const ar = render(versions, 'ar');
    expect(ar.text).toContain('Zaterdag speelochtend.');
    expect(ar.text).toContain('هذه الرسالة ليست بلغتك بعد');
    expect(ar.dir).toBe('rtl');
  });

  it('English as second language: the English version, when there is one', () => {
    expect(render(versions, 'uk', 'en').text).toContain('Play morning on Saturday.');
    expect(render([v('nl', 'Alleen Nederlands.')], 'uk', 'en').text).toContain('Alleen Nederlands.');
  });

  it('an unapproved machine draft is never sent: the reader gets the fallback instead; approved it counts', () => {
    const draft = [v('nl', 'Hallo.'), v('so', 'Salaan.', { machine: true, approved: false })];
    expect(render(draft, 'so').text).toContain('Hallo.');
    expect(render(draft, 'so').text).toContain('Fariintan weli kuma jirto luqaddaada');
    expect(render([v('nl', 'Hallo.'), v('so', 'Salaan.', { machine: true, approved: true })], 'so').text).toBe('Salaan.');
    expect(pickVersion(draft, 'so', null)?.lang).toBe('nl');
  });

  it('a voice-only version: a short line in the reader\'s language naming the initiative, and the voice note', () => {
    const voice = [v('nl', 'Hallo.'), v('ar', null, { media: { mediaId: 31, type: 'voice' } })];
    const out = render(voice, 'ar');
    expect(out.text).toContain('رسالة صوتية من');
    expect(out.text).toContain('Samen naar De Regenboog');
    expect(out.media).toEqual({ mediaId: 31, type: 'voice' });
    // A Dutch voice note with a caption, read by a parent without a version: the caption, the file and the note.
    const nlVoice = render([v('nl', 'Luister even.', { media: { mediaId: 5, type: 'voice' } })], 'tr');
    expect(nlVoice.media).toEqual({ mediaId: 5, type: 'voice' });
    expect(nlVoice.text).toContain('Luister even.');
    expect(nlVoice.text).toContain("'help'");
  });

  it('the text is escaped like every value (mini-HTML stays intact)', () => {
    expect(render([v('nl', 'Kom <b>allemaal</b> & neem koffie mee')], 'nl').text).toBe('Kom &lt;b&gt;allemaal&lt;/b&gt; &amp; neem koffie mee');
  });

  it('a row of a cancelled broadcast, or an approval request no longer pending, is skipped', () => {
    expect(broadcastSkipReason('broadcast:body', { status: 'cancelled' })).toBe('cancelled');
    expect(broadcastSkipReason('broadcast:body', null)).toBe('cancelled');
    expect(broadcastSkipReason('broadcast:body', { status: 'sending' })).toBeNull();
    expect(broadcastSkipReason('broadcast:approval.request', { status: 'scheduled' })).not.toBeNull();
    expect(broadcastSkipReason('broadcast:approval.request', { status: 'pending' })).toBeNull();
  });
});

describe('summary and progress', () => {
  it('maps outcomes to reasons', () => {
    expect(failedReason('invalid: Bad Request')).toBe('refused');
    expect(failedReason('retry: 502')).toBe('network');
    expect(skippedReason('stopped')).toBe('stopped');
    expect(skippedReason('no consent')).toBe('noConsent');
    expect(skippedReason('cancelled')).toBe('cancelled');
    const s = summarize(
      [
        { status: 'sent', lastError: null, channelFailed: false, count: 10, maxSendAt: null },
        { status: 'held', lastError: null, channelFailed: false, count: 3, maxSendAt: null },
        { status: 'skipped', lastError: 'stopped', channelFailed: false, count: 2, maxSendAt: null },
        { status: 'planned', lastError: null, channelFailed: false, count: 4, maxSendAt: null },
      ],
      { stopped: 1, unreachable: 2 },
    );
    expect(s).toMatchObject({ delivered: 10, waitingForReply: 3, failed: {}, skipped: { stopped: 3, unreachable: 2 } });
  });

  it('estimates the end from the rate so far, never before the latest planned send time', () => {
    const start = new Date('2026-12-07T10:00:00Z');
    const now = new Date('2026-12-07T10:01:40Z'); // 100 s: 2,500 sent, 7,500 waiting → 300 s more
    const p = progressOf(
      [
        { status: 'sent', lastError: null, channelFailed: false, count: 2500, maxSendAt: null },
        { status: 'queued', lastError: null, channelFailed: false, count: 7500, maxSendAt: start.getTime() },
      ],
      start,
      now,
    );
    expect(p).toMatchObject({ sent: 2500, waiting: 7500, failed: 0 });
    expect(p.estimatedEnd?.toISOString()).toBe('2026-12-07T10:07:00.000Z');
    const tomorrow = new Date('2026-12-08T07:30:00Z').getTime();
    const deferred = progressOf([{ status: 'planned', lastError: null, channelFailed: false, count: 5, maxSendAt: tomorrow }], start, now);
    expect(deferred.estimatedEnd?.getTime()).toBe(tomorrow);
  });
});

describe('what coordinators and authors see', () => {
  it('the approval request names each language in its own name, and offers approve and reject', () => {
    const b = { id: 9, initiativeName: 'Samen naar De Regenboog', versions: [v('nl', 'Zaterdag speelochtend.'), v('tr', 'Cumartesi.'), v('ar', 'السبت.'), v('pl', 'Szkic', { machine: true, approved: false })] };
    const reply = broadcastDeliveryReply({ key: 'broadcast:approval.request', broadcastId: 9 }, b, { language: 'nl', fallback: null });
    const out = renderReply(i18n, 'nl', reply!);
    // An unapproved machine draft is not a language the broadcast is sent in.
    // Each name is isolated for direction (U+2068 … U+2069), so the Arabic one cannot reorder the Dutch line.
    expect(out.text.replace(/[\u2066-\u2069]/g, '')).toContain('Talen: Nederlands, Türkçe, العربية.');
    expect(out.text).not.toContain('Polski');
    expect(out.choices?.flat().map((c) => c.value)).toEqual(['bc:approve:9', 'bc:reject:9']);
  });

  it('a rejection offers the author "Aanpassen" (bc:redo:<id>), which reopens it', () => {
    const out = renderReply(i18n, 'nl', { text: { key: 'broadcast:approval.rejected', params: { id: 9 } }, choices: buttonsFor('broadcastRejected', { key: 'broadcast:approval.rejected', params: {}, buttons: 'broadcastRejected', broadcastId: 9 }) });
    expect(out.choices).toEqual([[{ value: 'bc:redo:9', label: 'Aanpassen' }]]);
  });
});
