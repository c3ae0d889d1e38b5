/**
 * The WhatsApp message templates, as data (`config/whatsapp-templates.json`, versioned, validated
 * here at load). Outside the 24-hour customer-service window WhatsApp only delivers templates that
 * Meta approved. Each proactive message key has one template: its name, category, the order of its
 * body parameters ({{1}}, {{2}}, … filled from the message's rendered parameters), and per language
 * the exact body, quick-reply buttons and sample values that are (or will be) submitted to Meta,
 * whether Meta approved it, and whether a native speaker checked the wording ('draft' until then).
 *
 * Stand-ins ("waiting" templates): a message without an approved template of its own in the
 * reader's language (a broadcast's free text, an answer relayed from an ambassador, a filled
 * template that would be too long) goes out as "there is a message from {{1}}; reply to read it".
 * The full message waits (delivery status 'held') and follows as soon as the parent replies.
 * `planTemplate` decides which, before anything is sent (pure, no I/O).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { flatParam, templateParam } from './cloud.api.js';

export const DEFAULT_TEMPLATES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../config/whatsapp-templates.json');

/**
 * Meta's limits for a template, checked at load (the texts) and before each send (the body with
 * its parameters filled in): body 1,024 characters, header and footer 60, quick-reply button text
 * 25, at most 10 buttons (developers.facebook.com/docs/whatsapp/business-management-api/message-templates/components).
 * A body longer than 1,024 characters once filled in is refused at send time with error 132005
 * "Template hydrated text too long" (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
 * Our templates have no header or footer; those limits are here for the day one gets them.
 * Lengths are counted in UTF-16 code units (an emoji counts twice): never less than Meta counts.
 */
export const TEMPLATE_LIMITS = { body: 1024, header: 60, footer: 60, buttonText: 25, buttons: 10 } as const;

/** The payload of a stand-in's or per-child variant's one quick reply: the held message follows. */
export const OPEN_HELD = 'wa:open';

const NAME = z.string().regex(/^[a-z0-9_]{1,512}$/, 'lower case letters, digits and _ (as in WhatsApp Manager)');
const LANG = z.string().regex(/^[a-z]{2,3}$/, 'a locale folder name like nl');
const VARIABLE = /\{\{(\d+)\}\}/g;
/** Marks a text may start with that do not count as its start (the right-to-left mark). */
const INVISIBLE = /^[\u200f\u200e\s]+/;

const variablesOf = (text: string): number[] => [...text.matchAll(VARIABLE)].map((m) => Number(m[1]));

const variant = z.object({
  /** The template's body followed by the line that says to tap the button to choose per child. */
  body: z.string().min(1).max(TEMPLATE_LIMITS.body),
  /** The one quick reply ("Bekijk"); tapped or typed back, the full message with a button per child follows. */
  button: z.string().min(1).max(TEMPLATE_LIMITS.buttonText),
});

const languageEntry = z.object({
  /** The template's language code in WhatsApp Manager (nl, en, en_US, pt_BR, …). */
  code: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a WhatsApp language code like nl, en_US, pt_BR'),
  /** Meta approved this template (and its per-child variant, if any) in this language. */
  approved: z.boolean(),
  /** 'native': a native speaker checked the wording; 'draft': not yet (do not submit a draft). */
  review: z.enum(['native', 'draft']),
  body: z.string().min(1).max(TEMPLATE_LIMITS.body),
  /** Quick-reply button texts, in the order of the message's answers. */
  buttons: z.array(z.string().min(1).max(TEMPLATE_LIMITS.buttonText)).max(TEMPLATE_LIMITS.buttons).default([]),
  /** One sample value per body variable, in this language (Meta's review needs them). */
  samples: z.array(z.string().min(1)).default([]),
  perChild: variant.optional(),
});

const template = z.object({
  comment: z.string().optional(),
  name: NAME,
  category: z.enum(['UTILITY', 'MARKETING']),
  /** Why this category (Meta re-categorises a template whose content does not fit it). */
  why: z.string().min(1),
  /** The message's parameter names in the order of the template's body variables. */
  params: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/)).default([]),
  /** The template has quick-reply buttons for the message's answers, in the same order. */
  quickReplies: z.boolean().default(false),
  /** The name of the variant for a message with a button per child (siblings). */
  perChild: NAME.optional(),
  /** A stand-in: "a message from {{1}} (the initiative) is waiting; reply to read it". */
  waiting: z.boolean().default(false),
  /** For a stand-in: the message keys (prefixes, e.g. "relay:") it stands in for; none: every other key. */
  covers: z.array(z.string().min(1)).default([]),
  languages: z.record(LANG, languageEntry),
});

