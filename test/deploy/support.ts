// Shared helpers for the offline deploy checks: where the repo is, reading the
// k8s/ manifests, and running kubectl / docker-compose when they are installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export type Manifest = Record<string, unknown>;

export interface ManifestFile {
  file: string;
  docs: Manifest[];
}

/** The checkout root: the nearest directory above the cwd whose package.json names this project. */
export function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nest-at-scale'
    ) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nest-at-scale package.json above ${process.cwd()}`);
    dir = parent;
  }
}

/** Parses a multi-document YAML text; throws with the file name and position on the first error. */
export function parseYamlDocuments(text: string, source: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) {
        throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
      }
      return doc.toJS() as unknown;
    })
    .filter((value): value is Manifest => value !== null && value !== undefined)
    .map((value) => {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`${source}: a document is not a mapping`);
      }
      return value as Manifest;
    });
}

export const KUSTOMIZATION_FILE = 'kustomization.yaml';
export const SECRET_EXAMPLE_FILE = 'secret.example.yaml';

export function k8sDir(): string {
  return join(repoRoot(), 'k8s');
}

/** Every *.yaml / *.yml under k8s/ (flat), parsed. */
export function loadK8sFiles(): ManifestFile[] {
  const dir = k8sDir();
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((file) => ({
      file,
      docs: parseYamlDocuments(readFileSync(join(dir, file), 'utf8'), `k8s/${file}`),
    }));
}

/** Kubernetes objects from k8s/ (the kustomization file excluded), secret example included. */
export function loadK8sObjects(): Manifest[] {
  return loadK8sFiles()
    .filter((f) => f.file !== KUSTOMIZATION_FILE)
    .flatMap((f) => f.docs);
}

export function which(binary: string, candidates: string[]): string | undefined {
  return candidates.find((path) => existsSync(path)) ?? findOnPath(binary);
}

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

export const kubectlPath = which('kubectl', ['/usr/bin/kubectl', '/usr/local/bin/kubectl']);
export const dockerComposePath = which('docker-compose', [
  '/usr/bin/docker-compose',
  '/usr/local/bin/docker-compose',
]);

/** Runs a binary, returns stdout; on failure throws with its stderr in the message. */
export function run(
  binary: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  try {
    return execFileSync(binary, args, {
      cwd: options.cwd ?? repoRoot(),
      input: options.input,
      env: options.env ?? process.env,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

export const COMPOSE_FILE = 'docker-compose.yml';

/**
 * docker-compose.yml as Compose resolves it (`docker-compose config`: anchors merged,
 * ${VAR:-default} interpolated); without docker-compose, the raw file with YAML merge keys.
 */
export function loadCompose(): {
  source: 'docker-compose config' | 'raw file';
  compose: Record<string, unknown>;
} {
  const file = join(repoRoot(), COMPOSE_FILE);
  if (dockerComposePath) {
    // An empty env file and no inherited variables: the result must not depend on the
    // developer's shell or .env, only on the defaults written in the file.
    const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'compose-env-')), '.env');
    writeFileSync(emptyEnvFile, '');
    const out = run(dockerComposePath, ['--env-file', emptyEnvFile, '-f', file, 'config'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    return { source: 'docker-compose config', compose: parse(out) as Record<string, unknown> };
  }
  const raw = parse(readFileSync(file, 'utf8'), { merge: true }) as Record<string, unknown>;
  return { source: 'raw file', compose: interpolateDefaults(raw) as Record<string, unknown> };
}

/** Compose's ${VAR:-default} / ${VAR-default} / ${VAR} with an empty environment; $$ stays escaped. */
function interpolateDefaults(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /(?<!\$)\$\{(\w+)(?::?-([^}]*))?\}/g,
      (_m, _name: string, fallback?: string) => fallback ?? '',
    );
  }
  if (Array.isArray(value)) return value.map(interpolateDefaults);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDefaults(v)]));
  }
  return value;
}

/** structuredClone for test fixtures: mutate a copy, never the loaded manifests. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
