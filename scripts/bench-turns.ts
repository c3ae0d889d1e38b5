/**
 * `npm run bench`: how long one conversation turn takes through the real engine, flows,
 * locales and SQLite on disk (WAL), with a recording channel in place of a messenger.
 * Each parent does a whole onboarding plus "what is happening now" (9 turns).
 */
import { createHarness, pick } from '../test/support/engine-harness.js';

const PARENTS = Number(process.env.BENCH_PARENTS ?? 300);
const h = createHarness();
h.initiative({ code: 'bench' });
const durations: number[] = [];
const turn = async (chat: string, input: Parameters<typeof h.say>[1]) => {
  const t = performance.now();
  await h.say(chat, input);
  durations.push(performance.now() - t);
};
const started = performance.now();
for (let i = 0; i < PARENTS; i++) {
  const chat = `bench-${i}`;
  await turn(chat, '/start bench');
  await turn(chat, pick('lang:nl'));
  await turn(chat, pick('consent:yes'));
  await turn(chat, 'Sam');
  await turn(chat, '03-2024');
  await turn(chat, pick('more:no'));
  await turn(chat, '1094');
  await turn(chat, pick('h:flyer'));
  await turn(chat, pick('menu:now'));
}
const total = performance.now() - started;
durations.sort((a, b) => a - b);
const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))]?.toFixed(2);
console.log(`${durations.length} turns by ${PARENTS} parents in ${(total / 1000).toFixed(2)} s: ${(durations.length / (total / 1000)).toFixed(0)} turns/s, p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms`);
h.close();
