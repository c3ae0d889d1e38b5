/**
 * Drafts a template's text in one language from the locale files, so a new language or a new
 * message kind starts from the words the bot already uses (`npm run cli -- whatsapp templates
 * draft --lang tr`). A draft is never approved and marked `review: 'draft'`: a native speaker
 * checks it before it is submitted to Meta.
 *
 * The body is the message's text in WhatsApp markup (*bold*), with "/stop" written as the
 * reader's keyword, named placeholders numbered in the template's parameter order. A message
 * about children starts with "Ouderbrug · {{1}}" (the line naming them); a body that would start
 * or end with a variable gets "Ouderbrug" before or after it (WhatsApp Manager refuses those).
 * Right-to-left bodies start with the right-to-left mark, as the bot's own texts do.
 */
import type { i18n } from 'i18next';
import type { TextParam } from '../../../core/messages.js';
import { RLM, renderText } from '../../../core/render.js';
import { buttonsFor } from '../../../domain/delivery-message.js';
import type { ButtonSet, ReminderRule } from '../../../domain/reminder-rules.js';
import { answerHint, toWhatsAppMarkup, withKeywords } from '../whatsapp.text.js';
import { flatParam } from './cloud.api.js';
import { TEMPLATE_LIMITS, type TemplateLanguage, type WhatsAppTemplate } from './cloud.templates.js';

/** The locale texts of the stand-ins and of the per-child variant (locales/<lang>/whatsapp.json). */
const STAND_IN_TEXTS: Record<string, { body: string; button: string }> = {
  'whatsapp:messageWaiting': { body: 'whatsapp:template.waiting', button: 'whatsapp:template.waitingButton' },
  'whatsapp:answerWaiting': { body: 'whatsapp:template.answerWaiting', button: 'whatsapp:template.answerWaitingButton' },
};
const OPEN_LINE = 'whatsapp:template.open';
const OPEN_BUTTON = 'whatsapp:template.openButton';

/** Notices (not rules) with answer buttons. */
const NOTICE_BUTTONS: Record<string, ButtonSet> = { 'nurture:retention.notice': 'retention', 'nurture:retention.noticeExpected': 'retention' };

/** Button texts over WhatsApp's 25 characters, as the template says them (the chat's own buttons keep the long form). */
const SHORT_BUTTONS: Record<string, string> = {
  'Ik heb mijn kind aangemeld': 'Kind is aangemeld',
  'I have registered my child': 'My child is registered',
  'Ilmahayga waan diiwaangeliyay': 'Waan diiwaangeliyay',
  'Tak, wysyłajcie newsletter': 'Tak, chcę newsletter',
  'Так, залишаймося на зв’язку': 'Так, будьмо на зв’язку',
};

/** Sample values per parameter name, rendered in the template's language. */
const SAMPLES: Record<string, TextParam> = {
  about: { key: 'nurture:about.one', params: { births: { yearMonth: { year: 2024, month: 3 } } } },
  birth: { yearMonth: { year: 2025, month: 6 } },
  left: { key: 'nurture:left.days', params: { count: 14 } },
  deadline: { date: '2027-03-04' },
  deadlineMonth: { yearMonth: { year: 2027, month: 3 } },
  school: 'De Regenboog',
  name: 'Samen naar De Regenboog',
  title: 'Speelochtend',
  when: { dateTime: '2027-03-10T08:30:00.000Z', timeZone: 'Europe/Amsterdam' },
  place: 'Hoofdweg 1, Amsterdam',
  text: { key: 'nurture:toddlerGroups' },
  date: { date: '2027-09-01' },
  parent: 'Ayşe',
  parentLanguage: { key: 'meta:endonym', lng: 'tr' },
  action: { key: 'nurture:helpInterest' },
  city: 'Amsterdam',
};

/** The answer buttons of each message key: from the reminder rules, and the notices that have some. */
export function buttonSets(rules: readonly ReminderRule[]): Map<string, ButtonSet> {
  const sets = new Map<string, ButtonSet>(Object.entries(NOTICE_BUTTONS));
  for (const r of rules) {
    if (!r.buttons) continue;
    const keys = typeof r.message === 'string' ? [r.message] : Object.values(r.message);
    for (const k of keys) if (k) sets.set(k, r.buttons);
  }
  return sets;
}

