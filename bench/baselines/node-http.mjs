// Ceiling: node:http serving the product JSON from memory (JSON.stringify per request, as the app does).
import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';
import { config, exitOnSignal, loadAllProducts, notFound } from './product.mjs';

const products = await loadAllProducts();
const PREFIX = '/products/';

createServer((req, res) => {
  const id = req.url.startsWith(PREFIX) ? req.url.slice(PREFIX.length) : '';
  const product = products.get(id);
  const body = JSON.stringify(product ?? notFound(id));
  res.writeHead(product ? 200 : 404, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}).listen(config.port, '127.0.0.1');
exitOnSignal();
