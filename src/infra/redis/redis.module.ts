import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GuardedRedis } from './guarded-redis.js';
import { RedisFactory } from './redis.factory.js';

import { REQUEST_REDIS } from './redis.tokens.js';

export { REQUEST_REDIS };

@Global()
@Module({
  providers: [
    RedisFactory,
    {
      provide: REQUEST_REDIS,
      inject: [RedisFactory],
      useFactory: (factory: RedisFactory): Redis => factory.create('request'),
    },
    GuardedRedis,
  ],
  exports: [RedisFactory, REQUEST_REDIS, GuardedRedis],
})
export class RedisModule {}
