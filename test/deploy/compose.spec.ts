// Offline checks of docker-compose.yml: Compose itself validates it, the shell
// scripts inside parse, and the stack's rules hold (and fire when broken).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findComposeViolations, inlineScripts, services } from './compose-invariants.js';
import { clone, dockerComposePath, loadCompose, repoRoot, run } from './support.js';

type Obj = Record<string, unknown>;

const composeFile = join(repoRoot(), 'docker-compose.yml');
const { source, compose } = loadCompose();

describe(`docker-compose.yml (${source})`, () => {
  const withCompose = dockerComposePath ? it : it.skip;
  const skipNote = dockerComposePath
    ? ''
    : ' [SKIPPED: docker-compose not found at /usr/bin/docker-compose or on PATH]';

  withCompose(`\`docker-compose -f docker-compose.yml config -q\` accepts it${skipNote}`, () => {
    expect(() =>
      run(dockerComposePath as string, ['-f', composeFile, 'config', '-q']),
    ).not.toThrow();
  });

  it('keeps the stack rules', () => {
    expect(findComposeViolations(compose)).toEqual([]);
  });

  it('has the services of the stack', () => {
    expect(Object.keys(services(compose)).sort()).toEqual(
      ['api', 'migrate', 'nginx', 'postgres-primary', 'postgres-replica', 'redis', 'worker'].sort(),
    );
  });

  it('inline entrypoint scripts are valid shell', () => {
    const scripts = inlineScripts(compose);
    expect(scripts.map((s) => s.service).sort()).toEqual(['postgres-primary', 'postgres-replica']);
    for (const { service, shell, script } of scripts) {
      // Compose turns $$ into $ when it starts the container.
      const body =
        source === 'docker-compose config' || script.includes('$$')
          ? script.replace(/\$\$/g, '$')
          : script;
      // bash -n only warns (exit 0) about an unterminated here-document: require a silent pass.
      const check = spawnSync(shell, ['-n', '-c', body], { encoding: 'utf8' });
      expect({ service, status: check.status, stderr: check.stderr }).toEqual({
        service,
        status: 0,
        stderr: '',
      });
    }
  });

  it('nginx proxies to the API with least_conn and upstream keep-alive', () => {
    const conf = readFileSync(join(repoRoot(), 'deploy/nginx.conf'), 'utf8');
    const upstream = /upstream\s+api\s*\{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(upstream).toMatch(/^\s*least_conn;/m);
    expect(upstream).toMatch(/^\s*server\s+api:3000\b/m);
    expect(upstream).toMatch(/^\s*keepalive\s+\d+;/m);
    expect(conf).toMatch(/proxy_http_version\s+1\.1;/);
    expect(conf).toMatch(/proxy_set_header\s+Connection\s+"";/);
    const volumes = (services(compose).nginx as Obj).volumes as unknown[];
    expect(JSON.stringify(volumes)).toContain('nginx.conf');
  });
});

describe('compose rules bite (broken copies)', () => {
  function mutate(fn: (s: Obj) => void): string[] {
    const copy = clone(compose);
    fn(copy.services as Obj);
    return findComposeViolations(copy);
  }
  const svc = (s: Obj, name: string): Obj => s[name] as Obj;

  it('a long-running service without a healthcheck', () => {
    expect(mutate((s) => delete svc(s, 'redis').healthcheck).sort()).toEqual([
      'api: waits for redis to be healthy, but redis has no healthcheck',
      'redis: no healthcheck',
      'worker: waits for redis to be healthy, but redis has no healthcheck',
    ]);
  });

  it('the API not waiting for the migration', () => {
    expect(mutate((s) => delete (svc(s, 'api').depends_on as Obj).migrate)).toEqual([
      'api: does not wait for migrate to complete successfully',
    ]);
  });

  it('depends_on without conditions', () => {
    expect(mutate((s) => (svc(s, 'worker').depends_on = ['redis', 'migrate']))).toEqual(
      expect.arrayContaining([expect.stringContaining('worker: depends_on is a list')]),
    );
  });

  it('Redis that may evict queue keys', () => {
    expect(
      mutate((s) => (svc(s, 'redis').command = ['redis-server', '--appendonly', 'yes'])),
    ).toEqual(['redis: --maxmemory-policy noeviction is not set']);
  });

  it('a primary without wal_level=replica', () => {
    expect(mutate((s) => (svc(s, 'postgres-primary').command = ['postgres']))).toEqual([
      'postgres-primary: wal_level=replica is not set',
    ]);
  });

  it('a stop_grace_period shorter than drain + shutdown timeout', () => {
    expect(mutate((s) => (svc(s, 'api').stop_grace_period = '10s'))).toEqual([
      expect.stringContaining(
        'api: stop_grace_period 10s is not greater than drain 2000ms + shutdown timeout 15000ms',
      ),
    ]);
  });

  it('the API not clustered', () => {
    expect(mutate((s) => ((svc(s, 'api').environment as Obj).WEB_CONCURRENCY = '1'))).toEqual([
      'api: WEB_CONCURRENCY is 1, expected the clustered mode (>= 2)',
    ]);
  });
});
