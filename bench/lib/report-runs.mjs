// The report's sections about the runs: results, resources, ratios to the ceilings, open model, soak,
// server processes.
import { ceilings, ratioTargets, soak } from '../scenarios.mjs';
import { int, ms, pct, ratio, table } from './markdown.mjs';

const byKey = (runs) => new Map(runs.filter((r) => r.result).map((r) => [r.key, r]));

function serverLabel(run) {
  if (run.group === 'baseline') return `${run.target} (1 process, core 0)`;
  const wc = run.concurrency;
  return wc === 1 ? 'app, WEB_CONCURRENCY=1 (core 0)' : `app, WEB_CONCURRENCY=${wc} (unpinned)`;
}

function errorsOf(result) {
  const e = result.errors;
  return {
    non2xx: e.non2xx,
    conflicts: e.conflicts,
    timeouts: e.timeouts,
    socket: e.socket.connect + e.socket.read + e.socket.write,
    unfinished: e.unfinished ?? 0,
  };
}

function dbReads(result) {
  const perRequest = result.metrics?.perRequest;
  if (!perRequest) return '–';
  const reads = Object.entries(perRequest)
    .filter(([key]) => key.startsWith('db_read_route_total'))
    .reduce((sum, [, v]) => sum + v, 0);
  return reads.toFixed(2);
}

/** Cache hits per request by tier (`cache_requests_total`), when the app has the two-tier cache. */
function cacheHits(result) {
  const perRequest = result.metrics?.perRequest ?? {};
  const hits = (tier) =>
    Object.entries(perRequest)
      .filter(([key]) => key.startsWith('cache_requests_total{'))
      .filter(([key]) => key.includes(`tier="${tier}"`) && key.includes('result="hit"'))
      .reduce((sum, [, v]) => sum + v, 0);
  const any = Object.keys(perRequest).some((key) => key.startsWith('cache_requests_total{'));
  return any ? `${hits('l1').toFixed(2)} / ${hits('l2').toFixed(2)}` : '–';
}

/** Collector time per request served, minor (young generation) + major, when the server reports it. */
function gcTime(result) {
  const gc = result.metrics?.gcUsPerRequest;
  if (!gc) return '–';
  const total = Object.values(gc).reduce((sum, us) => sum + us, 0);
  return `${total.toFixed(1)} (${(gc.minor ?? 0).toFixed(1)} minor)`;
}

function eventLoop(result) {
  const loop = result.metrics?.eventLoop;
  if (!loop) return '–';
  const histogram = loop.delayHistogramP99 ? ` (≤${ms(loop.delayHistogramP99.atMostMs)})` : '';
  return `${ms(loop.beforeLagP99Ms)} → ${ms(loop.lagP99Ms)}${histogram}`;
}

/** Throughput, latency and errors: what the client saw. */
export function summaryTable(runs) {
  const rows = runs.map((run) => {
    if (!run.result)
      return [run.key, serverLabel(run), `**failed**: ${run.error}`, ...Array(9).fill('')];
    const r = run.result;
    const e = errorsOf(r);
    return [
      run.key,
      serverLabel(run),
      `**${int(r.rps)}**`,
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p90),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      int(e.non2xx),
      int(e.conflicts),
      int(e.timeouts),
      int(e.socket),
      int(e.unfinished),
    ];
  });
  return table(
    [
      'run',
      'server',
      'req/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'non-2xx',
      '409',
      'timeouts',
      'socket errors',
      'unsent / unanswered',
    ],
    rows,
  );
}

