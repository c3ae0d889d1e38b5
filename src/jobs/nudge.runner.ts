/**
 * Runs once and recurring nudges (issue 11, item 4). Every minute (and once at start, and after a
 * turn that triggered one) it
 *   1. turns each due occurrence into a run: a row in nudge_runs (unique per nudge and local
 *      moment, so an occurrence fires once, also across a restart or with two processes) and a new
 *      broadcast with the template's audience and versions; an occurrence more than a day late
 *      (the bot was down) is listed as missed instead of sent late;
 *   2. moves the nudge to its next occurrence (or to done), in the same transaction;
 *   3. fans out every run broadcast that is due (src/jobs/broadcast.runner.ts#fanOut): quiet
 *      hours, /stop, consent, the cap, progress and the summary are the broadcast machinery's.
 * Relative nudges are not run here: they are rules the planner plans per parent.
 */
import { createTask, type ScheduledTask } from 'node-cron';
import { describeError } from '../core/dispatcher.js';
import { dueOccurrences, isMissed, nextOccurrence } from '../domain/nudge-schedule.js';
import { advanceNudge, createRun, dueNudges, dueRunBroadcasts, recordMissed, zoneOfInitiative } from '../db/nudges.repo.js';
import { fanOut, type BroadcastRunnerDeps } from './broadcast.runner.js';

export type NudgeRunnerDeps = BroadcastRunnerDeps;

export interface NudgePassReport {
  /** Broadcasts created for occurrences that came. */
  created: number[];
  missed: number;
  /** Run broadcasts fanned out, with their recipients. */
  fanned: { broadcastId: number; recipients: number }[];
}

/** Step 1 and 2: the runs of every due occurrence (synchronous; one transaction per nudge). */
export function createDueRuns(deps: NudgeRunnerDeps, now: Date): { created: number[]; missed: number } {
  const created: number[] = [];
  let missed = 0;
  for (const n of dueNudges(deps.db, now)) {
    if (!n.nextAt) continue;
    const expected = n.nextAt;
    const zone = zoneOfInitiative(deps.db, n.initiativeId, deps.defaultTimeZone);
    const done = deps.db.transaction((tx) => {
      const ids: number[] = [];
      let late = 0;
      // Guarded by the expected next moment: a second process that read the same nudge changes nothing.
      if (!advanceNudge(tx, n.id, expected, nextOccurrence(n.moment, now, zone)?.at ?? null)) return { ids, late };
      for (const o of dueOccurrences(n.moment, expected, now, zone)) {
        if (isMissed(o, now)) {
          recordMissed(tx, n.id, o);
          late++;
          continue;
        }
        const id = createRun(tx, n, o, 'schedule');
        if (id !== null) ids.push(id);
      }
      return { ids, late };
    });
    created.push(...done.ids);
    missed += done.late;
  }
  return { created, missed };
}

/** One pass: create the due runs, then fan out every due run broadcast (also those a crash left scheduled). */
export async function runNudgePass(deps: NudgeRunnerDeps, now: Date = deps.clock.now()): Promise<NudgePassReport> {
  const { created, missed } = createDueRuns(deps, now);
  const fanned: NudgePassReport['fanned'] = [];
  for (const id of dueRunBroadcasts(deps.db, now)) {
    const report = await fanOut(deps, id, now);
    if (report) fanned.push({ broadcastId: id, recipients: report.recipients });
  }
  if (created.length || missed || fanned.length) deps.logger.info({ created: created.length, missed, fanned: fanned.length }, 'nudge pass');
  return { created, missed, fanned };
}

export interface NudgeRunner {
  /** One pass now (coalesced: a pass asked for while one runs waits for it, then runs once more). */
  run(): Promise<NudgePassReport | null>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createNudgeRunner(deps: NudgeRunnerDeps): NudgeRunner {
  let task: ScheduledTask | null = null;
  let running: Promise<NudgePassReport | null> | null = null;
  let again = false;

  const once = (): Promise<NudgePassReport | null> =>
    runNudgePass(deps).catch((err: unknown) => {
      deps.logger.error({ err: describeError(err) }, 'nudge pass failed');
      return null;
    });

  function run(): Promise<NudgePassReport | null> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let last: NudgePassReport | null;
      do {
        again = false;
        last = await once();
      } while (again);
      return last;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    run,
    async start() {
      task = createTask('* * * * *', () => run(), { name: 'nudges', noOverlap: true });
      await task.start();
      await run();
    },
    async stop() {
      if (task) await task.destroy();
      task = null;
      if (running) await running;
    },
  };
}
