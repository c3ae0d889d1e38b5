/**
 * Vitest globalSetup: one private redis-server for the whole test run, unless REDIS_URL points at
 * one already (CI, a developer's own). Test files reach it through `testRedisUrl()`.
 * Without redis-server on PATH the run still goes on: only the tests that need Redis fail, each
 * with the install hint.
 */
import type { TestProject } from 'vitest/node';
import { isMissingBinary, REDIS_INSTALL_HINT, startRedisServer } from './redis-server.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.REDIS_URL) return undefined;
  try {
    const server = await startRedisServer();
    project.provide('redisUrl', server.url);
    return () => server.stop();
  } catch (err) {
    if (!isMissingBinary(err)) throw err;
    console.warn(`\n${REDIS_INSTALL_HINT}\n`);
    return undefined;
  }
}
