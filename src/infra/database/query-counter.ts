import { AbstractLogger, type LogLevel, type LogMessage } from 'typeorm';
import { requestContext } from '../../common/request-context.js';

/** Counts one query against the current request (for queries that bypass TypeORM, see preparedQuery). */
export function countQuery(): void {
  const context = requestContext.current();
  if (context) context.queries = (context.queries ?? 0) + 1;
}

/**
 * TypeORM logger that counts the queries each request runs (into its request context) and logs only
 * errors. The count lets tests assert "one query per page" and "one load per cold key".
 */
export class QueryCountingLogger extends AbstractLogger {
  logQuery(): void {
    countQuery();
  }

  /** Failed queries surface as exceptions; the HTTP error filter logs the ones that become 5xx. */
  logQueryError(): void {}

  protected writeLog(level: LogLevel, message: LogMessage | LogMessage[]): void {
    if (level !== 'error' && level !== 'warn') return;
    for (const entry of Array.isArray(message) ? message : [message]) {
      process.stderr.write(`typeorm ${level}: ${String(entry.message)}\n`);
    }
  }
}
