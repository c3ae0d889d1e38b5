/** Only the 4 digits of a Dutch postcode (PC4) are ever kept: "1055 AB" becomes "1055". */
export function normalizePc4(input: string): string | null {
  const m = /^\s*([1-9]\d{3})\s*(?:[a-z]{2})?\s*$/i.exec(input);
  return m?.[1] ?? null;
}
