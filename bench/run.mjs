// `npm run bench`: builds (npm script), then brings up its own Postgres primary + replica and Redis,
// seeds them, measures the baselines and every app scenario at each WEB_CONCURRENCY, the open-model
// soak and a CPU profile of the cached read, writes bench/results/<date>-<commit>.{md,json,svg} and
// stops everything it started. Knobs: see bench/README.md.
import { loadavg } from 'node:os';
import process from 'node:process';
import { checkTools } from './lib/generators.mjs';
import { log, runMain } from './lib/lifecycle.mjs';
import { pinSelf } from './lib/processes.mjs';
import { describeCommit, describeMachine } from './lib/machine.mjs';
import { profileScenario } from './lib/profile.mjs';
import { baseName, writeReport } from './lib/report.mjs';
import { measure, startApp, startBaseline } from './lib/runner.mjs';
import { settings } from './lib/settings.mjs';
import {
  allocatorInUse,
  appEnv,
  loadIds,
  migrateAndSeed,
  serviceVersions,
  servicesUp,
  snapshotApp,
} from './lib/stack.mjs';
import { appScenarios, baselines, loads, ratioTargets, soak } from './scenarios.mjs';

const runs = [];
const wanted = (name) => !settings.only || settings.only.test(name);

/** Runs one measurement; a failure is recorded in the report and the bench goes on. */
async function record(run, measureRun) {
  log(`${run.key}: ${loads[run.load].title}`);
  try {
    run.result = await measureRun();
    const r = run.result;
    log(`${run.key}: ${Math.round(r.rps)} req/s, p99 ${r.latencyMs.p99?.toFixed(2)} ms`);
  } catch (error) {
    run.error = String(error.message ?? error).split('\n')[0];
    log(`${run.key} failed: ${error.stack ?? error}`);
  }
  runs.push(run);
}

async function runBaselines(stack, ids) {
  for (const baseline of baselines) {
    const chosen = baseline.loads.filter((load) => wanted(`${baseline.name}:${load}`));
    if (chosen.length === 0) continue;
    let server = null;
    try {
      server = await startBaseline(stack, baseline, ids);
    } catch (error) {
      for (const load of chosen) {
        runs.push({
          key: `${baseline.name}:${load}`,
          group: 'baseline',
          target: baseline.name,
          load,
          error: error.message,
        });
      }
      continue;
    }
    for (const load of chosen) {
      const run = {
        key: `${baseline.name}:${load}`,
        group: 'baseline',
        target: baseline.name,
        targetTitle: baseline.title,
        scenario: load,
        load,
        concurrency: 1,
      };
      await record(run, () =>
        measure(stack, server, { loadName: load, ids, label: `${baseline.name}-${load}` }),
      );
    }
    await server.handle.stop();
  }
}

async function runApp(stack, ids, scenario, concurrency, { key, group, rate, seconds }) {
  const run = {
    key,
    group,
    target: 'app',
    scenario: scenario.name,
    load: scenario.load,
    concurrency,
    env: scenario.env,
    rate,
  };
  await record(run, async () => {
    const label = key.replace(/[^\w-]+/g, '-');
    const app = await startApp(stack, { concurrency, env: scenario.env, label });
    return measureThenStop(stack, app, { loadName: scenario.load, ids, label, rate, seconds });
  });
}

/** One measured run on a server started for it alone; the server is stopped whatever happens. */
async function measureThenStop(stack, server, options) {
  try {
    return await measure(stack, server, options);
  } finally {
    await server.handle.stop();
  }
}

/** One more measurement of a run key (a baseline's load or an app scenario), for a paired ratio. */
async function measureAgain(stack, ids, key) {
  const [target, name] = key.split(':');
  const label = `pair-${key.replace(/[^\w-]+/g, '-')}`;
  const seconds = settings.pairSeconds;
  const baseline = baselines.find((b) => b.name === target);
  const scenario = appScenarios.find((s) => s.name === name);
  const server = baseline
    ? await startBaseline(stack, baseline, ids)
    : await startApp(stack, {
        concurrency: Number(target.replace('app-wc', '')),
        env: scenario.env,
        label,
      });
  const loadName = baseline ? name : scenario.load;
  const result = await measureThenStop(stack, server, { loadName, ids, label, seconds });
  return { rps: result.rps, steal: result.resources.cpuPercent.steal };
}

