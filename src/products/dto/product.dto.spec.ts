import { Product } from '../product.entity.js';
import { ProductDto, type ProductRow } from './product.dto.js';

// The by-id read maps its row straight to the DTO; every other path goes through the entity. Both must
// give the same JSON, field for field (test/e2e/products.e2e.spec.ts checks the same on a real row).
describe('ProductDto.fromRow', () => {
  const row: ProductRow = {
    id: '7d7f5a52-1111-4c4c-9d9d-2f2f2f2f2f2f',
    name: 'Espresso cup',
    sku: 'CUP-080',
    description: 'Porcelain, 80 ml',
    category: 'kitchen',
    price_cents: 1299,
    stock: 42,
    version: 3,
    created_at: new Date('2026-01-02T03:04:05.678Z'),
    updated_at: new Date('2026-02-03T04:05:06.789Z'),
  };
  const entityOf = (r: ProductRow): Product =>
    Object.assign(new Product(), {
      id: r.id,
      name: r.name,
      sku: r.sku,
      description: r.description,
      category: r.category,
      priceCents: r.price_cents,
      stock: r.stock,
      version: r.version,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    });

  it.each([
    ['with a sku', row],
    ['without one', { ...row, sku: null }],
  ])('gives what ProductDto.from gives for the entity, %s', (_, r) => {
    expect(ProductDto.fromRow(r)).toStrictEqual(ProductDto.from(entityOf(r)));
    expect(Object.keys(ProductDto.fromRow(r))).toEqual(Object.keys(ProductDto.from(entityOf(r))));
  });
});
