/**
 * What both WhatsApp channels share. WhatsApp has no inline keyboards for us (whatsapp-web.js
 * buttons are deprecated; the Cloud API allows at most 3 buttons or 10 list rows), so a choice
 * becomes a numbered list and the parent answers with a number, the option's text, or a close
 * spelling of it. Commands are keywords in every shipped language (STOP always works, in any
 * case and with any punctuation). Chat ids are phone numbers: logs get `hashPhone` only.
 */
import { createHash } from 'node:crypto';
import type { i18n } from 'i18next';
import type { InboundContent, OutboundMessage } from '../../core/messages.js';
import { miniHtmlToPlain } from '../../core/render.js';
import { LINK_CODE_ARGS } from '../../domain/link-code.js';
import { foldText } from '../../domain/fold-text.js';

export interface FlatChoice {
  n: number;
  label: string;
  value: string;
}

/** WhatsApp's limit for one text message. */
export const WHATSAPP_MAX_TEXT = 4096;

/** mini-HTML (<b>, <i>, escaped entities) → WhatsApp markup (*bold*, _italic_). */
export function toWhatsAppMarkup(html: string): string {
  return miniHtmlToPlain(html.replace(/<b>/g, '*').replace(/<\/b>/g, '*').replace(/<i>/g, '_').replace(/<\/i>/g, '_'));
}

/** The hint line for a numbered list; from `answerHint` it also knows each command's keyword. */
export type AnswerHint = ((count: number, lang: string) => string) & { commandWord?: (command: string, lang: string) => string | undefined };

/**
 * Texts are written once for every messenger and name commands the Telegram way ("type /stop").
 * On WhatsApp there are no slash commands: "/stop" becomes the keyword in the reader's language.
 */
