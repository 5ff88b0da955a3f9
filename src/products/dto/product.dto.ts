import { ApiProperty } from '@nestjs/swagger';
import type { Product } from '../product.entity.js';

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
