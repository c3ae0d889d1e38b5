import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drawLinkCode, formatLinkCode, LINK_CODE_ARGS, parseLinkCode } from '../../src/domain/link-code.js';

describe('link codes', () => {
  it('draws 12 symbols of the alphabet and shows them in three groups', () => {
    const code = drawLinkCode((max) => randomInt(0, max));
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(formatLinkCode('K7QM3XPD9FTW')).toBe('K7QM-3XPD-9FTW');
    expect(drawLinkCode(() => 31)).toBe('ZZZZZZZZZZZZ');
  });

  it.each([
    ['K7QM-3XPD-9FTW', 'K7QM3XPD9FTW'],
    ['k7qm 3xpd 9ftw', 'K7QM3XPD9FTW'],
    ['k7qm3xpd9ftw', 'K7QM3XPD9FTW'],
    [' K7QM – 3XPD — 9FTW ', 'K7QM3XPD9FTW'],
    ['K7QM\u00A03XPD\u00A09FTW', 'K7QM3XPD9FTW'], // no-break spaces from a copy
    ['ＫＷＱＭ３ＸＰＤ９ＦＴＷ', 'KWQM3XPD9FTW'], // full-width keyboard
    ['1O1I-L000-0000', '101110000000'], // O reads as 0, I and L as 1
  ])('reads %j as %s', (typed, code) => {
    expect(parseLinkCode(typed)).toBe(code);
  });

  it.each(['', '123456', 'K7QM-3XPD-9FT', 'K7QM-3XPD-9FTWX', 'K7QM-3XPD-9FTU', 'K7QM-3XPD-9FT!'])('refuses %j', (typed) => {
    expect(parseLinkCode(typed)).toBeNull();
  });

  it('knows text after a WhatsApp keyword that is meant as a code', () => {
    for (const ok of ['K7QM-3XPD-9FTW', 'k7qm 3xpd 9ftw', '123456']) expect(LINK_CODE_ARGS.test(ok)).toBe(true);
    for (const no of ['mij aan Telegram!', 'wat is dit?', '']) expect(LINK_CODE_ARGS.test(no)).toBe(false);
  });
});
