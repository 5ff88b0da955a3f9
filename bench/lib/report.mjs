// The committed result: <date>-<commit>.json (everything measured), .md (the report), .svg (the chart),
// and the list of reports in bench/README.md. Only this code writes them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baselines, loads } from '../scenarios.mjs';
import { barChart } from './chart.mjs';
import { code, int, table } from './markdown.mjs';
import { profileSection } from './profile.mjs';
import {
  openSection,
  processesSection,
  ratiosSection,
  resourcesTable,
  soakSection,
  summaryTable,
} from './report-runs.mjs';
import { BENCH_DIR, RESULTS_DIR } from './settings.mjs';

export const baseName = (meta) => `${meta.startedAt.slice(0, 10)}-${meta.commit}`;

/**
 * What a run left out of the full bench, from its recorded settings: empty for a full run. Older reports
 * lack `pairs` (they predate the paired ratios) and count as full when the rest is the default.
 */
export function leftOut(s) {
  const out = [];
  if (s.only) out.push(`only \`${s.only}\``);
  if (String(s.concurrencies) !== '1,2')
    out.push(`WEB_CONCURRENCY ${s.concurrencies.join(', ')} only`);
  if (s.duration < 20) out.push(`${s.duration} s runs`);
  if (!s.soakSeconds) out.push('no soak');
  if (s.pairs === 0) out.push('no paired ratios');
  return out;
}

/** "full run", "quick run" or "partial run (…what it left out)". */
export function runKind(s) {
  if (s.quick) return 'quick run';
  const out = leftOut(s);
  return out.length ? `partial run (${out.join(', ')})` : 'full run';
}

function header(meta, name) {
  const m = meta.machine;
  const s = meta.settings;
  const usedLoads = [...new Set(meta.loadsRun)];
  return [
    `# Load test ${meta.startedAt.slice(0, 10)}, commit ${meta.commit}${meta.dirty ? ' (working tree had uncommitted changes)' : ''}`,
    '',
    `Written by \`npm run bench\` (bench/run.mjs) on ${meta.startedAt}; every number below comes from [${name}.json](${name}.json). ${s.quick ? '**Quick run** (BENCH_QUICK=1): short runs, no soak; use it to check the kit, not to judge.' : leftOut(s).length ? `**Partial run**: ${leftOut(s).join(', ')}; its figures are not the full bench's.` : 'Full run.'}`,
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.cores} cores`],
        ['memory', `${m.memoryGb} GB`],
        ['kernel', m.kernel],
        ['Node', m.node],
        ['wrk', m.wrk],
        ['PostgreSQL / Redis', `${meta.services.postgres} / ${meta.services.redis}`],
        [
          'packages',
          Object.entries(m.packages)
            .map(([k, v]) => `${k} ${v ?? '–'}`)
            .join(', '),
        ],
        [
          'load average (1, 5, 15 min) at start → end',
          `${m.loadAverageAtStart.join(' ')} → ${(m.loadAverageAtEnd ?? []).join(' ')}`,
        ],
      ],
    ),
    '',
    '## Configuration',
    '',
    `- Each run: ${s.warmup} s warm-up (same load, discarded), then ${s.duration} s measured. ${int(s.products)} products seeded.`,
    // Reports from before 5acde43 did not record these.
    ...(meta.allocator
      ? [
          `- The app's runtime settings, as the image sets them: NODE_OPTIONS=\`${meta.nodeOptions}\`; allocator: ${meta.allocator}.`,
        ]
      : []),
    `- The app: \`dist/main.js\`, NODE_ENV=production, LOG_LEVEL=info with the request log going to ${s.keepAppLog ? 'a file' : '/dev/null'}, a JWT_SECRET, its own metrics port scraped before and after each run. It is restarted for every run. WEB_CONCURRENCY=1 is pinned to core 0 (\`taskset -c 0\`); WEB_CONCURRENCY=2 is **unpinned**: its processes share both cores with the generator and the databases.`,
    '- Baselines (bench/baselines): one process each, pinned to core 0, same product JSON, reading the same replica (and Redis for the Express stack).',
    `- Closed loop: \`${s.wrkCommand}\`, pinned to core 1, identical for baselines and the app. wrk counts statuses ≥ 400 as non-2xx; the PATCH and mix scripts count every status (409 apart).`,
    '- Open model: bench/lib/open-loop.mjs on core 1, a fixed arrival rate over a fixed pool of keep-alive connections, latency from the intended send time (no coordinated omission; autocannon -R would time from the actual write).',
    '- PostgreSQL (primary + streaming replica) and Redis run on the same two cores, unpinned; their CPU is a column below. "other" is CPU used by processes that are not part of the bench (other people’s work on the machine): high values mean a noisy run.',
    '- Event-loop lag: prom-client’s `nodejs_eventloop_lag_p99_seconds`, which covers the time since the previous scrape: the scrape before the run gives startup + warm-up, the one after gives the run (averaged across workers). In brackets, the bucket of the app’s `nodejs_eventloop_delay_seconds` histogram (summed across workers) the run’s p99 falls in.',
    '- DB reads/req: the delta of `db_read_route_total` over the requests the app itself counted (`http_request_duration_seconds_count`) between the same two scrapes: 0 for a read served from a cache, about 1 for one from the replica. Cache hits/req: the same for `cache_requests_total` hits per tier (once the app has the two-tier cache). GC µs/req: the delta of `nodejs_gc_duration_seconds_sum` (all kinds, minor = young-generation scavenges) over the same requests.',
    '',
    'Loads:',
    '',
    ...usedLoads.map((name) => `- \`${name}\`: ${loads[name].title}`),
    '',
    'Baselines:',
    '',
    ...baselines.map((b) => `- \`${b.name}\` (bench/baselines/${b.file}): ${b.title}`),
  ].join('\n');
}

