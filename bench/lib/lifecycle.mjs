// Runs an entry point so that whatever happens (success, failure, Ctrl-C, SIGTERM) every process the
// bench started is stopped and its services are taken down, once.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { stopAll } from './processes.mjs';
import { RESULTS_DIR, WORK_DIR } from './settings.mjs';
import { servicesDown } from './stack.mjs';

export const log = (message) => process.stderr.write(`bench: ${message}\n`);

let cleaning = null;

function cleanup() {
  cleaning ??= (async () => {
    await stopAll();
    try {
      servicesDown();
    } catch (error) {
      log(`could not stop the services: ${error.message}`);
    }
  })();
  return cleaning;
}

export async function runMain(main) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      log(`${signal}: stopping every process the bench started`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  // Logs, ids files and generator configs of this run only.
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(join(WORK_DIR, 'logs'), { recursive: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  try {
    await main();
  } catch (error) {
    log(`failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  } finally {
    log('stopping servers and services');
    await cleanup();
  }
}
