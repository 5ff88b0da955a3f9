import { SetMetadata } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { QueueName } from './queue-names.js';

export const JOB_PROCESSOR = 'nest-at-scale:job-processor';

export interface JobProcessorOptions {
  /** Jobs of this queue one process runs at once; default JOB_CONCURRENCY. */
  concurrency?: number;
}

export interface JobProcessorMetadata extends JobProcessorOptions {
  queue: QueueName;
}

/** What a processor gets besides the job. */
export interface JobContext {
  /** The worker's lock token for this job (needed to move the job, e.g. `job.moveToDelayed`). */
  token: string | undefined;
  /**
   * Aborted when the process starts shutting down. Active jobs are waited for (up to
   * SHUTDOWN_TIMEOUT_MS); a long job should check it at a safe point and hand itself back (see
   * ProductImportProcessor) instead of running into the deadline.
   */
  shutdown: AbortSignal;
}

/**
 * A queue's processor. Runs only in the worker process (src/worker.ts); the API only adds jobs.
 * It must be idempotent: a job can run more than once (a retry after a failure that happened after the
 * side effect, a worker killed mid-job). Throw UnrecoverableError for failures a retry cannot fix.
 */
export interface JobHandler {
  process(job: Job, context: JobContext): Promise<unknown>;
  /** Called once the worker for this queue is running, with the queue (e.g. to upsert a job scheduler). */
  onWorkerStarted?(queue: Queue): Promise<void> | void;
}

/** Marks a provider as the processor of a queue; JobWorkers finds it at boot. */
export const JobProcessor = (queue: QueueName, options: JobProcessorOptions = {}) =>
  SetMetadata<string, JobProcessorMetadata>(JOB_PROCESSOR, { queue, ...options });
