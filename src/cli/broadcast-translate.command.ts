/**
 * `broadcast translate <id> [--lang tr,ar] [--json]`: machine-translated drafts of a broadcast's
 * missing languages from its Dutch text (issue 11, item 3; ADR 0009). Without --lang: the
 * languages its audience reads that have no version yet. Drafts are stored as machine versions,
 * not approved: nothing is sent before the author approves or edits them; the author gets a notice.
 * Needs LIBRETRANSLATE_URL (off by default). Audited as broadcast.machineDrafts (actor 'cli').
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_LOCALES_DIR, loadLocales } from '../core/i18n.js';
import type { Logger } from '../core/ports.js';
import { countAudience, initiativeZone } from '../db/broadcast-audience.repo.js';
import { getBroadcast } from '../db/broadcasts.repo.js';
import { createMachineDrafts, DRAFTABLE, SOURCE_LANG, type DraftReport } from '../jobs/broadcast-translate.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { parseId } from './parse.js';

interface TranslateOptions {
  lang?: string[];
  json?: boolean;
}

/** "tr,ar" → ['tr', 'ar'] (language codes: 2–3 lowercase letters). */
export function parseLanguages(value: string): string[] {
  const codes = [...new Set(value.split(',').map((c) => c.trim().toLowerCase()).filter(Boolean))];
  const bad = codes.find((c) => !/^[a-z]{2,3}$/.test(c));
  if (!codes.length || bad !== undefined) throw new InvalidArgumentError(`expected language codes like tr,ar (got "${bad ?? value}").`);
  return codes;
}

/** Adds `translate` to the `broadcast` command group. */
export function registerBroadcastTranslate(broadcastCommand: Command, ctx: CliContext): void {
  broadcastCommand
    .command('translate')
    .description('machine-translate the Dutch text into missing languages as drafts the author must approve (needs LIBRETRANSLATE_URL)')
    .argument('<id>', 'broadcast id', parseId)
    .option('--lang <codes>', 'only these languages, e.g. tr,ar (default: the languages of its audience without a version)', parseLanguages)
    .option('--json', 'print JSON for scripts')
    .action((id: number, opts: TranslateOptions) => translate(ctx, id, opts));
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const PROBLEM: Record<DraftReport['failed'][number]['problem'], string> = {
  kept: 'kept: it already has a version written, recorded or approved by a person',
  unsupported: 'no draft: the translation server cannot translate Dutch into it',
  retry: 'no draft: the translation server was busy or did not answer in time; try again later',
  unavailable: 'no draft: the translation server cannot be reached or refuses the key',
  invalid: 'no draft: the translation server refused the text (too long?)',
};

async function translate(ctx: CliContext, id: number, opts: TranslateOptions): Promise<void> {
  const config = ctx.config();
  const now = ctx.io.clock.now();
  const report = await ctx.withDb(async (db) => {
    const b = getBroadcast(db, id);
    if (!b) throw new CliError(`no broadcast with id ${id}.`);
    if (!DRAFTABLE.includes(b.status)) throw new CliError(`broadcast ${id} is ${b.status}: drafts can be added only while it is a draft.`);
    if (!b.versions.find((v) => v.lang === SOURCE_LANG)?.text?.trim()) throw new CliError(`broadcast ${id} has no Dutch text to translate from.`);
    const languages = opts.lang ?? [...countAudience(db, b.initiativeId, b.audience, now, initiativeZone(db, b.initiativeId, config.timeZone)).keys()].filter((l) => l !== SOURCE_LANG && !b.versions.some((v) => v.lang === l));
    if (!languages.length) throw new CliError(`every language of broadcast ${id}'s audience has a version; name others with --lang.`);
    const locales = loadLocales(config.localesDir ?? DEFAULT_LOCALES_DIR);
    const drafts = createMachineDrafts(config, {
      db,
      clock: ctx.io.clock,
      logger: quiet,
      languageName: (code) => locales.languages.find((l) => l.code === code)?.endonym,
    });
    if (!drafts) throw new CliError('machine translation is off: set LIBRETRANSLATE_URL (and LIBRETRANSLATE_API_KEY if the server needs one).');
    return drafts.translate({ broadcastId: id, languages, requesterId: null, actor: CLI_ACTOR });
  });
  if (opts.json) {
    ctx.print(json(report));
    return;
  }
  const rows = [
    ...report.drafted.map((lang) => [lang, 'draft stored: machine translation, not approved (sent only after the author approves or edits it)']),
    ...report.failed.map((f) => [f.lang, f.reason && f.problem !== 'kept' ? `${PROBLEM[f.problem]} (${f.reason})` : PROBLEM[f.problem]]),
  ];
  ctx.print(`broadcast ${id}: machine drafts from Dutch`);
  ctx.print(formatTable(['lang', 'result'], rows));
  if (report.status === 'closed') ctx.print('It stopped being a draft while translating: the rest was not stored.');
  ctx.print(report.noticed ? 'The author was sent a notice.' : 'No notice was written: the broadcast has no author, or the author has no chat we can reach.');
}