export function withKeywords(text: string, lang: string, hint: AnswerHint): string {
  const word = hint.commandWord;
  if (!word) return text;
  return text.replace(/(^|[\s(«"'“„\u2068])\/([a-z]+)\b/g, (all, before: string, command: string) => {
    const w = word(command, lang);
    return w ? `${before}${w}` : all;
  });
}

/** A link choice as its own line, "label: url" (WhatsApp makes the address tappable). */
export const linkLine = (label: string, url: string): string => `${miniHtmlToPlain(label)}: ${url}`;

/**
 * The text with its choices: links (choices with a `url`) are not numbered but printed as
 * "label: url", each on its own line after the text; the answers follow as a numbered list.
 */
export function formatForWhatsApp(message: OutboundMessage, hint: AnswerHint): { parts: string[]; choices: FlatChoice[] } {
  const all = (message.choices ?? []).flat();
  const choices = all.filter((c) => c.url === undefined).map((c, i) => ({ n: i + 1, label: withKeywords(c.label, message.lang ?? 'nl', hint), value: c.value }));
  let text = withKeywords(toWhatsAppMarkup(message.text), message.lang ?? 'nl', hint);
  const links = all.flatMap((c) => (c.url !== undefined ? [linkLine(c.label, c.url)] : []));
  if (links.length) text = `${text}\n\n${links.join('\n')}`;
  if (choices.length) {
    const list = choices.map((c) => `${c.n}. ${c.label}`).join('\n');
    text = `${text}\n\n${list}\n\n${hint(choices.length, message.lang ?? 'nl')}`;
  }
  return { parts: splitText(text, WHATSAPP_MAX_TEXT), choices };
}

/** Splits at paragraph, then line, then word boundaries; never inside a word when avoidable. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const at = [window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf(' ')].find((i) => i > max / 2) ?? max;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest.length || parts.length === 0) parts.push(rest);
  return parts;
}

/** "Antwoord met 1, 2 of 3." in the reader's language (Intl lists the numbers). */
export function answerHint(i18n: i18n): AnswerHint {
  const hint: AnswerHint = (count, lang) => {
    const numbers = Array.from({ length: count }, (_, i) => String(i + 1));
    let list: string;
    try {
      list = new Intl.ListFormat(lang, { type: 'disjunction' }).format(numbers);
    } catch {
      list = numbers.join(', ');
    }
    return miniHtmlToPlain(i18n.getFixedT(lang)('whatsapp:answerHint', { numbers: list }));
  };
  hint.commandWord = (command, lang) => {
    if (!(KEYWORD_COMMANDS as readonly string[]).includes(command)) return undefined;
    const first = String(i18n.getFixedT(lang)(`whatsapp:keywords.${command}`, { defaultValue: '' })).split(',')[0]?.trim();
    return first || undefined;
  };
  return hint;
}

/** Lower case, no accents, no punctuation or emoji, single spaces: how answers are compared (src/domain/fold-text.ts). */
export const normalize = foldText;

export interface KeywordIndex {
  commandFor(text: string): string | undefined;
}

/** The commands a parent can type as a word on WhatsApp, and the locale key listing each one's keywords. */
export const KEYWORD_COMMANDS = ['start', 'menu', 'help', 'language', 'children', 'stop', 'mydata', 'delete', 'link', 'staff', 'invite', 'broadcast', 'ask', 'nudge'] as const;

export function buildKeywordIndex(i18n: i18n, languages: string[]): KeywordIndex {
  const map = new Map<string, string>();
  for (const lang of languages) {
    for (const command of KEYWORD_COMMANDS) {
      const words = i18n.getFixedT(lang)(`whatsapp:keywords.${command}`, { defaultValue: '' });
      for (const word of String(words).split(',')) {
        const key = normalize(word);
        if (key && !map.has(key)) map.set(key, command);
      }
    }
  }
  map.set('stop', 'stop');
  return {
    commandFor(text) {
      const key = normalize(text);
      if (map.has(key)) return map.get(key);
      // "/stop", "/menu" typed by habit from Telegram.
      const slash = /^\/([a-z]+)$/i.exec(text.trim());
      return slash && (KEYWORD_COMMANDS as readonly string[]).includes(slash[1]!.toLowerCase()) ? slash[1]!.toLowerCase() : undefined;
    },
  };
}

export function mapWhatsAppText(text: string, pending: FlatChoice[] | undefined, keywords: KeywordIndex): InboundContent {
  const trimmed = text.trim();
  const command = keywords.commandFor(trimmed);
  if (command) return { kind: 'command', command, args: '' };
  // "LINK K7QM-3XPD-9FTW" / "koppel k7qm 3xpd 9ftw": a keyword with a code after it.
  const withArgs = /^(\S+)\s+(.+)$/.exec(trimmed);
  if (withArgs && LINK_CODE_ARGS.test(withArgs[2]!) && keywords.commandFor(withArgs[1]!) === 'link') return { kind: 'command', command: 'link', args: withArgs[2]! };
  // "UITNODIGING <token>" / "INVITE ambassador": the invite keyword with one word after it.
  if (withArgs && /^\S+$/.test(withArgs[2]!) && keywords.commandFor(withArgs[1]!) === 'invite') return { kind: 'command', command: 'invite', args: withArgs[2]! };
  if (pending?.length) {
    const picked = pickChoice(trimmed, pending);
    if (picked) return { kind: 'choice', value: picked.value };
  }
  return { kind: 'text', text: trimmed };
}

/** A number (also "2.", "(2)", "nr 2"), the option's text, or one close spelling of it. */
export function pickChoice(text: string, choices: FlatChoice[]): FlatChoice | undefined {
  const digits = /^\D{0,3}?(\d{1,2})\D{0,2}$/.exec(text.trim());
  if (digits) return choices.find((c) => c.n === Number(digits[1]));
  const said = normalize(text);
  if (!said) return undefined;
  const exact = choices.filter((c) => normalize(c.label) === said);
  if (exact.length === 1) return exact[0];
  const starts = choices.filter((c) => normalize(c.label).startsWith(said) && said.length >= 3);
  if (starts.length === 1) return starts[0];
  const scored = choices.map((c) => ({ c, d: distance(said, normalize(c.label)) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  const allowed = said.length <= 6 ? 1 : 2;
  if (best && best.d <= allowed && (scored[1]?.d ?? Infinity) > best.d) return best.c;
  return undefined;
}

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export interface PendingChoices {
  get(chatId: string): FlatChoice[] | undefined;
  set(chatId: string, choices: FlatChoice[]): void;
  clear(chatId: string): void;
}

/** The last numbered list sent to each chat, in memory only (nothing is stored before consent). */
export function createPendingChoices(ttlMs = 24 * 3600_000, now: () => number = Date.now): PendingChoices {
  const map = new Map<string, { choices: FlatChoice[]; at: number }>();
  return {
    get(chatId) {
      const hit = map.get(chatId);
      if (!hit) return undefined;
      if (now() - hit.at > ttlMs) {
        map.delete(chatId);
        return undefined;
      }
      return hit.choices;
    },
    set(chatId, choices) {
      if (choices.length) map.set(chatId, { choices, at: now() });
      else map.delete(chatId);
      if (map.size > 100_000) map.delete(map.keys().next().value as string);
    },
    clear(chatId) {
      map.delete(chatId);
    },
  };
}

/** A short, stable stand-in for a phone number in logs (never the number itself). */
export function hashPhone(id: string): string {
  return `wa_${createHash('sha256').update(`ouderbrug:${id}`).digest('hex').slice(0, 12)}`;
}
