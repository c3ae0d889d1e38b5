/**
 * A language to *suggest* from a phone number's country code (the parent always confirms it;
 * a Turkish number says nothing certain about a person). Longest prefix wins.
 */
const BY_PREFIX: Record<string, string> = {
  '31': 'nl',
  '32': 'nl',
  '297': 'nl',
  '597': 'nl',
  '90': 'tr',
  '212': 'ar',
  '213': 'ar',
  '216': 'ar',
  '20': 'ar',
  '963': 'ar',
  '964': 'ar',
  '962': 'ar',
  '961': 'ar',
  '966': 'ar',
  '971': 'ar',
  '48': 'pl',
  '380': 'uk',
  '359': 'bg',
  '351': 'pt',
  '55': 'pt',
  '244': 'pt',
  '238': 'pt',
  '252': 'so',
  '291': 'ti',
  '44': 'en',
  '1': 'en',
  '353': 'en',
  '61': 'en',
};

export function languageForPhone(phone: string): string | undefined {
  const digits = phone.replace(/@.*$/, '').replace(/\D/g, '').replace(/^00/, '');
  for (let len = 3; len >= 1; len--) {
    const lang = BY_PREFIX[digits.slice(0, len)];
    if (lang) return lang;
  }
  return undefined;
}
