import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { downStack, migrate, ROOT, SHARED_STACK_DIR, upStack } from './stack';

/** Starts the real stack the end-to-end suites share, on free ports, from a clean data directory. */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    throw new Error(
      'dist/ is missing: the end-to-end suites run the built app; run `npm run build` first',
    );
  }
  downStack(SHARED_STACK_DIR); // leftovers of an interrupted run
  const env = upStack(SHARED_STACK_DIR);
  migrate(env);
}
