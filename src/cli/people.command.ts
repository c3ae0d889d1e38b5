/**
 * `people list` and `interests list` for one initiative. Ids only: no names, chat ids or
 * postcodes leave the database here (the repo does not even select them).
 */
import type { Command } from 'commander';
import { yearMonthIn } from '../core/clock.js';
import type { Db } from '../db/client.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { interestsOfInitiative, peopleOfInitiative, type PersonSummary } from '../db/people.repo.js';
import { ageInMonths, type YearMonth } from '../domain/birth-month.js';
import { CliError, type CliContext } from './context.js';
import { dateIn, formatTable, json } from './format.js';
import { parseId } from './parse.js';

interface ListOptions {
  initiative: number;
  json?: boolean;
}

type ChildAge = { ageMonths: number } | { due: string };

export function registerPeopleCommands(program: Command, ctx: CliContext): void {
  program
    .command('people')
    .description('people in an initiative (ids only, no personal details)')
    .command('list')
    .description('one line per person: id, roles, language, children, proactive, unreachable')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((opts: ListOptions) => listPeople(ctx, opts));

  program
    .command('interests')
    .description('what parents said they want to help with, for ambassadors to follow up')
    .command('list')
    .description('one line per interest: person id, action key, date')
    .requiredOption('--initiative <id>', 'initiative id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((opts: ListOptions) => listInterests(ctx, opts));
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Ages are reckoned in the bot's time zone, so a child turns a month older at Dutch midnight. */
function childAges(person: PersonSummary, now: YearMonth): ChildAge[] {
  return person.children.map((c) => (c.expected ? { due: `${c.year}-${pad2(c.month)}` } : { ageMonths: ageInMonths(c, now) }));
}

const ageText = (a: ChildAge): string => ('due' in a ? `due ${a.due}` : `${a.ageMonths}m`);

async function listPeople(ctx: CliContext, opts: ListOptions): Promise<void> {
  const { timeZone } = ctx.config();
  const now = yearMonthIn(ctx.io.clock.now(), timeZone);
  const rows = await ctx.withDb((db) => {
    assertInitiative(db, opts.initiative);
    return peopleOfInitiative(db, opts.initiative).map((p) => ({
      personId: p.id,
      roles: p.roles,
      language: p.language,
      children: childAges(p, now),
      proactive: p.proactive,
      unreachable: !p.reachable,
    }));
  });
  if (opts.json) return ctx.print(json(rows));
  if (rows.length === 0) return ctx.print(`No people in initiative ${opts.initiative} yet.`);
  ctx.print(
    formatTable(
      ['person', 'roles', 'language', 'children', 'proactive', 'unreachable'],
      rows.map((r) => [String(r.personId), r.roles.join(','), r.language, r.children.map(ageText).join(', ') || '-', r.proactive ? 'on' : 'off', r.unreachable ? 'yes' : 'no']),
    ),
  );
}

async function listInterests(ctx: CliContext, opts: ListOptions): Promise<void> {
  const { timeZone } = ctx.config();
  const rows = await ctx.withDb((db) => {
    assertInitiative(db, opts.initiative);
    return interestsOfInitiative(db, opts.initiative);
  });
  if (opts.json) return ctx.print(json(rows.map((r) => ({ personId: r.personId, actionKey: r.actionKey, at: r.at.toISOString() }))));
  if (rows.length === 0) return ctx.print(`No interests in initiative ${opts.initiative} yet.`);
  ctx.print(formatTable(['person', 'action', 'date'], rows.map((r) => [String(r.personId), r.actionKey, dateIn(r.at, timeZone)])));
}

function assertInitiative(db: Db, id: number): void {
  if (!initiativeById(db, id)) throw new CliError(`no initiative with id ${id}.`);
}
