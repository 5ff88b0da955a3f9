import argon2 from 'argon2';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import dataSource from '../infra/database/data-source.js';

// `npm run seed [-- --products 10000 --users 1000]`: realistic rows, inserted in batches through unnest(),
// and the admin account from ADMIN_EMAIL / ADMIN_PASSWORD. Safe to run twice (users are upserted).
const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '10000' },
    users: { type: 'string', default: '1000' },
  },
});
const productCount = Number(values.products);
const userCount = Number(values.users);
const BATCH = 5_000;
const config = loadConfig();
if (!config.ADMIN_PASSWORD) {
  process.stderr.write('Invalid configuration: ADMIN_PASSWORD is required to seed in production\n');
  process.exit(78);
}

const ADJECTIVES = [
  'Compact',
  'Classic',
  'Rugged',
  'Smart',
  'Organic',
  'Wireless',
  'Handmade',
  'Vintage',
  'Ultra',
  'Eco',
];
const NOUNS = [
  'Kettle',
  'Backpack',
  'Lamp',
  'Headphones',
  'Notebook',
  'Chair',
  'Bottle',
  'Jacket',
  'Mug',
  'Speaker',
];
const CATEGORIES = ['kitchen', 'outdoor', 'home', 'audio', 'office', 'apparel', 'garden', 'toys'];
const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Barbara',
  'Ken',
  'Margaret',
  'Dennis',
  'Frances',
  'Edsger',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Liskov',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Allen',
  'Dijkstra',
];
const pick = <T>(list: T[], i: number) => list[i % list.length];
const argonOptions = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

async function seedProducts(): Promise<void> {
  for (let start = 0; start < productCount; start += BATCH) {
    const size = Math.min(BATCH, productCount - start);
    const names: string[] = [];
    const categories: string[] = [];
    const prices: number[] = [];
    const stock: number[] = [];
    const descriptions: string[] = [];
    for (let i = start; i < start + size; i++) {
      const name = `${pick(ADJECTIVES, i * 7)} ${pick(NOUNS, i * 3)} ${i + 1}`;
      names.push(name);
      categories.push(pick(CATEGORIES, i));
      prices.push(199 + ((i * 7919) % 49_800));
      stock.push((i * 31) % 500);
      descriptions.push(
        `${name}: a dependable ${pick(NOUNS, i * 3).toLowerCase()} for everyday use.`,
      );
    }
    await dataSource.query(
      `INSERT INTO products (name, category, price_cents, stock, description)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[])`,
      [names, categories, prices, stock, descriptions],
    );
  }
}

async function seedUsers(): Promise<void> {
  // One hash for every seeded user: argon2id is deliberately slow (~44 ms), 1,000 of them would take ~45 s.
  const hash = await argon2.hash('seeded-user-password', argonOptions);
  for (let start = 0; start < userCount; start += BATCH) {
    const size = Math.min(BATCH, userCount - start);
    const emails = Array.from({ length: size }, (_, k) => `user${start + k + 1}@example.com`);
    const names = Array.from(
      { length: size },
      (_, k) => `${pick(FIRST, start + k)} ${pick(LAST, (start + k) * 3)}`,
    );
    await dataSource.query(
      `INSERT INTO users (email, name, password_hash)
       SELECT e, n, $3 FROM unnest($1::text[], $2::text[]) AS t(e, n)
       ON CONFLICT (email) DO NOTHING`,
      [emails, names, hash],
    );
  }
}

async function seedAdmin(): Promise<void> {
  const hash = await argon2.hash(config.ADMIN_PASSWORD, argonOptions);
  await dataSource.query(
    `INSERT INTO users (email, name, password_hash, role) VALUES ($1, 'Administrator', $2, 'admin')
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin'`,
    [config.ADMIN_EMAIL.toLowerCase(), hash],
  );
}

const started = Date.now();
await dataSource.initialize();
try {
  await seedProducts();
  await seedUsers();
  await seedAdmin();
  process.stdout.write(
    `seeded ${productCount} products, ${userCount} users and admin ${config.ADMIN_EMAIL} in ${Date.now() - started} ms\n`,
  );
} finally {
  await dataSource.destroy();
}
