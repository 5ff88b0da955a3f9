// One app scenario (BENCH_PROFILE_SCENARIO, the cached read by default) under `node --cpu-prof`: one
// process on the server core, with the scenario's load and app environment, wrk as in the main run.
// A baseline run (`fastify-pg:get-random`) is profiled the same way, to hold the app's profile against
// its ceiling's.
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summariseProfile } from './cpuprofile.mjs';
import { code, int, table } from './markdown.mjs';
import { measure, startApp, startBaseline } from './runner.mjs';
import { RESULTS_DIR, ROOT, WORK_DIR, settings } from './settings.mjs';
import { appScenarios, baselines, loads } from '../scenarios.mjs';

/** Every name BENCH_PROFILE_SCENARIO takes: closed-loop app scenarios, then `<baseline>:<load>`. */
const profileable = () => [
  ...appScenarios.filter((s) => !loads[s.load].open).map((s) => s.name),
  ...baselines.flatMap((b) => b.loads.map((load) => `${b.name}:${load}`)),
];

/** The scenario to profile; closed-loop ones only (the profile covers one wrk run). */
function profiledScenario() {
  const [baselineName, baselineLoad] = settings.profileScenario.split(':');
  const baseline = baselines.find((b) => b.name === baselineName);
  if (baseline && baseline.loads.includes(baselineLoad))
    return { name: settings.profileScenario, load: baselineLoad, env: {}, baseline };
  const scenario = appScenarios.find((s) => s.name === settings.profileScenario);
  if (!scenario || loads[scenario.load].open)
    throw new Error(
      `BENCH_PROFILE_SCENARIO=${settings.profileScenario}: not one of ${profileable().join(', ')}`,
    );
  return scenario;
}

/** Returns { result, summary, file, seconds } or { error }. `name` names the kept .cpuprofile. */
export async function profileScenario(stack, ids, name) {
  const dir = join(WORK_DIR, 'cpuprofile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const scenario = profiledScenario();
  const app = scenario.baseline
    ? await startBaseline(stack, scenario.baseline, ids, { cpuProfileDir: dir })
    : await startApp(stack, {
        concurrency: 1,
        cpuProfileDir: dir,
        label: 'profile',
        env: scenario.env,
      });
  let result;
  let stopMs = 0;
  try {
    result = await measure(stack, app, { loadName: scenario.load, ids, label: 'profile' });
  } finally {
    // V8 writes the profile when the process exits (the app's drain ends in process.exit).
    const stopping = performance.now();
    await app.handle.stop();
    stopMs = performance.now() - stopping;
  }
  const written = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (written.length === 0) throw new Error('the app exited without writing a .cpuprofile');
  const kept = join(RESULTS_DIR, `${name}.cpuprofile`);
  renameSync(join(dir, written[0]), kept);
  return {
    scenario: {
      name: scenario.name,
      load: scenario.load,
      env: scenario.env,
      ...(scenario.baseline ? { baseline: scenario.baseline.title } : {}),
    },
    seconds: settings.duration,
    result,
    // The measured run only: it ended right before the stop (a scrape apart), startup and warm-up before it.
    summary: summariseProfile(kept, {
      windowUs: result.seconds * 1e6,
      endGapUs: (stopMs + 50) * 1000,
    }),
    file: relative(ROOT, kept),
  };
}

/** The report section (also the whole of bench:profile's summary). */
export function profileSection(profile) {
  if (!profile)
    return '## CPU profile\n\nNot run (BENCH_PROFILE=0). `npm run bench:profile` runs it on its own.';
  if (profile.error) return `## CPU profile\n\n**failed**: ${profile.error}`;
  const s = profile.summary;
  // Reports written before the scenario was recorded profiled the cached read.
  const scenario = profile.scenario ?? { name: 'cached-get', load: 'get-one', env: {} };
  const env = Object.entries(scenario.env).map(([k, v]) => `${k}=${v}`);
  return [
    `## CPU profile: \`${scenario.name}\` (${loads[scenario.load].title})`,
    '',
    `\`node --cpu-prof\`, ${scenario.baseline ? `the baseline (${scenario.baseline}), one process` : 'WEB_CONCURRENCY=1'} on core 0${env.length ? `, app environment as in the scenario (${env.map(code).join(', ')})` : ''}, ${profile.seconds} s of \`${scenario.load}\` under wrk (${int(profile.result.rps)} req/s with the profiler on). Samples from the measured run only (not startup, warm-up or shutdown): busy ${int(s.busyMs)} ms, idle ${int(s.idleMs)} ms. The profile itself is \`${profile.file}\` (git-ignored; open it in Chrome DevTools → Performance).`,
    '',
    'Top functions by self time (% of busy time):',
    '',
    table(
      ['#', 'self ms', 'self %', 'function', 'package', 'where (native: called from)'],
      s.top.map((f, i) => [
        i + 1,
        int(f.selfMs),
        `${f.selfPercent.toFixed(1)}%`,
        code(f.function),
        f.package,
        f.location ? code(f.location) : f.calledFrom.map(code).join(', '),
      ]),
    ),
    '',
    'Self time by package:',
    '',
    table(
      ['package', 'self ms', 'self %'],
      s.packages.map((p) => [p.package, int(p.selfMs), `${p.selfPercent.toFixed(1)}%`]),
    ),
  ].join('\n');
}