export function renderReport({ meta, runs, paired = [], profile }, name) {
  const failures = runs.filter((r) => r.error);
  const samples = runs.filter((r) => r.result?.errorSample);
  return [
    header(meta, name),
    '',
    '## Results',
    '',
    `![requests/s and p99 per run](${name}.svg)`,
    '',
    summaryTable(runs),
    '',
    'CPU is % of one core over the measured run (200% = both cores); "other" is everything on the machine that is not the server, the generator, Postgres or Redis, including host steal: time the hypervisor gave our virtual CPUs to someone else (from /proc/stat), which slows a run without any process here using the CPU.',
    '',
    resourcesTable(runs),
    '',
    '## Ratios',
    '',
    ratiosSection(runs, paired),
    '',
    openSection(runs),
    '',
    soakSection(runs, meta),
    '',
    processesSection(runs),
    '',
    profileSection(profile),
    '',
    ...(failures.length
      ? ['## Failures', '', ...failures.map((r) => `- ${r.key}: ${r.error}`), '']
      : []),
    ...(samples.length
      ? [
          '## What the non-2xx answers were',
          '',
          'wrk only counts them; after such a run one more request of the same kind was sent:',
          '',
          ...samples.map((r) => `- ${r.key}: ${code(JSON.stringify(r.result.errorSample))}`),
          '',
        ]
      : []),
  ].join('\n');
}

/** Rewrites the list between the markers in bench/README.md from the reports in bench/results. */
export function updateIndex() {
  const readmePath = join(BENCH_DIR, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const [start, end] = ['<!-- results:start -->', '<!-- results:end -->'];
  if (!readme.includes(start) || !readme.includes(end)) return;
  const reports = readdirSync(RESULTS_DIR)
    .filter((f) => /^\d{4}-\d{2}-\d{2}-[\w]+\.json$/.test(f))
    .sort()
    .reverse()
    .map((file) => {
      const data = JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8'));
      const name = file.replace(/\.json$/, '');
      const cached = data.runs.find((r) => r.key === 'app-wc1:cached-get' && r.result);
      const note = runKind(data.meta.settings);
      const headline = cached
        ? `, cached GET ${int(cached.result.rps)} req/s at WEB_CONCURRENCY=1`
        : '';
      return `- [${name}](results/${name}.md): ${note}${headline}`;
    });
  const list = reports.length ? reports.join('\n') : '- none yet';
  const updated = `${readme.slice(0, readme.indexOf(start) + start.length)}\n\n${list}\n\n${readme.slice(readme.indexOf(end))}`;
  writeFileSync(readmePath, updated);
}

/** Writes the JSON, the report and the chart; returns the report's path. */
export function writeReport(data) {
  const name = baseName(data.meta);
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  const rows = data.runs.map((run) => ({
    label: run.key,
    group: run.group,
    rps: run.result?.rps ?? NaN,
    p99Ms: run.result?.latencyMs.p99 ?? NaN,
  }));
  writeFileSync(
    join(RESULTS_DIR, `${name}.svg`),
    barChart(rows, `nest-at-scale load test ${name}`),
  );
  const path = join(RESULTS_DIR, `${name}.md`);
  writeFileSync(path, renderReport(data, name));
  updateIndex();
  return path;
}
