// Rules docker-compose.yml must keep, as a pure function over the parsed file
// (preferably the output of `docker-compose config`, i.e. interpolated).

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Services built from this repo's Dockerfile, by their build target. */
export const APP_TARGETS = ['api', 'worker', 'migrate'] as const;

export function services(compose: unknown): Obj {
  return obj(obj(compose).services);
}

export function appServices(compose: unknown): [string, Obj][] {
  return Object.entries(services(compose))
    .map(([name, s]): [string, Obj] => [name, obj(s)])
    .filter(([, s]) => (APP_TARGETS as readonly string[]).includes(String(obj(s.build).target)));
}

/** environment as a map, from either the mapping or the KEY=VALUE list form. */
export function serviceEnv(service: Obj): Map<string, string> {
  const env = new Map<string, string>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const [k, ...rest] = String(item).split('=');
      env.set(k, rest.join('='));
    }
  } else {
    for (const [k, v] of Object.entries(obj(raw)))
      env.set(k, v === null || v === undefined ? '' : String(v));
  }
  return env;
}

/** Compose durations ("25s", "1m30s", "500ms") in ms; undefined if unreadable. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value !== 'string' || value === '') return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  let rest = value;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

function commandText(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join(' ') : typeof v === 'string' ? v : '';
}

export function findComposeViolations(compose: unknown): string[] {
  const violations: string[] = [];
  const all = services(compose);
  const svc = (name: string): Obj | undefined => (isObj(all[name]) ? all[name] : undefined);
  const byTarget = (target: string): [string, Obj] | undefined =>
    appServices(compose).find(([, s]) => obj(s.build).target === target);

  for (const [name, raw] of Object.entries(all)) {
    const s = obj(raw);
    const oneShot = s.restart === 'no' || s.restart === false;
    const hc = obj(s.healthcheck);
    if (
      !oneShot &&
      (arr(hc.test).length === 0 || hc.disable === true || arr(hc.test)[0] === 'NONE')
    ) {
      violations.push(`${name}: no healthcheck`);
    }
    const deps = s.depends_on;
    if (Array.isArray(deps)) {
      violations.push(
        `${name}: depends_on is a list (no conditions); use the long form with a condition`,
      );
    } else {
      for (const [dep, spec] of Object.entries(obj(deps))) {
        if (!all[dep]) violations.push(`${name}: depends on unknown service ${dep}`);
        if (!obj(spec).condition) violations.push(`${name}: depends_on ${dep} has no condition`);
        if (obj(spec).condition === 'service_healthy' && !isObj(obj(all[dep]).healthcheck)) {
          violations.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
        }
      }
    }
  }

  // Postgres: primary ready for streaming replication, replica cloned from it
  const primary = svc('postgres-primary');
  const replica = svc('postgres-replica');
  if (!primary) violations.push('no postgres-primary service');
  if (!replica) violations.push('no postgres-replica service');
  for (const [name, s] of [
    ['postgres-primary', primary],
    ['postgres-replica', replica],
  ] as const) {
    if (s && s.image !== 'postgres:15')
      violations.push(`${name}: image ${String(s.image)} is not postgres:15`);
  }
  if (primary) {
    const text = `${commandText(primary.entrypoint)} ${commandText(primary.command)}`;
    if (!/wal_level=replica/.test(text))
      violations.push('postgres-primary: wal_level=replica is not set');
    if (!/\bREPLICATION\b[^;]*\bLOGIN\b/i.test(text))
      violations.push('postgres-primary: no replication role is created');
    if (!/host\s+replication\s+\S+/.test(text))
      violations.push('postgres-primary: no pg_hba "host replication" entry');
  }
  if (replica) {
    const text = commandText(replica.entrypoint);
    const basebackup = /pg_basebackup[^\n]*/.exec(text)?.[0] ?? '';
    if (!basebackup) violations.push('postgres-replica: entrypoint does not run pg_basebackup');
    for (const flag of ['-R', '-S replica1']) {
      if (basebackup && !basebackup.includes(flag))
        violations.push(`postgres-replica: pg_basebackup lacks ${flag}`);
    }
    if (basebackup && !/-C\b/.test(text))
      violations.push('postgres-replica: pg_basebackup never creates the slot (-C)');
    if (obj(obj(replica.depends_on)['postgres-primary']).condition !== 'service_healthy') {
      violations.push('postgres-replica: does not wait for postgres-primary to be healthy');
    }
  }

  // Redis: queues must not be evicted and must survive restarts
  const redis = svc('redis');
  if (!redis) violations.push('no redis service');
  else {
    if (!/^redis:7(?:[.-]|$)/.test(String(redis.image)))
      violations.push(`redis: image ${String(redis.image)} is not redis:7`);
    const cmd = commandText(redis.command);
    if (!/--maxmemory-policy\s+noeviction/.test(cmd))
      violations.push('redis: --maxmemory-policy noeviction is not set');
    if (!/--appendonly\s+yes/.test(cmd)) violations.push('redis: --appendonly yes is not set');
  }

  // App services
  const migrate = byTarget('migrate');
  const api = byTarget('api');
  const worker = byTarget('worker');
  if (!migrate) violations.push('no service built with target migrate');
  if (!api) violations.push('no service built with target api');
  if (!worker) violations.push('no service built with target worker');
  if (migrate) {
    const [name, s] = migrate;
    if (obj(obj(s.depends_on)['postgres-primary']).condition !== 'service_healthy') {
      violations.push(`${name}: does not wait for postgres-primary to be healthy`);
    }
    if (!(s.restart === 'no' || s.restart === false || s.restart === undefined))
      violations.push(`${name}: must run once (restart: "no")`);
  }
  for (const entry of [api, worker]) {
    if (!entry) continue;
    const [name, s] = entry;
    const deps = obj(s.depends_on);
    if (migrate && obj(deps[migrate[0]]).condition !== 'service_completed_successfully') {
      violations.push(`${name}: does not wait for ${migrate[0]} to complete successfully`);
    }
    if (obj(deps.redis).condition !== 'service_healthy')
      violations.push(`${name}: does not wait for redis to be healthy`);
  }
  if (api) {
    const [name, s] = api;
    const concurrency = serviceEnv(s).get('WEB_CONCURRENCY');
    if (concurrency === undefined || !(Number(concurrency) >= 2)) {
      violations.push(
        `${name}: WEB_CONCURRENCY is ${concurrency ?? '(unset)'}, expected the clustered mode (>= 2)`,
      );
    }
  }
  for (const [name, s] of appServices(compose)) {
    if (obj(s.build).target === 'migrate') continue;
    const env = serviceEnv(s);
    const drain = Number(env.get('SHUTDOWN_DRAIN_DELAY_MS'));
    const timeout = Number(env.get('SHUTDOWN_TIMEOUT_MS'));
    const grace = durationMs(s.stop_grace_period ?? '10s');
    if (
      !Number.isFinite(drain) ||
      !Number.isFinite(timeout) ||
      env.get('SHUTDOWN_TIMEOUT_MS') === undefined
    ) {
      violations.push(`${name}: SHUTDOWN_DRAIN_DELAY_MS / SHUTDOWN_TIMEOUT_MS are not set`);
    } else if (grace === undefined || grace <= drain + timeout) {
      violations.push(
        `${name}: stop_grace_period ${String(s.stop_grace_period ?? '10s (default)')} is not greater than drain ${drain}ms + shutdown timeout ${timeout}ms`,
      );
    }
  }
  return violations;
}

/** Shell scripts passed as `bash -c <script>` / `sh -ec <script>` in entrypoint or command. */
export function inlineScripts(
  compose: unknown,
): { service: string; shell: string; script: string }[] {
  const out: { service: string; shell: string; script: string }[] = [];
  for (const [name, raw] of Object.entries(services(compose))) {
    for (const field of ['entrypoint', 'command'] as const) {
      const argv = arr(obj(raw)[field]).map(String);
      const shell = argv[0]?.split('/').pop();
      if (
        (shell === 'bash' || shell === 'sh') &&
        /^-\w*c\w*$/.test(argv[1] ?? '') &&
        argv[2] !== undefined
      ) {
        out.push({ service: name, shell, script: argv[2] });
      }
    }
  }
  return out;
}
