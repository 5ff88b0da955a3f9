import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { downStack, sharedStackDir } from './stack';

/** Runs even when suites fail, so no postgres or redis-server outlives the test run. */
export default async function globalTeardown(): Promise<void> {
  downStack(sharedStackDir());
  rmSync(join(sharedStackDir(), '..'), { recursive: true, force: true });
}
