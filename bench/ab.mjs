// `npm run bench:ab`: same-stack A/B rounds of a few variants of one read, in alternating order, each
// restarted and warmed up, with the server's CPU per request from /proc (the figure that moves least
// with the host's speed). A variant is a build (`dist`: a directory, e.g. another commit's build), extra
// app environment (`env`), or a baseline (`baseline`: a name in scenarios.mjs); `load` is a load name.
//
//   BENCH_AB='[{"label":"before","dist":".local/dist-old"},{"label":"after"}]' npm run bench:ab
//   BENCH_AB='[{"label":"log on"},{"label":"log off","env":{"REQUEST_LOGGING":"false"}}]' npm run bench:ab
//
// BENCH_AB_ROUNDS rounds (default 3) of BENCH_WARMUP (default 5) + BENCH_DURATION (default here 8)
// seconds per variant. Prints one line per run and a summary; writes .local/bench/ab-<time>.json. The app runs
// at WEB_CONCURRENCY=1 on the server core, as in the main run.
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { checkTools } from './lib/generators.mjs';
import { log, runMain } from './lib/lifecycle.mjs';
import { pinSelf } from './lib/processes.mjs';
import { measure, startApp, startBaseline } from './lib/runner.mjs';
import { WORK_DIR, settings } from './lib/settings.mjs';
import { appDist, loadIds, migrateAndSeed, servicesUp, snapshotApp } from './lib/stack.mjs';
import { baselines, loads } from './scenarios.mjs';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function variants() {
  const list = JSON.parse(process.env.BENCH_AB ?? '[]');
  if (!Array.isArray(list) || list.length < 2)
    throw new Error('BENCH_AB: a JSON array of at least two variants (see bench/ab.mjs)');
  return list.map((v, i) => {
    const load = v.load ?? 'get-one';
    if (!loads[load] || loads[load].open)
      throw new Error(`variant ${i}: ${load} is not a closed-loop load`);
    const baseline = v.baseline && baselines.find((b) => b.name === v.baseline);
    if (v.baseline && !baseline) throw new Error(`variant ${i}: no baseline ${v.baseline}`);
    const dist = v.dist ? resolve(v.dist) : null;
    if (dist && !existsSync(join(dist, 'main.js')))
      throw new Error(`variant ${i}: ${dist}/main.js is missing`);
    return { label: v.label ?? `variant ${i}`, load, env: v.env ?? {}, baseline, dist };
  });
}

await runMain(async () => {
  const list = variants();
  const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 3);
  const seconds = Number(process.env.BENCH_DURATION ?? 8);
  checkTools();
  snapshotApp();
  const snapshot = appDist();
  const ownBuild = join(WORK_DIR, 'ab-own-build');
  rmSync(ownBuild, { recursive: true, force: true });
  cpSync(snapshot, ownBuild, { recursive: true });
  const stack = servicesUp();
  await migrateAndSeed(stack);
  const ids = await loadIds(stack);
  pinSelf(settings.cores.generator);
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so a drift of the machine's speed weighs on every variant alike.
    const order = round % 2 ? [...list.keys()].reverse() : [...list.keys()];
    for (const index of order) {
      const v = list[index];
      if (!v.baseline) {
        // The app always runs from the snapshot directory: put the variant's build there.
        rmSync(snapshot, { recursive: true, force: true });
        cpSync(v.dist ?? ownBuild, snapshot, { recursive: true });
      }
      const label = `ab-${index}`;
      const server = v.baseline
        ? await startBaseline(stack, v.baseline, ids)
        : await startApp(stack, { concurrency: 1, label, env: v.env });
      try {
        const result = await measure(stack, server, { loadName: v.load, ids, label, seconds });
        const cpu = result.resources.cpuPercent;
        const run = {
          round,
          variant: index,
          label: v.label,
          rps: result.rps,
          p99Ms: result.latencyMs?.p99 ?? null,
          serverCpuPercent: cpu.server,
          stealPercent: cpu.steal,
          cpuUsPerRequest: ((cpu.server / 100) * 1e6) / result.rps,
          maxRssMb: Math.max(...result.resources.processes.map((p) => p.rssMb.max)),
          gcUsPerRequest: result.metrics?.gcUsPerRequest ?? null,
          errors: result.errors,
        };
        runs.push(run);
        log(
          `round ${round + 1}/${rounds} ${v.label}: ${Math.round(run.rps).toLocaleString('en')} req/s, ${run.cpuUsPerRequest.toFixed(1)} µs CPU/req${
            run.gcUsPerRequest
              ? ` (GC ${Object.values(run.gcUsPerRequest)
                  .reduce((a, b) => a + b, 0)
                  .toFixed(1)})`
              : ''
          }, steal ${Math.round(run.stealPercent)}%, max RSS ${run.maxRssMb} MB${run.errors.non2xx || run.errors.timeouts ? `, ERRORS ${JSON.stringify(run.errors)} (the rate is not comparable)` : ''}`,
        );
      } finally {
        await server.handle.stop();
      }
    }
  }
  const summary = list.map((v, index) => {
    const mine = runs.filter((r) => r.variant === index);
    return {
      label: v.label,
      medianRps: median(mine.map((r) => r.rps)),
      medianCpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)),
      rps: mine.map((r) => Math.round(r.rps)),
    };
  });
  for (const s of summary)
    process.stdout.write(
      `${s.label}: median ${Math.round(s.medianRps).toLocaleString('en')} req/s (${s.rps.join(', ')}), ${s.medianCpuUsPerRequest.toFixed(1)} µs CPU/req; ÷ first ${(s.medianRps / summary[0].medianRps).toFixed(3)}\n`,
    );
  const file = join(WORK_DIR, `ab-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ variants: list.map(({ baseline, ...v }) => ({ ...v, baseline: baseline?.name })), runs, summary }, null, 2)}\n`,
  );
  log(`runs: ${file}`);
});
