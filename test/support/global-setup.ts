import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, ROOT, seed, sharedStackDir, upStack } from './stack';

/** Starts the real stack the end-to-end suites share, on free ports, for this run only. */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    throw new Error(
      'dist/ is missing: the end-to-end suites run the built app; run `npm run build` first',
    );
  }
  process.env.TEST_RUN_ID = String(process.pid); // inherited by Jest's test processes
  rmSync(join(sharedStackDir(), '..'), { recursive: true, force: true });
  const env = upStack(sharedStackDir());
  migrate(env);
  seed(env);
}
