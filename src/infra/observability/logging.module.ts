import { Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';

type LoggedRequest = IncomingMessage & { id?: string; routeUrl?: string; originalUrl?: string };

/**
 * One JSON line per request (method, route, status, duration, request id) and the request id on every
 * application log line. Headers and bodies are never serialised, so tokens and passwords stay out of logs.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // Without this, nestjs-pino on Fastify logs no requests at all.
        forRoutes: [{ path: '*', method: RequestMethod.ALL }],
        pinoHttp: {
          level: config.LOG_LEVEL,
          transport:
            config.NODE_ENV === 'development'
              ? {
                  target: 'pino-pretty',
                  options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
                }
              : undefined,
          // Fastify's genReqId (http-app.ts) already chose the id and stored it on the raw request.
          genReqId: (req: LoggedRequest) => req.id ?? '',
          customAttributeKeys: { reqId: 'requestId', responseTime: 'ms' },
          // Binds requestId to the per-request child logger, so every line logged during a request has it.
          quietReqLogger: true,
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              method: req.method,
              url: req.url,
            }),
            res: (res: { statusCode: number }) => ({ status: res.statusCode }),
          },
          customProps: (req: LoggedRequest) => ({ route: req.routeUrl }),
          customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
            error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          customSuccessMessage: () => 'request completed',
          customErrorMessage: () => 'request failed',
          // Probes hit every few seconds per pod; logging them drowns the useful lines.
          autoLogging: {
            ignore: (req: LoggedRequest) =>
              (req.originalUrl ?? req.url ?? '').startsWith('/health/'),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
