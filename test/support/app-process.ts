import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, type StackEnv } from './stack.js';

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

/**
 * `count` distinct free ports. Every listener stays open until all have a port: a port closed and asked
 * for again can come back, and once gave an app the same PORT and METRICS_PORT.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () =>
              resolve((server.address() as { port: number }).port),
            );
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))),
    );
  }
}

const running = new Set<ChildProcess>();
// A failed suite must not leave an API process behind.
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

export interface AppProcess {
  url: string;
  /** The metrics listener (METRICS_PORT): the process's own, or the cluster primary's. */
  metricsUrl: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL if it has not exited in time. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Which built entry to run. */
  entry?: string;
  waitForReady?: boolean;
}

/** Starts the built API (dist/main.js) as its own process against a stack, on a free port. */
export async function startApp(stack: StackEnv, options: StartOptions = {}): Promise<AppProcess> {
  // Its own metrics port too: apps started side by side must not race for the default 9464.
  const [port, metricsPort] = await freePorts(2);
  const child = spawn(process.execPath, [join(ROOT, 'dist', options.entry ?? 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      WEB_CONCURRENCY: '1',
      ENABLE_DIAGNOSTICS: 'true',
      // Suites send thousands of requests from one address; the throttling suite sets its own limits.
      THROTTLE_LIMIT: '1000000',
      THROTTLE_AUTH_LIMIT: '100000',
      SHUTDOWN_DRAIN_DELAY_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '10000',
      REPLICA_PROBE_INTERVAL_MS: '200',
      DATABASE_URL: stack.DATABASE_URL,
      DATABASE_REPLICA_URLS: stack.DATABASE_REPLICA_URLS,
      REDIS_URL: stack.REDIS_URL,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      listeners.forEach((listener) => listener());
      resolve({ code, signal });
    }),
  );

  const waitForOutput = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(
            new Error(`process exited before printing ${pattern}; output:\n${output.slice(-3000)}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const app: AppProcess = {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${options.env?.METRICS_PORT ?? metricsPort}`,
    child,
    output: () => output,
    exited,
    waitForOutput,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
  if (options.waitForReady !== false) {
    await waitForReady(app);
    // In cluster mode, ready means one worker is; wait for all, so requests spread over every one.
    const workers = Number(options.env?.WEB_CONCURRENCY ?? 1);
    if (workers > 1) {
      await app.waitForOutput(new RegExp(`(worker listening[\\s\\S]*){${workers}}`));
    }
  }
  return app;
}

/** Polls /health/ready until it answers 200 (or the process dies). */
export async function waitForReady(app: AppProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null)
      throw new Error(`app exited during startup:\n${app.output().slice(-3000)}`);
    try {
      const response = await fetch(`${app.url}/health/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`app not ready within ${timeoutMs} ms:\n${app.output().slice(-3000)}`);
}
