/**
 * `whatsapp templates …`: the message templates WhatsApp needs outside the 24-hour window
 * (config/whatsapp-templates.json; README, WhatsApp).
 *
 *   export [--lang tr,ar] [--unapproved] [--out FILE]   what to submit, in the shape of Meta's
 *        template management API: a JSON array, one POST /{WABA-ID}/message_templates body each
 *   status [--lang tr]   per template and language: approved, checked and ready to submit, or a
 *        draft; with WHATSAPP_WABA_ID and WHATSAPP_CLOUD_TOKEN also what WhatsApp says, and where
 *        the config disagrees with it
 *   draft --lang xx [--out FILE]   a language drafted from the locale files, to check and merge
 *
 * Reads no database and no personal data.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createI18n, DEFAULT_LOCALES_DIR, loadLocales } from '../core/i18n.js';
import { buttonSets, draftLanguage, draftProblems } from '../bot/whatsapp/cloud/cloud.template-drafts.js';
import {
  compareWithRemote,
  configState,
  listRemoteTemplates,
  META_TEMPLATE_LANGUAGES,
  remoteState,
  submissionOf,
  templateRows,
  type RemoteTemplate,
  type TemplateRow,
} from '../bot/whatsapp/cloud/cloud.template-admin.js';
import { DEFAULT_TEMPLATES_PATH, loadTemplates, type WhatsAppTemplates } from '../bot/whatsapp/cloud/cloud.templates.js';
import { loadReminderRules } from '../jobs/nurture.config.js';
import { CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';

interface FileOptions {
  file?: string;
}

const parseLangs = (value: string): string[] => value.split(',').map((l) => l.trim()).filter(Boolean);

export function registerWhatsAppCommands(program: Command, ctx: CliContext): void {
  const templates = program
    .command('whatsapp')
    .description('WhatsApp Business Cloud API')
    .command('templates')
    .description('message templates for messages outside the 24-hour window (config/whatsapp-templates.json)');

  templates
    .command('export')
    .description("writes the templates as Meta's template management API takes them: a JSON array, one POST /{WABA-ID}/message_templates body per template and language")
    .option('--lang <codes>', 'only these languages, comma separated (e.g. tr or tr,ar)', parseLangs)
    .option('--unapproved', 'only what is not approved yet (what to submit)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--file <path>', 'the templates file (default: WHATSAPP_CLOUD_TEMPLATES_PATH or config/whatsapp-templates.json)')
    .action((opts: FileOptions & { lang?: string[]; unapproved?: boolean; out?: string }) => {
      const all = load(ctx, opts);
      checkLangs(all, opts.lang);
      const rows = templateRows(all, opts.lang).filter((r) => !opts.unapproved || !r.entry.approved);
      // A language Meta does not offer is only exported when asked for by name.
      const offered = rows.filter((r) => META_TEMPLATE_LANGUAGES.has(r.code) || opts.lang?.includes(r.lang));
      const skipped = [...new Set(rows.filter((r) => !offered.includes(r)).map((r) => r.lang))];
      const out = `${json(offered.map(submissionOf))}\n`;
      if (opts.out) writeFileSync(resolve(ctx.io.cwd, opts.out), out);
      else ctx.io.stdout(out);
      const drafts = [...new Set(offered.filter((r) => r.entry.review === 'draft').map((r) => r.lang))];
      ctx.note(`${offered.length} templates in ${new Set(offered.map((r) => r.lang)).size} languages${opts.out ? ` written to ${opts.out}` : ''}.`);
      if (drafts.length) ctx.note(`Drafts (${drafts.join(', ')}): a native speaker must check these texts before they are submitted.`);
      if (skipped.length) ctx.note(`Left out: ${skipped.join(', ')} (not a template language Meta offers; --lang ${skipped[0]} exports it anyway).`);
    });

  templates
    .command('status')
    .description('per template and language: approved, ready to submit, or a draft; with WHATSAPP_WABA_ID also what WhatsApp says')
    .option('--lang <codes>', 'only these languages, comma separated', parseLangs)
    .option('--file <path>', 'the templates file (default: WHATSAPP_CLOUD_TEMPLATES_PATH or config/whatsapp-templates.json)')
    .action(async (opts: FileOptions & { lang?: string[] }) => {
      const all = load(ctx, opts);
      checkLangs(all, opts.lang);
      const rows = templateRows(all, opts.lang);
      printStatus(ctx, all, rows, opts.lang);
      const account = ctx.config().whatsappAccount;
      if (!account) {
        ctx.print('');
        ctx.print('WhatsApp itself was not asked (set WHATSAPP_WABA_ID and WHATSAPP_CLOUD_TOKEN to compare with what Meta approved).');
        return;
      }
      let remote: RemoteTemplate[];
      try {
        remote = await listRemoteTemplates(account);
      } catch (err) {
        throw new CliError(`could not list the templates at WhatsApp: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      printRemote(ctx, rows, remote, languagesOf(all, opts.lang));
    });

  templates
    .command('draft')
    .description('drafts one language of every template from the locale files (never approved, review: draft), to check and merge into the templates file')
    .requiredOption('--lang <code>', 'the language (a locale folder, e.g. tr)')
    .option('--code <code>', "WhatsApp's language code if it differs (e.g. pt_PT)")
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--file <path>', 'the templates file (default: WHATSAPP_CLOUD_TEMPLATES_PATH or config/whatsapp-templates.json)')
    .action((opts: FileOptions & { lang: string; code?: string; out?: string }) => {
      const all = load(ctx, opts);
      const locales = loadLocales(DEFAULT_LOCALES_DIR);
      if (!locales.languages.some((l) => l.code === opts.lang)) throw new CliError(`no locale folder ${opts.lang} (languages: ${locales.languages.map((l) => l.code).join(', ')})`);
      const i18n = createI18n(locales);
      const sets = buttonSets(loadReminderRules());
      const drafted: Record<string, unknown> = {};
      for (const [key, t] of Object.entries(all)) {
        const entry = draftLanguage(i18n, key, t, opts.lang, sets, opts.code ?? t.languages[opts.lang]?.code ?? opts.lang);
        for (const p of draftProblems(entry)) ctx.note(`${t.name} (${opts.lang}): ${p}: shorten it by hand`);
        drafted[key] = entry;
      }
      const out = `${json(drafted)}\n`;
      if (opts.out) writeFileSync(resolve(ctx.io.cwd, opts.out), out);
      else ctx.io.stdout(out);
      ctx.note(`Drafted ${Object.keys(drafted).length} templates in ${opts.lang}: a native speaker checks them, then they go under "languages" in the templates file.`);
    });
}

function load(ctx: CliContext, opts: FileOptions): WhatsAppTemplates {
  const path = opts.file ? resolve(ctx.io.cwd, opts.file) : (ctx.config().whatsappCloud?.templatesPath ?? ctx.config().whatsappAccount?.templatesPath ?? DEFAULT_TEMPLATES_PATH);
  try {
    return loadTemplates(path);
  } catch (err) {
    throw new CliError(`cannot use the templates file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function languagesOf(all: WhatsAppTemplates, only?: string[]): string[] {
  const langs = [...new Set(Object.values(all).flatMap((t) => Object.keys(t.languages)))];
  const ordered = ['nl', 'en', ...langs.filter((l) => l !== 'nl' && l !== 'en').sort()].filter((l) => langs.includes(l));
  return only ? ordered.filter((l) => only.includes(l)) : ordered;
}

function checkLangs(all: WhatsAppTemplates, langs?: string[]): void {
  const known = languagesOf(all);
  const unknown = (langs ?? []).filter((l) => !known.includes(l));
  if (unknown.length) throw new CliError(`no templates in ${unknown.join(', ')} (languages: ${known.join(', ')})`);
}

function printStatus(ctx: CliContext, all: WhatsAppTemplates, rows: TemplateRow[], only?: string[]): void {
  const langs = languagesOf(all, only);
  const main = Object.values(all);
  ctx.print(`WhatsApp message templates: ${main.length} (${main.filter((t) => t.perChild).length} with a per-child variant), ${languagesOf(all).length} languages.`);
  ctx.print('');
  ctx.print('In the config: A approved by Meta · S checked, ready to submit · D draft (a native speaker must check it first)');
  const table = main
    .slice()
    .sort((a, b) => Number(b.waiting) - Number(a.waiting))
    .map((t) => [`${t.name}${t.waiting ? ' *' : ''}`, t.category, ...langs.map((l) => configState(t.languages[l]))]);
  ctx.print(formatTable(['template', 'category', ...langs], table));
  ctx.print('* stand-in: "a message from your initiative; reply to read it", for every message without an approved template of its own');
  ctx.print('');
  ctx.print(`Approved: ${langs.map((l) => `${l} ${main.filter((t) => t.languages[l]?.approved).length}/${main.length}`).join(', ')}`);
  const drafts = langs.filter((l) => main.some((t) => t.languages[l]?.review === 'draft'));
  if (drafts.length) ctx.print(`Drafts: the texts in ${drafts.join(', ')} were written from the bot's own translations and are not checked by a native speaker yet. Have them checked before submitting.`);
  const unoffered = langs.filter((l) => main.some((t) => t.languages[l] && !META_TEMPLATE_LANGUAGES.has(t.languages[l].code)));
  if (unoffered.length) ctx.print(`Not a template language Meta offers: ${unoffered.join(', ')}. Those parents get the stand-in in their second language or Dutch, then the full message in their own language.`);
  const standIns = main.filter((t) => t.waiting && !Object.values(t.languages).some((e) => e.approved));
  if (standIns.length) ctx.print(`No stand-in is approved yet: outside the window nothing without an approved template of its own (broadcasts, answers, other languages) reaches a parent. Submit ${standIns.map((t) => t.name).join(' and ')} first.`);
  ctx.print('');
  ctx.print('To submit for approval (npm run cli -- whatsapp templates export --unapproved --lang <code>), per-child variants included:');
  for (const lang of langs) {
    const todo = rows.filter((r) => r.lang === lang && !r.entry.approved);
    if (!todo.length) continue;
    const state = todo.some((r) => r.entry.review === 'draft') ? 'drafts: have them checked first' : 'checked, ready';
    const firsts = todo.filter((r) => r.standIn).map((r) => r.name);
    ctx.print(`  ${lang}: ${todo.length} (${state})${firsts.length ? `, first ${firsts.join(', ')}` : ''}${META_TEMPLATE_LANGUAGES.has(todo[0]!.code) ? '' : ' (not offered by Meta)'}`);
  }
}

function printRemote(ctx: CliContext, rows: TemplateRow[], remote: RemoteTemplate[], langs: string[]): void {
  const at = new Map(remote.map((r) => [`${r.name}|${r.language}`, r.status]));
  const byName = new Map<string, Map<string, TemplateRow>>();
  for (const r of rows) byName.set(r.name, (byName.get(r.name) ?? new Map<string, TemplateRow>()).set(r.lang, r));
  ctx.print('');
  ctx.print(`At WhatsApp (GET /{WABA-ID}/message_templates, ${remote.length} templates): A approved · P pending · R rejected · X paused or disabled · - not there`);
  const table = [...byName].map(([name, perLang]) => [name, ...langs.map((l) => (perLang.get(l) ? remoteState(at.get(`${name}|${perLang.get(l)!.code}`)) : ''))]);
  ctx.print(formatTable(['template', ...langs], table));
  const differences = compareWithRemote(rows, remote);
  ctx.print('');
  if (!differences.length) ctx.print('The config agrees with WhatsApp.');
  else {
    ctx.print(`The config and WhatsApp disagree (${differences.length}):`);
    for (const d of differences) ctx.print(`  ${d.name} (${d.lang}): ${d.what}`);
  }
}