const raw = (i18n: i18n, lang: string, key: string): string => {
  const [ns, path] = key.split(':') as [string, string];
  const value: unknown = i18n.getResource(lang, ns, path);
  if (typeof value !== 'string') throw new Error(`no text ${key} in ${lang}`);
  return value;
};

const STARTS_WITH_VARIABLE = /^[\u200f\s]*\{\{\d+\}\}/;
const ENDS_WITH_VARIABLE = /\{\{\d+\}\}\s*$/;

function draftBody(i18n: i18n, lang: string, textKey: string, params: readonly string[]): string {
  const hint = answerHint(i18n);
  const text = withKeywords(toWhatsAppMarkup(raw(i18n, lang, textKey)), lang, hint).replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const i = params.indexOf(name);
    if (i < 0) throw new Error(`${textKey} (${lang}) uses {{${name}}}, which is not among the template's params`);
    return `{{${i + 1}}}`;
  });
  let body = params[0] === 'about' ? `Ouderbrug · {{1}}\n${text}` : text;
  if (STARTS_WITH_VARIABLE.test(body)) body = `Ouderbrug · ${body}`;
  if (ENDS_WITH_VARIABLE.test(body)) body = `${body}\n\nOuderbrug`;
  return i18n.dir(lang) === 'rtl' ? `${RLM}${body}` : body;
}

const short = (label: string): string => SHORT_BUTTONS[label] ?? label;

const plain = (i18n: i18n, lang: string, value: TextParam): string => flatParam(renderText(i18n, lang, { key: 'common:plain', params: { value } }).replace(/^\u200f/, ''));

/**
 * One language of a template, drafted from the locales: body, buttons, samples and the per-child
 * variant. `code` is WhatsApp's language code (default: the locale folder name).
 */
export function draftLanguage(i18n: i18n, key: string, t: Pick<WhatsAppTemplate, 'params' | 'quickReplies' | 'perChild' | 'waiting'>, lang: string, sets: ReadonlyMap<string, ButtonSet>, code = lang): TemplateLanguage {
  const standIn = STAND_IN_TEXTS[key];
  const body = draftBody(i18n, lang, standIn?.body ?? key, t.params);
  const set = sets.get(key);
  const buttons = standIn ? [raw(i18n, lang, standIn.button)] : t.quickReplies && set ? buttonsFor(set, { key, params: {}, buttons: set }).flat().map((c) => short(plain(i18n, lang, c.label))) : [];
  const samples = t.params.map((p) => {
    const sample = SAMPLES[p];
    if (sample === undefined) throw new Error(`no sample value for parameter ${p} (add one to SAMPLES in cloud.template-drafts.ts)`);
    return plain(i18n, lang, sample);
  });
  const entry: TemplateLanguage = { code, approved: false, review: 'draft', body, buttons, samples };
  if (t.perChild) entry.perChild = { body: `${body}\n${raw(i18n, lang, OPEN_LINE)}`, button: raw(i18n, lang, OPEN_BUTTON) };
  return entry;
}

/** What a draft breaks of Meta's limits, for the operator to shorten by hand (e.g. a button text over 25). */
export function draftProblems(entry: TemplateLanguage): string[] {
  const problems: string[] = [];
  for (const b of [...entry.buttons, ...(entry.perChild ? [entry.perChild.button] : [])]) {
    if (b.length > TEMPLATE_LIMITS.buttonText) problems.push(`button "${b}" has ${b.length} characters (at most ${TEMPLATE_LIMITS.buttonText})`);
  }
  for (const body of [entry.body, ...(entry.perChild ? [entry.perChild.body] : [])]) {
    if (body.length > TEMPLATE_LIMITS.body) problems.push(`body has ${body.length} characters (at most ${TEMPLATE_LIMITS.body})`);
  }
  return problems;
}
