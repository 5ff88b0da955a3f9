// Deploy artifacts against the app's own configuration schema: every variable
// they set is a name src/config/env.schema.ts knows, and the environment each
// container / compose service would get passes the app's boot-time validation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.js';
import { envSchema } from '../../src/config/env.schema.js';
import { appServices, serviceEnv } from './compose-invariants.js';
import { effectiveConfig, parseStages } from './dockerfile-invariants.js';
import { containerEnvironments, findViolations } from './manifest-invariants.js';
import { clone, loadCompose, loadK8sObjects, repoRoot, type Manifest } from './support.js';

type Obj = Record<string, unknown>;

const schemaKeys = Object.keys(envSchema.shape);
const objects = loadK8sObjects();
const { compose } = loadCompose();

/** The parse the app does at boot; returns the problem or undefined. */
function bootProblem(env: Record<string, string>): string | undefined {
  try {
    parseConfig(env);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('deploy env vs src/config/env.schema.ts', () => {
  it('the schema names the variables the deploy files rely on', () => {
    for (const name of [
      'NODE_ENV',
      'HOST',
      'PORT',
      'METRICS_PORT',
      'WEB_CONCURRENCY',
      'JOB_WORKERS',
      'DATABASE_URL',
      'DATABASE_REPLICA_URLS',
      'DATABASE_POOL_SIZE',
      'REDIS_URL',
      'SHUTDOWN_DRAIN_DELAY_MS',
      'SHUTDOWN_TIMEOUT_MS',
      'TRUST_PROXY',
      'JWT_SECRET',
    ]) {
      expect(schemaKeys).toContain(name);
    }
  });

  it('k8s: every env name (ConfigMap, Secret example, container env) is in the schema, with the invariants', () => {
    expect(findViolations(objects, { schemaKeys })).toEqual([]);
  });

  it('k8s: each container would pass the app config validation at boot', () => {
    const problems = containerEnvironments(objects).map((c) => ({
      container: `${c.workload}/${c.container}`,
      problem: bootProblem(Object.fromEntries([...c.vars].map(([k, v]) => [k, v.value ?? '']))),
    }));
    expect(problems).toEqual(problems.map((p) => ({ container: p.container, problem: undefined })));
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it('k8s: PORT and METRICS_PORT, as the app parses them, are the declared container ports', () => {
    for (const c of containerEnvironments(objects)) {
      const config = parseConfig(
        Object.fromEntries([...c.vars].map(([k, v]) => [k, v.value ?? ''])),
      );
      const doc = objects.find(
        (d) => `${String(d.kind)}/${String((d.metadata as Obj).name)}` === c.workload,
      ) as Manifest;
      const container = (
        (((doc.spec as Obj).template as Obj).spec as Obj).containers as Obj[]
      ).find((x) => x.name === c.container) as Obj;
      const ports = new Map(
        ((container.ports ?? []) as Obj[]).map((p) => [p.name, p.containerPort]),
      );
      if (ports.has('http')) expect(ports.get('http')).toBe(config.PORT);
      if (ports.has('metrics')) expect(ports.get('metrics')).toBe(config.METRICS_PORT);
    }
  });

  it('compose: every app service env name is in the schema and would pass validation at boot', () => {
    const services = appServices(compose);
    expect(services.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'worker']);
    for (const [name, service] of services) {
      const env = serviceEnv(service);
      expect({ name, unknown: [...env.keys()].filter((k) => !schemaKeys.includes(k)) }).toEqual({
        name,
        unknown: [],
      });
      expect({ name, problem: bootProblem(Object.fromEntries(env)) }).toEqual({
        name,
        problem: undefined,
      });
    }
  });

  it('compose: the API exposes PORT and METRICS_PORT as the app parses them', () => {
    const [, api] = appServices(compose).find(([name]) => name === 'api')!;
    const config = parseConfig(Object.fromEntries(serviceEnv(api)));
    expect((api.expose as unknown[]).map(String)).toEqual(
      expect.arrayContaining([String(config.PORT), String(config.METRICS_PORT)]),
    );
  });

  it('Dockerfile: ENV names are in the schema and its ports are the schema defaults', () => {
    const text = readFileSync(join(repoRoot(), 'Dockerfile'), 'utf8');
    const stages = parseStages(text);
    const env = effectiveConfig(
      stages,
      stages.find((s) => s.name === 'api')!,
    ).env;
    // Read by Node itself, by the dynamic loader and by glibc's allocator, not by the app's config.
    const runtimeKeys = ['NODE_OPTIONS', 'LD_PRELOAD', 'MALLOC_ARENA_MAX'];
    expect(
      [...env.keys()].filter((k) => !schemaKeys.includes(k) && !runtimeKeys.includes(k)),
    ).toEqual([]);
    expect(env.get('NODE_OPTIONS')).toMatch(/^--max-old-space-size=\d+ --max-semi-space-size=\d+$/);
    expect(env.get('MALLOC_ARENA_MAX')).toMatch(/^[1-9]\d*$/);
    // The benchmark's RSS figures are the image's only if the app runs there under the same settings.
    const bench = readFileSync(join(repoRoot(), 'bench', 'lib', 'stack.mjs'), 'utf8');
    for (const key of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'])
      expect(bench).toContain(`${key}: '${env.get(key)}',`);
    // The preload is a file the image creates; the bench tries that path first, then Debian's.
    const preload = env.get('LD_PRELOAD')!;
    expect(preload).toMatch(/\/libjemalloc\.so\.2$/);
    expect(text).toMatch(new RegExp(`ln -s "[^"]+" ${preload.replaceAll('.', '\\.')} `));
    expect(text).toContain(`LD_PRELOAD=${preload} node -e`);
    expect(bench).toContain(`const IMAGE_JEMALLOC = '${preload}';`);
    expect(bench).toContain('LD_PRELOAD: jemalloc');
    const defaults = envSchema.parse({
      DATABASE_URL: 'postgres://u:p@h:5432/d',
      REDIS_URL: 'redis://h:6379',
    });
    expect(Number(env.get('PORT'))).toBe(defaults.PORT);
    expect(Number(env.get('METRICS_PORT'))).toBe(defaults.METRICS_PORT);
  });
});

describe('schema checks bite', () => {
  it('an env name the schema does not know is a violation (container env and ConfigMap)', () => {
    const docs = clone(objects);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as Obj;
    (cm.data as Obj).DATABASE_POOL = '7';
    const violations = findViolations(docs, { schemaKeys });
    expect(violations.filter((v) => v.includes('DATABASE_POOL ')).length).toBe(3); // api, worker, migrate
    expect(violations[0]).toContain(
      'env DATABASE_POOL (from configmap nest-at-scale-config) is not in envSchema',
    );
  });

  it('a value the schema rejects fails the boot check', () => {
    const c = containerEnvironments(objects)[0];
    const env = Object.fromEntries([...c.vars].map(([k, v]) => [k, v.value ?? '']));
    expect(bootProblem({ ...env, DATABASE_POOL_SIZE: 'ten' })).toContain('DATABASE_POOL_SIZE');
    expect(bootProblem({ ...env, JWT_SECRET: '' })).toContain('JWT_SECRET');
  });
});
