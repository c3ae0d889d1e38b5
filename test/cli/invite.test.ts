/** `invite create` (one-time staff invites, only a hash stored) and `audit [--initiative] [--json]`. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashInviteToken } from '../../src/core/invite-token.js';
import { invites } from '../../src/db/schema.js';
import { cliWorld } from '../support/cli-run.js';

const world = cliWorld('ouderbrug-cli-invite-', '2027-03-01T09:00:00Z');
const { run, withDb, initiative, personWith } = world;

beforeEach(() => world.setUp());
afterEach(() => world.tearDown());

describe('invite create', () => {
  it('prints a deep link and codes once; stores only the hash, single use, 7 days; audited', async () => {
    const ini = await initiative('Samen naar De Linde');
    const r = await run(['invite', 'create', '--initiative', String(ini), '--role', 'ambassador', '--bot-username', 'OuderbrugTestBot']);
    expect(r.code, r.err).toBe(0);
    const token = /start=inv_([A-Za-z0-9_-]{22})$/m.exec(r.out)?.[1] ?? '';
    expect(token).toHaveLength(22);
    expect(r.out).toContain(`whatsapp: UITNODIGING ${token}`);
    expect(r.out).toContain(`web chat: /start inv_${token}`);
    const row = withDb((db) => db.select().from(invites).get());
    expect(row).toMatchObject({ initiativeId: ini, role: 'ambassador', tokenHash: hashInviteToken(token), usedAt: null, createdBy: null });
    expect(row?.expiresAt.toISOString()).toBe('2027-03-08T09:00:00.000Z');
    const audit = await run(['audit', '--initiative', String(ini), '--json']);
    expect(JSON.parse(audit.out)).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'cli', action: 'invite.create', subjectType: 'initiative', subjectId: ini })]));
    expect(audit.out).not.toContain(token);
  });

  it('--by must be allowed to invite on that initiative (a coordinator of A, not of B; not an ambassador)', async () => {
    const a = await initiative('A-initiatief');
    const b = await initiative('B-initiatief');
    const coordinator = personWith(a, 'coordinator');
    const ambassador = personWith(a, 'ambassador');
    expect((await run(['invite', 'create', '--initiative', String(a), '--role', 'coordinator', '--by', String(coordinator)])).code).toBe(0);
    const foreign = await run(['invite', 'create', '--initiative', String(b), '--role', 'ambassador', '--by', String(coordinator)]);
    expect(foreign.code).toBe(1);
    expect(foreign.err).toContain('may not invite');
    expect((await run(['invite', 'create', '--initiative', String(a), '--role', 'ambassador', '--by', String(ambassador)])).code).toBe(1);
    expect(withDb((db) => db.select().from(invites).all())).toHaveLength(1);
    expect((await run(['invite', 'create', '--initiative', '99', '--role', 'ambassador'])).err).toContain('no initiative');
  });
});

describe('audit', () => {
  it('lists role changes per initiative, as a table or JSON, ids only', async () => {
    const a = await initiative('A-initiatief');
    const b = await initiative('B-initiatief');
    const p = personWith(a, 'parent');
    expect((await run(['role', 'grant', String(p), String(b), 'ambassador'])).code).toBe(0);
    const onB = JSON.parse((await run(['audit', '--initiative', String(b), '--json'])).out) as { action: string; subjectId: number }[];
    expect(onB.map((r) => r.action)).toContain('role.grant');
    expect(JSON.parse((await run(['audit', '--initiative', String(a), '--json'])).out).map((r: { action: string }) => r.action)).not.toContain('role.grant');
    const table = await run(['audit']);
    expect(table.out).toMatch(/role\.grant\s+person \d+/);
    expect(table.out).not.toContain('A-initiatief');
  });
});
