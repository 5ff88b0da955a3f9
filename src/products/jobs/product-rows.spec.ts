import { columnIndex, isBlank, toProductRow } from './product-rows.js';

const header = ['sku', 'name', 'category', 'price_cents', 'stock', 'description'];
const index = columnIndex(header);
const row = (fields: string[], line = 2) => toProductRow({ line, fields }, index, header.length);

describe('product import rows', () => {
  it('maps columns by header name, in any order, ignoring extra ones', () => {
    const reordered = columnIndex(['Price_Cents', 'extra', 'SKU', 'category', 'name']);
    expect(
      toProductRow({ line: 2, fields: ['250', 'x', 'A-1', 'kitchen', 'Cup'] }, reordered, 5),
    ).toEqual({
      sku: 'A-1',
      name: 'Cup',
      category: 'kitchen',
      priceCents: 250,
      stock: 0,
      description: '',
    });
  });

  it('refuses a header without the required columns, naming them', () => {
    expect(() => columnIndex(['sku', 'name'])).toThrow(/missing: category, price_cents$/);
  });

  it('names every bad field of a line', () => {
    expect(row(['', 'x'.repeat(201), 'kitchen', '-5', '1.5', ''])).toBe(
      'sku: must be 1-64 letters, digits or . _ - /; name: must be 1-200 characters; ' +
        'price_cents: must be a whole number of cents from 0 to 2147483647; ' +
        'stock: must be a whole number from 0 to 2147483647',
    );
    expect(row(['A-1', 'Cup', 'kitchen', '2147483648', '', ''])).toMatch(/^price_cents: /);
  });

  it('refuses NUL characters, which PostgreSQL cannot store in text, naming each column', () => {
    expect(row(['A-1', 'C\u0000up', 'kit\u0000chen', '250', '', 'a\u0000'])).toBe(
      'category: must be 1-60 lower-case letters, digits or dashes; ' +
        'name: must not contain NUL characters; description: must not contain NUL characters',
    );
  });

  it("holds categories to the API's rule, so an imported one works as a ?category= filter", () => {
    expect(row(['A-1', 'Cup', 'Kitchen Stuff', '250', '', ''])).toBe(
      'category: must be 1-60 lower-case letters, digits or dashes',
    );
    expect(row(['A-1', 'Cup', 'kitchen-stuff', '250', '', ''])).toMatchObject({
      category: 'kitchen-stuff',
    });
  });

  it('reports a wrong field count and passes on reader errors', () => {
    expect(row(['A-1', 'Cup'])).toBe('expected 6 fields as in the header, found 2');
    expect(
      toProductRow({ line: 9, fields: [], error: 'unterminated quoted field' }, index, 6),
    ).toBe('unterminated quoted field');
  });

  it('treats an empty line as blank, not as an error', () => {
    expect(isBlank({ line: 3, fields: [''] })).toBe(true);
    expect(isBlank({ line: 3, fields: ['', ''] })).toBe(false);
  });
});