/** What it cost the machine, and what the app said about itself. */
export function resourcesTable(runs) {
  const rows = runs
    .filter((run) => run.result)
    .map((run) => {
      const r = run.result;
      const cpu = r.resources.cpuPercent;
      const rss = Math.max(...r.resources.processes.map((p) => p.rssMb.max ?? 0));
      return [
        run.key,
        pct(cpu.server),
        pct(cpu.generator),
        pct(cpu.postgres),
        pct(cpu.redis),
        pct(cpu.other),
        cpu.steal === undefined ? '–' : pct(cpu.steal),
        rss ? rss.toFixed(0) : '–',
        eventLoop(r),
        dbReads(r),
        cacheHits(r),
        gcTime(r),
      ];
    });
  return table(
    [
      'run',
      'server CPU',
      'generator CPU',
      'postgres CPU',
      'redis CPU',
      'other CPU',
      'of which host steal',
      'max RSS MB (one process)',
      'event-loop lag p99 ms: startup + warm-up → run (histogram bucket)',
      'DB reads/req',
      'cache hits/req L1 / L2',
      'GC µs/req',
    ],
    rows,
  );
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The issue's ratios measured again in back-to-back pairs (see pairedRatios in bench/run.mjs). */
function pairedTable(paired) {
  if (paired.length === 0) return [];
  const rows = paired.map((p) => {
    const target = ratioTargets.find((t) => t.run === p.run && t.versus === p.versus);
    const ok = p.pairs.filter((pair) => !pair.error);
    // Reports from before steal was recorded per pair count every pair.
    const counted = ok.filter((pair) => !pair.stolen);
    const values = (counted.length ? counted : ok).map((pair) => pair.run / pair.versus);
    const cells = p.pairs.map((pair) => {
      if (pair.error) return `failed: ${pair.error}`;
      const text = `${int(pair.run)} / ${int(pair.versus)} = ${ratio(pair.run / pair.versus)}`;
      if (!pair.steal) return text;
      const steal = `steal ${Math.round(pair.steal.run)}% / ${Math.round(pair.steal.versus)}%`;
      return pair.stolen && counted.length
        ? `~~${text}~~ (${steal}, not counted)`
        : `${text} (${steal})`;
    });
    const mid = values.length ? median(values) : null;
    const note = ok.length && !counted.length ? ' (every pair had host steal)' : '';
    return [
      target.text,
      cells.join('; '),
      mid === null ? '–' : `${ratio(mid)}${note}`,
      mid === null
        ? 'not measured'
        : mid >= target.atLeast
          ? 'met'
          : `**not met** (target ${ratio(target.atLeast)})`,
    ];
  });
  const maxSteal = paired[0].maxSteal;
  return [
    '',
    `The same targets measured again in pairs: the two sides back to back, the first of a pair alternating, so a drift of the machine's speed between runs minutes apart weighs on both alike. Each side is restarted, warmed up and measured for ${paired[0].seconds} s.${maxSteal === undefined ? '' : ` A pair in which either side lost more than ${maxSteal}% of a core to host steal is struck through, left out of the median and run again (at most as many extra pairs as asked for); steal is given as run / ceiling.`} The median is the figure to read.`,
    '',
    table(['target (issue 7)', 'pairs: run / ceiling req/s', 'median', ''], rows),
  ];
}

export function ratiosSection(runs, paired = []) {
  const found = byKey(runs);
  const targetRows = ratioTargets.map((t) => {
    const [a, b] = [found.get(t.run), found.get(t.versus)];
    if (!a || !b) return [t.text, '–', '–', 'not measured'];
    const value = a.result.rps / b.result.rps;
    return [
      t.text,
      `${int(a.result.rps)} vs ${int(b.result.rps)} req/s`,
      ratio(value),
      value >= t.atLeast ? 'met' : `**not met** (target ${ratio(t.atLeast)})`,
    ];
  });
  const detail = [];
  for (const run of runs.filter((r) => r.result && ceilings[r.scenario])) {
    for (const key of ceilings[run.scenario]) {
      const ceiling = found.get(key);
      if (ceiling) {
        detail.push([
          run.key,
          key,
          ratio(run.result.rps / ceiling.result.rps),
          ms(run.result.latencyMs.p99),
          ms(ceiling.result.latencyMs.p99),
        ]);
      }
    }
  }
  return [
    table(['target (issue 7)', 'measured', 'ratio', ''], targetRows),
    ...pairedTable(paired),
    '',
    'Every run against its ceilings (req/s ratio; p99 side by side). At WEB_CONCURRENCY=2 the app has both cores and the baselines one, so those ratios are not like for like.',
    '',
    table(['run', 'ceiling', 'req/s ratio', 'p99 ms (run)', 'p99 ms (ceiling)'], detail),
  ].join('\n');
}

export function openSection(runs) {
  const open = runs.filter((r) => r.result?.open);
  if (open.length === 0) return '';
  const rows = open.map((run) => {
    const o = run.result.open;
    const windows = o.windows.map((w) => ms(w.p99)).join(' · ');
    return [
      run.key,
      int(o.rate),
      int(o.scheduled),
      int(o.sent),
      int(run.result.requests),
      `${ms(o.sendLagMs.p50)} / ${ms(o.sendLagMs.p99)} / ${ms(o.sendLagMs.max)}`,
      windows,
    ];
  });
  return [
    '## Open model',
    '',
    'Latency counts from each request’s intended send time (start + i / rate), so a server that falls behind shows its queueing. Send lag is how late the client itself put requests on the wire (its own timer granularity and any wait for a free connection; it is part of the latency above).',
    '',
    table(
      [
        'run',
        'rate req/s',
        'scheduled',
        'sent',
        'answered',
        'send lag p50 / p99 / max ms',
        'p99 ms per tenth of the run',
      ],
      rows,
    ),
  ].join('\n');
}

export function soakSection(runs, meta) {
  const run = runs.find((r) => r.key === 'soak');
  if (!run) {
    return `## Soak\n\nNot run (${meta.settings.quick ? 'BENCH_QUICK' : 'BENCH_SOAK_SECONDS=0'}). Target: WEB_CONCURRENCY=2, 95/5 mix, ${int(soak.rate)} req/s for 5 minutes, p99 < ${soak.targets.p99Ms} ms, 0 errors, RSS per process < ${soak.targets.rssMb} MB and flat.`;
  }
  if (!run.result) return `## Soak\n\n**failed**: ${run.error}`;
  const r = run.result;
  const e = errorsOf(r);
  const errors = e.non2xx + e.timeouts + e.socket + e.unfinished;
  const maxRss = Math.max(...r.resources.processes.map((p) => p.rssMb.max ?? 0));
  // Flat: no process grew by more than 10% (or 10 MB, whichever is larger) from start to end.
  const growth = Math.max(
    ...r.resources.processes.map((p) => (p.rssMb.end ?? 0) - (p.rssMb.start ?? 0)),
  );
  const flat = r.resources.processes.every(
    (p) => (p.rssMb.end ?? 0) - (p.rssMb.start ?? 0) <= Math.max(10, 0.1 * (p.rssMb.start ?? 0)),
  );
  const verdict = (ok) => (ok ? 'met' : '**not met**');
  return [
    '## Soak',
    '',
    `WEB_CONCURRENCY=2 (unpinned), 95/5 mix at ${int(soak.rate)} req/s for ${soak.seconds} s, open model.`,
    '',
    table(
      ['check', 'target', 'measured', ''],
      [
        [
          'achieved rate',
          `${int(soak.rate)} req/s`,
          `${int(r.rps)} req/s`,
          verdict(r.rps >= 0.99 * soak.rate),
        ],
        [
          'p99 latency',
          `< ${soak.targets.p99Ms} ms`,
          `${ms(r.latencyMs.p99)} ms`,
          verdict(r.latencyMs.p99 < soak.targets.p99Ms),
        ],
        ['errors (non-2xx, timeouts, socket, unanswered)', '0', int(errors), verdict(errors === 0)],
        ['409 version conflicts (not errors)', '–', int(e.conflicts), ''],
        [
          'RSS growth start → end (largest)',
          'flat (≤ 10% or 10 MB)',
          `${growth.toFixed(1)} MB`,
          verdict(flat),
        ],
        [
          'max RSS per process',
          `< ${soak.targets.rssMb} MB`,
          `${maxRss.toFixed(0)} MB`,
          verdict(maxRss < soak.targets.rssMb),
        ],
      ],
    ),
    '',
    'RSS per process (start / middle / end of the run, MB):',
    '',
    processTable(r.resources.processes),
  ].join('\n');
}

function processTable(processes) {
  return table(
    ['pid', 'role', 'CPU (% of one core)', 'RSS start', 'RSS middle', 'RSS end', 'RSS max'],
    processes.map((p) => [
      p.pid,
      p.role,
      pct(p.cpuPercent),
      p.rssMb.start,
      p.rssMb.middle,
      p.rssMb.end,
      p.rssMb.max,
    ]),
  );
}

export function processesSection(runs) {
  const appRuns = runs.filter((r) => r.result && r.group !== 'baseline' && r.key !== 'soak');
  const rows = appRuns.flatMap((run) =>
    run.result.resources.processes.map((p) => [
      run.key,
      p.pid,
      p.role,
      pct(p.cpuPercent),
      p.rssMb.start,
      p.rssMb.middle,
      p.rssMb.end,
      p.rssMb.max,
    ]),
  );
  return [
    '## Server processes',
    '',
    'Sampled from /proc/<pid>/stat and /proc/<pid>/status during each measured run (`main` is the single process at WEB_CONCURRENCY=1; at 2 the cluster `primary` forks the `worker`s). RSS in MB.',
    '',
    table(
      [
        'run',
        'pid',
        'role',
        'CPU (% of one core)',
        'RSS start',
        'RSS middle',
        'RSS end',
        'RSS max',
      ],
      rows,
    ),
  ].join('\n');
}
