import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EntityNotFoundError, QueryFailedError } from 'typeorm';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: Array<{ field: string; message: string }>;
  requestId: string;
}

const PG_UNIQUE_VIOLATION = '23505';
const PG_STATEMENT_TIMEOUT = '57014';
// SQLSTATE data exceptions a client value causes: too long (22001), out of range (22003), a bad date
// or time (22007, 22008, 22009: PostgreSQL reads "-005000-01-01T00:00:00Z" as a bad time zone), NUL or a byte the encoding refuses (22021, 22P05), bad syntax for the type
// (22P02), and a null for a NOT NULL column (23502). DTOs and cursors check for these first; this is the
// net for a field that forgot to.
const PG_BAD_VALUE = /^(22001|22003|22007|22008|22009|22021|22P02|22P05|23502)$/;
// pg's own query_timeout: the server did not answer at all (it is hung, or the network drops packets).
const PG_CLIENT_QUERY_TIMEOUT = 'Query read timeout';
// The database cannot be reached or is going away: connection refused or reset, SQLSTATE class 08
// (connection exception), 57P01-57P03 (shut down, crashed, starting up), and pg's pool and socket errors.
// An outage to retry, not a bug.
const DB_UNAVAILABLE_CODE = /^(08|57P0[123]$|ECONNREFUSED$|ECONNRESET$|ETIMEDOUT$|EPIPE$)/;
const DB_UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;
// What ioredis says when Redis cannot take a command (no offline queue, closed, timed out): an outage, not a bug.
const REDIS_UNAVAILABLE =
  /^(Stream isn't writeable and enableOfflineQueue options is false|Connection is closed\.|Command timed out|Reached the max retries per request limit)/;

/** A PostgreSQL refusal of a value the client sent (see PG_BAD_VALUE), wrapped by TypeORM or not. */
export function isBadValueForDatabase(exception: unknown): boolean {
  const code = (exception as { code?: unknown } | null)?.code;
  return typeof code === 'string' && PG_BAD_VALUE.test(code) && exception instanceof Error;
}

/** Maps anything thrown to a JSON error body with the request id; a 5xx body never carries a stack. */
export function toErrorBody(exception: unknown, requestId: string): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const body =
      typeof response === 'object' ? (response as Record<string, unknown>) : { message: response };
    const message = Array.isArray(body.message)
      ? body.message.join('; ')
      : String(body.message ?? exception.message);
    return {
      statusCode: status,
      error: String(body.error ?? STATUS_CODES[status] ?? 'Error'),
      message,
      ...(Array.isArray(body.errors) ? { errors: body.errors as ErrorBody['errors'] } : {}),
      requestId,
    };
  }
  if (exception instanceof EntityNotFoundError) {
    return { statusCode: 404, error: 'Not Found', message: 'Resource not found', requestId };
  }
  const code = (exception as { code?: string }).code;
  if (exception instanceof QueryFailedError && code === PG_UNIQUE_VIOLATION) {
    return {
      statusCode: 409,
      error: 'Conflict',
      message: 'A resource with these values already exists',
      requestId,
    };
  }
  if (isBadValueForDatabase(exception)) {
    return {
      statusCode: 400,
      error: 'Bad Request',
      message: `A value does not fit its database column: ${(exception as Error).message}`,
      requestId,
    };
  }
  // Whether TypeORM wrapped it (QueryFailedError) or pg threw it on a raw pool query (the prepared
  // by-id read), and whether the server cancelled it or the client stopped waiting (a hung server).
  if (
    code === PG_STATEMENT_TIMEOUT ||
    (exception instanceof Error && exception.message === PG_CLIENT_QUERY_TIMEOUT)
  ) {
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database took too long; retry later',
      requestId,
    };
  }
  if (exception instanceof Error && REDIS_UNAVAILABLE.test(exception.message)) {
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'A dependency (Redis) is unavailable; retry later',
      requestId,
    };
  }
  if (
    (typeof code === 'string' && DB_UNAVAILABLE_CODE.test(code)) ||
    (exception instanceof Error && DB_UNAVAILABLE_MESSAGE.test(exception.message))
  ) {
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable; retry later',
      requestId,
    };
  }
  // Fastify's own errors (malformed JSON, body too large, bad content type) carry a 4xx statusCode.
  const fastifyStatus = (exception as { statusCode?: number }).statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    return {
      statusCode: fastifyStatus,
      error: STATUS_CODES[fastifyStatus] ?? 'Bad Request',
      message: (exception as Error).message,
      requestId,
    };
  }
  return {
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'Internal server error',
    requestId,
  };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = toErrorBody(exception, String(request.id));
    if (body.statusCode >= 500) this.logger.error(exception);
    // A 400 all the same, but the DTO (or cursor) should have caught it, naming the field: worth a look.
    else if (isBadValueForDatabase(exception))
      this.logger.warn(
        `value refused by the database, not by validation: ${(exception as Error).message}`,
      );
    void reply.status(body.statusCode).send(body);
  }
}
