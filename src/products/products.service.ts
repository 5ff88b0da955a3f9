import { Injectable, NotFoundException } from '@nestjs/common';
import { pipeline, type Readable } from 'node:stream';
import { type CachedEntry, TwoTierCache } from '../infra/cache/two-tier-cache.js';
import { preparedQuery } from '../infra/database/prepared-query.js';
import { ReplicaRouter } from '../infra/database/replica-router.js';
import { versionedUpdate } from '../infra/database/versioned-update.js';
import { ProductDto, type ProductRow } from './dto/product.dto.js';
import type { CreateProductDto } from './dto/create-product.dto.js';
import type { ListProductsQuery, SortKey } from './dto/list-products.query.js';
import type { UpdateProductDto } from './dto/update-product.dto.js';
import { decodeCursor, encodeCursor } from './product-cursor.js';
import { Product } from './product.entity.js';
import { CSV_COLUMNS, rowsToCsv } from './products-csv.js';

const SORT_COLUMNS: Record<SortKey, string> = {
  createdAt: 'p.createdAt',
  price: 'p.priceCents',
  name: 'p.name',
};

export interface ProductPage {
  items: Product[];
  nextCursor: string | null;
}

type FoundProduct = CachedEntry<ProductDto> & { value: ProductDto };

/** The entry of a product that exists; a missing one (cached as null too) is a 404. */
function found(id: string, entry: CachedEntry<ProductDto | null>): FoundProduct {
  if (!entry.value) throw new NotFoundException(`Product ${id} not found`);
  return entry as FoundProduct;
}

/** Cache tag of everything that lists products: any product write retires it. */
export const PRODUCTS_TAG = 'products';
const productKey = (id: string) => `product:${id}`;
// The hottest query of the API: a named prepared statement (see preparedQuery). Columns are listed, not
// `*`: a migration that adds a column would otherwise fail the statement already prepared on every open
// connection of the version still running ("cached plan must not change result type").
const PRODUCT_BY_ID = `SELECT id, name, sku, description, category, price_cents, stock, version,
  created_at, updated_at FROM products WHERE id = $1`;

@Injectable()
export class ProductsService {
  constructor(
    private readonly router: ReplicaRouter,
    private readonly cache: TwoTierCache,
  ) {}

  /** Through the two-tier cache (a missing id is cached briefly too); the database sees one load per key. */
  async findOne(id: string): Promise<ProductDto> {
    return (await this.findOneEntry(id)).value;
  }

  /**
   * findOne with the JSON the product is cached as, when the cache holds it (see CachedEntry). An L1
   * hit comes back as it is, not in a promise of its own: the hottest read skips a promise and a tick.
   */
  findOneEntry(id: string): FoundProduct | Promise<FoundProduct> {
    const entry = this.cache.getOrLoadEntry(productKey(id), () =>
      this.router.read((em) =>
        preparedQuery<ProductRow>(em, 'product_by_id', PRODUCT_BY_ID, [id]).then(([row]) =>
          row ? ProductDto.fromRow(row) : null,
        ),
      ),
    );
    return entry instanceof Promise ? entry.then((loaded) => found(id, loaded)) : found(id, entry);
  }

  /** One indexed query per page: rows after the cursor in (sort key, id) order, one extra to know if more follow. */
  async list(query: ListProductsQuery): Promise<ProductPage> {
    const column = SORT_COLUMNS[query.sort];
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows = await this.router.read((em) => {
      const qb = em.createQueryBuilder(Product, 'p');
      if (query.category !== undefined)
        qb.andWhere('p.category = :category', { category: query.category });
      if (query.minPriceCents !== undefined)
        qb.andWhere('p.priceCents >= :min', { min: query.minPriceCents });
      if (query.maxPriceCents !== undefined)
        qb.andWhere('p.priceCents <= :max', { max: query.maxPriceCents });
      if (query.cursor) {
        const [value, id] = decodeCursor(query.sort, query.cursor);
        // A row comparison keeps the index range scan: (key, id) strictly after the cursor.
        qb.andWhere(`(${column}, p.id) ${direction === 'ASC' ? '>' : '<'} (:value, :id)`, {
          value,
          id,
        });
      }
      return qb
        .orderBy(column, direction)
        .addOrderBy('p.id', direction)
        .limit(query.limit + 1)
        .getMany();
    });
    const items = rows.slice(0, query.limit);
    const nextCursor =
      rows.length > query.limit ? encodeCursor(query.sort, items[items.length - 1]) : null;
    return { items, nextCursor };
  }

  async create(input: CreateProductDto): Promise<Product> {
    const product = await this.router.write((em) =>
      em.save(em.create(Product, { description: '', stock: 0, ...input })),
    );
    // Cached list pages must show the new product from the next request on.
    await this.cache.invalidate([], [PRODUCTS_TAG]);
    return product;
  }

  /** Applies the change only if `version` is still current: a stale writer gets 409, never a lost update. */
  async update(id: string, changes: UpdateProductDto): Promise<Product> {
    const { version, ...fields } = changes;
    const product = await versionedUpdate(this.router, Product, id, version, fields);
    // After the commit, before the response: once the caller hears back, no process serves the old row.
    await this.cache.invalidate([productKey(id)], [PRODUCTS_TAG]);
    return product;
  }

  async remove(id: string): Promise<void> {
    const result = await this.router.write((em) => em.delete(Product, { id }));
    if (!result.affected) throw new NotFoundException(`Product ${id} not found`);
    await this.cache.invalidate([productKey(id)], [PRODUCTS_TAG]);
  }

  /**
   * Every product as CSV, streamed from a replica through a server-side cursor (pg-query-stream):
   * rows flow at the pace the client reads, so memory stays flat however many there are.
   */
  async exportCsv(): Promise<Readable> {
    const source = this.router.pickReplica()?.source ?? this.router.primary;
    const runner = source.createQueryRunner('slave');
    await runner.connect();
    try {
      const rows = await runner.stream(
        `SELECT ${CSV_COLUMNS.join(', ')} FROM products ORDER BY created_at, id`,
      );
      const release = () => void runner.release().catch(() => undefined);
      return pipeline(rows, rowsToCsv(), (error) => {
        if (error) rows.destroy();
        release();
      });
    } catch (error) {
      await runner.release();
      throw error;
    }
  }
}
