import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import {
  BadRequestException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { JobQueues } from '../../infra/queue/job-queues.js';
import { ImportStorage } from './import-storage.js';
import {
  IMPORT_JOB,
  IMPORT_MAX_ERRORS,
  type ImportJobData,
  type ImportProgress,
} from './product-import-job.js';
import type { ImportAcceptedDto, ImportStatusDto } from './product-import.dto.js';
import { ProductImport } from './product-import.entity.js';

/** The 400 for a multipart body the parser cannot read, unless the parser gave it a status itself. */
function malformedUpload(error: unknown): never {
  if (
    error instanceof HttpException ||
    typeof (error as { statusCode?: unknown }).statusCode === 'number'
  )
    throw error;
  throw new BadRequestException({
    message: 'Validation failed',
    errors: [
      { field: 'file', message: `the multipart body cannot be read: ${(error as Error).message}` },
    ],
  });
}

/** API side of CSV imports: stores the upload, records the import and enqueues its job. */
@Injectable()
export class ProductImportsService {
  private readonly logger = new Logger('ProductImports');

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    private readonly storage: ImportStorage,
    private readonly queues: JobQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async accept(request: FastifyRequest, requestedBy: string): Promise<ImportAcceptedDto> {
    if (!request.isMultipart?.()) {
      throw new UnsupportedMediaTypeException(
        'Send the CSV as multipart/form-data with the file in a part named "file"',
      );
    }
    const file: MultipartFile | undefined = await request.file().catch(malformedUpload);
    if (!file || file.fieldname !== 'file') {
      file?.file.resume();
      throw new BadRequestException({
        message: 'Validation failed',
        errors: [{ field: 'file', message: 'a file part named "file" is required' }],
      });
    }
    const imports = this.primary.getRepository(ProductImport);
    const id = randomUUID();
    // Streams to disk as it arrives; multipart stops reading at IMPORT_MAX_BYTES and marks it truncated.
    // An error of the upload itself (a body cut short or badly framed) is the client's; one of the disk
    // is ours and stays a 500.
    const size = await this.storage.save(id, file.file).catch((error: unknown) => {
      // `errored` holds the stream's own error even when it came before anyone listened.
      throw file.file.errored ? malformedUpload(file.file.errored) : error;
    });
    if (file.file.truncated) {
      await this.storage.remove(id);
      throw new PayloadTooLargeException(
        `The file is larger than the import limit of ${this.config.IMPORT_MAX_BYTES} bytes`,
      );
    }
    try {
      await imports.insert({
        id,
        fileName: basename(file.filename || 'upload.csv').slice(0, 255),
        sizeBytes: size,
        requestedBy,
      });
      const data: ImportJobData = { importId: id };
      // jobId = import id: a client or proxy retrying this call cannot start the same import twice.
      await this.queues.add(IMPORT_JOB.queue, IMPORT_JOB.name, data, { jobId: id });
    } catch (error) {
      // Nothing is queued: leave no trace (503 when Redis is down, 413 when the file is too large).
      await this.storage.remove(id).catch(() => undefined);
      await imports.delete({ id }).catch(() => undefined);
      throw error;
    }
    this.logger.log(`import ${id} queued (${file.filename})`);
    return { id, status: 'queued', location: `/products/imports/${id}` };
  }

  async status(id: string): Promise<ImportStatusDto> {
    // The primary: the worker writes progress there every batch.
    const row = await this.primary.getRepository(ProductImport).findOneBy({ id });
    if (!row) throw new NotFoundException(`Import ${id} not found`);
    let jobState: string | null = null;
    let attempts = 0;
    let percent = row.status === 'completed' ? 100 : 0;
    try {
      // State first, then the job: read the other way round, a job that failed in between showed
      // `failed` with the attempt count from before it (0), as a CI run caught.
      const state = await this.queues.run(IMPORT_JOB.queue, (queue) => queue.getJobState(id));
      const job = await this.queues.run(IMPORT_JOB.queue, (queue) => queue.getJob(id));
      if (job) {
        jobState = state === 'unknown' ? await job.getState() : state;
        attempts = job.attemptsMade;
        const progress = job.progress as Partial<ImportProgress> | number;
        if (typeof progress === 'object' && typeof progress.percent === 'number') {
          percent = row.status === 'completed' ? 100 : progress.percent;
        }
      }
    } catch {
      // Redis down: the database row still answers everything but the live job state.
    }
    return {
      id: row.id,
      status: row.status,
      jobState,
      attempts,
      percent,
      counts: {
        records: row.recordsDone,
        inserted: row.inserted,
        updated: row.updated,
        unchanged: row.unchanged,
        invalid: row.invalid,
      },
      errors: row.errors,
      errorsTruncated: row.invalid > row.errors.length && row.errors.length >= IMPORT_MAX_ERRORS,
      failureReason: row.failureReason,
      fileName: row.fileName,
      sizeBytes: row.sizeBytes,
      createdAt: row.createdAt.toISOString(),
      startedAt: row.startedAt?.toISOString() ?? null,
      finishedAt: row.finishedAt?.toISOString() ?? null,
    };
  }
}
