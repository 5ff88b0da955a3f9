// Ceiling: plain Fastify (no plugins, no logger) serving the product JSON from memory.
import Fastify from 'fastify';
import { config, exitOnSignal, loadAllProducts, notFound } from './product.mjs';

const products = await loadAllProducts();
const app = Fastify({ logger: false });
app.get('/products/:id', async (request, reply) => {
  const product = products.get(request.params.id);
  if (!product) return reply.code(404).send(notFound(request.params.id));
  return product;
});
await app.listen({ port: config.port, host: '127.0.0.1' });
exitOnSignal();