const templatesFile = z
  .object({
    version: z.literal(2),
    comment: z.string().optional(),
    templates: z.record(z.string().regex(/^[a-z]+:[A-Za-z0-9.]+$/, 'a message key like nurture:deadline14'), template),
  })
  .superRefine((file, ctx) => {
    const names = new Map<string, string>();
    for (const [key, t] of Object.entries(file.templates)) {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['templates', key, ...path], message });
      for (const name of [t.name, ...(t.perChild ? [t.perChild] : [])]) {
        if (names.has(name)) issue(['name'], `${name} is also the name of ${names.get(name)}`);
        names.set(name, key);
      }
      if (t.waiting && (t.params.length !== 1 || t.quickReplies || t.perChild)) issue(['waiting'], 'a stand-in has one parameter (the initiative) and one button, nothing else');
      if (!t.waiting && t.covers.length) issue(['covers'], 'only a stand-in (waiting: true) covers other keys');
      for (const [lang, entry] of Object.entries(t.languages)) {
        const at = (field: string, message: string) => issue(['languages', lang, field], message);
        checkBody(entry.body, t.params.length, (m) => at('body', m));
        if (entry.samples.length !== t.params.length) at('samples', `${t.params.length} samples needed (one per variable), found ${entry.samples.length}`);
        else if (fill(entry.body, entry.samples).length > TEMPLATE_LIMITS.body) at('body', `longer than ${TEMPLATE_LIMITS.body} characters with the samples filled in`);
        const wantButtons = t.waiting || t.quickReplies;
        if (wantButtons && entry.buttons.length === 0) at('buttons', 'quick-reply buttons expected');
        if (t.waiting && entry.buttons.length !== 1) at('buttons', 'a stand-in has exactly one button');
        if (!wantButtons && entry.buttons.length) at('buttons', 'no buttons without quickReplies: true');
        if (new Set(entry.buttons).size !== entry.buttons.length) at('buttons', 'button texts must differ');
        if (Boolean(t.perChild) !== Boolean(entry.perChild)) at('perChild', t.perChild ? `the per-child variant ${t.perChild} needs its body and button here` : 'a per-child variant without perChild (a name) on the template');
        if (entry.perChild) checkBody(entry.perChild.body, t.params.length, (m) => at('perChild', m));
        if (entry.approved && entry.review === 'draft') at('review', 'a draft must be checked by a native speaker before it is submitted (and approved)');
      }
    }
    const defaults = Object.entries(file.templates).filter(([, t]) => t.waiting && t.covers.length === 0);
    if (defaults.length > 1) ctx.addIssue({ code: 'custom', path: ['templates'], message: `one default stand-in expected, found ${defaults.map(([k]) => k).join(', ')}` });
  });

/** Meta's rules for a body: variables {{1}}…{{n}} in order, each once; it may not start or end with one. */
function checkBody(body: string, count: number, problem: (message: string) => void): void {
  const vars = variablesOf(body);
  const expected = Array.from({ length: count }, (_, i) => i + 1);
  if (vars.join(',') !== expected.join(',')) problem(`variables ${vars.map((v) => `{{${v}}}`).join(' ') || '(none)'}: expected ${expected.map((v) => `{{${v}}}`).join(' ') || 'none'}, in that order`);
  const text = body.replace(INVISIBLE, '').trimEnd();
  if (text.startsWith('{{')) problem('starts with a variable (WhatsApp Manager refuses that: put a word before it)');
  if (text.endsWith('}}')) problem('ends with a variable (WhatsApp Manager refuses that: put a word after it)');
}

export type WhatsAppTemplate = z.infer<typeof template>;
export type TemplateLanguage = z.infer<typeof languageEntry>;
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
export function templateFor(templates: WhatsAppTemplates, key: string, lang: string): { template: WhatsAppTemplate; languageCode: string; entry: TemplateLanguage } | null {
  const found = templates[key];
  const entry = found?.languages[lang];
  return found && !found.waiting && entry?.approved ? { template: found, languageCode: entry.code, entry } : null;
}

/** The body with its variables replaced by the values (what the parent reads, and what Meta measures). */
export function fill(body: string, values: readonly string[]): string {
  return body.replace(VARIABLE, (all, n: string) => values[Number(n) - 1] ?? all);
}

/** The stand-in for a message key: the one whose `covers` has the longest matching prefix, else the default. */
export function standInFor(templates: WhatsAppTemplates, key: string): [string, WhatsAppTemplate] | null {
  let best: [string, WhatsAppTemplate, number] | null = null;
  for (const [k, t] of Object.entries(templates)) {
    if (!t.waiting) continue;
    const match = t.covers.length === 0 ? 0 : Math.max(-1, ...t.covers.filter((p) => key.startsWith(p)).map((p) => p.length));
    if (match >= 0 && (!best || match > best[2])) best = [k, t, match];
  }
  return best ? [best[0], best[1]] : null;
}

