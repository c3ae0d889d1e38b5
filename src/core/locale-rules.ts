/**
 * The rules every translation obeys, shared by the locale tests and the translators' import:
 * the same placeholders as Dutch, the plural forms the language has (CLDR, from Intl), and
 * "mini-HTML" markup only (<b>, <i>, and & written as an entity).
 */

export const placeholders = (text: string): Set<string> => new Set([...text.matchAll(/\{\{-?\s*([\w.]+)\s*\}\}/g)].map((m) => m[1] ?? ''));

export function pluralCategories(lang: string): string[] {
  return new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
}

/** Null when valid, otherwise what is wrong. */
export function miniHtmlProblem(text: string): string | null {
  const open: string[] = [];
  for (const m of text.matchAll(/<[^>]*>?|&[^;\s]*;?/g)) {
    const token = m[0];
    if (token.startsWith('&')) {
      if (!/^&(amp|lt|gt|quot);$/.test(token)) return `"&" must be written as &amp; (found ${token.slice(0, 10)})`;
      continue;
    }
    const tag = /^<(\/?)(b|i)>$/.exec(token);
    if (!tag) return `only <b> and <i> are allowed (found ${token.slice(0, 20)})`;
    if (tag[1] === '') open.push(tag[2] ?? '');
    else if (open.pop() !== tag[2]) return `</${tag[2]}> does not close the open tag`;
  }
  return open.length ? `<${open[open.length - 1]}> is not closed` : null;
}

/** Null when the translation's placeholders fit Dutch; plural forms may leave out {{count}}. */
export function placeholderProblem(source: string, translation: string, isPlural: boolean): string | null {
  const want = placeholders(source);
  const have = placeholders(translation);
  const extra = [...have].filter((p) => !want.has(p));
  if (extra.length) return `unknown placeholder ${extra.map((p) => `{{${p}}}`).join(', ')}`;
  const missing = [...want].filter((p) => !have.has(p) && !(isPlural && p === 'count'));
  if (missing.length) return `missing placeholder ${missing.map((p) => `{{${p}}}`).join(', ')}`;
  return null;
}
