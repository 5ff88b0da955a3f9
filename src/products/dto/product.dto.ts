import { ApiProperty } from '@nestjs/swagger';
import type { Product } from '../product.entity.js';

/** A products row as the by-id statement returns it: database column names, pg's own type conversions. */
export interface ProductRow {
  id: string;
  name: string;
  sku: string | null;
  description: string;
  category: string;
  price_cents: number;
  stock: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export class ProductDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Espresso cup' }) name: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'CUP-080',
    description: 'Set by CSV imports',
  })
  sku: string | null;
  @ApiProperty({ example: 'Porcelain, 80 ml' }) description: string;
  @ApiProperty({ example: 'kitchen' }) category: string;
  @ApiProperty({ example: 1299, description: 'Price in cents' }) priceCents: number;
  @ApiProperty({ example: 42 }) stock: number;
  @ApiProperty({ example: 1, description: 'Send it back with PATCH: a stale one gets 409' })
  version: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static from(product: Product): ProductDto {
    return {
      id: product.id,
      name: product.name,
      sku: product.sku ?? null,
      description: product.description,
      category: product.category,
      priceCents: product.priceCents,
      stock: product.stock,
      version: product.version,
      createdAt: product.createdAt.toISOString(),
      updatedAt: product.updatedAt.toISOString(),
    };
  }

  /**
   * The same DTO straight from a row, for the by-id read: hydrating an entity first (TypeORM metadata,
   * a converter per column) cost about 5% of an uncached read's throughput, for columns pg already
   * converts (integers, timestamptz as Date). product.dto.spec.ts keeps the two equal.
   */
  static fromRow(row: ProductRow): ProductDto {
    return {
      id: row.id,
      name: row.name,
      sku: row.sku,
      description: row.description,
      category: row.category,
      priceCents: row.price_cents,
      stock: row.stock,
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }
}

export class ProductPageDto {
  @ApiProperty({ type: [ProductDto] }) items: ProductDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}
