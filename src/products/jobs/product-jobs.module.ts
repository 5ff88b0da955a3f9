import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { AccessTokenModule } from '../../auth/access-token.module.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ImportStorage } from './import-storage.js';
import { ProductImport } from './product-import.entity.js';
import { ProductImportsController } from './product-imports.controller.js';
import { ProductImportsService } from './product-imports.service.js';

/**
 * Multipart parsing for the upload route. Files are streamed (never buffered whole) and capped at
 * IMPORT_MAX_BYTES; one file and a few small fields per request.
 */
@Injectable()
export class MultipartSupport implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || fastify.hasDecorator('multipartErrors')) return;
    await fastify.register(multipart, {
      limits: { fileSize: this.config.IMPORT_MAX_BYTES, files: 1, fields: 10, parts: 11 },
    });
  }
}

/** API side of the product jobs: CSV upload and import status. The processors run in the worker. */
@Module({
  imports: [TypeOrmModule.forFeature([ProductImport]), AccessTokenModule],
  controllers: [ProductImportsController],
  providers: [ImportStorage, ProductImportsService, MultipartSupport],
})
export class ProductJobsModule {}
