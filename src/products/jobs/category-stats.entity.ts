import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Per-category catalog figures, recomputed by the recurring catalog-stats job (catalog-stats.processor.ts). */
@Entity('category_stats')
export class CategoryStats {
  @PrimaryColumn({ type: 'varchar', length: 60 })
  category: string;

  @Column({ name: 'product_count', type: 'integer' })
  productCount: number;

  @Column({ name: 'total_stock', type: 'bigint', transformer: { to: String, from: Number } })
  totalStock: number;

  @Column({ name: 'min_price_cents', type: 'integer' })
  minPriceCents: number;

  @Column({ name: 'max_price_cents', type: 'integer' })
  maxPriceCents: number;

  @Column({ name: 'avg_price_cents', type: 'integer' })
  avgPriceCents: number;

  @Column({ name: 'computed_at', type: 'timestamptz', precision: 3 })
  computedAt: Date;
}
