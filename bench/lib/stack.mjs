// The bench's own Postgres primary + replica and Redis (scripts/services.sh in .local/bench-services),
// migrated and seeded with the built commands, plus what the load scripts need from it (ids, versions).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DIST_DIR, ROOT, SERVICES_DIR, WORK_DIR, settings } from './settings.mjs';

const SERVICES = join(ROOT, 'scripts', 'services.sh');

let appDir = DIST_DIR;

/**
 * Copies the built app to .local/bench/app and measures that copy: other people's `npm run build`
 * (tests, a colleague) empties dist/ for a while, which would fail a long run halfway through.
 */
export function snapshotApp() {
  if (!existsSync(join(DIST_DIR, 'main.js')))
    throw new Error(`${DIST_DIR}/main.js is missing: run \`npm run build\` first`);
  const copy = join(WORK_DIR, 'app');
  cpSync(DIST_DIR, copy, { recursive: true });
  appDir = copy; // node_modules still resolves: the copy sits inside the repository
}

/** The built app the bench runs (the snapshot once snapshotApp() ran). */
export const appDist = () => appDir;

function services(command, ...args) {
  return execFileSync('bash', [SERVICES, command, '--dir', SERVICES_DIR, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
  });
}

/** A fresh stack (anything left by an interrupted run is purged first); returns its env lines. */
export function servicesUp() {
  services('down', '--purge');
  const text = services('up');
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

export function servicesDown() {
  services('down', '--purge');
}

// The image preloads jemalloc from IMAGE_JEMALLOC (Dockerfile); on this machine it is Debian's libjemalloc2
// where that is installed. Without it the app runs on glibc malloc (MALLOC_ARENA_MAX=2), as a process of
// the image would with LD_PRELOAD unset, and the report says so: RSS is then higher than the image's.
const IMAGE_JEMALLOC = '/usr/local/lib/libjemalloc.so.2';
const MULTIARCH = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
export const jemalloc =
  [IMAGE_JEMALLOC, `/usr/lib/${MULTIARCH}-linux-gnu/libjemalloc.so.2`].find((path) =>
    existsSync(path),
  ) ?? null;

/** The allocator the app's processes run on here, checked in a Node started with the app's preload. */
export function allocatorInUse() {
  if (!jemalloc) return 'glibc malloc, MALLOC_ARENA_MAX=2 (libjemalloc2 is not installed here)';
  const mapped = execFileSync(
    process.execPath,
    ['-p', "require('fs').readFileSync('/proc/self/maps','utf8').includes('libjemalloc')"],
    { env: { PATH: process.env.PATH ?? '', LD_PRELOAD: jemalloc }, encoding: 'utf8' },
  ).trim();
  return mapped === 'true'
    ? `jemalloc (LD_PRELOAD=${jemalloc})`
    : `glibc malloc: ${jemalloc} did not load`;
}

/** The environment every process of ours gets: the stack plus the production settings. */
export function appEnv(stack, extra = {}) {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    // As the production image sets them (Dockerfile; test/deploy/env-schema.spec.ts keeps the two equal):
    // the heap bound and allocator the RSS figures are measured under.
    NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=8',
    ...(jemalloc ? { LD_PRELOAD: jemalloc } : {}),
    MALLOC_ARENA_MAX: '2',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    JWT_SECRET: settings.jwtSecret,
    JWT_ACCESS_TTL_S: '86400', // one token outlives the whole run
    ADMIN_EMAIL: settings.admin.email,
    ADMIN_PASSWORD: settings.admin.password,
    SHUTDOWN_DRAIN_DELAY_MS: '0', // nothing balances load here: stop at once between scenarios
    // All load comes from one address, which a real limit would turn into 429s; with a limit never reached
    // that one hot key takes its hits in leases of 500 (one Redis call per 500 requests). The
    // cached-get-50k-clients scenario measures what many ordinary clients at a real limit cost.
    THROTTLE_LIMIT: '1000000000',
    THROTTLE_AUTH_LIMIT: '1000000',
    DATABASE_URL: stack.DATABASE_URL,
    DATABASE_REPLICA_URLS: stack.DATABASE_REPLICA_URLS,
    REDIS_URL: stack.REDIS_URL,
    ...extra,
  };
}

function runBuilt(script, args, env) {
  execFileSync(process.execPath, [join(appDir, 'bootstrap', script), ...args], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 180_000,
  });
}

/** Migrates, seeds `settings.products` products, and waits until the replica has them all. */
export async function migrateAndSeed(stack) {
  const env = appEnv(stack);
  runBuilt('migrate.js', [], env);
  runBuilt('seed.js', ['--products', String(settings.products), '--users', '100'], env);
  const replica = new pg.Client({ connectionString: stack.DATABASE_REPLICA_URLS.split(',')[0] });
  await replica.connect();
  try {
    for (let tries = 0; tries < 600; tries++) {
      const { rows } = await replica.query('SELECT count(*)::int AS n FROM products');
      if (rows[0].n >= settings.products) return;
      await sleep(100);
    }
    throw new Error('the replica did not catch up with the seed within 60 s');
  } finally {
    await replica.end();
  }
}

/**
 * Ids the scenarios draw from, in a stable order: `all` (every product), `hot` (the first 1,000: the mix's
 * working set), `write` (2,000 others: the PATCH scenario's) and `one` (the cached read's single id).
 */
export async function loadIds(stack) {
  const client = new pg.Client({ connectionString: stack.DATABASE_REPLICA_URLS.split(',')[0] });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT id FROM products ORDER BY id');
    const all = rows.map((row) => row.id);
    return { all, hot: all.slice(0, 1_000), write: all.slice(1_000, 3_000), one: all.slice(0, 1) };
  } finally {
    await client.end();
  }
}

/** Current versions from the primary, read right before a write scenario so PATCHes start in sync. */
export async function readVersions(stack, ids) {
  const client = new pg.Client({ connectionString: stack.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT id, version FROM products WHERE id = ANY($1)', [
      ids,
    ]);
    return new Map(rows.map((row) => [row.id, row.version]));
  } finally {
    await client.end();
  }
}

/** One `id version` per line: what the Lua scripts and the open-loop client read. */
export function writeIdsFile(path, ids, versions = new Map()) {
  writeFileSync(path, ids.map((id) => `${id} ${versions.get(id) ?? 1}`).join('\n') + '\n');
}

/** POST /auth/login as the seeded admin; returns the access token. */
export async function login(baseUrl) {
  const response = await globalThis.fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: settings.admin.email, password: settings.admin.password }),
    signal: globalThis.AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (response.status !== 200)
    throw new Error(`login failed: ${response.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

/** Pids of the stack's servers (their children are found by the sampler). */
export function servicePids() {
  const firstLine = (path) => {
    try {
      return Number(readFileSync(path, 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  };
  return {
    postgres: [
      firstLine(join(SERVICES_DIR, 'pg', 'primary', 'postmaster.pid')),
      firstLine(join(SERVICES_DIR, 'pg', 'replica', 'postmaster.pid')),
    ].filter(Boolean),
    redis: [firstLine(join(SERVICES_DIR, 'redis', 'redis.pid'))].filter(Boolean),
  };
}

/** Postgres and Redis versions, for the report. */
export async function serviceVersions(stack) {
  const client = new pg.Client({ connectionString: stack.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query('SHOW server_version');
    const redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return {
      postgres: rows[0].server_version,
      redis: redis.match(/v=(\S+)/)?.[1] ?? redis.trim(),
    };
  } finally {
    await client.end();
  }
}
