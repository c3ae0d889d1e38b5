import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProgram, runCli, type CliIo } from '../../src/cli/main.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { auditLog, children, identities, interests, memberships, people } from '../../src/db/schema.js';
import { fixedClock } from '../support/clock.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let dir: string;
let dbPath: string;

interface RunResult {
  code: number;
  out: string;
  err: string;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    env: { DATABASE_PATH: dbPath, ...env },
    cwd: dir,
    // Mid-month in Amsterdam, so month arithmetic is unambiguous.
    clock: fixedClock('2025-06-15T10:00:00Z'),
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** Opens the same file the CLI writes, for arranging and checking rows directly. */
function withDb<T>(fn: (db: Db) => T): T {
  const db = openDatabase(dbPath);
  try {
    return fn(db);
  } finally {
    db.$client.close();
  }
}

const createArgs = ['initiative', 'create', '--name', 'Samen naar De Linde', '--school', 'De Linde', '--municipality', 'Amsterdam', '--postcodes', '1091,1092'];

async function createInitiative(extra: string[] = []): Promise<{ id: number; code: string }> {
  const r = await run([...createArgs, ...extra]);
  expect(r.code, r.err).toBe(0);
  const id = Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
  const code = /^code: (\S+)$/m.exec(r.out)?.[1] ?? '';
  return { id, code };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-cli-'));
  dbPath = join(dir, 'test.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('initiative create', () => {
  it('prints id, code and deep link, writes a PNG QR code and an audit row', async () => {
    const r = await run([...createArgs, '--phase', '2', '--bot-username', '@OuderbrugTestBot', '--qr']);
    expect(r.code, r.err).toBe(0);
    const code = /^code: (\S+)$/m.exec(r.out)?.[1];
    expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(r.out).toContain(`link: https://t.me/OuderbrugTestBot?start=${code}`);
    const png = join(dir, 'data', `initiative-${code}.png`); // generated files go to ./data/
    expect(r.out).toContain(`qr: ${png}`);
    expect(existsSync(png)).toBe(true);
    expect(readFileSync(png).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const audit = withDb((db) => db.select().from(auditLog).all());
    expect(audit).toMatchObject([{ actor: 'cli', action: 'initiative.create', subjectType: 'initiative' }]);
  });

  it('takes the bot username from TELEGRAM_BOT_USERNAME and writes the QR to a named file', async () => {
    const r = await run([...createArgs, '--code', 'linde', '--qr', 'flyer.png'], { TELEGRAM_BOT_USERNAME: 'EnvBot_123' });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('link: https://t.me/EnvBot_123?start=linde');
    expect(readFileSync(join(dir, 'flyer.png')).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('prints /start <code> without a bot username and refuses a QR code then, before writing anything', async () => {
    const plain = await run([...createArgs, '--code', 'linde']);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('link: /start linde');
    expect(plain.err).toContain('--bot-username');

    const withQr = await run([...createArgs, '--code', 'other', '--qr']);
    expect(withQr.code).toBe(1);
    expect(withQr.err).toMatch(/^error: a QR code needs the bot username/);
    expect((await run(['initiative', 'list', '--json'])).out).not.toContain('"other"');
  });

  it.each([
    [['--postcodes', '123'], /'--postcodes <list>' argument '123' is invalid\. "123" is not a 4-digit postcode/],
    [['--postcodes', '0999'], /not a 4-digit postcode/],
    [['--postcodes', '1091,abcd'], /"abcd" is not a 4-digit postcode/],
    [['--phase', '6'], /'--phase <n>' argument '6' is invalid\. phase must be a whole number from 0 to 5/],
    [['--name', '   '], /--name must not be empty/],
    [['--name', 'x'.repeat(101)], /--name must be at most 100 characters/],
  ])('rejects %j with a clear error and exit code 1', async (override, message) => {
    const args = [...createArgs];
    const at = args.indexOf(override[0] ?? '');
    if (at >= 0) args.splice(at, 2, ...override);
    else args.push(...override);
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.out).toBe('');
  });

  it('accepts postcode ranges and refuses a duplicate code', async () => {
    await createInitiative(['--code', 'linde', '--postcodes', '1091-1093,1097']);
    const list = await run(['initiative', 'list', '--json']);
    expect(JSON.parse(list.out)).toMatchObject([{ code: 'linde', postcodes: ['1091', '1092', '1093', '1097'] }]);
    const again = await run([...createArgs, '--code', 'linde']);
    expect(again).toMatchObject({ code: 1, err: 'error: an initiative with code "linde" already exists.\n' });
  });
});

describe('initiative create: municipality and postcodes', () => {
  it('stores the configured name for an alias, and refuses an unknown municipality with a "did you mean"', async () => {
    const hague = await run([...createArgs.slice(0, 6), '--municipality', "'s-Gravenhage", '--postcodes', '2511']);
    expect(hague.code, hague.err).toBe(0);
    for (const [typed, hint] of [
      ['Amsterdm', 'Did you mean "amsterdam"?'],
      ['Nijmgen', 'Did you mean "nijmegen"?'],
      ['den hag', 'Did you mean "den haag"?'],
    ]) {
      const r = await run([...createArgs.slice(0, 6), '--municipality', typed ?? '', '--postcodes', '1011']);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`error: unknown municipality "${typed}". ${hint} See municipality list, or pass --force to use it with the default rule (from age 3).\n`);
    }
    const haarlem = await run([...createArgs.slice(0, 6), '--municipality', 'Haarlem', '--postcodes', '2011']);
    expect(haarlem.err).toBe('error: unknown municipality "Haarlem". See municipality list, or pass --force to use it with the default rule (from age 3).\n');
    const forced = await run([...createArgs.slice(0, 6), '--municipality', 'Haarlem', '--postcodes', '2011', '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(forced.err).toContain('"Haarlem" has no registration rule');
    const list = JSON.parse((await run(['initiative', 'list', '--json'])).out) as { municipality: string }[];
    expect(list.map((i) => i.municipality)).toEqual(['den haag', 'Haarlem']);
  });

  it('warns when postcodes overlap another initiative', async () => {
    await createInitiative(['--code', 'linde']);
    const r = await run([...createArgs.slice(0, 8), '--postcodes', '1092-1094', '--code', 'eik']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('warning: postcodes 1092 are also in initiative 1 (Samen naar De Linde); parents there will be offered both.');
  });
});

describe('initiative edit and archive', () => {
  it('changes the given fields only, checks the municipality, warns on overlap and audits field names', async () => {
    const { id } = await createInitiative(['--code', 'linde']);
    await createInitiative(['--code', 'eik', '--postcodes', '1095']);
    const r = await run(['initiative', 'edit', String(id), '--school', 'De Eik', '--municipality', 'den-haag', '--postcodes', '1091,1095']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`initiative ${id} changed: municipality, postcodes, school (municipality: den haag)\n`);
    expect(r.err).toContain('warning: postcodes 1095 are also in initiative 2');
    const list = JSON.parse((await run(['initiative', 'list', '--json'])).out) as unknown[];
    expect(list[0]).toMatchObject({ name: 'Samen naar De Linde', school: 'De Eik', municipality: 'den haag', postcodes: ['1091', '1095'], archived: false });
    expect((await run(['initiative', 'edit', String(id), '--municipality', 'Amsterdm'])).err).toMatch(/Did you mean "amsterdam"\?/);
    expect((await run(['initiative', 'edit', String(id)])).err).toMatch(/nothing to change/);
    expect((await run(['initiative', 'edit', '99', '--name', 'X'])).err).toBe('error: no initiative with id 99.\n');
    const audit = withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, 'initiative.edit')).all());
    expect(audit).toMatchObject([{ actor: 'cli', subjectId: id, detail: { fields: 'municipality,postcodes,school' } }]);
  });

  it('archives: no longer offered by postcode or deep link; --undo restores', async () => {
    const { id, code } = await createInitiative(['--code', 'linde']);
    const { createDirectory } = await import('../../src/db/initiatives.repo.js');
    expect(withDb((db) => createDirectory(db).initiativesForPostcode('1091').length)).toBe(1);
    expect((await run(['initiative', 'archive', String(id)])).out).toBe(`initiative ${id} is archived: not offered to new parents, no reminders\n`);
    expect((await run(['initiative', 'archive', String(id)])).out).toContain('already archived; nothing changed');
    expect(withDb((db) => [createDirectory(db).initiativesForPostcode('1091').length, createDirectory(db).initiativeByCode(code)])).toEqual([0, null]);
    expect(JSON.parse((await run(['initiative', 'list', '--json'])).out)).toMatchObject([{ archived: true }]);
    expect((await run(['initiative', 'archive', String(id), '--undo'])).out).toBe(`initiative ${id} is active again\n`);
    expect(withDb((db) => createDirectory(db).initiativesForPostcode('1091').length)).toBe(1);
    expect((await run(['initiative', 'archive', '99'])).err).toBe('error: no initiative with id 99.\n');
  });
});

describe('initiative list, link and phase', () => {
  it('lists initiatives as a table', async () => {
    await createInitiative(['--code', 'linde', '--postcodes', '1091-1093,1097']);
    const r = await run(['initiative', 'list']);
    expect(r.code).toBe(0);
    const [header, , row] = r.out.split('\n');
    expect(header).toMatch(/^id\s+code\s+name\s+school\s+municipality\s+phase\s+postcodes$/);
    expect(row).toMatch(/^1\s+linde\s+Samen naar De Linde\s+De Linde\s+amsterdam\s+1\s+1091-1093,1097$/);
  });

  it('prints the link again and rewrites the QR code', async () => {
    const { id, code } = await createInitiative();
    const r = await run(['initiative', 'link', String(id), '--bot-username', 'OuderbrugTestBot', '--qr', 'again.png']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`link: https://t.me/OuderbrugTestBot?start=${code}`);
    expect(readFileSync(join(dir, 'again.png')).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(await run(['initiative', 'link', '99'])).toMatchObject({ code: 1, err: 'error: no initiative with id 99.\n' });
  });

  it('changes the phase, prints its Dutch name from the locale and writes an audit row', async () => {
    const { id } = await createInitiative();
    const phases = JSON.parse(readFileSync('locales/nl/phases.json', 'utf8')) as Record<string, { name: string }>;
    // Without --yes: how many parents it will reach, and nothing changes.
    const ask = await run(['initiative', 'phase', String(id), '3']);
    expect(ask.code, ask.err).toBe(0);
    expect(ask.out).toContain(`Moving it to phase 3: ${phases.p3?.name} will tell 0 parents`);
    expect(ask.out).toContain(`Confirm with: initiative phase ${id} 3 --yes`);
    expect(withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, 'initiative.phase')).all())).toHaveLength(0);
    const r = await run(['initiative', 'phase', String(id), '3', '--yes']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`initiative ${id} is now in phase 3: ${phases.p3?.name}\nannouncement planned for 0 parents\n`);
    const audit = withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, 'initiative.phase')).all());
    expect(audit).toMatchObject([{ actor: 'cli', subjectId: id, detail: { phase: 3 } }]);

    const same = await run(['initiative', 'phase', String(id), '3', '--yes']);
    expect(same.out).toContain('nothing changed');
    expect(withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, 'initiative.phase')).all())).toHaveLength(1);
  });

  it('rejects an invalid phase or id', async () => {
    const { id } = await createInitiative();
    const bad = await run(['initiative', 'phase', String(id), '9']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/argument 'phase'.*phase must be a whole number from 0 to 5/);
    expect((await run(['initiative', 'phase', 'abc', '1'])).err).toMatch(/expected a positive whole number/);
    expect(await run(['initiative', 'phase', '42', '1'])).toMatchObject({ code: 1, err: 'error: no initiative with id 42.\n' });
  });
});

