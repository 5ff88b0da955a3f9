import { BadRequestException } from '@nestjs/common';
import type { SortKey } from './dto/list-products.query.js';
import type { Product } from './product.entity.js';
import { PG_INT_MAX } from '../infra/database/pg-limits.js';

/** The position after the last row of a page: its sort value and id (the tie-breaker). Opaque to clients. */
export type CursorValue = [string | number, string];

export function encodeCursor(sort: SortKey, product: Product): string {
  const value =
    sort === 'price'
      ? product.priceCents
      : sort === 'name'
        ? product.name
        : product.createdAt.toISOString();
  return Buffer.from(JSON.stringify([sort, value, product.id])).toString('base64url');
}

/** Decodes a cursor made for the same sort key; anything else is a 400 naming `cursor`. */
export function decodeCursor(sort: SortKey, cursor: string): CursorValue {
  const invalid = () =>
    new BadRequestException({
      message: 'Validation failed',
      errors: [{ field: 'cursor', message: 'cursor is invalid or was made for another sort' }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== sort ||
    typeof parsed[2] !== 'string'
  )
    throw invalid();
  const [, value, id] = parsed as [SortKey, unknown, string];
  // Only values the column can hold (a PostgreSQL integer, text without NUL, a timestamp in ISO form
  // with a year of 1-9999, inside PostgreSQL's range): a cursor is client input, and anything else
  // would fail the query with a 500 instead of a 400.
  let position: string | number | undefined;
  if (sort === 'price') {
    if (Number.isInteger(value) && Math.abs(value as number) <= PG_INT_MAX)
      position = value as number;
  } else if (sort === 'name') {
    if (typeof value === 'string' && !value.includes('\u0000')) position = value;
  } else {
    const time = new Date(typeof value === 'string' ? Date.parse(value) : NaN);
    const year = time.getUTCFullYear(); // NaN for an invalid date: fails both bounds
    if (year >= 1 && year <= 9999) position = time.toISOString();
  }
  if (position === undefined || !/^[0-9a-f-]{36}$/i.test(id)) throw invalid();
  return [position, id];
}
