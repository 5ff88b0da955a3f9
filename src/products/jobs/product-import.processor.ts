import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { DataSource } from 'typeorm';
import { TwoTierCache } from '../../infra/cache/two-tier-cache.js';
import { JobProcessor, type JobContext, type JobHandler } from '../../infra/queue/job-processor.js';
import { QUEUES } from '../../infra/queue/queue-names.js';
import { PRODUCTS_TAG } from '../products.service.js';
import { csvRecords } from './csv-records.js';
import { ImportStorage } from './import-storage.js';
import {
  IMPORT_MAX_ERRORS,
  type ImportJobData,
  type ImportProgress,
} from './product-import-job.js';
import { type ImportLineError, ProductImport } from './product-import.entity.js';
import {
  type ColumnIndex,
  columnIndex,
  isBlank,
  type ProductRow,
  toProductRow,
} from './product-rows.js';

/** Rows per INSERT ... ON CONFLICT, and per checkpoint. */
export const IMPORT_BATCH_ROWS = 1_000;

const UPSERT = `
  INSERT INTO products (sku, name, description, category, price_cents, stock)
  SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::text[], $4::varchar[], $5::int[], $6::int[])
  ON CONFLICT (sku) DO UPDATE SET
    name = EXCLUDED.name, description = EXCLUDED.description, category = EXCLUDED.category,
    price_cents = EXCLUDED.price_cents, stock = EXCLUDED.stock,
    version = products.version + 1, updated_at = now()
  WHERE (products.name, products.description, products.category, products.price_cents, products.stock)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.category, EXCLUDED.price_cents, EXCLUDED.stock)
  RETURNING id, (xmax = 0) AS inserted`;

interface Checkpoint {
  recordsDone: number;
  inserted: number;
  updated: number;
  unchanged: number;
  invalid: number;
  errorsKept: number;
}

/**
 * Streams the uploaded CSV and upserts products by sku, IMPORT_BATCH_ROWS per statement. Memory stays flat
 * whatever the file size: one batch of rows and a bounded list of errors are all it holds.
 *
 * Idempotent and resumable: each batch commits with the import's counters and checkpoint (records done),
 * guarded by the previous checkpoint, so a retried or stalled-and-rerun job skips what is in and cannot
 * double count; rows are upserted, so a batch applied twice changes nothing. On shutdown it stops after
 * the current batch and puts itself back in the queue (delayed, not failed) for the next worker.
 */
