// Every knob of the bench, read once from the environment (the house rule keeps process.env out of src/,
// and bench/ follows it: only this file reads it).
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const LUA_DIR = join(BENCH_DIR, 'lua');
export const WORK_DIR = join(ROOT, '.local', 'bench');
export const SERVICES_DIR = join(ROOT, '.local', 'bench-services');

const env = process.env;

/** The built app under test (`npm run bench` builds dist/; another build can be pointed at). */
export const DIST_DIR = env.BENCH_DIST ? resolve(env.BENCH_DIST) : join(ROOT, 'dist');
/** The commit that other build was made from: bench:profile then names its files and header by it. */
export const DIST_COMMIT = env.BENCH_DIST && env.BENCH_DIST_COMMIT ? env.BENCH_DIST_COMMIT : null;

function seconds(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds`);
  return value;
}

function list(name, fallback) {
  const raw = env[name];
  return raw ? raw.split(',').map((s) => s.trim()) : fallback;
}

const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';

export const settings = {
  quick,
  /** Seconds each scenario is measured. */
  duration: seconds('BENCH_DURATION', quick ? 5 : 20),
  /** Seconds of the same load before each measured run (results discarded). */
  warmup: seconds('BENCH_WARMUP', quick ? 2 : 5),
  /** The open-model soak; 0 skips it (BENCH_QUICK skips it too). */
  soakSeconds: quick ? 0 : seconds('BENCH_SOAK_SECONDS', 300),
  soakRate: Number(env.BENCH_SOAK_RATE ?? 11_600),
  /** WEB_CONCURRENCY values the app scenarios run with. */
  concurrencies: list('BENCH_CONCURRENCY', ['1', '2']).map(Number),
  /** A regular expression on scenario names (e.g. `cached|uncached`): run only those. */
  only: env.BENCH_ONLY ? new RegExp(env.BENCH_ONLY) : null,
  /**
   * Paired ratios: each issue target measured again this many times, the two sides back to back in
   * alternating order, for BENCH_PAIR_SECONDS each (0 skips them; BENCH_QUICK runs none unless set).
   */
  pairs: Number(env.BENCH_PAIRS ?? (quick ? 0 : 3)),
  pairSeconds: seconds('BENCH_PAIR_SECONDS', quick ? 5 : 10),
  // A pair in which either side lost more than this share of a core to host steal is re-run (at most
  // as many extra pairs as asked for) and left out of the median: it measures the host, not the code.
  pairMaxSteal: Number(env.BENCH_PAIR_MAX_STEAL ?? 10),
  /** Run the CPU profile (BENCH_PROFILE_SCENARIO) at the end of `npm run bench` (0 to skip). */
  profile: env.BENCH_PROFILE !== '0',
  /** The app scenario the CPU profile runs (a name in scenarios.mjs `appScenarios`). */
  profileScenario: env.BENCH_PROFILE_SCENARIO || 'cached-get',
  /** Seeded products: the uncached read picks among all of them. */
  products: Number(env.BENCH_PRODUCTS ?? 100_000),
  /** Keep the app's request log in .local/bench/logs instead of /dev/null (it grows ~10 MB/s). */
  keepAppLog: env.BENCH_APP_LOG === 'file',
  /** wrk settings shared by every closed-loop run, baselines included. */
  wrk: {
    threads: Number(env.BENCH_WRK_THREADS ?? 1),
    connections: Number(env.BENCH_WRK_CONNECTIONS ?? 64),
    timeoutSeconds: 5,
  },
  /** Cores: the server under test on one, the load generator on the other. */
  cores: { server: '0', generator: '1', all: '0-1' },
  /** Per run: the seeded admin and the production JWT secret. */
  admin: {
    email: 'bench-admin@example.com',
    password: `bench-${randomBytes(12).toString('hex')}`,
  },
  jwtSecret: randomBytes(32).toString('hex'),
};
