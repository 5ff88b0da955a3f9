import { CATEGORY_PATTERN, CATEGORY_RULE } from '../dto/create-product.dto.js';
import type { CsvRecord } from './csv-records.js';
import { PG_INT_MAX } from '../../infra/database/pg-limits.js';

/** Columns of an import file, by header name; any order, extra columns ignored. */
export const REQUIRED_COLUMNS = ['sku', 'name', 'category', 'price_cents'] as const;
export const OPTIONAL_COLUMNS = ['description', 'stock'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

export interface ProductRow {
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  stock: number;
}

export type ColumnIndex = Partial<Record<Column, number>>;

const SKU = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;
const WHOLE = /^\d+$/;

/** Reads the header; throws with a message naming what is missing. */
export function columnIndex(header: string[]): ColumnIndex {
  const names = header.map((name) => name.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column));
  if (missing.length > 0) {
    throw new Error(
      `the header must name the columns ${REQUIRED_COLUMNS.join(', ')} (optional: ${OPTIONAL_COLUMNS.join(', ')}); missing: ${missing.join(', ')}`,
    );
  }
  const index: ColumnIndex = {};
  for (const column of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) {
    const at = names.indexOf(column);
    if (at >= 0) index[column] = at;
  }
  return index;
}

/** True for a line with nothing on it: skipped, not an error. */
export const isBlank = (record: CsvRecord) =>
  !record.error && record.fields.length === 1 && record.fields[0].trim() === '';

/** A valid row, or the reasons the line was refused (each names the column). */
export function toProductRow(
  record: CsvRecord,
  index: ColumnIndex,
  width: number,
): ProductRow | string {
  if (record.error) return record.error;
  if (record.fields.length !== width) {
    return `expected ${width} fields as in the header, found ${record.fields.length}`;
  }
  const get = (column: Column) => {
    const at = index[column];
    return at === undefined ? undefined : record.fields[at].trim();
  };
  const problems: string[] = [];
  const sku = get('sku') ?? '';
  if (!SKU.test(sku)) problems.push('sku: must be 1-64 letters, digits or . _ - /');
  const name = get('name') ?? '';
  if (name.length < 1 || name.length > 200) problems.push('name: must be 1-200 characters');
  const category = get('category') ?? '';
  // The API's rule: an imported category must work as a `?category=` filter, like a created one.
  if (!CATEGORY_PATTERN.test(category)) problems.push(`category: ${CATEGORY_RULE}`);
  const price = get('price_cents') ?? '';
  if (!WHOLE.test(price) || Number(price) > PG_INT_MAX)
    problems.push('price_cents: must be a whole number of cents from 0 to 2147483647');
  const stockText = get('stock') || '0';
  if (!WHOLE.test(stockText) || Number(stockText) > PG_INT_MAX)
    problems.push('stock: must be a whole number from 0 to 2147483647');
  const description = get('description') ?? '';
  if (description.length > 10_000) problems.push('description: must be at most 10000 characters');
  // PostgreSQL cannot store NUL in text: one such field would fail the whole batch's INSERT, every retry.
  for (const [column, text] of [
    ['name', name],
    ['description', description],
  ])
    if (text.includes('\u0000')) problems.push(`${column}: must not contain NUL characters`);
  if (problems.length > 0) return problems.join('; ');
  return {
    sku,
    name,
    description,
    category,
    priceCents: Number(price),
    stock: Number(stockText),
  };
}