@Injectable()
@JobProcessor(QUEUES.productImports, { concurrency: 1 })
export class ProductImportProcessor implements JobHandler {
  private readonly logger = new Logger('ProductImport');

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    private readonly storage: ImportStorage,
    // The API's product cache: rows an import changed must not be served stale from it.
    @Optional() private readonly cache?: TwoTierCache,
  ) {}

  async process(job: Job, context: JobContext): Promise<ImportProgress> {
    const { importId } = job.data as ImportJobData;
    const found = await this.primary.getRepository(ProductImport).findOneBy({ id: importId });
    if (!found) throw new UnrecoverableError(`import ${importId} does not exist`);
    if (found.status === 'completed') return progressOf(found, 100);
    try {
      return await this.run(job, found, context);
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      const final =
        error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final) {
        await this.primary.query(
          `UPDATE product_imports SET status = 'failed', failure_reason = $2, finished_at = now() WHERE id = $1`,
          [importId, (error as Error).message],
        );
        await this.storage.remove(importId);
      }
      throw error;
    }
  }

  private async run(job: Job, found: ProductImport, context: JobContext): Promise<ImportProgress> {
    const id = found.id;
    const size = await this.storage.size(id);
    if (size === null) throw new UnrecoverableError('the uploaded file is gone');
    await this.primary.query(
      `UPDATE product_imports SET status = 'running', started_at = coalesce(started_at, now()) WHERE id = $1`,
      [id],
    );
    const done: Checkpoint = {
      recordsDone: found.recordsDone,
      inserted: found.inserted,
      updated: found.updated,
      unchanged: found.unchanged,
      invalid: found.invalid,
      errorsKept: found.errors.length,
    };
    if (done.recordsDone > 0)
      this.logger.log(`import ${id}: resuming after record ${done.recordsDone}`);
    const stream = this.storage.open(id);
    const percent = () => Math.min(100, Math.floor((stream.bytesRead / Math.max(size, 1)) * 100));
    let header: ColumnIndex | undefined;
    let width = 0;
    let seen = 0;
    let rows: ProductRow[] = [];
    let errors: ImportLineError[] = [];
    let invalid = 0;
    const flush = async () => {
      const batch = { rows, errors, invalid, records: rows.length + invalid };
      rows = [];
      errors = [];
      invalid = 0;
      if (batch.records === 0) return;
      await this.commitBatch(id, done, batch);
      await job.updateProgress({ ...done, percent: percent() } satisfies ImportProgress);
    };
    try {
      for await (const record of csvRecords(stream as AsyncIterable<string>)) {
        if (!header) {
          try {
            if (record.error) throw new Error(record.error);
            header = columnIndex(record.fields);
          } catch (error) {
            throw new UnrecoverableError(`line ${record.line}: ${(error as Error).message}`);
          }
          width = record.fields.length;
          continue;
        }
        if (isBlank(record)) continue;
        if (++seen <= done.recordsDone) continue; // already imported by an earlier run
        const result = toProductRow(record, header, width);
        if (typeof result === 'string') {
          invalid++;
          if (done.errorsKept + errors.length < IMPORT_MAX_ERRORS) {
            errors.push({ line: record.line, message: result });
          }
        } else {
          rows.push(result);
        }
        if (rows.length + invalid >= IMPORT_BATCH_ROWS) {
          await flush();
          if (context.shutdown.aborted) {
            // Between batches everything is committed: hand the rest to the next worker.
            this.logger.log(
              `import ${id}: shutting down; requeued after record ${done.recordsDone}`,
            );
            await job.moveToDelayed(Date.now(), context.token);
            throw new DelayedError();
          }
        }
      }
      if (!header) throw new UnrecoverableError('the file is empty (no header line)');
      await flush();
    } finally {
      stream.destroy();
    }
    await this.primary.query(
      `UPDATE product_imports SET status = 'completed', finished_at = now() WHERE id = $1`,
      [id],
    );
    await this.storage.remove(id);
    this.logger.log(
      `import ${id} completed: ${done.recordsDone} records, ${done.inserted} inserted, ${done.updated} updated, ${done.unchanged} unchanged, ${done.invalid} invalid`,
    );
    return { ...done, percent: 100 };
  }

  /** Upserts one batch and moves the checkpoint, in one transaction. Updates `done` once committed. */
  private async commitBatch(
    id: string,
    done: Checkpoint,
    batch: { rows: ProductRow[]; errors: ImportLineError[]; invalid: number; records: number },
  ): Promise<void> {
    // A sku twice in one statement would make ON CONFLICT fail: the later line wins, as it would
    // across batches.
    const bySku = new Map(batch.rows.map((row) => [row.sku, row]));
    const unique = [...bySku.values()];
    const {
      after: next,
      updatedIds,
      changed,
    } = await this.primary.transaction(async (em) => {
      let inserted = 0;
      let changed = 0;
      const updatedIds: string[] = [];
      if (unique.length > 0) {
        const written = (await em.query(UPSERT, [
          unique.map((r) => r.sku),
          unique.map((r) => r.name),
          unique.map((r) => r.description),
          unique.map((r) => r.category),
          unique.map((r) => r.priceCents),
          unique.map((r) => r.stock),
        ])) as Array<{ id: string; inserted: boolean }>;
        inserted = written.filter((w) => w.inserted).length;
        changed = written.length;
        for (const w of written) if (!w.inserted) updatedIds.push(w.id);
      }
      const superseded = batch.rows.length - unique.length;
      const after: Checkpoint = {
        recordsDone: done.recordsDone + batch.records,
        inserted: done.inserted + inserted,
        updated: done.updated + (changed - inserted) + superseded,
        unchanged: done.unchanged + (unique.length - changed),
        invalid: done.invalid + batch.invalid,
        errorsKept: done.errorsKept + batch.errors.length,
      };
      const moved = (await em.query(
        `UPDATE product_imports
            SET records_done = $3, inserted = $4, updated = $5, unchanged = $6, invalid = $7,
                errors = errors || $8::jsonb
          WHERE id = $1 AND records_done = $2
          RETURNING id`,
        [
          id,
          done.recordsDone,
          after.recordsDone,
          after.inserted,
          after.updated,
          after.unchanged,
          after.invalid,
          JSON.stringify(batch.errors),
        ],
      )) as [unknown[], number] | unknown[];
      const affected = Array.isArray(moved[0]) ? (moved[0] as unknown[]).length : moved.length;
      // Another run of this import (a worker that lost its lock but kept going) moved the checkpoint:
      // roll this batch back; the retry resumes from the checkpoint that won.
      if (affected !== 1) throw new Error(`import ${id}: checkpoint moved by another run`);
      return { after, updatedIds, changed };
    });
    Object.assign(done, next);
    // After the commit, as ProductsService does for a single update (same key format, same tag).
    if (this.cache && changed > 0) {
      await this.cache.invalidate(
        updatedIds.map((productId) => `product:${productId}`),
        [PRODUCTS_TAG],
      );
    }
  }
}

function progressOf(row: ProductImport, percent: number): ImportProgress {
  return {
    recordsDone: row.recordsDone,
    inserted: row.inserted,
    updated: row.updated,
    unchanged: row.unchanged,
    invalid: row.invalid,
    percent,
  };
}