/**
 * The ratios measured again in pairs: both sides back to back, the first of a pair alternating
 * (A B, B A, A B …) so that a slow drift of this shared machine's speed, which moves single runs minutes
 * apart by up to 2×, weighs on both sides alike. A pair with more than BENCH_PAIR_MAX_STEAL% host steal
 * on either side is kept in the report but re-run, up to as many extra pairs as asked for. The report
 * gives every pair and the median of the clean ones.
 */
async function pairedRatios(stack, ids) {
  const measured = new Set(runs.filter((run) => run.result).map((run) => run.key));
  const results = [];
  for (const target of ratioTargets) {
    if (!measured.has(target.run) || !measured.has(target.versus)) continue;
    const pairs = [];
    const clean = () => pairs.filter((pair) => !pair.error && !pair.stolen).length;
    for (let i = 0; i < 2 * settings.pairs && clean() < settings.pairs; i++) {
      log(
        `paired ratio ${i + 1} (${clean()}/${settings.pairs} clean): ${target.run} vs ${target.versus}`,
      );
      const order = i % 2 === 0 ? [target.run, target.versus] : [target.versus, target.run];
      try {
        const sides = {};
        for (const key of order) sides[key] = await measureAgain(stack, ids, key);
        const [run, versus] = [sides[target.run], sides[target.versus]];
        pairs.push({
          first: order[0],
          run: run.rps,
          versus: versus.rps,
          steal: { run: run.steal, versus: versus.steal },
          stolen: Math.max(run.steal, versus.steal) > settings.pairMaxSteal,
        });
      } catch (error) {
        pairs.push({ error: String(error.message ?? error).split('\n')[0] });
      }
    }
    results.push({
      run: target.run,
      versus: target.versus,
      seconds: settings.pairSeconds,
      maxSteal: settings.pairMaxSteal,
      pairs,
    });
  }
  return results;
}

await runMain(async () => {
  checkTools();
  snapshotApp();
  const startedAt = new Date().toISOString();
  log('starting Postgres primary + replica and Redis (.local/bench-services)');
  const stack = servicesUp();
  log(`migrating and seeding ${settings.products} products`);
  await migrateAndSeed(stack);
  const ids = await loadIds(stack);
  pinSelf(settings.cores.generator);
  const meta = {
    startedAt,
    ...describeCommit(),
    machine: describeMachine(),
    services: await serviceVersions(stack),
    allocator: allocatorInUse(),
    nodeOptions: appEnv(stack).NODE_OPTIONS,
    settings: {
      ...settings,
      only: settings.only?.source ?? null,
      admin: undefined,
      jwtSecret: undefined,
      wrkCommand: `wrk -t${settings.wrk.threads} -c${settings.wrk.connections} --timeout ${settings.wrk.timeoutSeconds}s`,
    },
    loadsRun: [],
  };

  await runBaselines(stack, ids);
  for (const concurrency of settings.concurrencies) {
    for (const scenario of appScenarios) {
      const key = `app-wc${concurrency}:${scenario.name}`;
      if (!wanted(key)) continue;
      await runApp(stack, ids, scenario, concurrency, {
        key,
        group: `app-wc${concurrency}`,
        rate: scenario.rate?.[concurrency],
      });
    }
  }
  if (settings.soakSeconds > 0 && wanted('soak')) {
    await runApp(stack, ids, soak, soak.concurrency, {
      key: 'soak',
      group: 'soak',
      rate: soak.rate,
      seconds: soak.seconds,
    });
  }
  meta.loadsRun = runs.map((run) => run.load);
  const paired = settings.pairs > 0 ? await pairedRatios(stack, ids) : [];

  let profile = null;
  if (settings.profile && wanted('profile')) {
    log(`profiling ${settings.profileScenario} (node --cpu-prof)`);
    try {
      profile = await profileScenario(stack, ids, baseName(meta));
    } catch (error) {
      profile = { error: String(error.message ?? error).split('\n')[0] };
    }
  }
  meta.machine.loadAverageAtEnd = loadavg().map((v) => Math.round(v * 100) / 100);
  const path = writeReport({ meta, runs, paired, profile });
  log(`report: ${path}`);
  const pairFailed = paired.some((p) => p.pairs.some((pair) => pair.error));
  if (runs.some((run) => run.error) || pairFailed) process.exitCode = 1;
});
