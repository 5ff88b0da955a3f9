import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { toErrorBody } from './http-error.filter.js';

/** An error as pg raises it for a server's ErrorResponse, with its SQLSTATE. */
function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

describe('toErrorBody: database failures are 503s to retry, never 500s', () => {
  const statusOf = (error: unknown) => toErrorBody(error, 'req-1');

  it.each([
    [
      'a statement timeout pg raised on a raw pool query',
      pgError('57014', 'canceling statement due to statement timeout'),
    ],
    [
      'a statement timeout TypeORM wrapped',
      new QueryFailedError(
        'SELECT 1',
        [],
        pgError('57014', 'canceling statement due to statement timeout'),
      ),
    ],
    ["pg's query_timeout (the server never answered)", new Error('Query read timeout')],
  ])('%s: 503 "took too long"', (_, error) => {
    expect(statusOf(error)).toMatchObject({
      statusCode: 503,
      message: 'The database took too long; retry later',
      requestId: 'req-1',
    });
  });

  it.each([
    ['a connection failure (SQLSTATE 08006)', pgError('08006', 'connection failure')],
    [
      'the server shutting down (57P01)',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
  ])('%s: 503 "unavailable"', (_, error) => {
    expect(statusOf(error)).toMatchObject({
      statusCode: 503,
      message: 'The database is unavailable; retry later',
    });
  });

  it('a unique violation is a 409, and an unknown error a 500 without its message', () => {
    expect(
      statusOf(new QueryFailedError('INSERT', [], pgError('23505', 'duplicate key'))),
    ).toMatchObject({ statusCode: 409 });
    expect(statusOf(new Error('secret detail'))).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      requestId: 'req-1',
    });
  });
});

describe('toErrorBody: a value the database refuses is a 400, never a 500', () => {
  it.each([
    [
      'an integer out of range (22003)',
      pgError('22003', 'value "99999999999" is out of range for type integer'),
    ],
    ['a NUL in text (22021)', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')],
    [
      'text too long for its column (22001)',
      pgError('22001', 'value too long for type character varying(200)'),
    ],
    [
      'a timestamp PostgreSQL reads as a bad time zone (22009)',
      pgError('22009', 'time zone displacement out of range: "-005000-01-01T00:00:00.000Z"'),
    ],
    [
      'a null for a NOT NULL column (23502)',
      pgError(
        '23502',
        'null value in column "name" of relation "products" violates not-null constraint',
      ),
    ],
    [
      'bad syntax for the type, wrapped by TypeORM (22P02)',
      new QueryFailedError(
        'SELECT',
        [],
        pgError('22P02', 'invalid input syntax for type uuid: "x"'),
      ),
    ],
  ])('%s', (_, error) => {
    expect(toErrorBody(error, 'req-1')).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: `A value does not fit its database column: ${error.message}`,
      requestId: 'req-1',
    });
  });

  it('other data exceptions stay 500s: division by zero (22012) is a bug of ours, not bad input', () => {
    expect(toErrorBody(pgError('22012', 'division by zero'), 'req-1')).toMatchObject({
      statusCode: 500,
    });
  });
});
