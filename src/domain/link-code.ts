/**
 * The one-time code that links a second messenger: 12 symbols of Crockford's base32
 * (0-9 and A-Z without I, L, O and U), shown in three groups ("K7QM-3XPD-9FTW"). Typing is
 * forgiving: any case, with or without dashes or spaces, and O, I, L read as 0, 1, 1.
 * Why 12 symbols: see the computation in `src/core/link-attempts.ts`.
 */

export const LINK_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_LENGTH = 12;
const GROUP = 4;
const CANONICAL = new RegExp(`^[${LINK_CODE_ALPHABET}]{${LINK_CODE_LENGTH}}$`);
/** Spaces and dashes of any kind that people (or their keyboards) put between groups. */
const SEPARATORS = /[\s\u00AD\u2010-\u2015\u2212\-_.·]+/g;

/** A uniformly random code; `randomInt(max)` must be a CSPRNG (node:crypto's randomInt). */
export function drawLinkCode(randomInt: (max: number) => number): string {
  let code = '';
  for (let i = 0; i < LINK_CODE_LENGTH; i++) code += LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)];
  return code;
}

/** "K7QM3XPD9FTW" → "K7QM-3XPD-9FTW" (anything else is returned as it is). */
export function formatLinkCode(code: string): string {
  if (!CANONICAL.test(code)) return code;
  return code.match(new RegExp(`.{1,${GROUP}}`, 'g'))?.join('-') ?? code;
}

/** What a parent typed → the canonical code, or null when it cannot be a code. */
export function parseLinkCode(typed: string): string | null {
  const code = typed
    .normalize('NFKC')
    .replace(SEPARATORS, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return CANONICAL.test(code) ? code : null;
}

/** Text after a WhatsApp keyword that is meant as a code ("LINK k7qm 3xpd-9ftw"): letters and digits in groups. */
export const LINK_CODE_ARGS = /^[0-9A-Za-z]{1,16}(?:[\s-]{1,3}[0-9A-Za-z]{1,16}){0,5}$/;
