/** `stats`: the figures for operators (text, --json) and charts (--chart, SVG or PNG), audited as cli. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema.js';
import type { StatsReport } from '../../src/domain/stats-report.types.js';
import { cliWorld } from '../support/cli-run.js';
import { seedStatsWorld, STATS_NOW, type StatsWorld } from '../support/stats-seed.js';

const world = cliWorld('ouderbrug-cli-stats-', STATS_NOW.toISOString());
let w: StatsWorld;

beforeEach(() => {
  world.setUp();
  w = world.withDb((db) => seedStatsWorld(db));
});
afterEach(() => world.tearDown());

describe('stats', () => {
  it('--json prints the report object; the text is for operators; small groups read "<10"', async () => {
    const j = await world.run(['stats', '--initiative', String(w.a), '--json']);
    expect(j.code, j.err).toBe(0);
    const report = JSON.parse(j.out) as StatsReport;
    expect(report.scope).toMatchObject({ kind: 'initiative', initiativeId: w.a, name: 'Samen naar De Linde' });
    expect(report.parents).toBe(39);
    expect(report.byLanguage).toEqual([
      { lang: 'nl', parents: 23 },
      { lang: 'tr', parents: 12 },
      { lang: 'ar', parents: 'fewer' },
    ]);
    expect(report.funnel.map((f) => f.parents)).toEqual([39, 36, 12, 12, 10]);

    const byCode = await world.run(['stats', '--initiative', 'linde']);
    expect(byCode.code, byCode.err).toBe(0);
    expect(byCode.out).toContain('Figures of Samen naar De Linde (id 1, code linde, phase 2) on 2027-03-15 (Europe/Amsterdam)');
    expect(byCode.out).toContain('by language:  nl 23, tr 12, ar <10');
    expect(byCode.out).toContain('funnel:       joined 39 → consented 36 → lookedAtSchools 12 → registered 12 → placed 10');
    expect(byCode.out).toMatch(/^2027-03-10 +broadcast +1 +- +1 +39 +11 +11$/m);
    expect(byCode.out).toMatch(/^tr +12 +not reported +<10$/m);
    expect(byCode.out).toMatch(/^2027-03 +14 +11 +14$/m);

    const all = await world.run(['stats']);
    expect(all.out).toContain('Figures of all 2 initiatives together');
    expect(all.out).toContain('parents:      50');
    expect(all.out).toContain('by phase:     phase 1 11, phase 2 39');

    const audit = world.withDb((db) => db.select().from(auditLog).where(eq(auditLog.action, 'stats.view')).all());
    expect(audit.map((a) => [a.actor, a.subjectId, a.detail])).toEqual([
      ['cli', w.a, { initiativeId: w.a }],
      ['cli', w.a, { initiativeId: w.a }],
      ['cli', null, { scope: 'all' }],
    ]);
  });

  it('--chart writes an SVG with its title (or a PNG); --chart-kind all writes the three', async () => {
    const one = await world.run(['stats', '--initiative', 'linde', '--chart', 'figures.svg']);
    expect(one.code, one.err).toBe(0);
    const svg = readFileSync(join(world.dir(), 'figures.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Van meedoen tot een plek op school');
    expect(svg).toContain('Samen naar De Linde');
    expect(one.err).toContain(`chart written: ${join(world.dir(), 'figures.svg')}`);

    const three = await world.run(['stats', '--initiative', 'linde', '--json', '--chart', 'out/../cijfers.png', '--chart-kind', 'all', '--lang', 'en']);
    expect(three.code, three.err).toBe(0);
    expect(JSON.parse(three.out)).toMatchObject({ parents: 39 });
    for (const kind of ['funnel', 'participation', 'reach']) {
      const png = readFileSync(join(world.dir(), `cijfers-${kind}.png`));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    const reach = await world.run(['stats', '--chart', 'reach.svg', '--chart-kind', 'reach', '--lang', 'en']);
    expect(readFileSync(join(world.dir(), 'reach.svg'), 'utf8')).toContain('Reach of the latest messages');
    expect(reach.code).toBe(0);
  }, 30_000);

  it('refuses an unknown initiative, a chart file that is not .svg or .png, and an unknown language', async () => {
    expect((await world.run(['stats', '--initiative', '99'])).err).toContain('no initiative with id or code 99');
    expect((await world.run(['stats', '--initiative', 'nope'])).err).toContain('no initiative with id or code nope');
    const bad = await world.run(['stats', '--chart', 'figures.pdf']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('must end in .svg or .png');
    expect(existsSync(join(world.dir(), 'figures.pdf'))).toBe(false);
    expect((await world.run(['stats', '--chart', 'x.svg', '--lang', 'xx'])).err).toContain('--lang xx: not a shipped language');
    expect((await world.run(['stats', '--chart', 'x.svg', '--chart-kind', 'pie'])).err).toContain("argument 'pie' is invalid");
  });
});
