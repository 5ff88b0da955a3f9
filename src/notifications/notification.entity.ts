import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Every notification sent: what the default notifier does, and the proof that a redelivered job applied
 * its side effect once. The unique (kind, user_id) makes a second delivery of the same welcome a no-op.
 */
@Entity('notifications')
@Index('notifications_kind_user_id_key', ['kind', 'userId'], { unique: true })
export class Notification {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 40 })
  kind: string;

  // No foreign key: the record of what was sent outlives the account.
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 254 })
  recipient: string;

  /** The job that delivered it. */
  @Column({ name: 'job_id', type: 'varchar', length: 100 })
  jobId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
