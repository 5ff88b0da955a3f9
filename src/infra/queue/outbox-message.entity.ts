import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A job to enqueue, written in the same transaction as the change that calls for it (transactional
 * outbox): the job exists if and only if the change committed. The relay (outbox-relay.ts) moves rows to
 * BullMQ with jobId = row id and marks them sent.
 */
@Entity('outbox')
// The relay's only query: unsent rows, oldest first. Sent rows (kept a few days) stay out of the index.
@Index('outbox_unsent_idx', ['createdAt'], { where: 'sent_at IS NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 64 })
  queue: string;

  @Column({ name: 'job_name', type: 'varchar', length: 64 })
  jobName: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt: Date | null;
}
