import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface ImportLineError {
  line: number;
  message: string;
}

/**
 * One CSV import: its outcome so far, and the checkpoint that makes the job resumable. Each batch of rows
 * commits together with the counters and `records_done`, so a retried (or stalled and re-run) job skips
 * what is already in and the counts stay exact.
 */
@Entity('product_imports')
@Index('product_imports_created_at_idx', ['createdAt'])
export class ProductImport {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status: ImportStatus;

  @Column({ name: 'file_name', type: 'varchar', length: 255 })
  fileName: string;

  @Column({ name: 'size_bytes', type: 'bigint', transformer: { to: String, from: Number } })
  sizeBytes: number;

  @Column({ name: 'requested_by', type: 'uuid', nullable: true })
  requestedBy: string | null;

  /** Data records (lines after the header) already handled: the resume point. */
  @Column({ name: 'records_done', type: 'integer', default: 0 })
  recordsDone: number;

  @Column({ type: 'integer', default: 0 })
  inserted: number;

  @Column({ type: 'integer', default: 0 })
  updated: number;

  /** Rows whose sku existed with the same values: nothing to write. */
  @Column({ type: 'integer', default: 0 })
  unchanged: number;

  @Column({ type: 'integer', default: 0 })
  invalid: number;

  /** The first invalid lines with their reasons (bounded; `invalid` has the total). */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  errors: ImportLineError[];

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 3, nullable: true })
  finishedAt: Date | null;
}
