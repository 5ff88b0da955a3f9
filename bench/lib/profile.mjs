// The cached read under `node --cpu-prof`: one process on the server core, wrk as in the main run.
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summariseProfile } from './cpuprofile.mjs';
import { code, int, table } from './markdown.mjs';
import { measure, startApp } from './runner.mjs';
import { RESULTS_DIR, ROOT, WORK_DIR, settings } from './settings.mjs';

/** Returns { result, summary, file, seconds } or { error }. `name` names the kept .cpuprofile. */
export async function profileCachedRead(stack, ids, name) {
  const dir = join(WORK_DIR, 'cpuprofile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const app = await startApp(stack, { concurrency: 1, cpuProfileDir: dir, label: 'profile' });
  let result;
  let stopMs = 0;
  try {
    result = await measure(stack, app, { loadName: settings.profileLoad, ids, label: 'profile' });
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
  const what =
    settings.profileLoad === 'get-one' ? 'the cached read' : `\`${settings.profileLoad}\``;
  return [
    `## CPU profile: ${settings.profileLoad === 'get-one' ? 'cached GET /products/:id' : settings.profileLoad}`,
    '',
    `\`node --cpu-prof\`, WEB_CONCURRENCY=1 on core 0, ${profile.seconds} s of ${what} under wrk (${int(profile.result.rps)} req/s with the profiler on). Samples from the measured run only (not startup, warm-up or shutdown): busy ${int(s.busyMs)} ms, idle ${int(s.idleMs)} ms. The profile itself is \`${profile.file}\` (git-ignored; open it in Chrome DevTools → Performance).`,
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
