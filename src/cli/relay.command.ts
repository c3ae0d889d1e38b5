/**
 * Parents' questions for operators (issue 11, item 5): ids, counts and states only, never what
 * anyone wrote, a name or a number (staff answer in the chat, where their role is checked).
 *   relay list  [--initiative ID] [--all] [--json]   threads (open and claimed; --all: closed too)
 *   relay tasks [--initiative ID] [--json]           call-back tasks
 *   relay show  <id> [--json]                        one thread: who it was offered to (person ids, tiers), message counts
 *   relay close <id>                                 closes it (the parent is told; audited)
 *   relay outcome <id> <reached|noAnswer|wrongNumber|declined>   a call-back's outcome (the number is deleted; audited)
 */
import { Argument, type Command } from 'commander';
import { and, asc, count, eq, inArray, ne, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { initiativeById } from '../db/initiatives.repo.js';
import { closeThread, recordOutcome } from '../db/relay.effects.js';
import { threadRow } from '../db/relay.repo.js';
import { relayMessages, relayOffers, relayThreads } from '../db/schema.js';
import { CALLBACK_OUTCOMES, type CallbackOutcome, type RelayKind } from '../domain/relay.types.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { formatTable, json } from './format.js';
import { parseId } from './parse.js';

interface ListOptions {
  initiative?: number;
  all?: boolean;
  json?: boolean;
}

export function registerRelayCommands(program: Command, ctx: CliContext): void {
  const group = program.command('relay').description("parents' questions relayed to ambassadors (ids and counts only, never texts)");
  group
    .command('list')
    .description('questions that are open or being answered (--all: closed ones too)')
    .option('--initiative <id>', 'only this initiative', parseId)
    .option('--all', 'include closed threads')
    .option('--json', 'print JSON for scripts')
    .action((opts: ListOptions) => list(ctx, 'question', opts));
  group
    .command('tasks')
    .description('call-back tasks that are open or claimed (--all: with their outcomes)')
    .option('--initiative <id>', 'only this initiative', parseId)
    .option('--all', 'include closed tasks')
    .option('--json', 'print JSON for scripts')
    .action((opts: ListOptions) => list(ctx, 'callback', opts));
  group
    .command('show')
    .description('one thread: state, tier, offers (person ids) and message counts')
    .argument('<id>', 'thread id', parseId)
    .option('--json', 'print JSON for scripts')
    .action((id: number, opts: { json?: boolean }) => show(ctx, id, opts));
  group
    .command('close')
    .description('close a thread (the parent is told)')
    .argument('<id>', 'thread id', parseId)
    .action((id: number) => close(ctx, id));
  group
    .command('outcome')
    .description("record a call-back's outcome (the number is deleted; 'declined' is final)")
    .argument('<id>', 'thread id', parseId)
    .addArgument(new Argument('<outcome>', 'the outcome').choices(CALLBACK_OUTCOMES))
    .action((id: number, outcome: CallbackOutcome) => setOutcome(ctx, id, outcome));
}

interface Line {
  id: number;
  initiative: number;
  kind: string;
  source: string;
  language: string;
  status: string;
  tier: number;
  claimedBy: number | null;
  createdAt: string;
  messages: number;
  outcome: string | null;
  phoneKept: boolean;
}

function lines(db: Db, kind: RelayKind, opts: ListOptions): Line[] {
  const where: SQL[] = [eq(relayThreads.kind, kind)];
  if (opts.initiative !== undefined) where.push(eq(relayThreads.initiativeId, opts.initiative));
  if (!opts.all) where.push(ne(relayThreads.status, 'closed'));
  const rows = db.select().from(relayThreads).where(and(...where)).orderBy(asc(relayThreads.id)).all();
  const counts = new Map(
    rows.length
      ? db
          .select({ id: relayMessages.threadId, n: count() })
          .from(relayMessages)
          .where(inArray(relayMessages.threadId, rows.map((r) => r.id)))
          .groupBy(relayMessages.threadId)
          .all()
          .map((c) => [c.id, c.n])
      : [],
  );
  return rows.map((r) => ({
    id: r.id,
    initiative: r.initiativeId,
    kind: r.kind,
    source: r.source,
    language: r.language,
    status: r.status,
    tier: r.tier,
    claimedBy: r.claimedBy,
    createdAt: r.createdAt.toISOString(),
    messages: counts.get(r.id) ?? 0,
    outcome: r.outcome,
    phoneKept: r.callbackPhone !== null,
  }));
}

async function list(ctx: CliContext, kind: RelayKind, opts: ListOptions): Promise<void> {
  const rows = await ctx.withDb((db) => {
    if (opts.initiative !== undefined && !initiativeById(db, opts.initiative)) throw new CliError(`no initiative with id ${opts.initiative}.`);
    return lines(db, kind, opts);
  });
  if (opts.json) return ctx.print(json(rows));
  if (!rows.length) return ctx.print(kind === 'question' ? 'No questions.' : 'No call-back tasks.');
  const head = ['id', 'initiative', 'source', 'language', 'status', 'tier', 'claimed by', 'created', 'messages'];
  const extra = kind === 'callback' ? ['number kept', 'outcome'] : [];
  ctx.print(
    formatTable(
      [...head, ...extra],
      rows.map((r) => [
        String(r.id),
        String(r.initiative),
        r.source,
        r.language,
        r.status,
        r.tier >= 3 ? 'nobody left' : String(r.tier),
        r.claimedBy === null ? '-' : `person ${r.claimedBy}`,
        r.createdAt,
        String(r.messages),
        ...(kind === 'callback' ? [r.phoneKept ? 'yes' : 'no', r.outcome ?? '-'] : []),
      ]),
    ),
  );
}

async function show(ctx: CliContext, id: number, opts: { json?: boolean }): Promise<void> {
  const data = await ctx.withDb((db) => {
    const t = threadRow(db, id);
    if (!t) throw new CliError(`no thread with id ${id}.`);
    const offers = db.select().from(relayOffers).where(eq(relayOffers.threadId, id)).orderBy(asc(relayOffers.tier), asc(relayOffers.staffId)).all();
    const msgs = db.select({ fromParent: relayMessages.fromParent }).from(relayMessages).where(eq(relayMessages.threadId, id)).all();
    const line = lines(db, t.kind, { all: true }).find((l) => l.id === id)!;
    return {
      ...line,
      closedAt: t.closedAt?.toISOString() ?? null,
      closedBy: t.closedBy,
      offers: offers.map((o) => ({ person: o.staffId, tier: o.tier, at: o.at.toISOString() })),
      fromParent: msgs.filter((m) => m.fromParent).length,
      fromStaff: msgs.filter((m) => !m.fromParent).length,
    };
  });
  if (opts.json) return ctx.print(json(data));
  ctx.print(`thread ${data.id} (${data.kind}, initiative ${data.initiative}, from ${data.source}, language ${data.language})`);
  ctx.print(`status: ${data.status}${data.closedBy ? ` by ${data.closedBy} at ${data.closedAt}` : ''}; tier ${data.tier >= 3 ? 'nobody left' : data.tier}; claimed by ${data.claimedBy === null ? '-' : `person ${data.claimedBy}`}`);
  ctx.print(`messages: ${data.fromParent} from the parent, ${data.fromStaff} from staff`);
  if (data.kind === 'callback') ctx.print(`number kept: ${data.phoneKept ? 'yes' : 'no'}; outcome: ${data.outcome ?? '-'}`);
  ctx.print(`offered to: ${data.offers.length ? data.offers.map((o) => `person ${o.person} (tier ${o.tier})`).join(', ') : 'nobody'}`);
}

async function close(ctx: CliContext, id: number): Promise<void> {
  const now = ctx.io.clock.now();
  await ctx.withDb((db) =>
    db.transaction((tx) => {
      const t = threadRow(tx, id);
      if (!t) throw new CliError(`no thread with id ${id}.`);
      if (t.status === 'closed') throw new CliError(`thread ${id} is already closed.`);
      closeThread(tx, t, 'operator', CLI_ACTOR, now);
    }),
  );
  ctx.print(`thread ${id} closed; the parent is told.`);
}

async function setOutcome(ctx: CliContext, id: number, outcome: CallbackOutcome): Promise<void> {
  const now = ctx.io.clock.now();
  await ctx.withDb((db) =>
    db.transaction((tx) => {
      const t = threadRow(tx, id);
      if (!t) throw new CliError(`no thread with id ${id}.`);
      if (t.kind !== 'callback') throw new CliError(`thread ${id} is a question, not a call-back task.`);
      if (!recordOutcome(tx, t, outcome, CLI_ACTOR, now)) throw new CliError(`thread ${id} is already closed.`);
    }),
  );
  ctx.print(`call-back ${id}: ${outcome}; the number is deleted.`);
}