export interface TemplateRequest {
  key: string;
  /** The reader's language. */
  lang: string;
  /** Their second language ('en' when they chose English), tried for a stand-in after their own. */
  fallbackLang?: string | null;
  /** The message's parameters, rendered in the reader's language. */
  params: Record<string, string>;
  /** The initiative's name, the stand-in's one parameter ("a message from …"). */
  initiative?: string;
  /** The message has a button per child (siblings). */
  perChild?: boolean;
  /** The values of the message's answer buttons (links left out), in order. */
  choices: string[];
}

export type TemplatePlan =
  /** The message's own template (or its per-child variant: `variant`, the full message waits in memory). */
  | { kind: 'own'; key: string; name: string; lang: string; languageCode: string; bodyParams: string[]; quickReplies: string[]; variant: boolean; button?: string; length: number }
  /** A stand-in; the full message is held until the parent replies. `why`: why not its own template. */
  | { kind: 'waiting'; key: string; name: string; lang: string; languageCode: string; bodyParams: string[]; quickReplies: string[]; button: string; why: string; length: number }
  | { kind: 'none'; reason: string };

/**
 * What goes out for a proactive message outside the window: its own approved template in the
 * reader's language when it fits, else a stand-in in the reader's language, else in their second
 * language (English when they chose it), else in Dutch. Only the short stand-in ever crosses
 * languages: the full message then follows in the reader's own language. A template whose filled
 * body would pass Meta's limit (132005) is never sent: the stand-in goes instead.
 */
export function planTemplate(templates: WhatsAppTemplates, req: TemplateRequest): TemplatePlan {
  const own = ownPlan(templates, req);
  return typeof own === 'string' ? planStandIn(templates, req, own) : own;
}

function ownPlan(templates: WhatsAppTemplates, req: TemplateRequest): TemplatePlan | string {
  const t = templates[req.key];
  if (!t || t.waiting) return 'no template of its own';
  const entry = t.languages[req.lang];
  if (!entry?.approved) return `its template is not approved in ${req.lang}`;
  const missing = t.params.find((p) => req.params[p] === undefined);
  if (missing) return `parameter ${missing} missing`;
  const variant = req.perChild === true && t.quickReplies && req.choices.length > 0;
  if (variant && !(t.perChild && entry.perChild)) return 'no variant for a button per child';
  const values = t.params.map((p) => flatParam(req.params[p]!));
  const body = variant ? entry.perChild!.body : entry.body;
  const length = fill(body, values).length;
  if (length > TEMPLATE_LIMITS.body) return `too long: ${length} characters filled in, WhatsApp allows ${TEMPLATE_LIMITS.body} (132005)`;
  const quickReplies = variant ? [OPEN_HELD] : t.quickReplies ? req.choices : [];
  if (!variant && quickReplies.length && quickReplies.length !== entry.buttons.length) return `${quickReplies.length} answers, its template has ${entry.buttons.length} buttons`;
  const name = variant ? t.perChild! : t.name;
  return { kind: 'own', key: req.key, name, lang: req.lang, languageCode: entry.code, bodyParams: values.map(templateParam), quickReplies, variant, ...(variant ? { button: entry.perChild!.button } : {}), length };
}

/** The stand-in for a message, in the first approved of: the reader's language, their second language, Dutch. */
export function planStandIn(templates: WhatsAppTemplates, req: TemplateRequest, why: string): TemplatePlan {
  const found = standInFor(templates, req.key);
  const none = (standIn: string): TemplatePlan => ({ kind: 'none', reason: `no approved template for ${req.key} in ${req.lang} (${why}; ${standIn})` });
  if (!found) return none('no stand-in');
  const [key, t] = found;
  const order = [...new Set([req.lang, ...(req.fallbackLang ? [req.fallbackLang] : []), 'nl'])];
  const lang = order.find((l) => t.languages[l]?.approved);
  if (!lang) return none(`the stand-in ${t.name} is not approved in ${order.join(', ')}`);
  const entry = t.languages[lang]!;
  const value = flatParam(req.initiative?.trim() || 'Ouderbrug');
  const length = fill(entry.body, [value]).length;
  if (length > TEMPLATE_LIMITS.body) return { kind: 'none', reason: `the stand-in ${t.name} would be too long (${length} characters)` };
  return { kind: 'waiting', key, name: t.name, lang, languageCode: entry.code, bodyParams: [templateParam(value)], quickReplies: [OPEN_HELD], button: entry.buttons[0]!, why, length };
}
