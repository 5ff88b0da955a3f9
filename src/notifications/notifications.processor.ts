import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job, UnrecoverableError } from 'bullmq';
import type { DataSource } from 'typeorm';
import { JobProcessor, type JobHandler } from '../infra/queue/job-processor.js';
import { QUEUES } from '../infra/queue/queue-names.js';
import { User } from '../users/user.entity.js';
import { type DeliveryOutcome, NOTIFIER, type Notifier } from './notifier.js';
import { WELCOME_JOB, type WelcomeJobData } from './welcome-job.js';

@Injectable()
@JobProcessor(QUEUES.notifications)
export class NotificationsProcessor implements JobHandler {
  constructor(
    @Inject(NOTIFIER) private readonly notifier: Notifier,
    @InjectDataSource() private readonly primary: DataSource,
  ) {}

  async process(job: Job): Promise<{ outcome: DeliveryOutcome }> {
    if (job.name !== WELCOME_JOB.name) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const { userId } = job.data as WelcomeJobData;
    // The primary: the job may run milliseconds after the registration committed.
    const user = await this.primary.getRepository(User).findOneBy({ id: userId });
    // Deleted before we got to it: no retry can bring the account back.
    if (!user) throw new UnrecoverableError(`user ${userId} no longer exists`);
    const outcome = await this.notifier.deliver(
      { kind: 'welcome', userId, recipient: user.email, name: user.name },
      { jobId: String(job.id), attempt: job.attemptsMade + 1 },
    );
    return { outcome };
  }
}
