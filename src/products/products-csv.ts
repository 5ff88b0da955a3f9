import { Transform } from 'node:stream';

export const CSV_COLUMNS = [
  'id',
  'name',
  'category',
  'price_cents',
  'stock',
  'version',
  'created_at',
  'updated_at',
] as const;

/** RFC 4180 quoting, plus a leading quote on cells a spreadsheet would run as a formula. */
export function csvCell(value: unknown): string {
  let text = value instanceof Date ? value.toISOString() : String(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Turns database rows (object mode) into CSV text, header first; backpressure flows through. */
export function rowsToCsv(): Transform {
  let headerSent = false;
  return new Transform({
    writableObjectMode: true,
    transform(row: Record<string, unknown>, _encoding, callback) {
      const line = CSV_COLUMNS.map((column) => csvCell(row[column])).join(',') + '\n';
      if (!headerSent) {
        headerSent = true;
        callback(null, CSV_COLUMNS.join(',') + '\n' + line);
      } else callback(null, line);
    },
    flush(callback) {
      callback(null, headerSent ? '' : CSV_COLUMNS.join(',') + '\n');
    },
  });
}
