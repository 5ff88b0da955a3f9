import { Inject, Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import multipart from '@fastify/multipart';
import { AccessTokenModule } from '../../auth/access-token.module.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ImportStorage } from './import-storage.js';
import { ProductImport } from './product-import.entity.js';
import { ProductImportsController } from './product-imports.controller.js';
import { ProductImportsService } from './product-imports.service.js';

/**
 * Multipart parsing for the upload route. Files are streamed (never buffered whole) and capped at
 * IMPORT_MAX_BYTES; one file and a few small fields per request. Registered by createHttpApp before
 * Nest initialises: a plugin registered later (in onModuleInit) leaves Fastify's default error handler
 * on the routes, and body errors lose the API's error shape.
 */
@Injectable()
export class MultipartSupport {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async registerOn(app: NestFastifyApplication): Promise<void> {
    await app.register(multipart, {
      limits: { fileSize: this.config.IMPORT_MAX_BYTES, files: 1, fields: 10, parts: 11 },
    });
  }
}

/** API side of the product jobs: CSV upload and import status. The processors run in the worker. */
@Module({
  imports: [TypeOrmModule.forFeature([ProductImport]), AccessTokenModule],
  controllers: [ProductImportsController],
  providers: [ImportStorage, ProductImportsService, MultipartSupport],
  exports: [MultipartSupport],
})
export class ProductJobsModule {}
