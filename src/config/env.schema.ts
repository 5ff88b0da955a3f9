import { isIP } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

// One schema for every process (API, job worker, migrations). Defaults suit local development;
// production must set what has no safe default (see the refinements in config.ts).
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');
const postgresUrl = z
  .string({ message: 'is required' })
  .url('must be a URL like postgres://user:pass@host:5432/db')
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://');
const redisUrl = z
  .string({ message: 'is required' })
  .url('must be a URL like redis://host:6379')
  .refine((v) => /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://');

/** A comma-separated list (blanks dropped), each item checked by `item`; empty when unset. */
const commaList = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

/** An origin as browsers send it: scheme, host and port only, e.g. https://app.example.com:8443. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts in its list. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a CIDR (10.0.0.0/8, fd00::/8) or a range name: one entry of a TRUST_PROXY list. */
function isProxyEntry(value: string): boolean {
  if (PROXY_RANGES.includes(value)) return true;
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Whose X-Forwarded-For to believe, so limits count the client and not the proxy: false (nobody, the
 * default), true (every hop, only where nothing but the proxy can reach the API), or a comma list of
 * the proxies' addresses, CIDRs and range names (loopback, linklocal, uniquelocal); the client is then
 * the last address not on the list. Not a hop count: Fastify 5.12.1 stopped honouring one (it cannot
 * check the peer, GHSA-3m5p-2c4r-xxw2) and trusts nobody instead, so every client behind the proxy would
 * share the proxy's one rate-limit bucket.
 */
const trustProxy = commaList(z.string())
  .superRefine((entries, ctx) => {
    const [only] = entries;
    if (entries.length === 1 && (only === 'true' || only === 'false')) return;
    if (entries.length === 1 && /^\d+$/.test(only)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'is a hop count, which Fastify no longer honours (it would trust nobody): list the proxies, e.g. uniquelocal or 10.0.0.0/8',
      });
      return;
    }
    const bad = entries.filter((entry) => !isProxyEntry(entry));
    if (bad.length > 0)
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false or a comma list of proxy addresses, CIDRs, loopback, linklocal or uniquelocal (not ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
      });
  })
  // Empty (unset) is false, like 'false'.
  .transform((entries): boolean | string =>
    entries.length === 0 || entries[0] === 'false'
      ? false
      : entries[0] === 'true'
        ? true
        : entries.join(','),
  );

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  METRICS_PORT: int(0, 65535).default(9464),
  WEB_CONCURRENCY: int(1, 256).default(availableParallelism()),
  JOB_WORKERS: int(0, 64).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // One log line per request; off only to measure its cost or when the load balancer already logs requests.
  REQUEST_LOGGING: bool.default(true),
  TRUST_PROXY: trustProxy,
  BODY_LIMIT_BYTES: int(1024).default(1_048_576),
  // Deadlines for a client to send its headers, and its whole request (a CSV upload included), before it
  // gets 408 and its socket is closed: a slow client (slowloris) cannot hold connections indefinitely.
  HTTP_HEADERS_TIMEOUT_MS: int(100).default(15_000),
  HTTP_REQUEST_TIMEOUT_MS: int(100).default(300_000),
  // Browser origins allowed to call the API (CORS): a comma list like https://app.example.com, or * for any.
  // Empty (the default) sends no CORS headers, so only same-origin pages and non-browser clients can call.
  CORS_ORIGINS: commaList(
    z
      .string()
      .refine(
        (v) => v === '*' || isOrigin(v),
        'must be * or origins like https://app.example.com (scheme and host, no path)',
      ),
  ),
  // Mounts /_diagnostics/* (a slow route for drain tests). Never enable it in production.
  ENABLE_DIAGNOSTICS: bool.default(false),

  DATABASE_URL: postgresUrl,
  DATABASE_REPLICA_URLS: commaList(postgresUrl),
  DATABASE_POOL_SIZE: int(1, 500).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: int(100).default(5_000),
  DATABASE_CONNECT_TIMEOUT_MS: int(100).default(2_000),
  DATABASE_MIGRATIONS_RUN: bool.default(false),
  REPLICA_MAX_LAG_MS: int(0).default(1_000),
  REPLICA_PROBE_INTERVAL_MS: int(100).default(1_000),
  REPLICA_PROBE_TIMEOUT_MS: int(100).default(1_000),
  READ_YOUR_WRITES_WINDOW_MS: int(0).default(5_000),

  REDIS_URL: redisUrl,
  REDIS_COMMAND_TIMEOUT_MS: int(10).default(250),

  // Off sends every read to the database (to measure it, or to rule the cache out when debugging).
  CACHE_ENABLED: bool.default(true),
  CACHE_TTL_MS: int(1_000).default(60_000),
  CACHE_L1_TTL_MS: int(100).default(10_000),
  CACHE_NEGATIVE_TTL_MS: int(100).default(2_000),
  CACHE_L1_MAX_BYTES: int(1_048_576).default(64 * 1_048_576),
  CACHE_INVALIDATION_ACK_TIMEOUT_MS: int(10).default(250),

  // Fixed-window limits shared by every process through Redis: per client (user id, else IP) and route.
  THROTTLE_ENABLED: bool.default(true),
  THROTTLE_LIMIT: int(1).default(600),
  THROTTLE_TTL_MS: int(1_000).default(60_000),
  THROTTLE_AUTH_LIMIT: int(1).default(10),
  THROTTLE_AUTH_TTL_MS: int(1_000).default(60_000),
  // Without Redis: general routes fail open; auth routes use an in-process limit ('memory') or refuse ('closed').
  THROTTLE_AUTH_WITHOUT_REDIS: z.enum(['memory', 'closed']).default('memory'),

  // Background jobs (src/infra/queue). JOB_WORKERS is how many worker processes `npm start` runs;
  // JOB_CONCURRENCY how many jobs of one queue a worker process runs at once.
  JOB_CONCURRENCY: int(1, 256).default(4),
  JOB_ATTEMPTS: int(1, 100).default(5),
  // First retry after about this long, doubling per attempt, with jitter.
  JOB_BACKOFF_MS: int(1).default(2_000),
  // A worker that stops renewing a job's lock (killed) loses the job after JOB_LOCK_DURATION_MS; the
  // stalled check (every JOB_STALLED_INTERVAL_MS) hands it to another worker, at most JOB_MAX_STALLED_COUNT times.
  JOB_LOCK_DURATION_MS: int(1_000).default(30_000),
  JOB_STALLED_INTERVAL_MS: int(500).default(30_000),
  JOB_MAX_STALLED_COUNT: int(0, 100).default(2),
  JOB_KEEP_COMPLETED: int(0).default(1_000),
  // Failed jobs kept per queue with their reason: the dead-letter set (Bull Board, GET /admin/queues/:name/failed).
  JOB_KEEP_FAILED: int(0).default(10_000),
  OUTBOX_POLL_INTERVAL_MS: int(50).default(1_000),
  // Uploaded CSV files wait here for the worker: in Kubernetes a volume shared by API and worker pods.
  IMPORT_STORAGE_DIR: z.string().min(1).default(join(tmpdir(), 'nest-at-scale-imports')),
  IMPORT_MAX_BYTES: int(1_024).default(100 * 1_048_576),
  // Catalog statistics recalculation: a cron pattern (UTC), or a period in milliseconds.
  CATALOG_STATS_SCHEDULE: z
    .string()
    .default('0 3 * * *')
    .refine(
      (v) => (/^\d+$/.test(v) ? Number(v) >= 1_000 : /^\S+( \S+){4,5}$/.test(v.trim())),
      'must be a cron pattern (5 or 6 fields) or a period in milliseconds (>= 1000)',
    ),

  SHUTDOWN_DRAIN_DELAY_MS: int(0).default(1_000),
  SHUTDOWN_TIMEOUT_MS: int(1_000).default(20_000),
  CLUSTER_CRASH_LOOP_DEATHS: int(1).default(5),
  CLUSTER_CRASH_LOOP_WINDOW_MS: int(1_000).default(30_000),

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('nest-at-scale'),
  JWT_AUDIENCE: z.string().min(1).default('nest-at-scale-api'),
  JWT_ACCESS_TTL_S: int(30).default(900),
  JWT_REFRESH_TTL_S: int(60).default(1_209_600),
  ADMIN_EMAIL: z.string().email('must be an e-mail address').default('admin@example.com'),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

export type Env = z.infer<typeof envSchema>;
