// The framework floor: bare Nest 12 on the Fastify adapter (one controller; no guards, pipes,
// interceptors, logger or hooks) serving the product JSON from memory. What the app's cached read adds
// on top of it is the cost of its production features; what it costs below plain Fastify is Nest's own.
// Plain JavaScript, so the decorators are applied by hand: the same metadata TypeScript would emit.
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import 'reflect-metadata';
import { config, exitOnSignal, loadAllProducts } from './product.mjs';

const products = await loadAllProducts();

class ProductsController {
  findOne(id) {
    const product = products.get(id);
    if (!product) throw new NotFoundException(`Product ${id} not found`);
    return product;
  }
}
Param('id')(ProductsController.prototype, 'findOne', 0);
Get(':id')(
  ProductsController.prototype,
  'findOne',
  Object.getOwnPropertyDescriptor(ProductsController.prototype, 'findOne'),
);
Controller('products')(ProductsController);

class AppModule {}
Module({ controllers: [ProductsController] })(AppModule);

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
await app.listen(config.port, '127.0.0.1');
exitOnSignal();
