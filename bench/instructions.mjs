// `npm run bench:instructions`: instructions per request under callgrind for app scenarios and
// baselines (BENCH_INSTRUCTIONS, see lib/instructions.mjs), each server alone on the server core with
// its own stack. Repeatable where req/s is not: use it to compare builds (BENCH_DIST points at another
// build, BENCH_DIST_LABEL names it) and to see what a feature costs. Writes
// bench/results/<date>-<commit>-instructions.{md,json}.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkValgrind, countSubject, instructionSettings } from './lib/instructions.mjs';
import { log, runMain } from './lib/lifecycle.mjs';
import { describeCommit, describeMachine } from './lib/machine.mjs';
import { code, int, ratio, table } from './lib/markdown.mjs';
import { pinSelf } from './lib/processes.mjs';
import { baseName } from './lib/report.mjs';
import { DIST_DIR, RESULTS_DIR, ROOT, settings } from './lib/settings.mjs';
import { loadIds, migrateAndSeed, servicesUp, snapshotApp } from './lib/stack.mjs';
import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';

/** Each row's reference: what the issue compares it with, as "reference ÷ this" (a rate ratio if CPU-bound). */
const REFERENCES = {
  'app:cached-get': ['fastify-memory:get-one', 'express-stack:get-one'],
  'app:cached-get-no-throttle': ['app:cached-get'],
  'app:cached-get-no-log': ['app:cached-get'],
  'app:cached-get-no-throttle-no-log': ['fastify-memory:get-one', 'app:cached-get'],
  'nest-memory:get-one': ['fastify-memory:get-one'],
  'app:uncached-get': ['fastify-pg:get-random', 'express-stack:get-random'],
};

function markdown(meta, plan, rows) {
  const byKey = new Map(rows.filter((r) => !r.error).map((r) => [r.key, r]));
  const lines = rows.map((row) => {
    if (row.error) return [code(row.key), `**failed**: ${row.error}`, '–', '–', '–'];
    const refs = (REFERENCES[row.key] ?? [])
      .filter((ref) => byKey.has(ref))
      .map((ref) => `${ratio(byKey.get(ref).perRequest / row.perRequest)} of ${code(ref)}`);
    const errors = row.requests - row.ok;
    return [
      code(row.key),
      row.title,
      int(row.perRequest),
      refs.join(', ') || '–',
      errors ? `**${int(errors)} non-2xx** ${JSON.stringify(row.statuses)}` : '0',
    ];
  });
  const cost = (feature, withIt, without) =>
    byKey.has(withIt) && byKey.has(without)
      ? `- ${feature}: ${int(byKey.get(withIt).perRequest - byKey.get(without).perRequest)} instructions per request (${code(withIt)} − ${code(without)})`
      : null;
  const m = meta.machine;
  return [
    `# Instructions per request ${meta.startedAt.slice(0, 10)}, commit ${meta.commit}${meta.dirty ? ' (working tree had uncommitted changes)' : ''}`,
    '',
    `Written by \`npm run bench:instructions\` (bench/instructions.mjs). ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, ${meta.valgrind}. App build: ${meta.dist}.`,
    '',
    `Each server alone under \`valgrind --tool=callgrind\` on core 0 (the app at WEB_CONCURRENCY=1, production settings as in the main run), ${int(plan.warmup)} warm-up requests, then ${int(plan.count)} counted requests over ${plan.connections} keep-alive connection(s) from a Node client on core 1, node flags ${plan.nodeFlags.map(code).join(' ') || 'none'}. The count is every user-space instruction of the server process in that window (all threads: JIT code, GC, libuv) divided by the requests: repeatable for the same build and load however busy the host is, unlike req/s. Kernel work (syscalls, loopback TCP) is not counted, and instructions are not time, so "reference ÷ this" is the rate ratio only where user-space CPU bounds both.`,
    '',
    table(['subject', 'what', 'instructions / request', 'reference ÷ this', 'errors'], lines),
    '',
    ...[
      cost(
        'rate limiting (Redis-backed throttler)',
        'app:cached-get',
        'app:cached-get-no-throttle',
      ),
      cost('request logging (pino)', 'app:cached-get', 'app:cached-get-no-log'),
      cost('both together', 'app:cached-get', 'app:cached-get-no-throttle-no-log'),
    ].filter(Boolean),
    '',
  ].join('\n');
}

await runMain(async () => {
  checkValgrind();
  snapshotApp();
  const plan = instructionSettings();
  const meta = {
    startedAt: new Date().toISOString(),
    ...describeCommit(),
    machine: describeMachine(),
    valgrind: execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim(),
    dist: settings.distLabel ?? (relative(ROOT, DIST_DIR) || DIST_DIR),
  };
  const name = `${baseName(meta)}-instructions${settings.distLabel ? `-${settings.distLabel.replace(/[^\w-]/g, '_')}` : ''}`;
  log('starting Postgres primary + replica and Redis (.local/bench-services)');
  const stack = servicesUp();
  await migrateAndSeed(stack);
  const ids = await loadIds(stack);
  pinSelf(settings.cores.generator);
  const rows = [];
  for (const key of plan.subjects) {
    log(`${key}: ${plan.warmup} + ${plan.count} requests under callgrind`);
    try {
      const row = await countSubject(stack, ids, key, plan);
      log(`${key}: ${int(row.perRequest)} instructions per request (${row.seconds.toFixed(0)} s)`);
      rows.push(row);
    } catch (error) {
      log(`${key} failed: ${error.message}`);
      rows.push({ key, error: error.message });
    }
  }
  writeFileSync(
    join(RESULTS_DIR, `${name}.json`),
    `${JSON.stringify({ meta, plan, rows }, null, 2)}\n`,
  );
  const path = join(RESULTS_DIR, `${name}.md`);
  writeFileSync(path, markdown(meta, plan, rows));
  log(`report: ${path}`);
});
