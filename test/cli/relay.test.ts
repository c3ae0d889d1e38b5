/** `relay list|tasks|show|close|outcome`: ids, counts and states for operators, never texts, names or numbers; writes audited. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { applyRelayCommand } from '../../src/db/relay.effects.js';
import { auditLog, deliveries, identities, memberships, people, relayThreads } from '../../src/db/schema.js';
import { runCliOn, withDbAt, type CliResult } from '../support/cli-run.js';

let dir: string;
let dbPath: string;
const run = (args: string[]): Promise<CliResult> => runCliOn(dbPath, dir, args, '2027-03-01T09:00:00Z');
const withDb = <T>(fn: (db: Db) => T): T => withDbAt(dbPath, fn);
const now = new Date('2027-03-01T08:00:00Z');

function person(db: Db, ini: number, role: 'parent' | 'ambassador', lang = 'nl'): number {
  const id = db.insert(people).values({ language: lang, displayName: 'Ayşe Yılmaz' }).returning({ id: people.id }).get().id;
  db.insert(identities).values({ personId: id, channel: 'telegram', chatId: `chat-${id}` }).run();
  db.insert(memberships).values({ personId: id, initiativeId: ini, role, languages: role === 'ambassador' ? ['tr'] : null }).run();
  return id;
}

let ini: number;
let amb: number;
let parent: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ouderbrug-cli-relay-'));
  dbPath = join(dir, 'test.db');
  const r = await run(['initiative', 'create', '--name', 'Samen naar De Linde', '--school', 'De Linde', '--municipality', 'Amsterdam', '--postcodes', '1091']);
  ini = Number(/^id: (\d+)$/m.exec(r.out)?.[1]);
  withDb((db) => {
    parent = person(db, ini, 'parent', 'tr');
    amb = person(db, ini, 'ambassador');
    db.transaction((tx) => {
      applyRelayCommand(tx, parent, { op: 'ask', initiativeId: ini, kind: 'question', source: 'menu', text: 'Okul ne zaman başlıyor?' }, now);
      applyRelayCommand(tx, amb, { op: 'answer', threadId: 1, text: 'Eylülde.' }, now);
      applyRelayCommand(tx, parent, { op: 'ask', initiativeId: ini, kind: 'callback', source: 'callback', text: null, phone: '0612345678' }, now);
    });
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('relay', () => {
  it('lists questions and tasks with ids and counts only', async () => {
    const list = await run(['relay', 'list']);
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(/^1 +1 +menu +tr +claimed +0 +person 2 +2027-03-01T08:00:00.000Z +2$/m);
    const tasks = await run(['relay', 'tasks', '--json']);
    expect(JSON.parse(tasks.out)).toEqual([expect.objectContaining({ id: 2, kind: 'callback', status: 'open', phoneKept: true, outcome: null })]);
    const shown = await run(['relay', 'show', '1']);
    expect(shown.out).toContain('messages: 1 from the parent, 1 from staff');
    expect(shown.out).toContain('offered to: person 2 (tier 0)');
    for (const out of [list.out, tasks.out, shown.out]) expect(out).not.toMatch(/Okul|Eylül|Ayşe|0612345678|chat-/);
    expect((await run(['relay', 'list', '--initiative', '99'])).err).toContain('no initiative with id 99');
  });

  it('closes a thread and records an outcome (number deleted, declined kept), audited as cli', async () => {
    const closed = await run(['relay', 'close', '1']);
    expect(closed.code, closed.err).toBe(0);
    expect((await run(['relay', 'close', '1'])).err).toContain('already closed');
    expect((await run(['relay', 'outcome', '1', 'reached'])).err).toContain('not a call-back task');
    expect((await run(['relay', 'outcome', '2', 'maybe'])).code).not.toBe(0);
    expect((await run(['relay', 'outcome', '2', 'declined'])).code).toBe(0);
    withDb((db) => {
      expect(db.select().from(relayThreads).all().map((t) => [t.status, t.closedBy, t.callbackPhone])).toEqual([
        ['closed', 'operator', null],
        ['closed', 'outcome', null],
      ]);
      expect(db.select().from(people).where(eq(people.id, parent)).get()?.contactDeclinedAt).not.toBeNull();
      expect(db.select().from(auditLog).all().filter((a) => a.action.startsWith('relay.')).map((a) => [a.actor, a.action])).toEqual([
        ['person:2', 'relay.claim'],
        ['cli', 'relay.close'],
        ['cli', 'relay.outcome'],
      ]);
      expect(db.select().from(deliveries).where(eq(deliveries.personId, parent)).all().map((d) => (d.payload as { key: string }).key)).toContain('relay:notice.closedByStaff');
    });
    expect((await run(['relay', 'tasks'])).out).toContain('No call-back tasks.');
  });
});
