// The app's Prometheus endpoint (METRICS_PORT), scraped right before and right after a measured run.
// Event-loop lag comes two ways: prom-client's nodejs_eventloop_lag_* gauges (p99 and max since the
// previous scrape; averaged / maxed across cluster workers) and the app's own
// nodejs_eventloop_delay_seconds histogram (summed across workers; the p99 is the bucket it falls in).
// Counter deltas (database reads by route, cache and throttler counters when they exist) say what
// the requests actually did: a "cached" read that still queries the replica shows up here. GC time per
// request says how much of a run's CPU went to the collector.

const COUNTERS = /^(db_read_route_total|cache_\w*_total|throttl\w*_total)\b/;

export async function scrape(metricsUrl) {
  const response = await globalThis.fetch(`${metricsUrl}/metrics`, {
    signal: globalThis.AbortSignal.timeout(5_000),
  });
  if (response.status !== 200) throw new Error(`GET ${metricsUrl}/metrics: ${response.status}`);
  return parse(await response.text());
}

/** series (name plus labels, as printed) -> value */
function parse(text) {
  const series = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

function histogramP99(before, after, name) {
  const buckets = [...after.entries()]
    .filter(([key]) => key.startsWith(`${name}_bucket{`))
    .map(([key, value]) => ({
      le: key.match(/le="([^"]+)"/)[1],
      count: value - (before.get(key) ?? 0),
    }))
    .map((b) => ({ le: b.le === '+Inf' ? Infinity : Number(b.le), count: b.count }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const bucket = buckets.find((b) => b.count >= 0.99 * total);
  return { atMostMs: bucket.le * 1000, samples: total };
}

/** Requests the server itself counted between the scrapes (every route and status), or null. */
function serverRequests(before, after) {
  let total = null;
  for (const [key, value] of after) {
    if (key.startsWith('http_request_duration_seconds_count')) {
      total = (total ?? 0) + value - (before.get(key) ?? 0);
    }
  }
  return total;
}

/**
 * What changed between two scrapes. Counter deltas are divided by the requests the server counted in
 * the same interval (the client's own count, `requests`, when the server has no such metric): the
 * interval also holds the open-loop client's unrecorded first second and its drain.
 */
export function compare(before, after, requests) {
  const served = serverRequests(before, after);
  const denominator = Math.max(1, served ?? requests);
  const gaugeMs = (name) => {
    const value = after.get(name);
    return value === undefined ? null : value * 1000;
  };
  const perRequest = {};
  for (const [key, value] of after) {
    if (!COUNTERS.test(key)) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta > 0) perRequest[key] = delta / denominator;
  }
  const beforeMs = (name) => (before.has(name) ? before.get(name) * 1000 : null);
  return {
    serverRequests: served,
    eventLoop: {
      // The gauges cover the time since the previous scrape: "before" is startup and warm-up.
      beforeLagP99Ms: beforeMs('nodejs_eventloop_lag_p99_seconds'),
      lagP99Ms: gaugeMs('nodejs_eventloop_lag_p99_seconds'),
      lagMaxMs: gaugeMs('nodejs_eventloop_lag_max_seconds'),
      delayHistogramP99: histogramP99(before, after, 'nodejs_eventloop_delay_seconds'),
    },
    perRequest,
    gcUsPerRequest: gcPerRequest(before, after, denominator),
  };
}

/**
 * Time in V8's collector per request served, by kind (minor = scavenges of the young generation, major
 * = mark-compact), from prom-client's nodejs_gc_duration_seconds (summed across cluster workers).
 */
function gcPerRequest(before, after, requests) {
  const byKind = {};
  for (const [key, value] of after) {
    const kind = /^nodejs_gc_duration_seconds_sum\{.*kind="(\w+)"/.exec(key)?.[1];
    if (!kind) continue;
    byKind[kind] = (byKind[kind] ?? 0) + ((value - (before.get(key) ?? 0)) * 1e6) / requests;
  }
  return Object.keys(byKind).length ? byKind : null;
}
