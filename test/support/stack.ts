import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (test/support/..). */
export const ROOT = join(__dirname, '..', '..');
const SERVICES = join(ROOT, 'scripts', 'services.sh');

/** The stack every suite shares: started by global-setup, stopped by global-teardown. */
export const SHARED_STACK_DIR = join(ROOT, '.local', 'test-services');

export type StackEnv = Record<string, string>;

/** Runs scripts/services.sh with the given command against one stack directory. */
export function services(dir: string, command: string, ...args: string[]): string {
  return execFileSync('bash', [SERVICES, command, '--dir', dir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
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
  return parseEnv(readFileSync(join(SHARED_STACK_DIR, 'env'), 'utf8'));
}

/** Applies the committed migrations to a stack's primary with the built migrate command. */
export function migrate(env: StackEnv): void {
  execFileSync(process.execPath, [join(ROOT, 'dist', 'bootstrap', 'migrate.js')], {
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}
