/**
 * Whether machine translation is on, and the provider when it is. Off by default: only
 * LIBRETRANSLATE_URL turns it on (src/config.ts). BroadcastReads.translationAvailable() and the
 * after-commit listener (src/jobs/broadcast-translate.ts) ask here, so both agree.
 */
import { createLibreTranslate } from './libretranslate.js';
import type { Translator } from './translator.js';

export interface TranslationSettings {
  url: string;
  apiKey?: string;
  timeoutMs: number;
}

/** True when a translation service is configured (LIBRETRANSLATE_URL). */
export const isTranslationConfigured = (config: { translation?: TranslationSettings | undefined }): boolean => config.translation !== undefined;

/** The configured provider, or undefined when translation is off. */
export function createTranslator(config: { translation?: TranslationSettings | undefined }): Translator | undefined {
  const t = config.translation;
  return t ? createLibreTranslate({ url: t.url, timeoutMs: t.timeoutMs, ...(t.apiKey ? { apiKey: t.apiKey } : {}) }) : undefined;
}
