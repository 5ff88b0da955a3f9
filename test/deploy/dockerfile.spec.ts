// The Dockerfile checked by a small parser (no Docker engine or hadolint here):
// node:24 base, npm ci + build + production-only node_modules, non-root numeric
// USER, tini in exec-form ENTRYPOINT, exec-form CMD per target, HEALTHCHECK.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  effectiveConfig,
  findDockerfileViolations,
  parseInstructions,
  parseStages,
} from './dockerfile-invariants.js';
import { repoRoot } from './support.js';

const dockerfile = readFileSync(join(repoRoot(), 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(repoRoot(), '.dockerignore'), 'utf8');

describe('Dockerfile', () => {
  it('keeps the production rules', () => {
    expect(findDockerfileViolations(dockerfile)).toEqual([]);
  });

  it('builds the api, worker and migrate targets, api last (the default target)', () => {
    const names = parseStages(dockerfile).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['api', 'worker', 'migrate']));
    expect(names[names.length - 1]).toBe('api');
  });

  it('sets NODE_ENV=production, tini as PID 1 and the health check on PORT for the api target', () => {
    const stages = parseStages(dockerfile);
    const api = effectiveConfig(
      stages,
      stages.find((s) => s.name === 'api')!,
    );
    expect(api.env.get('NODE_ENV')).toBe('production');
    expect(api.entrypoint).toEqual({ kind: 'exec', argv: ['/usr/bin/tini', '--'] });
    expect(api.healthcheck).toContain('process.env.PORT');
    expect(api.healthcheck).toContain('127.0.0.1');
  });

  it('.dockerignore keeps secrets, dependencies and build output out of the context', () => {
    const patterns = dockerignore
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['.git', 'node_modules', 'dist', '.env', '.env.*'])
      expect(patterns).toContain(p);
    // The build needs these: never ignore them.
    for (const p of [
      'src',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      expect(patterns).not.toContain(p);
    }
  });
});

describe('Dockerfile parser', () => {
  it('joins continuation lines and drops comments inside them', () => {
    const ins = parseInstructions(
      'FROM node:24 AS a\nRUN apt-get update \\\n  # comment\n  && apt-get install -y tini\n',
    );
    expect(ins).toEqual([
      { keyword: 'FROM', args: 'node:24 AS a', line: 1 },
      { keyword: 'RUN', args: 'apt-get update && apt-get install -y tini', line: 2 },
    ]);
  });

  it('inherits USER/ENTRYPOINT/ENV from parent stages, and ENTRYPOINT resets an inherited CMD', () => {
    const stages = parseStages(
      'FROM node:24 AS base\nUSER 1000\nENV A=1 B="two"\nCMD ["x"]\nFROM base AS child\nENTRYPOINT ["tini","--"]\n',
    );
    const child = effectiveConfig(stages, stages[1]);
    expect(child.user).toBe('1000');
    expect(child.env).toEqual(
      new Map([
        ['A', '1'],
        ['B', 'two'],
      ]),
    );
    expect(child.cmd).toBeUndefined();
  });
});

describe('Dockerfile rules bite (broken copies)', () => {
  const broken = (from: string | RegExp, to: string): string[] => {
    const text = dockerfile.replace(from, to);
    expect(text).not.toBe(dockerfile);
    return findDockerfileViolations(text);
  };

  it('no USER: every target runs as root', () => {
    expect(broken(/^USER .*$/m, '')).toEqual([
      'target api: runs as root (no non-root USER)',
      'target worker: runs as root (no non-root USER)',
      'target migrate: runs as root (no non-root USER)',
    ]);
  });

  it('USER root in a final stage', () => {
    expect(broken(/(FROM runtime AS worker\n)/, '$1USER root\n')).toEqual([
      'target worker: runs as root (no non-root USER)',
    ]);
  });

  it('a shell-form CMD', () => {
    expect(broken('CMD ["node", "dist/main.js"]', 'CMD node dist/main.js')).toEqual([
      'target api: CMD is missing or in shell form',
    ]);
  });

  it('a shell-form ENTRYPOINT / no init process', () => {
    expect(
      broken('ENTRYPOINT ["/usr/bin/tini", "--"]', 'ENTRYPOINT /usr/bin/tini --'),
    ).toHaveLength(3);
    expect(broken('ENTRYPOINT ["/usr/bin/tini", "--"]', 'ENTRYPOINT ["node"]')).toEqual(
      ['api', 'worker', 'migrate'].map(
        (t) => `target ${t}: ENTRYPOINT does not start an init process (tini or dumb-init)`,
      ),
    );
  });

  it('tini in the ENTRYPOINT but never installed', () => {
    expect(
      broken(
        /apt-get install -y --no-install-recommends tini/,
        'apt-get install -y --no-install-recommends ca-certificates',
      ),
    ).toEqual(
      ['api', 'worker', 'migrate'].map(
        (t) => `target ${t}: ENTRYPOINT runs tini, but no stage it builds on installs it`,
      ),
    );
  });

  it('no HEALTHCHECK on the api target', () => {
    const text = dockerfile.replace(
      /(FROM runtime AS api[\s\S]*?)HEALTHCHECK [\s\S]*?\n(CMD)/,
      '$1$2',
    );
    expect(findDockerfileViolations(text)).toEqual(['target api: no HEALTHCHECK']);
  });

  it('a base image other than node:24', () => {
    expect(
      broken('FROM node:24-bookworm-slim AS base', 'FROM node:22-bookworm-slim AS base'),
    ).toEqual(['stage base: FROM node:22-bookworm-slim is not a node:24 image']);
  });

  it('dev dependencies shipped in the image', () => {
    expect(
      broken('COPY --from=prod-deps /app/node_modules', 'COPY --from=build /app/node_modules'),
    ).toEqual(
      ['api', 'worker', 'migrate'].map(
        (t) =>
          `target ${t}: node_modules comes from stage build, which does not omit dev dependencies`,
      ),
    );
  });

  it('npm install instead of npm ci', () => {
    expect(broken(/npm ci /g, 'npm install ')).toEqual([
      'no RUN npm ci (install exactly the lockfile)',
    ]);
  });
});
