/**
 * Argument parsers for commander. They throw InvalidArgumentError, which commander turns
 * into "error: option '--phase <n>' argument '7' is invalid. …" and exit code 1.
 */
import { InvalidArgumentError } from 'commander';
import { PHASES, ROLES, type Phase, type Role } from '../domain/model.js';

export function parseId(value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new InvalidArgumentError('expected a positive whole number (an id).');
  return Number(value);
}

export function parsePhase(value: string): Phase {
  const phase = PHASES.find((p) => String(p) === value.trim());
  if (phase === undefined) throw new InvalidArgumentError(`phase must be a whole number from ${PHASES[0]} to ${PHASES[PHASES.length - 1]}.`);
  return phase;
}

export function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new InvalidArgumentError(`role must be one of: ${ROLES.join(', ')}.`);
  return role;
}

/** A free-text field: trimmed, non-empty, one line, at most `max` characters. */
export function textParser(label: string, max: number): (value: string) => string {
  return (value) => {
    const text = value.trim();
    if (text === '') throw new InvalidArgumentError(`${label} must not be empty.`);
    if (text.length > max) throw new InvalidArgumentError(`${label} must be at most ${max} characters (got ${text.length}).`);
    // Control characters (newlines) would break the one-line tables and the chat texts.
    if (/\p{Cc}/u.test(text)) throw new InvalidArgumentError(`${label} must be a single line of text.`);
    return text;
  };
}

/** Optional free text may be empty (to leave it blank). */
export function optionalTextParser(label: string, max: number): (value: string) => string {
  const strict = textParser(label, max);
  return (value) => (value.trim() === '' ? '' : strict(value));
}

const PC4 = /^[1-9]\d{3}$/;
/** Large enough for any real school catchment area, small enough to catch a typo like 1000-9999. */
const MAX_POSTCODES = 200;

/**
 * "1091,1092" or, for the contiguous areas initiatives usually cover, "1091-1098".
 * Returns unique PC4 codes (1000–9999) in ascending order.
 */
export function parsePostcodes(value: string): string[] {
  const codes = new Set<string>();
  for (const raw of value.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
    const [from, to] = range ? [range[1] ?? '', range[2] ?? ''] : [part, part];
    if (!PC4.test(from) || !PC4.test(to)) throw new InvalidArgumentError(`"${part}" is not a 4-digit postcode from 1000 to 9999 (use e.g. 1091,1092 or 1091-1098).`);
    if (Number(to) < Number(from)) throw new InvalidArgumentError(`the range "${part}" runs backwards.`);
    for (let pc = Number(from); pc <= Number(to); pc++) {
      codes.add(String(pc));
      if (codes.size > MAX_POSTCODES) throw new InvalidArgumentError(`at most ${MAX_POSTCODES} postcodes per initiative.`);
    }
  }
  if (codes.size === 0) throw new InvalidArgumentError('give at least one postcode, e.g. 1091,1092.');
  return [...codes].sort();
}

/** Telegram's /start payload allows A-Z a-z 0-9 _ - and at most 64 characters. */
export function parseCode(value: string): string {
  if (!/^[A-Za-z0-9_-]{3,64}$/.test(value)) throw new InvalidArgumentError('a code is 3–64 characters A-Z a-z 0-9 _ - (it becomes part of the deep link).');
  return value;
}

export function parseBotUsername(value: string): string {
  const name = value.trim().replace(/^@/, '');
  if (!/^[A-Za-z0-9_]{5,32}$/.test(name)) throw new InvalidArgumentError('a bot username is 5–32 characters A-Z a-z 0-9 _ (with or without @).');
  return name;
}
