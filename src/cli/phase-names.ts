/** Phase names come from the Dutch locale (locales/nl/phases.json, `p<n>.name`): texts live in locales, not in code. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LOCALES_DIR, SOURCE_LANGUAGE } from '../core/i18n.js';
import type { Phase } from '../domain/model.js';

export function phaseName(phase: Phase, localesDir: string = DEFAULT_LOCALES_DIR): string {
  let bundle: unknown;
  try {
    bundle = JSON.parse(readFileSync(join(localesDir, SOURCE_LANGUAGE, 'phases.json'), 'utf8'));
  } catch {
    return '';
  }
  const entry = isRecord(bundle) ? bundle[`p${phase}`] : undefined;
  const name = isRecord(entry) ? entry.name : undefined;
  return typeof name === 'string' ? name : '';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
