import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobQueues } from './job-queues.js';
import { Outbox } from './outbox.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { QueueStats } from './queue-stats.js';

/**
 * Producer side of the job queues, for every process: queue handles (fail fast when Redis is down),
 * counts for health and metrics, and the transactional outbox writer. Workers are in JobWorkerModule
 * (worker process only); the outbox relay in OutboxRelayModule (API only).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage])],
  providers: [JobQueues, QueueStats, Outbox],
  exports: [JobQueues, QueueStats, Outbox],
})
export class QueueModule {}
