import { Global, Module } from '@nestjs/common';
import { CacheableInterceptor } from './cacheable.interceptor.js';
import { InvalidationBus } from './invalidation-bus.js';
import { TwoTierCache } from './two-tier-cache.js';

@Global()
@Module({
  providers: [InvalidationBus, TwoTierCache, CacheableInterceptor],
  exports: [TwoTierCache, CacheableInterceptor],
})
export class CacheModule {}
