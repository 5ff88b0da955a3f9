import { downStack, SHARED_STACK_DIR } from './stack';

/** Runs even when suites fail, so no postgres or redis-server outlives the test run. */
export default async function globalTeardown(): Promise<void> {
  downStack(SHARED_STACK_DIR);
}
