/**
 * How typed words are compared (WhatsApp keywords and answers, "ANTWOORD 12", "help"): lower
 * case, no accents, no punctuation or emoji, single spaces. Turkish dotless ı (and İ → i̇ after
 * NFKD) compare as i: "yardım" is "YARDIM".
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLocaleLowerCase()
    .replace(/ı/g, 'i')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
