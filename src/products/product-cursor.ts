import { BadRequestException } from '@nestjs/common';
import type { SortKey } from './dto/list-products.query.js';
import type { Product } from './product.entity.js';

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
  const valueOk =
    sort === 'price'
      ? Number.isInteger(value)
      : sort === 'name'
        ? typeof value === 'string'
        : !Number.isNaN(Date.parse(String(value)));
  if (!valueOk || !/^[0-9a-f-]{36}$/i.test(id)) throw invalid();
  return [value as string | number, id];
}
