/**
 * Group commit for small writes that come from many concurrent jobs (the delivery worker's claim
 * and outcome, one each per message): the writes asked for within one turn of the event loop run
 * in one IMMEDIATE transaction. A commit costs far more than one row's UPDATE (WAL frames for
 * every page touched, the WAL index), so fourteen jobs' claims in one commit cost about what one
 * did (issue 13, pipeline cost). Each caller still waits for its own write to be committed before
 * it goes on: a claim is in the database before its message is sent, an outcome before its job
 * is done, exactly as with one transaction each.
 *
 * A write that throws fails alone (its caller gets the error; the others commit). When the
 * transaction itself cannot start or commit (the database is busy beyond the busy timeout), every
 * caller of that batch gets the error, as each would have on its own.
 */
import type Database from 'better-sqlite3';

export interface WriteBatch {
  run<T>(write: () => T): Promise<T>;
}

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export function createWriteBatch(sqlite: Database.Database): WriteBatch {
  let queue: Pending[] = [];
  let scheduled = false;

  const commit = sqlite.transaction((batch: Pending[]) => {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    for (const p of batch) {
      try {
        outcomes.push({ ok: true, value: p.write() });
      } catch (err) {
        // SQLite undid that statement only; the transaction and the other writes go on.
        outcomes.push({ ok: false, value: err });
      }
    }
    return outcomes;
  });

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    let outcomes: { ok: boolean; value: unknown }[];
    try {
      outcomes = commit.immediate(batch);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.value);
    });
  }

  return {
    run<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ write, resolve: resolve as (v: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
