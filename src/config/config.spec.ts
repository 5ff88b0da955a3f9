import { ConfigError, parseConfig } from './config.js';

const valid = {
  DATABASE_URL: 'postgres://app@127.0.0.1:5432/app',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function problem(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies defaults and parses the replica list', () => {
    const config = parseConfig({
      ...valid,
      DATABASE_REPLICA_URLS: ' postgres://a@h1/app , postgres://a@h2/app,',
    });
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_REPLICA_URLS).toEqual(['postgres://a@h1/app', 'postgres://a@h2/app']);
    expect(config.WEB_CONCURRENCY).toBeGreaterThanOrEqual(1);
  });

  it('treats an empty replica list as no replicas', () => {
    expect(parseConfig({ ...valid, DATABASE_REPLICA_URLS: '' }).DATABASE_REPLICA_URLS).toEqual([]);
  });

  it('parses the CORS origins; none by default', () => {
    expect(parseConfig(valid).CORS_ORIGINS).toEqual([]);
    expect(
      parseConfig({ ...valid, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' })
        .CORS_ORIGINS,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('TRUST_PROXY: nobody by default; true; or a list of addresses, CIDRs and range names', () => {
    expect(parseConfig(valid).TRUST_PROXY).toBe(false);
    expect(parseConfig({ ...valid, TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(
      parseConfig({ ...valid, TRUST_PROXY: ' uniquelocal, 192.0.2.7 ,fd00::/8' }).TRUST_PROXY,
    ).toBe('uniquelocal,192.0.2.7,fd00::/8');
  });

  it.each([
    [{ REDIS_URL: valid.REDIS_URL }, 'Invalid configuration: DATABASE_URL is required'],
    [{ ...valid, PORT: '70000' }, 'Invalid configuration: PORT'],
    [{ ...valid, WEB_CONCURRENCY: '0' }, 'Invalid configuration: WEB_CONCURRENCY'],
    [
      { ...valid, REDIS_URL: 'http://x' },
      'Invalid configuration: REDIS_URL must start with redis://',
    ],
    [
      { ...valid, DATABASE_MIGRATIONS_RUN: 'maybe' },
      'Invalid configuration: DATABASE_MIGRATIONS_RUN must be true or false',
    ],
    [
      { ...valid, CORS_ORIGINS: 'https://app.example.com, app.example.com' },
      'Invalid configuration: CORS_ORIGINS must be * or origins like https://app.example.com',
    ],
    [
      { ...valid, CORS_ORIGINS: 'https://app.example.com/login' },
      'Invalid configuration: CORS_ORIGINS must be * or origins like https://app.example.com',
    ],
    [
      { ...valid, CORS_ORIGINS: '*,https://app.example.com' },
      'Invalid configuration: CORS_ORIGINS is either * or a list of origins, not both',
    ],
    [
      { ...valid, TRUST_PROXY: '1' },
      'Invalid configuration: TRUST_PROXY is a hop count, which Fastify no longer honours',
    ],
    [
      { ...valid, TRUST_PROXY: '10.0.0.0/8, nginx' },
      'Invalid configuration: TRUST_PROXY must be true, false or a comma list of proxy addresses',
    ],
    [{ ...valid, TRUST_PROXY: '10.0.0.0/33' }, 'Invalid configuration: TRUST_PROXY must be'],
    [
      { ...valid, HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' },
      'Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (10000)',
    ],
  ])('names the bad variable: %j', (env, expected) => {
    expect(problem(env as Record<string, string>)).toContain(expected);
  });

  it('refuses production without a JWT secret, and gives development one', () => {
    expect(problem({ ...valid, NODE_ENV: 'production' })).toBe(
      'Invalid configuration: JWT_SECRET is required in production',
    );
    expect(parseConfig(valid).JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });
});
