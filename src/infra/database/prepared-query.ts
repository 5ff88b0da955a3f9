import type { Pool, QueryResult, QueryResultRow } from 'pg';
import type { EntityManager } from 'typeorm';
import { countQuery } from './query-counter.js';

/**
 * Runs one named prepared statement straight on the pool behind `manager` (the primary's or a replica's).
 * For the hottest reads only: TypeORM's find builds the SQL and hydrates through its metadata on every
 * call, and sends an unnamed statement the server plans each time; this parses and plans once per
 * connection. Not async: the rows come from pg's own promise, without one more around it.
 */
export function preparedQuery<Row extends QueryResultRow>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const pool = (manager.connection.driver as unknown as { master: Pool }).master;
  countQuery();
  return pool.query<Row>({ name, text, values }).then(rowsOf);
}

const rowsOf = <Row extends QueryResultRow>(result: QueryResult<Row>): Row[] => result.rows;
