import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogStatsProcessor } from './catalog-stats.processor.js';
import { CategoryStats } from './category-stats.entity.js';
import { ImportStorage } from './import-storage.js';
import { ProductImport } from './product-import.entity.js';
import { ProductImportProcessor } from './product-import.processor.js';

/** Worker side of the product jobs: CSV import and the recurring catalog statistics. */
@Module({
  imports: [TypeOrmModule.forFeature([ProductImport, CategoryStats])],
  providers: [ImportStorage, ProductImportProcessor, CatalogStatsProcessor],
})
export class ProductJobsWorkerModule {}
