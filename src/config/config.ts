import { envSchema, type Env } from './env.schema.js';

// A development-only JWT secret, so `npm start` works out of the box. Production refuses to start without one.
const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';
const DEV_ADMIN_PASSWORD = 'admin-password-dev-only';

export type AppConfig = Omit<Env, 'JWT_SECRET' | 'ADMIN_PASSWORD'> & {
  JWT_SECRET: string;
  ADMIN_PASSWORD: string;
};

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

/** Parses the environment once; throws ConfigError naming the first bad variable. */
export function parseConfig(source: NodeJS.ProcessEnv): AppConfig {
  // Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    const problem = cleaned[variable] === undefined ? 'is required' : issue.message;
    throw new ConfigError(variable, problem);
  }
  const env = result.data;
  const production = env.NODE_ENV === 'production';
  if (production && !env.JWT_SECRET)
    throw new ConfigError('JWT_SECRET', 'is required in production');
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS)
    throw new ConfigError(
      'HTTP_HEADERS_TIMEOUT_MS',
      `must not exceed HTTP_REQUEST_TIMEOUT_MS (${env.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  if (env.CORS_ORIGINS.includes('*') && env.CORS_ORIGINS.length > 1)
    throw new ConfigError('CORS_ORIGINS', 'is either * or a list of origins, not both');
  return {
    ...env,
    JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET,
    // Only the seed command reads it; in production it has no default, and the seed refuses an empty one.
    ADMIN_PASSWORD: env.ADMIN_PASSWORD ?? (production ? '' : DEV_ADMIN_PASSWORD),
  };
}

let cached: AppConfig | undefined;

/** The process's configuration. On a bad variable it prints one line and exits non-zero. */
export function loadConfig(): AppConfig {
  if (cached) return cached;
  try {
    cached = parseConfig(process.env);
    return cached;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** Injection token for the parsed configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
