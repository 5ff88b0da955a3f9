import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (test/support/..). */
export const ROOT = join(__dirname, '..', '..');
const SERVICES = join(ROOT, 'scripts', 'services.sh');

/**
 * A folder under .local/ for one stack of this test run. Each run has its own id (set by global-setup,
 * inherited by the test processes), so two runs on one machine never stop each other's services.
 */
export function stackDir(name: string): string {
  const runId = process.env.TEST_RUN_ID;
  if (!runId)
    throw new Error('TEST_RUN_ID is unset: run the suites through Jest (global-setup sets it)');
  return join(ROOT, '.local', `test-${runId}`, name);
}

/** The stack every suite shares: started by global-setup, stopped by global-teardown. */
export const sharedStackDir = () => stackDir('shared');

export type StackEnv = Record<string, string>;

/** Runs scripts/services.sh with the given command against one stack directory. */
export function services(dir: string, command: string, ...args: string[]): string {
  return execFileSync('bash', [SERVICES, command, '--dir', dir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

/** services() without blocking the test's event loop, for a command that runs while the test watches. */
export function servicesInBackground(
  dir: string,
  command: string,
  ...args: string[]
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [SERVICES, command, '--dir', dir, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

function parseEnv(text: string): StackEnv {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Brings a stack up (Postgres primary + streaming replica + Redis) and returns its connection settings. */
export function upStack(dir: string): StackEnv {
  return parseEnv(services(dir, 'up'));
}

export function downStack(dir: string): void {
  services(dir, 'down', '--purge');
}

/** The shared stack's settings, written by global-setup. */
export function sharedStackEnv(): StackEnv {
  return parseEnv(readFileSync(join(sharedStackDir(), 'env'), 'utf8'));
}

/** The admin account every seeded stack has. */
export const ADMIN = { email: 'admin@example.com', password: 'admin-password-for-tests' };

/** Seeds a stack with the built seed command (products, users and the admin account). */
export function seed(env: StackEnv, products = 2_000, users = 50): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'dist', 'bootstrap', 'seed.js'),
      '--products',
      String(products),
      '--users',
      String(users),
    ],
    {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    },
  );
}

/** Applies the committed migrations to a stack's primary with the built migrate command. */
export function migrate(env: StackEnv): void {
  execFileSync(process.execPath, [join(ROOT, 'dist', 'bootstrap', 'migrate.js')], {
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

/**
 * A stack of a suite's own (for suites that stop, pause or delay a service): purged, brought up,
 * migrated and seeded. Pair it with downStack(dir) in afterAll.
 */
export function upOwnStack(dir: string, products: number, users: number): StackEnv {
  downStack(dir);
  const env = upStack(dir);
  migrate(env);
  seed(env, products, users);
  return env;
}
