import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { AppConfig } from '../../config/config.js';

export const METRICS_PATH = '/metrics';
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MetricsServer {
  /** The port it listens on (METRICS_PORT, or the one the OS chose for 0). */
  readonly port: number;
  /** Stops accepting, lets a scrape in progress finish, and closes idle keep-alive sockets. */
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** The exposition text, produced per scrape. */
  render(): Promise<string>;
}

/** Where metrics are served: never the public port, so they are not exposed through the ingress. */
export function metricsListenOptions(config: AppConfig): { host: string; port: number } {
  if (config.METRICS_PORT !== 0 && config.METRICS_PORT === config.PORT) {
    throw new Error(
      `METRICS_PORT must differ from PORT (${config.PORT}): metrics are never served on the public port`,
    );
  }
  return { host: config.HOST, port: config.METRICS_PORT };
}

/**
 * A bare node:http server for Prometheus: GET /metrics and nothing else. It sits outside Nest and
 * Fastify on purpose: no guards, throttling, request logging or request metrics apply to scrapes, and
 * it keeps answering while the API drains.
 */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?', 1)[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    options.render().then(
      (body) => {
        response.writeHead(200, {
          'content-type': METRICS_CONTENT_TYPE,
          'content-length': Buffer.byteLength(body),
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: Error) => {
        response
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end(`collecting metrics failed: ${error.message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new Error(
          `metrics server cannot listen on ${options.host}:${options.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => {
      // Later server errors (EMFILE on accept) cost a scrape, never the process: the next scrape retries.
      server.on('error', () => undefined);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
