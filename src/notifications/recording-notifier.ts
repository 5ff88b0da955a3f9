import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type {
  DeliveryContext,
  DeliveryOutcome,
  NotificationMessage,
  Notifier,
} from './notifier.js';

/** The default notifier: records the notification in the `notifications` table, once per (kind, user). */
@Injectable()
export class RecordingNotifier implements Notifier {
  constructor(@InjectDataSource() private readonly primary: DataSource) {}

  async deliver(message: NotificationMessage, context: DeliveryContext): Promise<DeliveryOutcome> {
    const inserted = (await this.primary.query(
      `INSERT INTO notifications (kind, user_id, recipient, job_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, user_id) DO NOTHING RETURNING id`,
      [message.kind, message.userId, message.recipient, context.jobId],
    )) as unknown[];
    return inserted.length === 1 ? 'delivered' : 'duplicate';
  }
}
