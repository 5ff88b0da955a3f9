import {
  Controller,
  Get,
  Inject,
  Optional,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { withTimeout } from '../../common/with-timeout.js';
import { ReplicaRouter } from '../database/replica-router.js';
import { QueueStats } from '../queue/queue-stats.js';
import { REQUEST_REDIS } from '../redis/redis.module.js';
import { Lifecycle } from './lifecycle.js';

const PRIMARY_TIMEOUT_MS = 1_000;

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: Lifecycle,
    private readonly router: ReplicaRouter,
    @InjectDataSource() private readonly primary: DataSource,
    @Inject(REQUEST_REDIS) private readonly redis: Redis,
    @Optional() private readonly queueStats?: QueueStats,
  ) {}

  /** Liveness: the event loop answers. Never depends on the database, so a DB outage does not restart pods. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]);
  }

  /**
   * Readiness: 503 while shutting down, or when no database can serve (the primary does not answer and
   * no replica is in rotation). A primary outage with a replica up only degrades it: the primary is
   * shared by every pod, so failing readiness on it would take the whole fleet out of the Service and
   * turn reads the replicas could serve into errors at the load balancer. Writes get the API's own 503.
   * Replicas, Redis and the queues only degrade it.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([
        () => this.lifecycleIndicator(),
        () => this.primaryIndicator(),
        () => this.replicasIndicator(),
        () => this.redisIndicator(),
        () => this.queuesIndicator(),
      ]);
    } catch (error) {
      // Keep terminus's report (which check failed, and why) as the 503 body instead of the generic error shape.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }

  private lifecycleIndicator(): HealthIndicatorResult {
    const session = this.indicators.check('lifecycle');
    return this.lifecycle.isShuttingDown
      ? session.down({ message: 'shutting down' })
      : session.up();
  }

  private primaryPing: Promise<unknown> | null = null;

  private async primaryIndicator(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('primary');
    try {
      // A check still waiting on a hung primary is waited on again, not joined by one more query:
      // each would hold a pool connection until its query timeout.
      this.primaryPing ??= this.primary
        .query('SELECT 1')
        .finally(() => (this.primaryPing = null)) as Promise<unknown>;
      await withTimeout(
        this.primaryPing,
        PRIMARY_TIMEOUT_MS,
        `no answer within ${PRIMARY_TIMEOUT_MS} ms`,
      );
      return session.up();
    } catch (error) {
      const message = (error as Error).message;
      return this.router.pickReplica()
        ? session.degraded({ message, serving: 'reads from replicas; writes get 503' })
        : session.down({ message });
    }
  }

  private replicasIndicator(): HealthIndicatorResult {
    const session = this.indicators.check('replicas');
    const replicas = Object.fromEntries(
      this.router.replicas.map((r) => [
        r.name,
        { state: r.state, lagMs: r.lagMs, error: r.state === 'healthy' ? undefined : r.lastError },
      ]),
    );
    const allHealthy = this.router.replicas.every((r) => r.state === 'healthy');
    return allHealthy ? session.up(replicas) : session.degraded(replicas);
  }

  /** Depth and dead-letter count per queue: information only, never makes the API unready. */
  private async queuesIndicator(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('queues');
    if (!this.queueStats) return session.up();
    const counts = await this.queueStats.all();
    const unreadable = Object.values(counts).some((c) => 'error' in c);
    return unreadable ? session.degraded(counts) : session.up(counts);
  }

  private async redisIndicator(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('redis');
    try {
      await this.redis.ping();
      return session.up();
    } catch (error) {
      return session.degraded({ message: (error as Error).message });
    }
  }
}
