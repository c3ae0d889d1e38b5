/**
 * The translators' workflow: which keys of a language are missing, draft, stale (the Dutch
 * changed since review) or reviewed; export those that need work as rows; import reviewed
 * rows back, refusing any whose placeholders, plural forms or markup do not fit Dutch.
 */
import { miniHtmlProblem, placeholderProblem, pluralCategories } from '../../core/locale-rules.js';
import { baseKey, hashSource, pluralSuffix, readMeta, readTexts, sourceOf, SOURCE, type Flat } from './locale-files.js';

export type KeyState = 'missing' | 'draft' | 'stale' | 'reviewed';

export interface Row {
  key: string;
  source: string;
  translation: string;
  status: KeyState;
}

/** The concrete keys a language needs: Dutch keys, with plural keys expanded to its own categories. */
export function expectedKeys(source: Flat, lang: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const key of source.keys()) {
    if (!pluralSuffix(key)) {
      out.push(key);
      continue;
    }
    const base = baseKey(key);
    if (seen.has(base)) continue;
    seen.add(base);
    for (const cat of pluralCategories(lang)) out.push(`${base}_${cat}`);
  }
  return out;
}

/** The Dutch text a translator sees for a key (for a plural form Dutch lacks: Dutch "other"). */
export function sourceText(source: Flat, key: string): string {
  return source.get(key) ?? source.get(`${baseKey(key)}_other`) ?? '';
}

export function languageRows(dir: string, lang: string): Row[] {
  const source = readTexts(dir, SOURCE);
  const texts = readTexts(dir, lang);
  const review = readMeta(dir, lang).review ?? {};
  return expectedKeys(source, lang).map((key) => {
    const translation = texts.get(key);
    const reviewedHash = review[baseKey(key)];
    let status: KeyState = 'draft';
    if (translation === undefined || translation === '') status = 'missing';
    else if (lang === SOURCE) status = 'reviewed';
    else if (reviewedHash === undefined) status = 'draft';
    else status = reviewedHash === hashSource(sourceOf(source, baseKey(key))) ? 'reviewed' : 'stale';
    return { key, source: sourceText(source, key), translation: translation ?? '', status };
  });
}

export interface ImportProblem {
  row: number;
  key: string;
  reason: string;
}

/** Checks one imported row against Dutch; null when it may be accepted. */
export function rowProblem(source: Flat, lang: string, key: string, translation: string): string | null {
  const base = baseKey(key);
  const suffix = pluralSuffix(key);
  const isPlural = [...source.keys()].some((k) => baseKey(k) === base && pluralSuffix(k) !== undefined);
  if (!source.has(key) && !isPlural) return 'this key does not exist in Dutch';
  if (isPlural && (!suffix || !pluralCategories(lang).includes(suffix))) {
    return `plural form must be one of ${pluralCategories(lang).map((c) => `_${c}`).join(', ')}`;
  }
  if (translation.trim() === '') return 'the translation is empty';
  return placeholderProblem(sourceText(source, key), translation, isPlural) ?? miniHtmlProblem(translation);
}
