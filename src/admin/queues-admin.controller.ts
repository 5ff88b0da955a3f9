import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Job } from 'bullmq';
import { Auth } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { JobQueues } from '../infra/queue/job-queues.js';
import { isQueueName, type QueueName } from '../infra/queue/queue-names.js';
import { FailedJobDto, FailedJobsPageDto, FailedJobsQuery } from './failed-jobs.dto.js';

const JOB_ID = /^[\w:.-]{1,200}$/;

/**
 * The dead-letter sets as JSON, for scripts and alerts (Bull Board at /admin/queues is the UI for people).
 * Bull Board serves /admin/queues itself; these routes live below it, under a queue name.
 */
@ApiTags('admin')
@Controller('admin/queues')
export class QueuesAdminController {
  constructor(private readonly queues: JobQueues) {}

  @Get(':name/failed')
  @Auth('admin')
  @ApiOkResponse({ type: FailedJobsPageDto })
  @ApiErrors(400, 404, 503)
  async failed(
    @Param('name') name: string,
    @Query() query: FailedJobsQuery,
  ): Promise<FailedJobsPageDto> {
    const queue = this.queueName(name);
    const [total, jobs] = await this.queues.run(queue, (q) =>
      Promise.all([q.getFailedCount(), q.getFailed(query.offset, query.offset + query.limit - 1)]),
    );
    return { queue, total, items: jobs.filter(Boolean).map(toFailedJobDto) };
  }

  /** Moves a dead-lettered job back to waiting, with its attempts reset. */
  @Post(':name/failed/:jobId/retry')
  @HttpCode(202)
  @Auth('admin')
  @ApiAcceptedResponse({ description: 'The job is waiting again' })
  @ApiErrors(400, 404, 409, 503)
  async retry(@Param('name') name: string, @Param('jobId') jobId: string): Promise<{ id: string }> {
    const queue = this.queueName(name);
    if (!JOB_ID.test(jobId)) {
      throw new BadRequestException({
        message: 'Validation failed',
        errors: [{ field: 'jobId', message: 'jobId must be a job id' }],
      });
    }
    await this.queues.run(queue, async (q) => {
      const job = await q.getJob(jobId);
      if (!job || !(await job.isFailed())) {
        throw new NotFoundException(`No failed job ${jobId} in queue ${queue}`);
      }
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    });
    return { id: jobId };
  }

  private queueName(name: string): QueueName {
    if (!isQueueName(name)) throw new NotFoundException(`No queue named ${name}`);
    return name;
  }
}

function toFailedJobDto(job: Job): FailedJobDto {
  return {
    id: String(job.id),
    name: job.name,
    data: job.data,
    failedReason: job.failedReason,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    stacktrace: (job.stacktrace ?? []).slice(-1).flatMap((stack) => stack.split('\n').slice(0, 5)),
    createdAt: new Date(job.timestamp).toISOString(),
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}
