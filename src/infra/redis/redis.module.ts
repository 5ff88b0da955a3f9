import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisFactory } from './redis.factory.js';

/** The shared request-path connection: fails fast, never queues commands while Redis is down. */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');

@Global()
@Module({
  providers: [
    RedisFactory,
    {
      provide: REQUEST_REDIS,
      inject: [RedisFactory],
      useFactory: (factory: RedisFactory): Redis => factory.create('request'),
    },
  ],
  exports: [RedisFactory, REQUEST_REDIS],
})
export class RedisModule {}
