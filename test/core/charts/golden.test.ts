/**
 * Golden test of the charts: what each chart draws (titles, axis labels, bars by row with colour and
 * relative length, texts on the bars, legend entries), read back from the SVG and compared with
 * test/core/charts/golden/<case>.json. Pixels and exact coordinates are not compared: a change of Vega's
 * layout by a pixel passes, a missing bar, a wrong order, a lost "minder dan 10" or legend entry fails.
 *
 * After an intended change, rewrite the golden files and review their diff:
 *   UPDATE_GOLDEN=1 npx vitest run test/core/charts/golden.test.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderChartSvg } from '../../../src/core/charts/render.js';
import { CASES } from './fixtures.js';
import { readSvg, summarize } from './svg-elements.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('chart golden files', () => {
  for (const c of CASES) {
    it(`${c.name} draws what its golden file says`, async () => {
      const drawn = summarize(readSvg(await renderChartSvg(c.input, c.labels)));
      const file = join(GOLDEN_DIR, `${c.name}.json`);
      if (UPDATE) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, `${JSON.stringify(drawn, null, 2)}\n`);
      }
      expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(drawn).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
