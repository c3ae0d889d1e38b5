/**
 * Intl formatters, kept per language and options. Building one costs tens of µs and holds tens of
 * KB of ICU memory outside V8's heap, which the garbage collector does not see and so does not
 * hurry to free: made per message or per parent, they raised the process's memory by gigabytes
 * (issue 13: the retention pass, 1.3 GB at 50k parents). A few hundred combinations at most
 * (languages × zones × styles); the cache starts afresh beyond MAX, so it stays bounded.
 */
const MAX = 1_000;
const dates = new Map<string, Intl.DateTimeFormat>();
const numbers = new Map<string, Intl.NumberFormat>();

function kept<F>(cache: Map<string, F>, key: string, make: () => F): F {
  let f = cache.get(key);
  if (!f) {
    if (cache.size >= MAX) cache.clear();
    f = make();
    cache.set(key, f);
  }
  return f;
}

export function dateFormat(lang: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return kept(dates, `${lang}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(lang, options));
}

export function numberFormat(lang: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return kept(numbers, `${lang}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(lang, options));
}