function insertPerson(db: Db, initiativeId: number): number {
  const person = db.insert(people).values({ language: 'tr', displayName: 'Ayşe Yılmaz', pc4: '1093', proactive: false }).returning().get();
  db.insert(identities).values({ personId: person.id, channel: 'telegram', chatId: '987654321', unreachableAt: new Date('2025-05-01T00:00:00Z') }).run();
  db.insert(children).values([
    { personId: person.id, birthYear: 2024, birthMonth: 3 },
    { personId: person.id, birthYear: 2025, birthMonth: 11, expected: true },
  ]).run();
  db.insert(memberships).values({ personId: person.id, initiativeId, role: 'parent' }).run();
  return person.id;
}

describe('roles, people and interests', () => {
  it('grants and revokes a role, says when nothing changed, and audits each change', async () => {
    const { id } = await createInitiative();
    const personId = withDb((db) => insertPerson(db, id));
    const grant = ['role', 'grant', String(personId), String(id), 'ambassador'];
    expect((await run(grant)).out).toBe(`granted role ambassador on initiative ${id} to person ${personId}\n`);
    expect((await run(grant)).out).toContain('already has role ambassador');
    const revoke = ['role', 'revoke', String(personId), String(id), 'ambassador'];
    expect((await run(revoke)).out).toBe(`revoked role ambassador on initiative ${id} from person ${personId}\n`);
    expect((await run(revoke)).out).toContain('does not have role ambassador');
    const audit = withDb((db) => db.select().from(auditLog).all().filter((a) => a.action.startsWith('role.')));
    expect(audit.map((a) => [a.actor, a.action, a.subjectId])).toEqual([
      ['cli', 'role.grant', personId],
      ['cli', 'role.revoke', personId],
    ]);
  });

  it('errors for an unknown person, initiative or role', async () => {
    const { id } = await createInitiative();
    expect(await run(['role', 'grant', '77', String(id), 'parent'])).toMatchObject({ code: 1, err: 'error: no person with id 77.\n' });
    const personId = withDb((db) => insertPerson(db, id));
    expect(await run(['role', 'grant', String(personId), '88', 'parent'])).toMatchObject({ code: 1, err: 'error: no initiative with id 88.\n' });
    const badRole = await run(['role', 'grant', String(personId), String(id), 'boss']);
    expect(badRole.code).toBe(1);
    expect(badRole.err).toMatch(/Allowed choices are parent, ambassador, coordinator/);
  });

  it('lists people by id only: no names, chat ids or postcodes', async () => {
    const { id } = await createInitiative();
    const personId = withDb((db) => insertPerson(db, id));
    await run(['role', 'grant', String(personId), String(id), 'ambassador']);
    const r = await run(['people', 'list', '--initiative', String(id)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^person\s+roles\s+language\s+children\s+proactive\s+unreachable$/m);
    // Born 2024-03, now 2025-06 in Amsterdam: 15 months.
    expect(r.out).toMatch(new RegExp(`^${personId}\\s+parent,ambassador\\s+tr\\s+15m, due 2025-11\\s+off\\s+yes$`, 'm'));
    const asJson = await run(['people', 'list', '--initiative', String(id), '--json']);
    expect(JSON.parse(asJson.out)).toEqual([
      { personId, roles: ['parent', 'ambassador'], language: 'tr', children: [{ ageMonths: 15 }, { due: '2025-11' }], proactive: false, unreachable: true },
    ]);
    for (const output of [r.out, asJson.out]) {
      expect(output).not.toContain('Ayşe');
      expect(output).not.toContain('Yılmaz');
      expect(output).not.toContain('1093');
      expect(output).not.toContain('987654321');
    }
  });

  it('lists interests for ambassadors to follow up', async () => {
    const { id } = await createInitiative();
    const personId = withDb((db) => {
      const pid = insertPerson(db, id);
      // 23:30 UTC on 31 May is already 1 June in Amsterdam.
      db.insert(interests).values({ personId: pid, initiativeId: id, actionKey: 'open_morning', at: new Date('2025-05-31T23:30:00Z') }).run();
      return pid;
    });
    const r = await run(['interests', 'list', '--initiative', String(id)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${personId}\\s+open_morning\\s+2025-06-01$`, 'm'));
    const asJson = await run(['interests', 'list', '--initiative', String(id), '--json']);
    expect(JSON.parse(asJson.out)).toEqual([{ personId, actionKey: 'open_morning', at: '2025-05-31T23:30:00.000Z' }]);
    expect(await run(['interests', 'list', '--initiative', '5'])).toMatchObject({ code: 1, err: 'error: no initiative with id 5.\n' });
  });
});

describe('seed demo', () => {
  it('creates the two demo initiatives once, however often it runs', async () => {
    const first = await run(['seed', 'demo', '--bot-username', 'OuderbrugTestBot']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('https://t.me/OuderbrugTestBot?start=demo-regenboog');
    expect(first.out).toContain('https://t.me/OuderbrugTestBot?start=demo-zuilen');
    const second = await run(['seed', 'demo']);
    expect(second.out).toMatch(/^exists\s+1 demo-regenboog/m);
    const list = JSON.parse((await run(['initiative', 'list', '--json'])).out) as unknown[];
    expect(list).toHaveLength(2);
    expect(list).toMatchObject([
      { code: 'demo-regenboog', school: 'Basisschool De Regenboog', municipality: 'Amsterdam', neighbourhood: 'Oost', phase: 2, postcodes: ['1091', '1092', '1093', '1094', '1095', '1096', '1097', '1098'] },
      { code: 'demo-zuilen', school: 'OBS De Zuilen', municipality: 'Utrecht', phase: 1, postcodes: ['3551', '3552', '3553', '3554', '3555'] },
    ]);
  });
});

describe('program', () => {
  it('shows help for every command without touching the database, and never exits the process', async () => {
    for (const args of [['--help'], ['initiative', 'create', '--help'], ['people', 'list', '--help'], ['seed', 'demo', '--help']]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Usage:');
    }
    expect(existsSync(dbPath)).toBe(false);
  });

  it('reports a missing required option and an unknown command with exit code 1', async () => {
    const missing = await run(['people', 'list']);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.err).toContain("required option '--initiative <id>' not specified");
    expect((await run(['initiatve'])).err).toMatch(/unknown command 'initiatve'/);
  });

  it('reports a bad configuration as a user error', async () => {
    const r = await run(['initiative', 'list'], { BOT_TIMEZONE: 'Mars/Olympus' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: Invalid configuration:[\s\S]*BOT_TIMEZONE/);
  });

  it('is a commander program with exitOverride, usable directly', async () => {
    const out: string[] = [];
    const io: CliIo = { stdout: (s) => out.push(s), stderr: () => undefined, env: { DATABASE_PATH: dbPath }, cwd: dir, clock: fixedClock('2025-06-15T10:00:00Z') };
    await expect(buildProgram(io).parseAsync(['initiative', 'phase', '1', '7'], { from: 'user' })).rejects.toMatchObject({ exitCode: 1 });
    await buildProgram(io).parseAsync(['initiative', 'list'], { from: 'user' });
    expect(out.join('')).toContain('No initiatives yet');
  });
});
