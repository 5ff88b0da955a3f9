// Database ceiling: plain Fastify, one named prepared SELECT per request on the replica, pg Pool.
import Fastify from 'fastify';
import {
  PRODUCT_BY_ID,
  config,
  createPool,
  exitOnSignal,
  notFound,
  toProduct,
} from './product.mjs';

const pool = createPool();
const app = Fastify({ logger: false });
app.get('/products/:id', async (request, reply) => {
  const { rows } = await pool.query({ ...PRODUCT_BY_ID, values: [request.params.id] });
  if (rows.length === 0) return reply.code(404).send(notFound(request.params.id));
  return toProduct(rows[0]);
});
await app.listen({ port: config.port, host: '127.0.0.1' });
exitOnSignal();
