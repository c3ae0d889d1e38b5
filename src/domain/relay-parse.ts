/**
 * Reading what people type to the relay (pure): "ANSWER 12 …" from staff (also ANTWOORD and the
 * word in each shipped language: WhatsApp has no replies we can rely on), the word "help" in the
 * parent's language right after a broadcast they got in another language, "bel me" (a call-back
 * request), and whether an unknown text looks like something worth passing on.
 */
import { foldText } from './fold-text.js';

/** Lower case, no accents or punctuation, single spaces (as WhatsApp keywords are compared). */
export const fold = foldText;

/** "ANSWER", "ANTWOORD" and the word in each shipped language (folded). */
export const ANSWER_WORDS: ReadonlySet<string> = new Set(
  ['answer', 'antwoord', 'antwoorden', 'cevap', 'yanit', 'jawaab', 'odpowiedz', 'resposta', 'responder', 'отговор', 'відповідь', 'جواب', 'رد', 'መልሲ'].map(fold),
);

/**
 * "ANSWER 12 your text", "antwoord #12: …", "cevap 12 - …" → the thread number and the text
 * (trimmed; may be empty: the flow then asks for the text). Null: not an answer command.
 */
export function parseAnswerCommand(text: string): { threadId: number; text: string } | null {
  const m = /^\s*([^\s\d#:]+)\s*#?\s*(\d{1,9})(?=$|[\s:.,\-–—])[\s:.,\-–—]*([\s\S]*)$/u.exec(text);
  if (!m || !ANSWER_WORDS.has(fold(m[1]!))) return null;
  const threadId = Number(m[2]);
  if (!Number.isSafeInteger(threadId) || threadId <= 0) return null;
  return { threadId, text: m[3]!.trim() };
}

/** The word "help" in every shipped language (the WhatsApp keywords of `help`), folded. */
export const HELP_WORDS: ReadonlySet<string> = new Set(['help', 'hulp', 'yardim', 'pomoc', 'ajuda', 'caawimo', 'помощ', 'допомога', 'مساعدة', 'ሓገዝ'].map(fold));

export const isHelpWord = (text: string): boolean => HELP_WORDS.has(fold(text));

/** "Bel me" and the same request in each shipped language (folded, matched at the start of a short text). */
const CALL_PHRASES = [
  'bel me',
  'bel mij',
  'terugbellen',
  'call me',
  'beni ara',
  'ara beni',
  'zadzwon do mnie',
  'zadzwoncie do mnie',
  'ligue me',
  'liga me',
  'me ligue',
  'обадете ми се',
  'обади ми се',
  'зателефонуйте мені',
  'подзвоніть мені',
  'передзвоніть',
  'i soo wac',
  'اتصل بي',
  'اتصلوا بي',
  'ደውሉለይ',
].map(fold);

export function isCallRequest(text: string): boolean {
  const said = fold(text);
  return said.length <= 40 && CALL_PHRASES.some((p) => said === p || said.startsWith(`${p} `));
}

/**
 * Worth offering to pass on: at least two words or a question mark, and some letters. "ok",
 * "👍" or "dank je" are not questions; they get the usual "I did not understand" and the menu.
 */
export function looksLikeQuestion(text: string): boolean {
  const said = fold(text);
  if (!/\p{L}{2}/u.test(said)) return false;
  return said.split(' ').length >= 3 || /[?؟;]/.test(text);
}

/** What a staff member or parent typed, made safe to store and relay: no control characters, at most `max` characters. */
export function cleanMessage(text: string, max = 2000): string {
  const cleaned = text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu, (c) => (c === '\n' || c === '\t' ? c : ''))
    .trim();
  return [...cleaned].slice(0, max).join('');
}
