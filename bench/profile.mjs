// `npm run bench:profile`: one app scenario (BENCH_PROFILE_SCENARIO, default the cached GET
// /products/:id) under `node --cpu-prof` (one process on core 0,
// wrk on core 1), with its own stack. Writes bench/results/<date>-<commit>-profile.{md,json} (top
// functions and packages by self time) and keeps the .cpuprofile beside them (git-ignored).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTools } from './lib/generators.mjs';
import { log, runMain } from './lib/lifecycle.mjs';
import { pinSelf } from './lib/processes.mjs';
import { describeCommit, describeMachine } from './lib/machine.mjs';
import { profileScenario, profileSection } from './lib/profile.mjs';
import { baseName } from './lib/report.mjs';
import { DIST_COMMIT, RESULTS_DIR, settings } from './lib/settings.mjs';
import { loadIds, migrateAndSeed, servicesUp, snapshotApp } from './lib/stack.mjs';

await runMain(async () => {
  checkTools();
  snapshotApp();
  const bench = describeCommit();
  const meta = {
    startedAt: new Date().toISOString(),
    // A build of another commit (BENCH_DIST + BENCH_DIST_COMMIT) is named by that commit.
    ...(DIST_COMMIT ? { commit: DIST_COMMIT, dirty: false, benchCommit: bench.commit } : bench),
    machine: describeMachine(),
  };
  // The default scenario keeps the old name; another one is named too, so profiles of one build sit side by side.
  const scenario = settings.profileScenario;
  const name = `${baseName(meta)}-profile${scenario === 'cached-get' ? '' : `-${scenario.replace(':', '-')}`}`;
  log('starting Postgres primary + replica and Redis (.local/bench-services)');
  const stack = servicesUp();
  await migrateAndSeed(stack);
  const ids = await loadIds(stack);
  pinSelf(settings.cores.generator);
  log(`profiling ${settings.profileScenario} for ${settings.warmup} + ${settings.duration} s`);
  const profile = await profileScenario(stack, ids, name);
  writeFileSync(
    join(RESULTS_DIR, `${name}.json`),
    `${JSON.stringify({ meta, profile }, null, 2)}\n`,
  );
  const m = meta.machine;
  const markdown = [
    `# CPU profile ${meta.startedAt.slice(0, 10)}, commit ${meta.commit}${meta.dirty ? ' (working tree had uncommitted changes)' : ''}`,
    '',
    `Written by \`npm run bench:profile\` (bench/profile.mjs${meta.benchCommit ? ` at ${meta.benchCommit}, on a build of ${meta.commit}` : ''}). ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, ${m.wrk}.`,
    '',
    profileSection(profile),
    '',
  ].join('\n');
  const path = join(RESULTS_DIR, `${name}.md`);
  writeFileSync(path, markdown);
  log(`profile summary: ${path}`);
});
