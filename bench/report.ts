/**
 * Renders a results file of `npm run bench` as markdown, for the "Results" section of
 * docs/benchmarks.md:
 *
 *   npx tsx bench/report.ts [bench/results.json] >> /tmp/results.md
 *
 * One line on when, what code and which machine; the table (every figure, its target and verdict);
 * the notes of each benchmark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/machine.js';
import { header, markdownTable, type Results } from './lib/results.js';

const file = process.argv[2] ?? join(REPO_ROOT, 'bench', 'results.json');
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
const lines = [`### Results (${results.date.slice(0, 10)})`, '', header(results), '', markdownTable(results)];
const notes = results.benchmarks.filter((b) => b.notes.length);
if (notes.length) {
  lines.push('', 'Notes:', '');
  for (const b of notes) for (const n of b.notes) lines.push(`- **${b.name}**: ${n}`);
}
const failed = results.benchmarks.filter((b) => b.error);
for (const b of failed) lines.push('', `**${b.name} failed:** ${b.error}`);
console.log(lines.join('\n'));
