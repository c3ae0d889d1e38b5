/**
 * Locales are data: every folder in `locales/` is a language, every JSON file in it a
 * namespace, and `meta.json` holds the endonym shown in the language menu. Dutch is the
 * source. Rendering always uses `getFixedT(lang)` (never a shared `changeLanguage`), so two
 * parents chatting at once in different languages never leak into each other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type Resource, type TFunction } from 'i18next';
import type { LanguageInfo } from '../flows/flow.types.js';

export interface Locales {
  resources: Resource;
  languages: LanguageInfo[];
  namespaces: string[];
}

export const SOURCE_LANGUAGE = 'nl';
export const DEFAULT_LOCALES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../locales');

export function loadLocales(dir: string): Locales {
  const resources: Resource = {};
  const languages: LanguageInfo[] = [];
  const namespaces = new Set<string>();
  for (const lang of readdirSync(dir).sort()) {
    const langDir = join(dir, lang);
    if (!statSync(langDir).isDirectory()) continue;
    const bundle: Record<string, Record<string, unknown>> = {};
    for (const file of readdirSync(langDir).filter((f) => f.endsWith('.json'))) {
      const ns = file.replace(/\.json$/, '');
      bundle[ns] = JSON.parse(readFileSync(join(langDir, file), 'utf8')) as Record<string, unknown>;
      namespaces.add(ns);
    }
    resources[lang] = bundle;
    const endonym = bundle.meta?.endonym;
    languages.push({ code: lang, endonym: typeof endonym === 'string' ? endonym : lang });
  }
  // The source language first, then the rest by code: a stable menu order.
  languages.sort((a, b) => (a.code === SOURCE_LANGUAGE ? -1 : b.code === SOURCE_LANGUAGE ? 1 : a.code.localeCompare(b.code)));
  return { resources, languages, namespaces: [...namespaces].sort() };
}

export function createI18n(locales: Locales): i18n {
  const instance = i18next.createInstance();
  void instance.init({
    resources: locales.resources,
    supportedLngs: locales.languages.map((l) => l.code),
    fallbackLng: ['en', SOURCE_LANGUAGE],
    ns: locales.namespaces,
    defaultNS: 'common',
    initAsync: false,
    returnEmptyString: false,
    returnNull: false,
    // Values are escaped by our renderer (mini-HTML), not by i18next.
    interpolation: { escapeValue: false },
  });
  return instance;
}

export function fixedT(i18n: i18n, lang: string): TFunction {
  return i18n.getFixedT(lang);
}
