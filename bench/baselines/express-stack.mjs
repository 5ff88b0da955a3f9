// The tutorials' stack: Express 5 + helmet + compression + express-rate-limit + express.json, the
// product read through Redis (ioredis, JSON string with a TTL) and on a miss from the replica (pg).
// The rate limit is set high enough never to refuse: the bench measures its cost, not its 429s.
import compression from 'compression';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { Redis } from 'ioredis';
import {
  PRODUCT_BY_ID,
  config,
  createPool,
  exitOnSignal,
  notFound,
  toProduct,
} from './product.mjs';

const pool = createPool();
const redis = new Redis(config.redisUrl);
const app = express();
app.use(helmet());
app.use(compression());
app.use(
  rateLimit({
    windowMs: 60_000,
    limit: 1_000_000_000,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
  }),
);
app.use(express.json());

app.get('/products/:id', async (req, res) => {
  const key = `express:product:${req.params.id}`;
  const cached = await redis.get(key);
  if (cached) return res.json(JSON.parse(cached));
  const { rows } = await pool.query({ ...PRODUCT_BY_ID, values: [req.params.id] });
  if (rows.length === 0) return res.status(404).json(notFound(req.params.id));
  const product = toProduct(rows[0]);
  await redis.set(key, JSON.stringify(product), 'EX', 300);
  return res.json(product);
});

app.listen(config.port, '127.0.0.1');
exitOnSignal();
