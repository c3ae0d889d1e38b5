/**
 * The approved WhatsApp message templates, as data (`config/whatsapp-templates.json`,
 * versioned, validated here). Outside the 24-hour customer-service window WhatsApp only
 * delivers templates that Meta approved; each proactive message key maps to one template
 * name, the template's language code per parent language, and the order of its body
 * parameters ({{1}}, {{2}}, … filled from the message's rendered parameters).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const DEFAULT_TEMPLATES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../config/whatsapp-templates.json');

const template = z.object({
  comment: z.string().optional(),
  /** Meta's rule for template names: lower case, digits and underscores. */
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lower case letters, digits and _ (as in WhatsApp Manager)'),
  /** Parent language (our locale folder) → the template's language code in WhatsApp Manager. */
  languages: z.record(z.string().regex(/^[a-z]{2,3}$/, 'a locale folder name like nl'), z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a WhatsApp language code like nl, en_US, pt_BR')),
  /** The message's parameter names in the order of the template's body variables. */
  params: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/)).default([]),
  /** The template has quick-reply buttons for the message's choices, in the same order. */
  quickReplies: z.boolean().default(false),
  /**
   * For a message with a button per child (siblings): the name of this template's variant with
   * the same body and one quick reply, "Bekijk" (en: "Open"), in place of the message's buttons.
   * When the parent taps it or answers, the full message with its buttons follows.
   */
  perChild: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lower case letters, digits and _ (as in WhatsApp Manager)').optional(),
});

const templatesFile = z.object({
  version: z.literal(1),
  comment: z.string().optional(),
  templates: z.record(z.string().regex(/^[a-z]+:[A-Za-z0-9.]+$/, 'a message key like nurture:deadline14'), template),
});

export type WhatsAppTemplate = z.infer<typeof template>;
export type WhatsAppTemplates = Record<string, WhatsAppTemplate>;

/** Validates a parsed templates file; the error lists every problem with its path. */
export function parseTemplates(data: unknown): WhatsAppTemplates {
  const parsed = templatesFile.safeParse(data);
  if (!parsed.success) {
    throw new Error(`Invalid WhatsApp templates:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return parsed.data.templates;
}

export function loadTemplates(path: string = DEFAULT_TEMPLATES_PATH): WhatsAppTemplates {
  return parseTemplates(JSON.parse(readFileSync(path, 'utf8')));
}

/** The template for a message key in a parent's language, with WhatsApp's language code; null when none is approved. */
export function templateFor(templates: WhatsAppTemplates, key: string, lang: string): { template: WhatsAppTemplate; languageCode: string } | null {
  const found = templates[key];
  const languageCode = found?.languages[lang];
  return found && languageCode ? { template: found, languageCode } : null;
}
