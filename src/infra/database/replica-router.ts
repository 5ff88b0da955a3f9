import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type RequestContext, requestContext } from '../../common/request-context.js';
import { withTimeout } from '../../common/with-timeout.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { GuardedRedis } from '../redis/guarded-redis.js';
import { dataSourceOptions } from './database-options.js';
import { RecentWriters } from './recent-writers.js';
import { PRIMARY_POSITION_QUERY, type PrimaryPosition, ReplicaNode } from './replica-node.js';
import { parseXactSnapshot } from './xact-snapshot.js';

export type ReadRoute = 'replica' | 'primary-fallback' | 'primary-ryw';

// SQLSTATE classes that mean "the query itself is wrong": the primary would fail the same way.
const QUERY_FAULT = /^(22|23|42)/;

/**
 * Sends reads to a healthy replica and everything else to the primary.
 *
 * TypeORM's own `replication` option picks a random replica with no health check, so one dead replica
 * fails boot or turns reads into 500s. Here each replica is probed in the background; a replica that is
 * down or lagging leaves the rotation until a probe finds it well again, a read that fails on a replica
 * is retried on the primary, and a client that just wrote reads from the primary for a short window.
 */
@Injectable()
export class ReplicaRouter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaRouter.name);
  readonly replicas: ReplicaNode[];
  private readonly recentWriters: RecentWriters;
  private probeTimer: NodeJS.Timeout | undefined;
  private next = 0;
  private probing = false;
  private positionQuery: Promise<Array<{ flushed: number; snapshot: string }>> | null = null;
  /** Counts of where reads went, for metrics and tests. */
  readonly routed: Record<ReadRoute, number> = {
    replica: 0,
    'primary-fallback': 0,
    'primary-ryw': 0,
  };
  onRoute: (route: ReadRoute) => void = () => undefined;

  constructor(
    @InjectDataSource() readonly primary: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    redis: GuardedRedis,
  ) {
    this.recentWriters = new RecentWriters(redis, config.READ_YOUR_WRITES_WINDOW_MS);
    // Replicas share the primary's options (entities included) with their own URL.
    this.replicas = config.DATABASE_REPLICA_URLS.map((url, i) => {
      const name = `replica${i + 1}` as const;
      const options = {
        ...dataSourceOptions(config, url, name),
        entities: primary.options.entities,
      };
      return new ReplicaNode(
        name,
        options,
        config.REPLICA_MAX_LAG_MS,
        config.REPLICA_PROBE_TIMEOUT_MS,
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Boot waits for one probe round but never fails on it: a dead replica must not stop the API.
    await this.probeAll();
    this.probeTimer = setInterval(
      () => void this.probeAll(),
      this.config.REPLICA_PROBE_INTERVAL_MS,
    );
    this.probeTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.probeTimer);
    await Promise.all(this.replicas.map((replica) => replica.close()));
  }

  /**
   * Runs a read where it is safe and cheapest: a healthy replica, else the primary. Not async on the
   * common path (no client id, a replica up): the result comes from work's own promise, one promise
   * and tick fewer on every uncached read.
   */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const context = requestContext.current();
    if (context?.preferPrimary) return this.onPrimary(work, 'primary-ryw');
    if (context?.clientId) return this.readFor(context, context.clientId, work);
    return this.onReplica(work, context);
  }

  /** A known client reads from the primary for a while after it wrote (read-your-writes). */
  private async readFor<T>(
    context: RequestContext,
    clientId: string,
    work: (manager: EntityManager) => Promise<T>,
  ) {
    if (await this.recentWriters.wroteRecently(clientId))
      return this.onPrimary(work, 'primary-ryw');
    return this.onReplica(work, context);
  }

  private onReplica<T>(
    work: (manager: EntityManager) => Promise<T>,
    context: RequestContext | undefined,
  ): Promise<T> {
    const replica = this.pickReplica();
    if (!replica) return this.onPrimary(work, 'primary-fallback');
    return work(replica.source!.manager).then(
      (result) => {
        this.count('replica', context);
        return result;
      },
      (error: unknown) => this.retryOnPrimary(replica, error, work),
    );
  }

  /** A query fault (bad input, a constraint) is the caller's; anything else takes the replica out. */
  private retryOnPrimary<T>(
    replica: ReplicaNode,
    error: unknown,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    if (QUERY_FAULT.test(String((error as { code?: string }).code ?? ''))) throw error;
    replica.markDown((error as Error).message);
    this.logger.warn(
      `${replica.name} failed a read, retrying on the primary: ${(error as Error).message}`,
    );
    return this.onPrimary(work, 'primary-fallback');
  }

  /** Runs work in one primary transaction, then opens the caller's read-your-writes window. */
  async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.primary.transaction(work);
    await this.markWriter();
    return result;
  }

  /**
   * Runs a single statement on the primary outside a transaction (one statement is atomic on its own:
   * `UPDATE … RETURNING` saves the BEGIN and COMMIT round trips), then opens the read-your-writes window.
   * For work of more than one statement use write().
   */
  async writeStatement<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await work(this.primary.manager);
    await this.markWriter();
    return result;
  }

  private async markWriter(): Promise<void> {
    const clientId = requestContext.current()?.clientId;
    if (clientId) await this.recentWriters.mark(clientId);
  }

  /** The replica a read would use now, or null for the primary (e.g. to open a stream). */
  pickReplica(): ReplicaNode | null {
    const count = this.replicas.length;
    for (let i = 0; i < count; i++) {
      const replica = this.replicas[(this.next + i) % count];
      if (replica.source) {
        this.next = (this.next + i + 1) % count;
        return replica;
      }
    }
    return null;
  }

  private async onPrimary<T>(
    work: (manager: EntityManager) => Promise<T>,
    route: ReadRoute,
  ): Promise<T> {
    const result = await work(this.primary.manager);
    this.count(route);
    return result;
  }

  private count(route: ReadRoute, context = requestContext.current()): void {
    this.routed[route]++;
    if (context) context.dbRoute = route;
    this.onRoute(route);
  }

  private async probeAll(): Promise<void> {
    // A round waits at most for the primary's answer and a probe timeout; the next waits for it.
    if (this.replicas.length === 0 || this.probing) return;
    this.probing = true;
    try {
      await this.probeRound();
    } finally {
      this.probing = false;
    }
  }

  private async probeRound(): Promise<void> {
    const primary = await this.primaryPosition();
    await Promise.all(
      this.replicas.map(async (replica) => {
        const before = replica.state;
        const after = await replica.probe(primary);
        if (before !== after) {
          const detail =
            after === 'healthy'
              ? `lag ${replica.lagMs} ms`
              : (replica.lastError ?? `lag ${replica.lagMs} ms`);
          this.logger.log(`${replica.name}: ${before} -> ${after} (${detail})`);
        }
      }),
    );
  }

  /**
   * The primary's flushed WAL position and finished transactions, so a replica cut off from a live
   * primary reads as lagging (its own received position stops with it). Null when the primary does not
   * answer within a probe period: the replicas are then measured against what they received, and keep
   * serving reads.
   */
  private primaryPosition(): Promise<PrimaryPosition | null> {
    // A query still waiting on a hung primary is waited on again, not joined by one more per round.
    this.positionQuery ??= (
      this.primary.query(PRIMARY_POSITION_QUERY) as Promise<
        Array<{ flushed: number; snapshot: string }>
      >
    ).finally(() => (this.positionQuery = null));
    const ms = this.config.REPLICA_PROBE_INTERVAL_MS;
    return withTimeout(this.positionQuery, ms, `the primary did not answer within ${ms} ms`).then(
      ([row]) => (row ? { flushed: row.flushed, snapshot: parseXactSnapshot(row.snapshot) } : null),
      () => null,
    );
  }
}
