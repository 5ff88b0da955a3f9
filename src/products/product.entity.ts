import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

// Each list order is served by an index on (sort key, id): keyset pages are index range scans.
@Entity('products')
@Index('products_created_at_id_idx', ['createdAt', 'id'])
@Index('products_price_id_idx', ['priceCents', 'id'])
@Index('products_name_id_idx', ['name', 'id'])
@Index('products_category_price_id_idx', ['category', 'priceCents', 'id'])
export class Product {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  // The natural key CSV imports upsert on; null for products created through the API without one.
  @Index('products_sku_key', { unique: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  sku: string | null;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'varchar', length: 60 })
  category: string;

  // Money as integer cents: no floating-point rounding in sums or comparisons.
  @Column({ name: 'price_cents', type: 'integer' })
  priceCents: number;

  @Column({ type: 'integer', default: 0 })
  stock: number;

  // Bumped on every update; a PATCH naming an older version is refused with 409 instead of overwriting.
  @VersionColumn({ default: 1 })
  version: number;

  // Millisecond precision, as JavaScript dates have: a keyset cursor must round-trip exactly.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
