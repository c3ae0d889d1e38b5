/**
 * A changed privacy notice (PRIVACY_NOTICE_VERSION 2026-12: retention; 2026-12.2: the days a
 * parent was active and personal outreach after a long silence) is shown once to a parent who
 * consented to an older one, before the answer to their next message. Same purpose, so they
 * are informed, not asked again: showing it is recorded in consent_log. Retention counts from
 * the children and "keep in touch" only, never from a notice seen.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { buttons, createHarness, pick, plain, type Harness } from '../support/engine-harness.js';
import { consentLog, deliveries, people } from '../../src/db/schema.js';
import { PRIVACY_NOTICE_VERSION } from '../../src/flows/onboarding.flow.js';
import { retentionPass } from '../../src/jobs/retention.js';
import { NOTICE_OK } from '../../src/flows/router.js';

let h: Harness;
beforeEach(() => {
  h = createHarness('2026-12-07T10:00:00Z');
});
afterEach(() => h.close());

async function onboard(chatId: string, lang = 'nl') {
  await h.say(chatId, '/start');
  await h.say(chatId, pick(`lang:${lang}`));
  await h.say(chatId, pick('consent:yes'));
  await h.say(chatId, 'Sanne');
  await h.say(chatId, '03-2024');
  await h.say(chatId, pick('more:no'));
  await h.say(chatId, '1094');
  await h.say(chatId, pick('h:playground'));
}

/** As if they had consented to an older notice: before it stated retention ('2026-11'), or the one just before this ('2026-12'). */
function consentedToOldNotice(version = '2026-11'): void {
  h.db.update(consentLog).set({ version }).where(eq(consentLog.version, PRIVACY_NOTICE_VERSION)).run();
}

const dataVersions = () =>
  h.db
    .select({ version: consentLog.version })
    .from(consentLog)
    .where(and(eq(consentLog.kind, 'data'), eq(consentLog.given, true)))
    .all()
    .map((r) => r.version);

describe('a changed privacy notice', () => {
  it('is shown once, before the answer to any next message, and recorded when shown', async () => {
    expect(PRIVACY_NOTICE_VERSION).toBe('2026-12.2');
    await onboard('a');
    consentedToOldNotice();
    const out = await h.say('a', 'hallo');
    expect(out.length).toBeGreaterThanOrEqual(2);
    expect(plain([out[0]!])).toMatch(/^Er is iets veranderd in hoe we je gegevens bewaren:\nWe bewaren ze tot 2 maanden nadat je jongste kind naar school gaat\./);
    expect(plain([out[0]!])).toContain('We zien ook op welke dagen je iets in de chat doet (niet wat je schrijft).');
    expect(plain([out[0]!])).toContain('De dagen bewaren we 13 maanden.');
    expect(plain([out[0]!])).toContain('/delete');
    expect(buttons([out[0]!])).toEqual([{ label: 'Goed', value: NOTICE_OK }]);
    // Then the normal answer (what the bot says to text it does not expect, with the menu).
    expect(plain(out.slice(1))).not.toContain('veranderd');
    expect(buttons(out.slice(1)).some((b) => b.value.startsWith('menu:'))).toBe(true);
    expect(dataVersions()).toEqual(['2026-11', PRIVACY_NOTICE_VERSION]);
    // Once: the next message is answered as usual.
    const next = await h.say('a', 'hallo');
    expect(plain(next)).not.toContain('veranderd');
    // "Goed" is an acknowledgement: the menu, no "old button" message, nothing recorded twice.
    const ok = await h.say('a', pick(NOTICE_OK));
    expect(plain(ok)).not.toMatch(/oude knop|veranderd/i);
    expect(buttons(ok).some((b) => b.value.startsWith('menu:'))).toBe(true);
    expect(dataVersions()).toEqual(['2026-11', PRIVACY_NOTICE_VERSION]);
  });

  it('comes before the answer to a command or a button too, in the parent\'s language (Arabic)', async () => {
    await onboard('b', 'ar');
    consentedToOldNotice();
    const out = await h.say('b', '/help');
    expect(plain([out[0]!])).toContain('تغيّر شيء في طريقة حفظنا لبياناتكم');
    expect(buttons([out[0]!])).toEqual([{ label: expect.stringContaining('حسنًا'), value: NOTICE_OK }]);
    expect(out.length).toBeGreaterThanOrEqual(2);
    expect(dataVersions()).toEqual(['2026-11', PRIVACY_NOTICE_VERSION]);
  });

  it('is not shown to a parent who consented to this notice, nor on /delete (which still works)', async () => {
    await onboard('c');
    expect(plain(await h.say('c', 'hallo'))).not.toContain('veranderd');
    consentedToOldNotice();
    const asked = await h.say('c', '/delete');
    expect(plain(asked)).not.toContain('veranderd');
    expect(plain(asked)).toContain('Wil je echt alles over jou verwijderen?');
    expect(dataVersions()).toEqual(['2026-11']);
    await h.say('c', pick(buttons(asked).find((b) => b.label === 'Ja, verwijder alles')!.value));
    expect(h.db.select().from(people).all()).toEqual([]);
  });

  it('is shown to a parent who consented to the notice just before (2026-12 sorts before 2026-12.2), once, also after "keep in touch"', async () => {
    await onboard('e');
    consentedToOldNotice('2026-12');
    const out = await h.say('e', 'hallo');
    expect(plain([out[0]!])).toContain('Horen we lang niets van je, dan kan een andere ouder je een persoonlijk bericht sturen.');
    expect(dataVersions()).toEqual(['2026-12', PRIVACY_NOTICE_VERSION]);
    // "Keep in touch" (a data row with another version) does not make the notice come back.
    await h.say('e', pick('ret:keep'));
    expect(plain(await h.say('e', 'hallo'))).not.toContain('veranderd');
    expect(dataVersions()).toEqual(['2026-12', PRIVACY_NOTICE_VERSION, 'keep-in-touch']);
  });

  it('does not move the retention date: a notice seen is not "keep in touch"', async () => {
    // Born March 2024: kept until 1 May 2028 (4 years and 2 months), the notice 30 days ahead.
    await onboard('f');
    consentedToOldNotice('2026-12');
    h.clock.set('2027-06-01T10:00:00Z');
    expect(plain(await h.say('f', 'hallo'))).toContain('veranderd');
    expect(dataVersions()).toEqual(['2026-12', PRIVACY_NOTICE_VERSION]);
    const deps = { db: h.db, logger: { debug() {}, info() {}, warn() {}, error() {} }, defaultTimeZone: 'Europe/Amsterdam' };
    expect(retentionPass(deps, new Date('2028-03-30T10:00:00Z')).noticed).toBe(0);
    // Had the notice seen on 1 June 2027 counted as "keep in touch", the date would be 1 June 2028.
    expect(retentionPass(deps, new Date('2028-04-05T10:00:00Z')).noticed).toBe(1);
    expect(h.db.select({ key: deliveries.key }).from(deliveries).where(eq(deliveries.ruleId, 'retention')).all().map((d) => d.key)).toEqual([expect.stringMatching(/^retention\|p\d+\|c-\|2028-05-01$/)]);
  });

  it('is not shown to a person without a recorded consent (made outside the chat)', async () => {
    await onboard('d');
    h.db.delete(consentLog).run();
    expect(plain(await h.say('d', 'hallo'))).not.toContain('veranderd');
    expect(dataVersions()).toEqual([]);
  });
});
