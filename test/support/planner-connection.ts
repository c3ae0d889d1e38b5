/**
 * What a test's stand-in planner thread imports in one go (test/db/write-lock.test.ts): tsx's
 * tsImport loads each call into a module graph of its own, and the connection's transactions must
 * see the same write-lock module the thread registers its gate with.
 */
export { openDatabase } from '../../src/db/client.js';
export { guardPlannerTransactions, plannerWrites } from '../../src/db/write-lock.js';
