/**
 * A name as a parent types it, made safe to store and to show inside our messages:
 *   - Unicode NFC, so "é" typed two ways is one name;
 *   - bidi controls (LRE…RLO U+202A–202E, isolates U+2066–2069, LRM/RLM, ALM U+061C) and
 *     every other invisible format character (zero-width space/joiners U+200B–200D, word
 *     joiner U+2060, BOM U+FEFF, Mongolian vowel separator U+180E: all of Unicode's `Cf`),
 *     other control characters and the "blank letters" (Hangul fillers, Braille blank) go;
 *   - runs of any whitespace (new lines too) become one space, trimmed at both ends.
 * What is left must hold at least one letter (`\p{L}`, any script): a name made of digits,
 * emoji or punctuation only is asked again.
 */

export type DisplayName = { ok: true; name: string } | { ok: false; reason: 'noLetters' | 'tooLong' };

export const MAX_DISPLAY_NAME = 40;

/** Format (Cf) and control (Cc) characters, and letters that render as nothing. */
const INVISIBLE = /[\p{Cf}\p{Cc}\u115F\u1160\u3164\uFFA0\u2800]/gu;
const WHITESPACE = /[\s\p{Z}]+/gu;
const LETTER = /\p{L}/u;

/** Removes what cannot be seen and what could reorder the text around the name. */
export function cleanName(typed: string): string {
  const spaced = typed.replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ');
  return spaced.normalize('NFC').replace(INVISIBLE, '').replace(WHITESPACE, ' ').trim().normalize('NFC');
}

export function parseDisplayName(typed: string, max = MAX_DISPLAY_NAME): DisplayName {
  const name = cleanName(typed);
  if (!LETTER.test(name)) return { ok: false, reason: 'noLetters' };
  if ([...name].length > max) return { ok: false, reason: 'tooLong' };
  return { ok: true, name };
}
