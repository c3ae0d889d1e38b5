/** `role grant | revoke <personId> <initiativeId> <role>`: who may act for an initiative. */
import { Argument, type Command } from 'commander';
import type { Db } from '../db/client.js';
import { grantRole, initiativeById, revokeRole } from '../db/initiatives.repo.js';
import { personExists } from '../db/people.repo.js';
import { ROLES, type Role } from '../domain/model.js';
import { CLI_ACTOR, CliError, type CliContext } from './context.js';
import { parseId } from './parse.js';

export function registerRoleCommands(program: Command, ctx: CliContext): void {
  const group = program.command('role').description("grant or revoke a person's role in an initiative");
  for (const verb of ['grant', 'revoke'] as const) {
    group
      .command(verb)
      .description(verb === 'grant' ? 'give a person a role in an initiative' : 'take a role in an initiative away from a person')
      .argument('<personId>', 'person id (see: people list)', parseId)
      .argument('<initiativeId>', 'initiative id (see: initiative list)', parseId)
      .addArgument(new Argument('<role>', 'the role').choices(ROLES))
      .action((personId: number, initiativeId: number, role: Role) => changeRole(ctx, verb, personId, initiativeId, role));
  }
}

async function changeRole(ctx: CliContext, verb: 'grant' | 'revoke', personId: number, initiativeId: number, role: Role): Promise<void> {
  const changed = await ctx.withDb((db) => {
    assertExists(db, personId, initiativeId);
    return verb === 'grant' ? grantRole(db, personId, initiativeId, role, CLI_ACTOR) : revokeRole(db, personId, initiativeId, role, CLI_ACTOR);
  });
  const what = `role ${role} on initiative ${initiativeId}`;
  if (verb === 'grant') ctx.print(changed ? `granted ${what} to person ${personId}` : `person ${personId} already has ${what}; nothing changed`);
  else ctx.print(changed ? `revoked ${what} from person ${personId}` : `person ${personId} does not have ${what}; nothing changed`);
}

function assertExists(db: Db, personId: number, initiativeId: number): void {
  if (!personExists(db, personId)) throw new CliError(`no person with id ${personId}.`);
  if (!initiativeById(db, initiativeId)) throw new CliError(`no initiative with id ${initiativeId}.`);
}
