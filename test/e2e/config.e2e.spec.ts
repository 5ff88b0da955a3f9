import { startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

/** A bad variable must stop the process at once, non-zero, with one line naming it. */
describe('configuration is validated at start', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'missing DATABASE_URL',
      { DATABASE_URL: '' },
      /^Invalid configuration: DATABASE_URL is required$/m,
    ],
    ['malformed PORT', { PORT: 'eighty' }, /^Invalid configuration: PORT .+$/m],
    [
      'a non-postgres replica URL',
      { DATABASE_REPLICA_URLS: 'mysql://x@h/db' },
      /^Invalid configuration: DATABASE_REPLICA_URLS .*postgres/m,
    ],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL .+$/m],
    [
      'a short JWT secret in production',
      { NODE_ENV: 'production', JWT_SECRET: 'short' },
      /^Invalid configuration: JWT_SECRET must be at least 32 characters$/m,
    ],
    [
      'no JWT secret in production',
      { NODE_ENV: 'production' },
      /^Invalid configuration: JWT_SECRET is required in production$/m,
    ],
  ];

  it.each(cases)('%s', async (_name, env, expected) => {
    const app = await startApp(sharedStackEnv(), { env, waitForReady: false });
    const { code } = await app.exited;
    expect(code).toBe(78);
    expect(app.output()).toMatch(expected);
    expect(app.output().trim().split('\n')).toHaveLength(1);
  });
});
