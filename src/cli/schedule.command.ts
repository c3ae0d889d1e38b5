/**
 * `schedule` and `plan --dry-run`: what the nurturing planner has planned and will plan, for
 * one parent or every parent of an initiative, without changing anything. Both build the
 * planner's own dependencies from the configuration (rules file, quiet hours, cap), so what
 * they show is what the running bot does. Ids and rule keys only: no names or chat ids.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DateTime } from 'luxon';
import type { Config } from '../config.js';
import type { Logger } from '../core/ports.js';
import type { Db } from '../db/client.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { listMunicipalities } from '../db/municipalities.repo.js';
import { peopleOfInitiative, personExists } from '../db/people.repo.js';
import { loadReminderRules, PLAN_HORIZON_MS, sendPolicyOf } from '../jobs/nurture.config.js';
import { planPass, type PlanPassDeps, type PlanReport } from '../jobs/plan-pass.js';
import { projectSchedule, type ProjectedMessage } from '../jobs/schedule-projection.js';
import { CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { parseId } from './parse.js';

interface ScheduleOptions {
  person?: number;
  initiative?: number;
  days?: number;
  json?: boolean;
}

interface PlanOptions {
  at?: string;
  dryRun?: boolean;
  person?: number;
  json?: boolean;
}

const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const MAX_DAYS = 1830;
const LOCAL_FORMAT = 'yyyy-LL-dd HH:mm';

function parseDays(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_DAYS) throw new InvalidArgumentError(`expected a whole number of days from 1 to ${MAX_DAYS}.`);
  return Number(value);
}

function parseLocalTime(value: string): string {
  const v = value.trim().replace(' ', 'T');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) || !DateTime.fromISO(v, { zone: 'UTC' }).isValid) {
    throw new InvalidArgumentError('expected a local date and time YYYY-MM-DDTHH:MM, e.g. 2027-03-01T09:00.');
  }
  return v;
}

export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  program
    .command('schedule')
    .description('messages sent, planned and still to come for a parent (or every parent of an initiative); changes nothing')
    .addOption(new Option('--person <id>', 'one person').argParser(parseId).conflicts('initiative'))
    .addOption(new Option('--initiative <id>', "every parent of an initiative (role 'parent')").argParser(parseId))
    .option('--days <n>', 'how far ahead to look (default: 365 for a person, 90 for an initiative)', parseDays)
    .option('--json', 'print JSON for scripts')
    .action((o: ScheduleOptions) => schedule(ctx, o));
  program
    .command('plan')
    .description('what the planner would plan at a moment (dry run only; writes nothing)')
    .option('--at <YYYY-MM-DDTHH:MM>', 'the moment, local time in BOT_TIMEZONE (default: now)', parseLocalTime)
    .option('--dry-run', 'simulate only (required: the running bot plans by itself)')
    .option('--person <id>', 'only this person', parseId)
    .option('--json', 'print JSON for scripts')
    .action((o: PlanOptions) => plan(ctx, o));
}

/** The planner's dependencies, built from the configuration as the bot builds them. */
function planDeps(ctx: CliContext, db: Db, config: Config): PlanPassDeps {
  let rules: PlanPassDeps['rules'];
  try {
    rules = loadReminderRules(config.nurture.rulesPath);
  } catch (err) {
    throw new CliError(`cannot load the reminder rules: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { db, rules, clock: ctx.io.clock, logger: SILENT, policy: sendPolicyOf(config), defaultTimeZone: config.timeZone, horizonMs: PLAN_HORIZON_MS, outreachCooldownDays: config.nurture.outreachCooldownDays };
}

/** Without seeded rules every child counts as "register from age 3": say so instead of misleading. */
function warnUnseeded(ctx: CliContext, db: Db): void {
  if (listMunicipalities(db).length === 0) {
    ctx.note('note: no municipality rules in the database yet (the bot adds them at start; `municipality list` adds them now), so every child counts as "register from age 3".');
  }
}

const local = (at: Date, zone: string): string => DateTime.fromJSDate(at, { zone }).toFormat(LOCAL_FORMAT);

async function schedule(ctx: CliContext, o: ScheduleOptions): Promise<void> {
  if (o.person === undefined && o.initiative === undefined) throw new CliError('give --person <id> or --initiative <id>.');
  const days = o.days ?? (o.person !== undefined ? 365 : 90);
  const from = ctx.io.clock.now();
  const rows = await ctx.withDb((db, config) => {
    const personIds = targetPeople(db, o);
    warnUnseeded(ctx, db);
    return projectSchedule(planDeps(ctx, db, config), { personIds, from, days });
  });
  const who = o.person !== undefined ? `person ${o.person}` : `the parents of initiative ${o.initiative}`;
  if (o.json) return ctx.print(json(rows.map((r) => ({ ...r, sendAt: r.sendAt.toISOString(), local: local(r.sendAt, r.timeZone) }))));
  if (rows.length === 0) return ctx.print(`No messages for ${who} in the next ${days} days.`);
  ctx.print(formatTable(['send time (local)', 'person', 'child', 'rule', 'message', 'status', 'note'], rows.map(scheduleRow)));
}

const scheduleRow = (r: ProjectedMessage): string[] => [local(r.sendAt, r.timeZone), String(r.personId), r.childId === null ? '-' : String(r.childId), r.ruleId, r.messageKey, r.status, r.note ?? ''];

function targetPeople(db: Db, o: ScheduleOptions): number[] {
  if (o.person !== undefined) {
    if (!personExists(db, o.person)) throw new CliError(`no person with id ${o.person}.`);
    return [o.person];
  }
  const initiative = o.initiative ?? 0;
  if (!initiativeById(db, initiative)) throw new CliError(`no initiative with id ${initiative}.`);
  return peopleOfInitiative(db, initiative)
    .filter((p) => p.roles.includes('parent'))
    .map((p) => p.id);
}

async function plan(ctx: CliContext, o: PlanOptions): Promise<void> {
  if (!o.dryRun) throw new CliError('plan only simulates; the running bot plans by itself. Add --dry-run to see what it would plan.');
  const zone = ctx.config().timeZone;
  const at = o.at === undefined ? ctx.io.clock.now() : DateTime.fromISO(o.at, { zone }).toJSDate();
  const report = await ctx.withDb((db, config) => {
    if (o.person !== undefined && !personExists(db, o.person)) throw new CliError(`no person with id ${o.person}.`);
    warnUnseeded(ctx, db);
    return planPass(planDeps(ctx, db, config), { now: at, dryRun: true, personId: o.person });
  });
  if (o.json) return ctx.print(json(planJson(report, zone)));
  ctx.print(`at ${local(report.at, zone)} (${zone}) the planner would plan:`);
  if (report.planned.length === 0) ctx.print('nothing');
  else {
    const planned = [...report.planned].sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime() || a.personId - b.personId);
    const rows = planned.map((r) => [local(r.sendAt, zone), String(r.personId), r.childId === null ? '-' : String(r.childId), r.ruleId, r.payload.key]);
    ctx.print(formatTable(['send time (local)', 'person', 'child', 'rule', 'message'], rows));
  }
  ctx.print(`people: ${report.people}, candidates: ${report.candidates}, planned: ${report.planned.length}, expired: ${report.expired}, ms: ${report.ms}`);
}

function planJson(report: PlanReport, zone: string): object {
  return {
    at: report.at.toISOString(),
    people: report.people,
    candidates: report.candidates,
    expired: report.expired,
    ms: report.ms,
    planned: report.planned.map((r) => ({
      personId: r.personId,
      childId: r.childId,
      ruleId: r.ruleId,
      messageKey: r.payload.key,
      key: r.key,
      channel: r.channel,
      sendAt: r.sendAt.toISOString(),
      local: local(r.sendAt, zone),
    })),
  };
}
