import { Injectable } from '@nestjs/common';
import { withTimeout } from '../../common/with-timeout.js';
import { Metrics } from '../observability/metrics.js';
import { JobQueues } from './job-queues.js';
import type { QueueName } from './queue-names.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type QueueCounts = Record<JobState, number>;

// Counts are read at scrape/probe time; a Redis that does not answer must not hold a probe.
const COUNTS_TIMEOUT_MS = 500;

/**
 * Depth of every queue, for /health/ready details and the `queue_jobs` gauge. Every process that has
 * the queue module reports the same numbers (they live in Redis), so the gauge keeps the max across
 * cluster workers, and dashboards should use max(), not sum(), across pods.
 */
@Injectable()
export class QueueStats {
  constructor(
    private readonly queues: JobQueues,
    metrics: Metrics,
  ) {
    const read = () => this.all();
    metrics.gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting includes prioritized; failed is the dead-letter set).',
      labelNames: ['queue', 'state'],
      aggregator: 'max',
      async collect() {
        const counts = await read();
        for (const [queue, byState] of Object.entries(counts)) {
          // An unanswered read leaves the last values: a gap would hide the backlog during an outage.
          if ('error' in byState) continue;
          for (const state of JOB_STATES) this.set({ queue, state }, byState[state]);
        }
      },
    });
  }

  async counts(name: QueueName): Promise<QueueCounts> {
    const raw = await this.queues.run(name, (queue) =>
      withTimeout(
        queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
        COUNTS_TIMEOUT_MS,
        `Command timed out after ${COUNTS_TIMEOUT_MS} ms`,
      ),
    );
    return {
      waiting: (raw.waiting ?? 0) + (raw.prioritized ?? 0),
      active: raw.active ?? 0,
      delayed: raw.delayed ?? 0,
      failed: raw.failed ?? 0,
      completed: raw.completed ?? 0,
    };
  }

  /** Counts per queue; a queue whose counts cannot be read says why instead. */
  async all(): Promise<Record<string, QueueCounts | { error: string }>> {
    const names = this.queues.names();
    const results = await Promise.allSettled(names.map((name) => this.counts(name)));
    return Object.fromEntries(
      results.map((result, i) => [
        names[i],
        result.status === 'fulfilled'
          ? result.value
          : { error: (result.reason as Error).message ?? String(result.reason) },
      ]),
    );
  }
}
