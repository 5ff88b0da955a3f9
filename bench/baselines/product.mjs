// What every baseline shares with the app: the product JSON shape (ProductDto), the one query, and how
// a baseline process is configured (PORT, DATABASE_URL of the replica, REDIS_URL) and stopped.
import process from 'node:process';
import pg from 'pg';

export const PRODUCT_BY_ID = {
  name: 'product-by-id', // a named prepared statement: parsed and planned once per connection
  text:
    'SELECT id, name, description, category, price_cents, stock, version, created_at, updated_at ' +
    'FROM products WHERE id = $1',
};

/** A row as the app's ProductDto.from() shapes it, field for field. */
export function toProduct(row) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    priceCents: row.price_cents,
    stock: row.stock,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export const notFound = (id) => ({
  statusCode: 404,
  error: 'Not Found',
  message: `Product ${id} not found`,
});

export const config = {
  port: Number(process.env.PORT),
  databaseUrl: process.env.DATABASE_URL,
  redisUrl: process.env.REDIS_URL,
  /** The app's DATABASE_POOL_SIZE default, so the database ceiling uses as many connections. */
  poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10),
};

export const createPool = () =>
  new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });

/** Every product, read once at start: the in-memory baselines serve from this map. */
export async function loadAllProducts() {
  const pool = createPool();
  try {
    const { rows } = await pool.query(PRODUCT_BY_ID.text.replace(' WHERE id = $1', ''));
    return new Map(rows.map((row) => [row.id, toProduct(row)]));
  } finally {
    await pool.end();
  }
}

/** The runner stops baselines with SIGTERM; nothing here needs draining. */
export function exitOnSignal() {
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
}
