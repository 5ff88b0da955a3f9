// Starting one server (the app or a baseline) and measuring one load against it: warm-up, metrics
// scrape, /proc sampling, the generator run, scrape again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { loads } from '../scenarios.mjs';
import { runWrk, startOpenLoop } from './generators.mjs';
import { compare, scrape } from './metrics.mjs';
import { freePort, freePorts, startProcess } from './processes.mjs';
import { startSampler } from './sampler.mjs';
import { BENCH_DIR, WORK_DIR, settings } from './settings.mjs';
import { appDist, appEnv, login, readVersions, servicePids, writeIdsFile } from './stack.mjs';

/** Why a process did not start: the first error line of its stderr log, else its last lines. */
function tail(path) {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return (
      lines.find((line) => /\b\w*Error\b|failed to start|Invalid configuration/.test(line)) ??
      lines.slice(-3).join(' / ')
    );
  } catch {
    return '';
  }
}

async function waitFor(what, check, handle, stderrLog, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!handle.isRunning()) {
      throw new Error(`${what}: it exited during startup: ${tail(stderrLog)}`);
    }
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s`);
}

const get = (url) => globalThis.fetch(url, { signal: globalThis.AbortSignal.timeout(2_000) });

/**
 * dist/main.js in production mode. WEB_CONCURRENCY=1 is pinned to the server core; more processes run
 * unpinned (every core, sharing them with the generator and the databases).
 */
export async function startApp(stack, { concurrency, env = {}, cpuProfileDir = null, label }) {
  const entry = join(appDist(), 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const [port, metricsPort] = await freePorts(2);
  const nodeArgs = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [];
  const stderrLog = join(WORK_DIR, 'logs', `app-${label}.stderr.log`);
  const handle = startProcess('app', process.execPath, [...nodeArgs, entry], {
    cores: concurrency === 1 ? settings.cores.server : settings.cores.all,
    env: appEnv(stack, {
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      WEB_CONCURRENCY: String(concurrency),
      ...env,
    }),
    stdout: settings.keepAppLog ? join(WORK_DIR, 'logs', `app-${label}.log`) : null,
    stderr: stderrLog,
  });
  const url = `http://127.0.0.1:${port}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const workersUp = async () => {
    if (concurrency === 1) return true;
    const metrics = await scrape(metricsUrl);
    return (metrics.get('cluster_workers') ?? 0) >= concurrency;
  };
  await waitFor(
    `the app (${label}) was not ready (see .local/bench/logs/app-${label}.stderr.log)`,
    async () => (await get(`${url}/health/ready`)).status === 200 && (await workersUp()),
    handle,
    stderrLog,
  );
  return { handle, url, metricsUrl, pid: handle.pid };
}

/** A baseline from bench/baselines on the server core, reading the replica (and Redis). */
export async function startBaseline(stack, baseline, ids, { cpuProfileDir = null } = {}) {
  const port = await freePort();
  const nodeArgs = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [];
  const stderrLog = join(WORK_DIR, 'logs', `${baseline.name}.stderr.log`);
  const handle = startProcess(
    baseline.name,
    process.execPath,
    [...nodeArgs, join(BENCH_DIR, 'baselines', baseline.file)],
    {
      cores: settings.cores.server,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: stack.DATABASE_REPLICA_URLS.split(',')[0],
        REDIS_URL: stack.REDIS_URL,
      },
      stderr: stderrLog,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${baseline.name} did not answer (see .local/bench/logs/${baseline.name}.stderr.log)`,
    async () => (await get(`${url}/products/${ids.one[0]}`)).status === 200,
    handle,
    stderrLog,
  );
  return { handle, url, metricsUrl: null, pid: handle.pid };
}

/** The ids file a load reads, with versions fresh from the primary when it writes. */
async function idsFileFor(stack, load, ids, label) {
  if (!load.ids) return null;
  const file = join(WORK_DIR, `ids-${label}.txt`);
  const list = ids[load.ids];
  writeIdsFile(file, list, load.versions ? await readVersions(stack, list) : new Map());
  return file;
}

/**
 * Warm-up, then one measured run of `loadName` against `server`. `rate` and `seconds` for the open model.
 * Returns the generator's result plus resources (CPU, RSS) and metric deltas.
 */
export async function measure(
  stack,
  server,
  { loadName, ids, label, rate, seconds = settings.duration },
) {
  const load = loads[loadName];
  const token = load.auth ? await login(server.url) : null;
  const wrkArgs = async () => {
    const file = await idsFileFor(stack, load, ids, label);
    return [...(file ? [file] : []), ...(token ? [token] : []), ...(load.args ?? [])];
  };
  const wrkUrl = `${server.url}${load.path ? load.path(ids) : ''}`;
  if (settings.warmup > 0) {
    await runWrk({
      url: wrkUrl,
      script: load.script,
      args: await wrkArgs(),
      seconds: settings.warmup,
      label,
    });
  }
  const args = await wrkArgs(); // versions as the warm-up left them
  const before = server.metricsUrl ? await scrape(server.metricsUrl) : null;
  const groups = { server: [server.pid], ...servicePids() };
  const sampler = startSampler(groups, seconds <= 10 ? 500 : 1_000);
  let result;
  try {
    if (load.open) {
      const run = startOpenLoop({
        port: Number(new URL(server.url).port),
        rate,
        seconds,
        idsFile: args[0],
        token,
        writeEvery: load.writeEvery,
        label,
      });
      result = await run.result;
    } else {
      result = await runWrk({
        url: wrkUrl,
        script: load.script,
        args,
        seconds,
        label,
      });
    }
  } finally {
    result = { ...result, resources: sampler.stop() };
  }
  if (before) {
    result.metrics = compare(before, await scrape(server.metricsUrl), result.requests);
  }
  if (result.errors.non2xx > 0)
    result.errorSample = await probe(
      `${server.url}${load.path ? load.path(ids) : `/products/${ids[load.ids][0]}`}`,
      token,
    );
  return result;
}

/** wrk only counts errors: one more GET of the same resource says what they were (a 429? a 500?). */
async function probe(url, token) {
  try {
    const response = await globalThis.fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: globalThis.AbortSignal.timeout(5_000),
    });
    return { url, status: response.status, body: (await response.text()).slice(0, 300) };
  } catch (error) {
    return { url, error: error.message };
  }
}
